/**
 * Batched generation from the policy with a KV cache: left-padded prompts, temperature, top-k,
 * top-p, stop tokens, greedy decoding. All randomness comes from the Rng (one draw per live row
 * per step, in row order), so a seed reproduces a rollout. Logits are read back once per step,
 * for the last position only ([batch, vocab]): synchronously in `generate`, with `await data()`
 * in `generateAsync` (webgpu, where synchronous reads are unavailable); one decoding loop serves
 * both, so they give the same tokens. Where onnxruntime-node is installed and selected
 * (src/model/ort.ts), the cached forward passes run on it, natively, with the same tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng';
import { linear } from './layers';
import { KVCache, Llama, positionIds } from './llama';
import { OrtDecoder, useOrt } from './ort';
import { Reads, runAsync, runSync, take } from './reads';

export interface SampleOptions {
  maxNewTokens: number;
  /** Softmax temperature; 0 means greedy. */
  temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  topK: number;
  /** Nucleus: keep the smallest set with probability ≥ topP (1 = all). */
  topP: number;
  /** Generation of a row ends after one of these (it is included in the output). */
  stopTokenIds: number[];
  /** Argmax decoding (ignores temperature, topK, topP and the rng). */
  greedy: boolean;
  /** Use the KV cache (false recomputes the whole prefix every step; for tests and benchmarks). */
  useCache: boolean;
  /** Id used for left padding and fed to finished rows; the mask hides it. */
  padTokenId: number;
  /** Also return the entropy of the model's (temperature-1) distribution at each generated position. */
  entropy: boolean;
}

export const defaults: SampleOptions = {
  maxNewTokens: 64, // tokens generated per row at most
  temperature: 1, // 1 = the model's distribution
  topK: 0, // 0 = no top-k cut
  topP: 1, // 1 = no nucleus cut
  stopTokenIds: [], // e.g. [eos]
  greedy: false, // argmax instead of sampling
  useCache: true, // KV cache on
  padTokenId: 0, // left padding
  entropy: false, // per-token entropies off
};

/** Generated continuations. */
export interface Generation {
  /** [batch][≤ maxNewTokens] new token ids (a stop token included). */
  tokens: number[][];
  /** [batch][same] log p(token | prefix) under the model at temperature 1 (unmodified logits). */
  logprobs: number[][];
  finishReasons: ('stop' | 'length')[];
  /** [batch][same] entropy (nats) of the temperature-1 distribution each token was drawn at; with `entropy: true`. */
  entropies?: number[][];
}

/** log Σ exp over row `v[off, off+n)`. */
function logSumExp(v: Float32Array, off: number, n: number): number {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) if (v[off + i] > mx) mx = v[off + i];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(v[off + i] - mx);
  return mx + Math.log(s);
}

/**
 * Entropy (nats) of softmax over row `v[off, off+n)`: logsumexp − Σ p·x.
 * @param lse the row's log Σ exp when the caller has it (sampleToken returns it)
 */
export function rowEntropy(v: Float32Array, off: number, n: number, lse = logSumExp(v, off, n)): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = v[off + i];
    s += Math.exp(x - lse) * x;
  }
  return lse - s;
}

/** Per-row weights, reused across calls (sampling allocates nothing per token). */
let weights = new Float64Array(0);

/**
 * Picks one token from one row of logits.
 * @param logits [rows·vocab] flat, row at `off`
 * @returns the token, its log-probability under the unmodified distribution, the row's log Σ exp,
 *   and at temperature 1 without a cut the row's entropy (Σ p·x from the same weights)
 */
export function sampleToken(logits: Float32Array, off: number, vocab: number, rng: Rng, o: SampleOptions): { token: number; logprob: number; lse: number; entropy?: number } {
  if (o.greedy || o.temperature <= 0) {
    const lse = logSumExp(logits, off, vocab);
    let token = 0;
    for (let i = 1; i < vocab; i++) if (logits[off + i] > logits[off + token]) token = i;
    return { token, logprob: logits[off + token] - lse, lse };
  }
  if ((o.topK > 0 && o.topK < vocab) || o.topP < 1) return sampleCut(logits, off, vocab, rng, o);
  // Every token a candidate: one pass of exp gives the weights, their total and (at temperature 1,
  // where (x − max)/1 = x − max exactly) the log Σ exp too, with the same numbers as the cut path.
  let mx = -Infinity;
  for (let i = 0; i < vocab; i++) if (logits[off + i] > mx) mx = logits[off + i]; // as logSumExp finds it (Math.max differs only on NaN)
  if (weights.length < vocab) weights = new Float64Array(vocab);
  let total = 0;
  let wx = 0;
  for (let i = 0; i < vocab; i++) {
    const x = logits[off + i];
    total += weights[i] = Math.exp((x - mx) / o.temperature);
    wx += weights[i] * x;
  }
  const t1 = o.temperature === 1 && mx > -Infinity;
  const lse = t1 ? mx + Math.log(total) : logSumExp(logits, off, vocab);
  let u = rng.next() * total;
  let token = vocab - 1;
  for (let j = 0; j < vocab; j++) {
    u -= weights[j];
    if (u < 0) {
      token = j;
      break;
    }
  }
  return { token, logprob: logits[off + token] - lse, lse, entropy: t1 ? lse - wx / total : undefined };
}

