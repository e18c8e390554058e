/**
 * A native CPU runtime for inference: onnxruntime-node (optional; its npm package ships the Linux
 * x64 CPU library, so it installs offline). Sampling (rollouts, mining, evaluation, serving) runs
 * the policy's forward pass as an ONNX graph (src/model/onnxLlama.ts) fed the policy's current
 * weights at every generate call; training stays on TensorFlow.js.
 *
 * Selected like the backends: `selectInference('auto' | 'tfjs' | 'onnxruntime', threads)`, or
 * $FLEMING_INFERENCE and $FLEMING_INFERENCE_THREADS, or the run config's `inference` and
 * `inferenceThreads`. 'auto' uses onnxruntime when it loads and the TensorFlow.js backend is a
 * CPU one (wasm, cpu); a GPU backend keeps sampling on the GPU. Without the package everything
 * runs on TensorFlow.js, as before. Same tokens for greedy decoding; log-probabilities agree to
 * float rounding (≈ 1e-6).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Llama, LlamaConfig } from './llama';
import { llamaDecodeOnnx, llamaOnnx } from './onnxLlama';
import { attentionBias, ropeTableValues } from './layers';
import { headDim, parameterShapes } from './params';
import { Reads, peek } from './reads';

export type InferenceName = 'tfjs' | 'onnxruntime';
export const INFERENCE_CHOICES = ['auto', 'tfjs', 'onnxruntime'] as const;
export type InferencePreference = (typeof INFERENCE_CHOICES)[number];

/** What selectInference decided, and why. */
export interface InferenceChoice {
  /** 'onnxruntime' when the runtime loaded and was wanted ('auto' or by name). */
  runtime: InferenceName;
  preference: InferencePreference;
  /** onnxruntime's intra-op threads. */
  threads: number;
  reason: string;
}

/** The parts of onnxruntime-node used here: its synchronous session binding and its Tensor. */
export interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  Session: new () => OrtSession;
  version: string;
}
export interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}
export interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  /** With enableProfiling: writes the trace and returns its path. */
  endProfiling(): string | void;
  dispose(): void;
}

let ortModule: OrtModule | null | undefined;
let ortError = '';

/** onnxruntime-node, loaded once; undefined (with the reason in ortLoadError()) when absent. */
export function loadOrt(): OrtModule | undefined {
  if (ortModule !== undefined) return ortModule ?? undefined;
  try {
    // No telemetry: the workbench runs offline, and onnxruntime would otherwise try to persist a device id
    // under $HOME and print a warning on stderr where it cannot (another user, a read-only home).
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    const ort = require('onnxruntime-node') as { Tensor: OrtModule['Tensor']; env: { versions: { node: string } } };
    // The binding's session runs synchronously (the package's InferenceSession wraps it in a Promise),
    // so sampling stays one Reads computation on every backend.
    const b = require('onnxruntime-node/dist/binding') as { binding: { InferenceSession: OrtModule['Session'] }; initOrt(): void };
    b.initOrt();
    ortModule = { Tensor: ort.Tensor, Session: b.binding.InferenceSession, version: ort.env.versions.node };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    ortError = /Cannot find module 'onnxruntime-node'/.test(msg) ? 'onnxruntime-node is not installed (optional: npm install onnxruntime-node)' : `onnxruntime-node failed to load: ${msg}`;
    ortModule = null;
  }
  return ortModule ?? undefined;
}

/** Why loadOrt() found no runtime ('' when it did). */
export function ortLoadError(): string {
  loadOrt();
  return ortError;
}

let chosen: InferenceChoice | undefined;

/**
 * Chooses the inference runtime for generate(); throws when onnxruntime is asked for by name and
 * cannot load. @param threads onnxruntime intra-op threads (cores used for sampling)
 */
