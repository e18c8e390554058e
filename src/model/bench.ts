/**
 * Model presets and a speed/memory benchmark of the active backend: parameters, FLOPs per
 * token, training tokens/s and GFLOP/s, sampling tokens/s with and without the KV cache, and
 * peak tensor memory, and where the time goes (kernel by kernel, one training step and one
 * decoding step). `npm run bench` or `benchModel('default')` in a notebook. On webgpu the
 * async forms (trainStepAsync, generateAsync) run, and the clock stops after the GPU finished.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng';
import { Llama, LlamaConfig, defaults as llamaDefaults, positionIds } from './llama';
import { syncReadsAvailable } from './backend';
import { linear } from './layers';
import { inferenceChoice, loadOrt, selectInference, useOrt, withInference } from './ort';
import { withWorkers } from './workers';
import { withTraining } from './ortTrain';
import { profileOrtDecodeStep, profileOrtGradients } from './ortProfile';
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

/** Time spent in one kernel (by name) over a profiled call. */
export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

/** Where a profiled call spent its time, kernel by kernel (slowest first). */
export interface KernelProfile {
  kernels: KernelTime[];
  /** Σ kernel time; the rest of the call's wall time is host work (JS, autodiff tape, reads). */
  kernelMs: number;
  /** Peak tensor bytes as tf.profile counts them (views and clones counted in full, so an upper bound). */
  peakBytes: number;
}

/**
 * Profiles `f` kernel by kernel on the active backend. Scopes (custom gradients) are left out,
 * as their kernels are counted on their own; error checks on every output are off meanwhile.
 */