/** sampleToken with a top-k or nucleus cut: candidates sorted by logit, then cut. */
function sampleCut(logits: Float32Array, off: number, vocab: number, rng: Rng, o: SampleOptions): { token: number; logprob: number; lse: number } {
  const lse = logSumExp(logits, off, vocab);
  let cand: number[] = [];
  for (let i = 0; i < vocab; i++) cand.push(i);
  cand.sort((a, b) => logits[off + b] - logits[off + a] || a - b);
  if (o.topK > 0 && o.topK < vocab) cand = cand.slice(0, o.topK);
  let mx = -Infinity;
  for (const i of cand) mx = Math.max(mx, logits[off + i]);
  const w = cand.map((i) => Math.exp((logits[off + i] - mx) / o.temperature));
  let total = w.reduce((a, b) => a + b, 0);
  if (o.topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < w.length && acc < o.topP * total) acc += w[keep++];
    cand = cand.slice(0, Math.max(1, keep));
    w.length = cand.length;
    total = w.reduce((a, b) => a + b, 0);
  }
  let u = rng.next() * total;
  let token = cand[cand.length - 1];
  for (let j = 0; j < cand.length; j++) {
    u -= w[j];
    if (u < 0) {
      token = cand[j];
      break;
    }
  }
  return { token, logprob: logits[off + token] - lse, lse };
}

/** Left-pads prompts to a rectangle. @returns ids and mask [batch][maxLen] */
export function leftPad(prompts: number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const T = Math.max(...prompts.map((p) => p.length));
  return {
    ids: prompts.map((p) => [...new Array<number>(T - p.length).fill(pad), ...p]),
    mask: prompts.map((p) => [...new Array<number>(T - p.length).fill(0), ...p.map(() => 1)]),
  };
}

/** Last-position logits [batch, vocab] on the backend; frees `h`. The caller reads and disposes them. */
function lastLogits(model: Llama, h: tf.Tensor2D): tf.Tensor2D {
  const logits = tf.tidy(() => linear(h, model.lmHead()));
  h.dispose();
  return logits;
}

/** Where a decoding loop gets each step's logits [batch·vocab], last position only. */
interface Decoder {
  /** After the left-padded prompts. */
  start(ids: number[][], mask: number[][]): Reads<Float32Array>;
  /** After one more token per row; `ids` and `mask` already hold it. */
  next(tokens: number[], ids: number[][], mask: number[][]): Reads<Float32Array>;
  dispose(): void;
}

/** The policy on TensorFlow.js: with a KV cache, or recomputing the whole prefix each step. */
function tfjsDecoder(model: Llama, useCache: boolean): Decoder {
  let cache: KVCache | undefined;
  return {
    *start(ids, mask) {
      const first = model.hidden(ids, mask, positionIds(mask), { lastOnly: true, wantCache: useCache });
      if (useCache) cache = { k: first.k, v: first.v, mask: mask.map((r) => r.slice()), nextPos: positionIds(mask).map((r) => r[r.length - 1] + 1) };
      return (yield* take(lastLogits(model, first.h))) as Float32Array;
    },
    *next(tokens, ids, mask) {
      if (!cache) return (yield* take(lastLogits(model, model.hidden(ids, mask, positionIds(mask), { lastOnly: true }).h))) as Float32Array;
      const past: KVCache = cache;
      const r = model.hidden(
        tokens.map((t) => [t]),
        mask,
        past.nextPos.map((p) => [p]),
        { past, lastOnly: true, wantCache: true },
      );
      tf.dispose([...past.k, ...past.v]);
      cache = { k: r.k, v: r.v, mask: mask.map((row) => row.slice()), nextPos: past.nextPos.map((p) => p + 1) };
      return (yield* take(lastLogits(model, r.h))) as Float32Array;
    },
    dispose() {
      if (cache) tf.dispose([...cache.k, ...cache.v]);
      cache = undefined;
    },
  };
}

