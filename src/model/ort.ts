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
import { llamaOnnx } from './onnxLlama';
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
 * tables, and the KV cache of the rows being decoded.
 */
export class OrtDecoder {
  private past: OrtTensor[] = [];
  private nextPos: number[] = [];
  private readonly s: OrtSession;
  private readonly rope: { cos: Float32Array; sin: Float32Array };

  private constructor(
    private readonly ort: OrtModule,
    private readonly c: LlamaConfig,
    private readonly weights: Record<string, OrtTensor>,
    session: OrtSession,
  ) {
    this.s = session;
    this.rope = ropeFor(c);
  }

  /**
   * Reads the policy's current weights (a Reads computation: webgpu reads asynchronously).
   * @param session another session of the same graph (a profiling one); default the cached one
   */
  static *create(model: Llama, threads = inferenceChoice().threads, session?: OrtSession): Reads<OrtDecoder> {
    const ort = loadOrt();
    if (!ort) throw new Error(`OrtDecoder: ${ortLoadError()}`);
    const weights: Record<string, OrtTensor> = {};
    for (const [name, shape] of parameterShapes(model.config)) weights[name] = new ort.Tensor('float32', (yield* peek(model.param(name))) as Float32Array, shape);
    return new OrtDecoder(ort, model.config, weights, session ?? ortSession(ort, 'infer', model.config, threads));
  }

  /**
   * Logits [B·vocab] of the last position of left-padded prompts; starts the cache.
   * @param ids [B][T] @param mask [B][T]
   */
  start(ids: number[][], mask: number[][], positions: number[][]): Float32Array {
    this.past = [];
    this.nextPos = positions.map((r) => r[r.length - 1] + 1);
    return this.run(ids, mask, positions);
  }

  /** Logits after one more token per row. @param mask [B][past + 1], already extended */
  next(tokens: number[], mask: number[][]): Float32Array {
    const pos = this.nextPos.map((p) => [p]);
    this.nextPos = this.nextPos.map((p) => p + 1);
    return this.run(
      tokens.map((t) => [t]),
      mask,
      pos,
    );
  }

  private run(ids: number[][], mask: number[][], positions: number[][]): Float32Array {
    const { c, ort } = this;
    const B = ids.length;
    const T = ids[0].length;
    const hd = headDim(c);
    const Hkv = c.num_key_value_heads;
    const rep = c.num_attention_heads / Hkv;
    const pastT = this.past.length ? this.past[0].dims[2] : 0;
    const f = tokenFeeds(c, this.rope, ids, positions);
    const feeds: Record<string, OrtTensor> = {
      ...this.weights,
      input_ids: new ort.Tensor('int64', f.ids, [B, T]),
      cos: new ort.Tensor('float32', f.cos, [B, T, 1, hd]),
      sin: new ort.Tensor('float32', f.sin, [B, T, 1, hd]),
      bias: new ort.Tensor('float32', attentionBias(mask, rep, T, pastT), [B, 1, rep * T, pastT + T]),
    };
    const fetches: Record<string, null> = { logits: null };
    const empty = new Float32Array(0);
    for (let l = 0; l < c.num_hidden_layers; l++) {
      feeds[`past_key.${l}`] = this.past[2 * l] ?? new ort.Tensor('float32', empty, [B, Hkv, 0, hd]);
      feeds[`past_value.${l}`] = this.past[2 * l + 1] ?? new ort.Tensor('float32', empty, [B, Hkv, 0, hd]);
      fetches[`present_key.${l}`] = fetches[`present_value.${l}`] = null;
    }
    const out = this.s.run(feeds, fetches, {});
    this.past = [];
    for (let l = 0; l < c.num_hidden_layers; l++) this.past.push(out[`present_key.${l}`], out[`present_value.${l}`]);
    return out.logits.data;
  }

  /** Drops the cache (the session stays cached for the next call). */
  dispose(): void {
    this.past = [];
  }
}