export function selectInference(prefer: string = process.env.FLEMING_INFERENCE || 'auto', threads = Number(process.env.FLEMING_INFERENCE_THREADS || 1)): InferenceChoice {
  const preference = (prefer || 'auto') as InferencePreference;
  if (!(INFERENCE_CHOICES as readonly string[]).includes(preference)) throw new Error(`unknown inference runtime "${prefer}" (choose ${INFERENCE_CHOICES.join(', ')})`);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`inference threads must be a positive integer, got ${threads}`);
  const ort = preference === 'tfjs' ? undefined : loadOrt();
  if (preference === 'onnxruntime' && !ort) throw new Error(`inference onnxruntime requested: ${ortLoadError()}`);
  chosen = ort
    ? { runtime: 'onnxruntime', preference, threads, reason: `onnxruntime-node ${ort.version} (native CPU, ${threads} thread${threads > 1 ? 's' : ''})${preference === 'auto' ? ' on the wasm/cpu backends' : ''}` }
    : { runtime: 'tfjs', preference, threads, reason: preference === 'tfjs' ? 'TensorFlow.js (requested)' : `TensorFlow.js (${ortLoadError()})` };
  return chosen;
}

/** The current choice (selectInference() with its defaults on first use). */
export function inferenceChoice(): InferenceChoice {
  return chosen ?? selectInference();
}

/** Whether generate() should run on onnxruntime now: chosen, and (for 'auto') a CPU tfjs backend. */
export function useOrt(): boolean {
  const c = inferenceChoice();
  if (c.runtime !== 'onnxruntime') return false;
  return c.preference === 'onnxruntime' || ['wasm', 'cpu'].includes(tf.getBackend());
}

/** Runs `f` with another inference runtime selected, then restores the previous choice (benchmarks). */
export async function withInference<T>(runtime: InferenceName, f: () => Promise<T> | T): Promise<T> {
  const prev = inferenceChoice();
  selectInference(runtime, prev.threads);
  try {
    return await f();
  } finally {
    selectInference(prev.preference, prev.threads);
  }
}

const sessions = new Map<string, OrtSession>();

/**
 * One session per graph, model shape and thread count (weights are inputs, so training needs no
 * new one). @param build the serialized graph ('infer': onnxLlama.ts; others name their builder)
 */
export function ortSession(ort: OrtModule, kind: string, c: LlamaConfig, threads: number, build: (c: LlamaConfig) => Uint8Array = llamaOnnx): OrtSession {
  const key = JSON.stringify([kind, c, threads]);
  let s = sessions.get(key);
  if (!s) {
    s = newSession(ort, build(c), threads);
    sessions.set(key, s);
  }
  return s;
}

/** A fresh (uncached) session; `extra` adds options, e.g. enableProfiling. */
export function newSession(ort: OrtModule, bytes: Uint8Array, threads: number, extra: object = {}): OrtSession {
  const s = new ort.Session();
  const spin = threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {};
  s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', ...spin, ...extra });
  return s;
}

const ropes = new Map<string, { cos: Float32Array; sin: Float32Array }>();

/** The rotary tables of a model shape (ropeTableValues), computed once per shape. */
export function ropeFor(c: LlamaConfig): { cos: Float32Array; sin: Float32Array } {
  const key = JSON.stringify([c.max_position_embeddings, headDim(c), c.rope_theta]);
  let r = ropes.get(key);
  if (!r) ropes.set(key, (r = ropeTableValues(c)));
  return r;
}

/** The rotary tables gathered at `positions`, flat [B·T·hd] each, and the ids as int64; checks ids and positions. */
export function tokenFeeds(c: LlamaConfig, rope: { cos: Float32Array; sin: Float32Array }, ids: number[][], positions: number[][]): { ids: BigInt64Array; cos: Float32Array; sin: Float32Array } {
  const B = ids.length;
  const T = ids[0].length;
  const hd = headDim(c);
  const out = { ids: new BigInt64Array(B * T), cos: new Float32Array(B * T * hd), sin: new Float32Array(B * T * hd) };
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const id = ids[b][t];
      const p = positions[b][t];
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) throw new Error(`Llama: token id ${id} at [${b}][${t}] is outside [0, ${c.vocab_size})`);
      if (p >= c.max_position_embeddings) throw new Error(`Llama: position ${p} at [${b}][${t}] exceeds max_position_embeddings ${c.max_position_embeddings}`);
      out.ids[b * T + t] = BigInt(id);
      out.cos.set(rope.cos.subarray(p * hd, (p + 1) * hd), (b * T + t) * hd);
      out.sin.set(rope.sin.subarray(p * hd, (p + 1) * hd), (b * T + t) * hd);
    }
  return out;
}

/** Frees every cached session (tests; a process otherwise keeps them). */
export function disposeOrtSessions(): void {
  for (const s of sessions.values()) s.dispose();
  sessions.clear();
}