/** The policy on onnxruntime (src/model/ort.ts), fed its current weights. */
function* ortDecoder(model: Llama, maxNewTokens: number): Reads<Decoder> {
  const d = yield* OrtDecoder.create(model);
  return {
    *start(ids, mask) {
      return d.start(ids, mask, positionIds(mask), ids[0].length + maxNewTokens - 1);
    },
    *next(tokens, _ids, mask) {
      return d.next(tokens, mask);
    },
    dispose: () => d.dispose(),
  };
}

/**
 * The decoding loop as a Reads computation (src/model/reads.ts): it yields each step's logits
 * [batch, vocab] and is resumed with their values, read synchronously (generate) or
 * asynchronously (generateAsync); compose it with `yield*`. With the KV cache on and onnxruntime
 * selected (src/model/ort.ts), the forward passes run there instead of on the backend.
 */
export function* generateReads(model: Llama, prompts: number[][], rng: Rng, options: Partial<SampleOptions> = {}): Reads<Generation> {
  const o: SampleOptions = { ...defaults, ...options };
  if (prompts.length === 0) return o.entropy ? { tokens: [], logprobs: [], finishReasons: [], entropies: [] } : { tokens: [], logprobs: [], finishReasons: [] };
  if (prompts.some((p) => p.length === 0)) throw new Error('generate: every prompt needs at least one token');
  const { ids, mask } = leftPad(prompts, o.padTokenId);
  const need = ids[0].length + o.maxNewTokens;
  if (need > model.config.max_position_embeddings)
    throw new Error(`generate: prompt (${ids[0].length}) + maxNewTokens (${o.maxNewTokens}) exceeds max_position_embeddings ${model.config.max_position_embeddings}`);
  const decoder = o.useCache && useOrt() ? yield* ortDecoder(model, o.maxNewTokens) : tfjsDecoder(model, o.useCache);
  try {
    return yield* decodeLoop(decoder, model.config.vocab_size, ids, mask, rng, o);
  } finally {
    decoder.dispose();
  }
}

/** Samples token by token from the decoder's logits until every row stopped or maxNewTokens. */
function* decodeLoop(decoder: Decoder, V: number, ids: number[][], mask: number[][], rng: Rng, o: SampleOptions): Reads<Generation> {
  const B = ids.length;
  const stop = new Set(o.stopTokenIds);
  const tokens: number[][] = ids.map(() => []);
  const logprobs: number[][] = ids.map(() => []);
  const finish: ('stop' | 'length')[] = ids.map(() => 'length');
  const entropies: number[][] | undefined = o.entropy ? ids.map(() => []) : undefined;
  const done = ids.map(() => false);
  let logits = yield* decoder.start(ids, mask);
  for (let step = 0; step < o.maxNewTokens; step++) {
    const next: number[] = [];
    for (let b = 0; b < B; b++) {
      if (done[b]) {
        next.push(o.padTokenId);
        continue;
      }
      const { token, logprob, lse, entropy } = sampleToken(logits, b * V, V, rng, o);
      tokens[b].push(token);
      logprobs[b].push(logprob);
      entropies?.[b].push(entropy ?? rowEntropy(logits, b * V, V, lse));
      if (stop.has(token)) {
        done[b] = true;
        finish[b] = 'stop';
      }
      next.push(token);
    }
    if (done.every(Boolean) || step === o.maxNewTokens - 1) break;
    for (let b = 0; b < B; b++) {
      ids[b].push(next[b]);
      mask[b].push(1);
    }
    logits = yield* decoder.next(next, ids, mask);
  }
  return entropies ? { tokens, logprobs, finishReasons: finish, entropies } : { tokens, logprobs, finishReasons: finish };
}

/**
 * Generates continuations for a batch of prompts (token ids, no padding needed), reading logits
 * back synchronously (wasm, cpu, tensorflow; on webgpu use generateAsync).
 * @param prompts [batch][promptLen] non-empty
 */
export function generate(model: Llama, prompts: number[][], rng: Rng, options: Partial<SampleOptions> = {}): Generation {
  return runSync(generateReads(model, prompts, rng, options), 'generate');
}

/**
 * generate with each step's logits read back by `await data()`: the form for the webgpu backend.
 * Same tokens and log-probabilities as generate for the same rng.
 * @param prompts [batch][promptLen] non-empty
 */
export function generateAsync(model: Llama, prompts: number[][], rng: Rng, options: Partial<SampleOptions> = {}): Promise<Generation> {
  return runAsync(generateReads(model, prompts, rng, options));
}