export async function profileKernels(f: () => unknown): Promise<KernelProfile> {
  const check = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  try {
    const p = await tf.profile(async () => void (await f()));
    const by = new Map<string, KernelTime>();
    const backend = tf.getBackend();
    for (const k of p.kernels) {
      if (!tf.getKernel(k.name, backend)) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const e = by.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      by.set(k.name, e);
    }
    const kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
    return { kernels, kernelMs: kernels.reduce((a, k) => a + k.ms, 0), peakBytes: p.peakBytes };
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', check);
  }
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
  /** Training with the gradients on onnxruntime (trainRuntime auto or onnxruntime: the default where it loads), where it loads. */
  trainTokensPerSecOrt?: number;
  /** Sampling with the KV cache on the selected inference runtime (src/model/ort.ts). */
  sampleTokensPerSecCached: number;
  /** The runtime that figure ran on. */
  sampleRuntime: 'tfjs' | 'onnxruntime';
  /** The same on TensorFlow.js, when the selected runtime is onnxruntime (the lever's gain). */
  sampleTokensPerSecTfjs?: number;
  sampleTokensPerSecUncached: number;
  /** Peak tensor bytes during one training step as tf.profile counts them (views and clones counted in full, so an upper bound). */
  peakBytes: number;
  /** Size of the wasm heap (its high-water mark for this process), wasm backend only. */
  wasmHeapMiB?: number;
  rssMiB: number;
  /** Kernels of one training step, and that step's wall time (profiling included). */
  trainProfile: KernelProfile;
  trainProfileMs: number;
  /** Kernels of one cached decoding step on TensorFlow.js (sampleBatch rows after the prompt), and its wall time. */
  sampleProfile: KernelProfile;
  sampleStepMs: number;
  /** Where onnxruntime loads: one training step's gradients and one decoding step there, by operator, with their run times. */
  ortTrainProfile?: { profile: KernelProfile; ms: number };
  ortSampleProfile?: { profile: KernelProfile; ms: number };
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

/** Training speed: a warm-up step, `steps` timed ones, then one profiled step (its own wall time). */
async function timeTraining(model: Llama, p: ModelPreset, rng: Rng, steps: number, profile = true): Promise<{ ms: number; profile?: KernelProfile; profileMs: number }> {
  const opt = new AdamW({ lr: 1e-3, warmupSteps: 1, totalSteps: 1000 });
  try {
    const batch = () => ({ inputIds: randomBatch(rng, p.config.vocab_size, p.batchSize, p.seqLen) });
    const sync = syncReadsAvailable();
    // A weight read waits for the queued update (webgpu runs asynchronously).
    const settle = async () => void (await tf.tidy(() => tf.sum(model.param('model.norm.weight'))).data());
    const step = async () => {
      if (sync) trainStep(model, opt, batch());
      else await trainStepAsync(model, opt, batch());
      await settle();
    };
    await step();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const ms = (performance.now() - t0) / steps;
    if (!profile) return { ms, profileMs: 0 };
    const t1 = performance.now();
    const kernels = await profileKernels(step);
    return { ms, profile: kernels, profileMs: performance.now() - t1 };
  } finally {
    opt.dispose();
  }
}

/** Sampling tokens/s of generate (warm-up first) with the cache on or off. */
async function timeSampling(model: Llama, prompts: number[][], newTokens: number, useCache: boolean): Promise<number> {
  const sync = syncReadsAvailable();
  const gen = (n: number) => (sync ? generate(model, prompts, new Rng(1), { maxNewTokens: n, useCache }) : generateAsync(model, prompts, new Rng(1), { maxNewTokens: n, useCache }));
  await gen(2); // warm-up
  const s = performance.now();
  const g = await gen(newTokens);
  const n = g.tokens.reduce((a, t) => a + t.length, 0);
  return (n * 1000) / (performance.now() - s);
}

/** Kernels of one cached decoding step on TensorFlow.js: every row's next token after the prompts. */
async function profileDecodeStep(model: Llama, prompts: number[][]): Promise<{ profile: KernelProfile; ms: number }> {
  const mask = prompts.map((r) => r.map(() => 1));
  const first = model.hidden(prompts, mask, positionIds(mask), { lastOnly: true, wantCache: true });
  first.h.dispose();
  const past = { k: first.k, v: first.v, mask, nextPos: prompts.map((r) => r.length) };
  const step = async () => {
    const r = model.hidden(
      prompts.map((r) => [r[0]]),
      mask.map((m) => [...m, 1]),
      past.nextPos.map((p) => [p]),
      { past, lastOnly: true, wantCache: true },
    );
    const logits = tf.tidy(() => linear(r.h, model.lmHead()));
    await logits.data();
    tf.dispose([logits, r.h, ...r.k, ...r.v]);
  };
  try {
    await step(); // warm-up
    const t0 = performance.now();
    const profile = await profileKernels(step);
    return { profile, ms: performance.now() - t0 };
  } finally {
    tf.dispose([...past.k, ...past.v]);
  }
}

/** Benchmarks a preset (by name or value) on the current backend. */
export async function benchModel(preset: keyof typeof MODEL_PRESETS | ModelPreset, options: Partial<typeof defaults> = {}): Promise<BenchResult> {
  const o = { ...defaults, ...options };
  const p = typeof preset === 'string' ? MODEL_PRESETS[preset] : preset;
  const c = p.config;
  const rng = new Rng('bench');
  const model = new Llama(c, 1);
  try {
    const train = await timeTraining(model, p, rng, o.trainSteps);
    const trainTokensPerSec = (p.batchSize * p.seqLen * 1000) / train.ms;
    const native = loadOrt() && syncReadsAvailable() ? await withTraining('onnxruntime', () => timeTraining(model, p, rng, o.trainSteps, false)) : undefined;
    const fpt = flopsPerToken(c, p.seqLen);
    const prompts = randomBatch(rng, c.vocab_size, o.sampleBatch, o.promptLen);
    const runtime = useOrt() ? 'onnxruntime' : 'tfjs';
    const cached = await timeSampling(model, prompts, o.newTokens, true);
    const tfjs = runtime === 'onnxruntime' ? await withInference('tfjs', () => timeSampling(model, prompts, o.newTokens, true)) : undefined;
    const decode = await profileDecodeStep(model, prompts);
    const ort = loadOrt() && syncReadsAvailable();
    return {
      preset: typeof preset === 'string' ? preset : 'custom',
      backend: tf.getBackend(),
      params: model.numParams(),
      flopsPerTokenTrain: fpt.train,
      trainTokensPerSec,
      trainGflops: (trainTokensPerSec * fpt.train) / 1e9,
      msPerStep: train.ms,
      trainTokensPerSecOrt: native && (p.batchSize * p.seqLen * 1000) / native.ms,
      sampleTokensPerSecCached: cached,
      sampleRuntime: runtime,
      sampleTokensPerSecTfjs: tfjs,
      sampleTokensPerSecUncached: await timeSampling(model, prompts, o.newTokens, false),
      peakBytes: (train.profile as KernelProfile).peakBytes,
      wasmHeapMiB: wasmHeapBytes() / 2 ** 20 || undefined,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      trainProfile: train.profile as KernelProfile,
      trainProfileMs: train.profileMs,
      sampleProfile: decode.profile,
      sampleStepMs: decode.ms,
      ortTrainProfile: ort ? profileOrtGradients(model, { inputIds: randomBatch(rng, c.vocab_size, p.batchSize, p.seqLen) }) : undefined,
      ortSampleProfile: ort ? profileOrtDecodeStep(model, prompts) : undefined,
    };
  } finally {
    model.dispose();
  }
}

/** How benchCores runs the work: TensorFlow.js with data-parallel workers, or onnxruntime with intra-op threads. */
export interface CoresSetting {
  cores: number;
  runtime: 'tfjs' | 'onnxruntime';
}

/**
 * Training tokens/s of a preset on `cores` cores (for the bench's "use both cores" rows):
 * trainWorkers = cores on TensorFlow.js, or trainRuntime onnxruntime with that many threads.
 */
export async function benchTrainingCores(preset: keyof typeof MODEL_PRESETS, s: CoresSetting, steps = defaults.trainSteps): Promise<number> {
  const p = MODEL_PRESETS[preset];
  const model = new Llama(p.config, 1);
  const prevInference = inferenceChoice();
  try {
    if (s.runtime === 'onnxruntime') selectInference(prevInference.preference, s.cores); // onnxruntime's threads
    const run = () => timeTraining(model, p, new Rng('bench'), steps, false);
    const r = s.runtime === 'onnxruntime' ? await withTraining('onnxruntime', run) : await withWorkers(s.cores, run);
    return (p.batchSize * p.seqLen * 1000) / r.ms;
  } finally {
    selectInference(prevInference.preference, prevInference.threads);
    model.dispose();
  }
}