/**
 * The policy on onnxruntime for one generate call: the weights it was started with, the rotary
 * tables, and the KV cache of the rows being decoded. The prompts run through the full graph
 * (llamaOnnx); each later step runs the decoding graph (llamaDecodeOnnx) against a cache the
 * decoder keeps in place ([B, Hkv, S, hd] per layer, S the capacity), writing only the new
 * token's rows: no step copies the cache.
 */
export class OrtDecoder {
  private cache: Float32Array[] = [];
  private cacheFeeds: OrtTensor[] = [];
  /** [B, 1, 1, S + 1]: 0 where a cached position (or, in the last column, the new token) is attended, −1e9 elsewhere. */
  private bias = new Float32Array(0);
  private capacity = 0;
  private pastT = 0;
  private rows = 0;
  private nextPos: number[] = [];
  private readonly rope: { cos: Float32Array; sin: Float32Array };

  private constructor(
    private readonly ort: OrtModule,
    private readonly c: LlamaConfig,
    private readonly weights: Record<string, OrtTensor>,
    private readonly prefill: OrtSession,
    private readonly decode: OrtSession,
  ) {
    this.rope = ropeFor(c);
  }

  /**
   * Reads the policy's current weights (a Reads computation: webgpu reads asynchronously).
   * @param sessions other sessions of the same graphs (profiling ones); default the cached ones
   */
  static *create(model: Llama, threads = inferenceChoice().threads, sessions: { prefill?: OrtSession; decode?: OrtSession } = {}): Reads<OrtDecoder> {
    const ort = loadOrt();
    if (!ort) throw new Error(`OrtDecoder: ${ortLoadError()}`);
    const weights: Record<string, OrtTensor> = {};
    for (const [name, shape] of parameterShapes(model.config)) weights[name] = new ort.Tensor('float32', (yield* peek(model.param(name))) as Float32Array, shape);
    const c = model.config;
    return new OrtDecoder(ort, c, weights, sessions.prefill ?? ortSession(ort, 'infer', c, threads), sessions.decode ?? ortSession(ort, 'decode', c, threads, llamaDecodeOnnx));
  }

