/**
 * Model presets and a speed/memory benchmark of the active backend: parameters, FLOPs per
 * token, training tokens/s and GFLOP/s, sampling tokens/s with and without the KV cache, and
 * peak tensor memory. `npm run bench` or `benchModel('default')` in a notebook. On webgpu the
 * async forms (trainStepAsync, generateAsync) run, and the clock stops after the GPU finished.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng';
import { Llama, LlamaConfig, defaults as llamaDefaults } from './llama';
import { syncReadsAvailable } from './backend';
import { generate, generateAsync } from './sample';
import { AdamW, trainStep, trainStepAsync } from './train';

/** A model size with the batch shape it trains on. */
export interface ModelPreset {
  config: LlamaConfig;
  /** Sequences per optimiser step. */
  batchSize: number;
  /** Tokens per sequence. */
  seqLen: number;
  /** Why this size. */
  note: string;
}

const base = { ...llamaDefaults, rope_theta: 10000, rms_norm_eps: 1e-5, tie_word_embeddings: true };

/**
 * smoke: seconds, for CI and notebooks. default: the largest that trains ≈ 1–2 M tokens in ≈ 5
 * minutes on this machine's wasm backend (one thread, SIMD). full: a larger policy for a faster
 * backend or a longer run. gpu: sized for a datacenter GPU (16k tokens per step). vocab_size is
 * a placeholder; the run's tokenizer sets it.
 */
export const MODEL_PRESETS: Record<'smoke' | 'default' | 'full' | 'gpu', ModelPreset> = {
  smoke: {
    config: { ...base, vocab_size: 512, hidden_size: 64, intermediate_size: 176, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256 },
    batchSize: 8,
    seqLen: 64,
    note: 'tiny: a few seconds per hundred steps',
  },
  default: {
    config: { ...base, vocab_size: 2048, hidden_size: 128, intermediate_size: 352, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512 },
    batchSize: 16,
    seqLen: 128,
    note: 'largest that trains ≈ 1–2 M tokens in ≈ 5 min on wasm (2-core machine)',
  },
  full: {
    config: { ...base, vocab_size: 4096, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 6, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024 },
    batchSize: 8,
    seqLen: 256,
    note: 'for tensorflow/webgpu backends or long runs',
  },
  gpu: {
    config: { ...base, vocab_size: 8192, hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024 },
    batchSize: 32,
    seqLen: 512,
    note: 'datacenter GPU (tensorflow or webgpu on a hardware adapter)',
  },
};

/** Matmul FLOPs per token: forward 2·(linear params incl. lm_head) + 4·L·T·d (scores and values over T keys). */
export function flopsPerToken(c: LlamaConfig, seqLen: number): { forward: number; train: number } {
  const d = c.hidden_size;
  const hd = d / c.num_attention_heads;
  const perLayer = d * c.num_attention_heads * hd * 2 + 2 * d * c.num_key_value_heads * hd + 3 * d * c.intermediate_size;
  const linear = c.num_hidden_layers * perLayer + c.vocab_size * d;
  const forward = 2 * linear + 4 * c.num_hidden_layers * seqLen * d;
  return { forward, train: 3 * forward };
}

/** What benchModel measured. */
export interface BenchResult {
  preset: string;
  backend: string;
  params: number;
  flopsPerTokenTrain: number;
  trainTokensPerSec: number;
  trainGflops: number;
  msPerStep: number;
  sampleTokensPerSecCached: number;
  sampleTokensPerSecUncached: number;
  /** Peak tensor bytes during one training step as tf.profile counts them (views and clones counted in full, so an upper bound). */
  peakBytes: number;
  /** Size of the wasm heap (its high-water mark for this process), wasm backend only. */
  wasmHeapMiB?: number;
  rssMiB: number;
}

export const defaults = {
  trainSteps: 3, // timed steps after one warm-up step
  sampleBatch: 4, // prompts generated together
  promptLen: 16, // prompt tokens
  newTokens: 24, // generated tokens per prompt
};

/** Bytes of the wasm backend's heap (0 on other backends). */
export function wasmHeapBytes(): number {
  const be = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return be.wasm?.HEAPU8?.byteLength ?? 0;
}

function randomBatch(rng: Rng, vocab: number, B: number, T: number): number[][] {
  return Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(vocab)));
}

/** Benchmarks a preset (by name or value) on the current backend. */
export async function benchModel(preset: keyof typeof MODEL_PRESETS | ModelPreset, options: Partial<typeof defaults> = {}): Promise<BenchResult> {
  const o = { ...defaults, ...options };
  const p = typeof preset === 'string' ? MODEL_PRESETS[preset] : preset;
  const name = typeof preset === 'string' ? preset : 'custom';
  const c = p.config;
  const rng = new Rng('bench');
  const model = new Llama(c, 1);
  const opt = new AdamW({ lr: 1e-3, warmupSteps: 1, totalSteps: 1000 });
  try {
    const batch = () => ({ inputIds: randomBatch(rng, c.vocab_size, p.batchSize, p.seqLen) });
    const sync = syncReadsAvailable();
    const step = async () => (sync ? trainStep(model, opt, batch()) : await trainStepAsync(model, opt, batch()));
    // A weight read waits for the queued update (webgpu runs asynchronously).
    const settle = async () => void (await tf.tidy(() => tf.sum(model.param('model.norm.weight'))).data());
    const prof = await tf.profile(async () => {
      await step();
      await settle();
    });
    const t0 = performance.now();
    for (let i = 0; i < o.trainSteps; i++) await step();
    await settle();
    const trainMs = (performance.now() - t0) / o.trainSteps;
    const tokensPerStep = p.batchSize * p.seqLen;
    const fpt = flopsPerToken(c, p.seqLen);
    const trainTokensPerSec = (tokensPerStep * 1000) / trainMs;

    const prompts = randomBatch(rng, c.vocab_size, o.sampleBatch, o.promptLen);
    const gen = (n: number, useCache: boolean) => (sync ? generate(model, prompts, new Rng(1), { maxNewTokens: n, useCache }) : generateAsync(model, prompts, new Rng(1), { maxNewTokens: n, useCache }));
    const time = async (useCache: boolean) => {
      await gen(2, useCache); // warm-up
      const s = performance.now();
      const g = await gen(o.newTokens, useCache);
      const n = g.tokens.reduce((a, t) => a + t.length, 0);
      return (n * 1000) / (performance.now() - s);
    };
    const cached = await time(true);
    const uncached = await time(false);
    return {
      preset: name,
      backend: tf.getBackend(),
      params: model.numParams(),
      flopsPerTokenTrain: fpt.train,
      trainTokensPerSec,
      trainGflops: (trainTokensPerSec * fpt.train) / 1e9,
      msPerStep: trainMs,
      sampleTokensPerSecCached: cached,
      sampleTokensPerSecUncached: uncached,
      peakBytes: prof.peakBytes,
      wasmHeapMiB: wasmHeapBytes() / 2 ** 20 || undefined,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    opt.dispose();
    model.dispose();
  }
}