  /**
   * Logits [B·vocab] of the last position of left-padded prompts; starts the cache.
   * @param ids [B][T] @param mask [B][T]
   * @param capacity cache positions to hold (prompt + tokens still to be fed); it grows when exceeded
   */
  start(ids: number[][], mask: number[][], positions: number[][], capacity = ids[0].length + 64): Float32Array {
    const { c, ort } = this;
    const B = ids.length;
    const T = ids[0].length;
    const hd = headDim(c);
    const Hkv = c.num_key_value_heads;
    const rep = c.num_attention_heads / Hkv;
    const f = tokenFeeds(c, this.rope, ids, positions);
    const feeds: Record<string, OrtTensor> = {
      ...this.weights,
      input_ids: new ort.Tensor('int64', f.ids, [B, T]),
      cos: new ort.Tensor('float32', f.cos, [B, T, 1, hd]),
      sin: new ort.Tensor('float32', f.sin, [B, T, 1, hd]),
      bias: new ort.Tensor('float32', attentionBias(mask, rep, T, 0), [B, 1, rep * T, T]),
    };
    const fetches: Record<string, null> = { logits: null };
    const empty = new Float32Array(0);
    for (let l = 0; l < c.num_hidden_layers; l++) {
      feeds[`past_key.${l}`] = feeds[`past_value.${l}`] = new ort.Tensor('float32', empty, [B, Hkv, 0, hd]);
      fetches[`present_key.${l}`] = fetches[`present_value.${l}`] = null;
    }
    const out = this.prefill.run(feeds, fetches, {});
    this.rows = B;
    this.pastT = T;
    this.nextPos = positions.map((r) => r[r.length - 1] + 1);
    this.capacity = 0;
    this.allocate(Math.max(Math.min(capacity, c.max_position_embeddings), T + 1));
    const S = this.capacity;
    for (let l = 0; l < c.num_hidden_layers; l++)
      for (const [j, name] of [`present_key.${l}`, `present_value.${l}`].entries()) {
        const src = out[name].data;
        const dst = this.cache[2 * l + j];
        for (let r = 0; r < B * Hkv; r++) dst.set(src.subarray(r * T * hd, (r + 1) * T * hd), r * S * hd);
      }
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) this.bias[b * (S + 1) + t] = mask[b][t] ? 0 : -1e9;
    return out.logits.data;
  }

  /** Logits after one more token per row. @param mask [B][past + 1], already extended */
  next(tokens: number[], mask: number[][]): Float32Array {
    const { c, ort } = this;
    const B = this.rows;
    if (tokens.length !== B) throw new Error(`OrtDecoder.next: ${tokens.length} tokens for ${B} rows`);
    const hd = headDim(c);
    const Hkv = c.num_key_value_heads;
    if (this.pastT >= this.capacity) this.allocate(Math.min(2 * this.capacity, c.max_position_embeddings));
    const S = this.capacity;
    const t = this.pastT;
    for (let b = 0; b < B; b++) this.bias[b * (S + 1) + S] = mask[b][t] ? 0 : -1e9;
    const f = tokenFeeds(
      c,
      this.rope,
      tokens.map((x) => [x]),
      this.nextPos.map((p) => [p]),
    );
    const feeds: Record<string, OrtTensor> = {
      ...this.weights,
      input_ids: new ort.Tensor('int64', f.ids, [B, 1]),
      cos: new ort.Tensor('float32', f.cos, [B, 1, 1, hd]),
      sin: new ort.Tensor('float32', f.sin, [B, 1, 1, hd]),
      bias: new ort.Tensor('float32', this.bias, [B, 1, 1, S + 1]),
    };
    const fetches: Record<string, null> = { logits: null };
    for (let l = 0; l < c.num_hidden_layers; l++) {
      feeds[`cache_key.${l}`] = this.cacheFeeds[2 * l];
      feeds[`cache_value.${l}`] = this.cacheFeeds[2 * l + 1];
      fetches[`new_key.${l}`] = fetches[`new_value.${l}`] = null;
    }
    const out = this.decode.run(feeds, fetches, {});
    // The new token's key and value into the cache at position t, then attended from the next step on.
    for (let l = 0; l < c.num_hidden_layers; l++)
      for (const [j, name] of [`new_key.${l}`, `new_value.${l}`].entries()) {
        const src = out[name].data;
        const dst = this.cache[2 * l + j];
        for (let r = 0; r < B * Hkv; r++) dst.set(src.subarray(r * hd, (r + 1) * hd), (r * S + t) * hd);
      }
    for (let b = 0; b < B; b++) this.bias[b * (S + 1) + t] = this.bias[b * (S + 1) + S];
    this.pastT = t + 1;
    this.nextPos = this.nextPos.map((p) => p + 1);
    return out.logits.data;
  }

  /** (Re)allocates the cache and bias at capacity S, keeping the first pastT positions. */
  private allocate(S: number): void {
    const { c, ort } = this;
    if (S <= this.pastT) throw new Error(`OrtDecoder: a cache of ${S} positions cannot hold ${this.pastT + 1} (max_position_embeddings ${c.max_position_embeddings})`);
    const B = this.rows;
    const hd = headDim(c);
    const Hkv = c.num_key_value_heads;
    const old = this.capacity ? { cache: this.cache, bias: this.bias, S: this.capacity } : undefined;
    this.capacity = S;
    this.cache = Array.from({ length: 2 * c.num_hidden_layers }, () => new Float32Array(B * Hkv * S * hd));
    this.cacheFeeds = this.cache.map((a) => new ort.Tensor('float32', a, [B, Hkv, S, hd]));
    this.bias = new Float32Array(B * (S + 1)).fill(-1e9);
    if (!old) return;
    const keep = this.pastT * hd;
    for (const [i, a] of old.cache.entries()) for (let r = 0; r < B * Hkv; r++) this.cache[i].set(a.subarray(r * old.S * hd, r * old.S * hd + keep), r * S * hd);
    for (let b = 0; b < B; b++) this.bias.set(old.bias.subarray(b * (old.S + 1), b * (old.S + 1) + this.pastT), b * (S + 1));
  }

  /** Drops the cache (the sessions stay cached for the next call). */
  dispose(): void {
    this.cache = [];
    this.cacheFeeds = [];
    this.bias = new Float32Array(0);
    this.capacity = this.pastT = this.rows = 0;
  }
}
