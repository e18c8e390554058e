/**
 * Checkpoints in the Hugging Face layout, so a policy trained here loads in transformers/vLLM:
 *   <dir>/model.safetensors       F32 weights, HF Llama names, projections [out, in]
 *   <dir>/config.json             LlamaConfig (architectures, model_type, torch_dtype, ...)
 *   <dir>/optimizer.safetensors   AdamW moments `<name>.exp_avg` / `<name>.exp_avg_sq` (optional)
 *   <dir>/trainer_state.json      step, optimiser config, rng state, caller's extra fields
 * Training resumes exactly: weights and moments are stored bit for bit, the step drives the
 * schedule, and the rng state restores the data order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, writeFileAtomic, writeJson } from '../core/io';
import { Rng } from '../core/rng';
import { Llama, LlamaConfig, defaults as llamaDefaults } from './llama';
import { parameterShapes, validateConfig } from './params';
import { AdamW, AdamWConfig } from './train';
import { Reads, peek, runAsync, runSync } from './reads';

/** One tensor of a safetensors file (always decoded to float32 here). */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('safetensors: this writer assumes a little-endian machine');
}

/**
 * Serialises tensors in the safetensors format: u64 LE header length, JSON header
 * {name: {dtype: "F32", shape, data_offsets}, "__metadata__": {...}} padded with spaces to a
 * multiple of 8, then the raw little-endian data in header order (names sorted).
 */
export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  assertLittleEndian();
  const names = [...tensors.keys()].sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n) as NamedArray;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`safetensors: ${n} has shape [${t.shape}] but ${t.data.length} values`);
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  const jsonBytes = () => Buffer.byteLength(json, 'utf8');
  while (jsonBytes() % 8 !== 0) json += ' ';
  const hlen = jsonBytes();
  const out = new Uint8Array(8 + hlen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hlen), true);
  out.set(Buffer.from(json, 'utf8'), 8);
  let pos = 8 + hlen;
  for (const n of names) {
    const d = (tensors.get(n) as NamedArray).data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Parses a safetensors file; F32, F16 and BF16 tensors are returned as float32. Errors name the file. */
export function readSafetensors(file: string): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  assertLittleEndian();
  const buf = fs.readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file}: not a valid safetensors file: ${why}`);
  };
  if (buf.length < 8) fail('shorter than the 8-byte header length');
  const hlen = Number(buf.readBigUInt64LE(0));
  if (8 + hlen > buf.length) fail(`header length ${hlen} exceeds the file size ${buf.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const tensors = new Map<string, NamedArray>();
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as HeaderEntry;
    if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) fail(`entry ${name} lacks shape/data_offsets`);
    const [a, b] = e.data_offsets;
    const size = e.shape.reduce((x, y) => x * y, 1);
    const width = e.dtype === 'F32' ? 4 : e.dtype === 'F16' || e.dtype === 'BF16' ? 2 : fail(`entry ${name} has unsupported dtype ${e.dtype} (F32, F16, BF16)`);
    if (b - a !== size * width || base + b > buf.length || a < 0) fail(`entry ${name} data_offsets [${a}, ${b}] do not match shape [${e.shape}] ${e.dtype} or the file size`);
    const bytes = buf.subarray(base + a, base + b);
    const data = new Float32Array(size);
    if (e.dtype === 'F32') new Uint8Array(data.buffer).set(bytes);
    else if (e.dtype === 'F16') for (let i = 0; i < size; i++) data[i] = f16ToF32(bytes.readUInt16LE(2 * i));
    else {
      const u = new Uint32Array(data.buffer);
      for (let i = 0; i < size; i++) u[i] = bytes.readUInt16LE(2 * i) << 16;
    }
    tensors.set(name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(file: string, tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** config.json content: HF LlamaConfig fields. */
export function hfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocab_size,
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    num_key_value_heads: c.num_key_value_heads,
    head_dim: c.hidden_size / c.num_attention_heads,
    max_position_embeddings: c.max_position_embeddings,
    rms_norm_eps: c.rms_norm_eps,
    rope_theta: c.rope_theta,
    rope_scaling: null,
    tie_word_embeddings: c.tie_word_embeddings,
    initializer_range: c.initializer_range,
    hidden_act: 'silu',
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    pretraining_tp: 1,
    use_cache: true,
    bos_token_id: c.bos_token_id ?? null,
    eos_token_id: c.eos_token_id ?? null,
    pad_token_id: c.pad_token_id ?? null,
    torch_dtype: 'float32',
  };
}

/** LlamaConfig from a config.json object (HF defaults for absent optional fields); validated. */
export function configFromHf(j: Record<string, unknown>, file = 'config.json'): LlamaConfig {
  if (j.model_type !== undefined && j.model_type !== 'llama') throw new Error(`${file}: model_type is ${String(j.model_type)}, expected "llama"`);
  const num = (k: string, dflt?: number): number => {
    const v = j[k] ?? dflt;
    if (typeof v !== 'number') throw new Error(`${file}: ${k} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const heads = num('num_attention_heads');
  const c: LlamaConfig = {
    vocab_size: num('vocab_size'),
    hidden_size: num('hidden_size'),
    intermediate_size: num('intermediate_size'),
    num_hidden_layers: num('num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: num('num_key_value_heads', heads),
    max_position_embeddings: num('max_position_embeddings', 2048),
    rms_norm_eps: num('rms_norm_eps', 1e-6),
    rope_theta: num('rope_theta', 10000),
    tie_word_embeddings: Boolean(j.tie_word_embeddings ?? false),
    initializer_range: num('initializer_range', llamaDefaults.initializer_range),
  };
  if (j.head_dim != null && j.head_dim !== c.hidden_size / heads) throw new Error(`${file}: head_dim ${String(j.head_dim)} ≠ hidden_size/num_attention_heads (not supported)`);
  if (j.rope_scaling != null) throw new Error(`${file}: rope_scaling is not supported`);
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) if (typeof j[k] === 'number') c[k] = j[k] as number;
  validateConfig(c);
  return c;
}

/** Reads the values of tensors keyed by name. */
function* snapshot(vars: Map<string, tf.Tensor>, rename: (n: string) => string = (n) => n): Reads<Map<string, NamedArray>> {
  const out = new Map<string, NamedArray>();
  for (const [n, v] of vars) out.set(rename(n), { shape: v.shape.slice(), data: (yield* peek(v)) as Float32Array });
  return out;
}

/** Assigns tensors into variables after checking that names and shapes match exactly. */
function assignChecked(target: Map<string, tf.Variable>, source: Map<string, NamedArray>, file: string): void {
  const missing = [...target.keys()].filter((n) => !source.has(n));
  const unexpected = [...source.keys()].filter((n) => !target.has(n));
  const wrong = [...target.keys()].filter((n) => source.has(n) && (source.get(n) as NamedArray).shape.join(',') !== (target.get(n) as tf.Variable).shape.join(','));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.join(', ')}`);
  for (const n of wrong) problems.push(`${n} has shape [${(source.get(n) as NamedArray).shape}] but the model expects [${(target.get(n) as tf.Variable).shape}]`);
  if (problems.length) throw new Error(`${file}: does not match the model: ${problems.join('; ')}`);
  for (const [n, v] of target) {
    const s = source.get(n) as NamedArray;
    tf.tidy(() => v.assign(tf.tensor(s.data, s.shape, 'float32')));
  }
}

/** Loads model.safetensors (HF names; a tied model ignores lm_head.weight) into `model`. */
export function loadWeights(model: Llama, file: string): void {
  const { tensors } = readSafetensors(file);
  if (model.config.tie_word_embeddings) tensors.delete('lm_head.weight');
  assignChecked(model.params, tensors, file);
}

/** trainer_state.json content. */
export interface TrainerState {
  step: number;
  optimizer?: { config: AdamWConfig; step: number };
  /** Rng.state() of the caller's data/sampling stream. */
  rng?: number[];
  /** Anything else the caller wants back (metrics, data cursor, ...). */
  extra?: Record<string, unknown>;
}

export type SaveOptions = { optimizer?: AdamW; rng?: Rng; step?: number; extra?: Record<string, unknown> };

/** Saves weights, config.json and (with an optimiser) optimizer.safetensors + trainer_state.json. */
export function saveCheckpoint(dir: string, model: Llama, opts: SaveOptions = {}): void {
  runSync(saveCheckpointReads(dir, model, opts), 'saveCheckpoint');
}

/** saveCheckpoint reading the weights with `await data()` (webgpu). */
export function saveCheckpointAsync(dir: string, model: Llama, opts: SaveOptions = {}): Promise<void> {
  return runAsync(saveCheckpointReads(dir, model, opts));
}

/** saveCheckpoint as a Reads computation (src/model/reads.ts). */
export function* saveCheckpointReads(dir: string, model: Llama, opts: SaveOptions = {}): Reads<void> {
  fs.mkdirSync(dir, { recursive: true });
  writeSafetensors(path.join(dir, 'model.safetensors'), yield* snapshot(model.params), { format: 'pt' });
  writeJson(path.join(dir, 'config.json'), hfConfig(model.config));
  const state: TrainerState = { step: opts.step ?? opts.optimizer?.step ?? 0 };
  if (opts.optimizer) {
    const moments = new Map<string, NamedArray>();
    for (const [n, a] of yield* snapshot(opts.optimizer.m)) moments.set(`${n}.exp_avg`, a);
    for (const [n, a] of yield* snapshot(opts.optimizer.v)) moments.set(`${n}.exp_avg_sq`, a);
    writeSafetensors(path.join(dir, 'optimizer.safetensors'), moments, { format: 'workbench-adamw' });
    state.optimizer = { config: opts.optimizer.config, step: opts.optimizer.step };
  }
  if (opts.rng) state.rng = opts.rng.state();
  if (opts.extra) state.extra = opts.extra;
  writeJson(path.join(dir, 'trainer_state.json'), state);
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  model: Llama;
  optimizer?: AdamW;
  rng?: Rng;
  state: TrainerState;
}

/** Loads a checkpoint directory written by saveCheckpoint (or an HF Llama F32/F16/BF16 export). */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const cfgFile = path.join(dir, 'config.json');
  if (!fs.existsSync(cfgFile)) throw new Error(`${dir}: no config.json (not a checkpoint directory)`);
  const config = configFromHf(readJson<Record<string, unknown>>(cfgFile), cfgFile);
  const model = new Llama(config, 0);
  try {
    loadWeights(model, path.join(dir, 'model.safetensors'));
  } catch (e) {
    model.dispose();
    throw e;
  }
  const stateFile = path.join(dir, 'trainer_state.json');
  const state: TrainerState = fs.existsSync(stateFile) ? readJson<TrainerState>(stateFile) : { step: 0 };
  const out: LoadedCheckpoint = { model, state };
  if (state.rng) out.rng = Rng.fromState(state.rng);
  if (state.optimizer) {
    const opt = new AdamW(state.optimizer.config);
    opt.step = state.optimizer.step;
    const file = path.join(dir, 'optimizer.safetensors');
    const { tensors } = readSafetensors(file);
    out.optimizer = opt;
    // an optimiser saved before its first update (GRPO steps whose groups all had zero reward spread) has no moments yet
    if (tensors.size === 0 && opt.step === 0) return out;
    opt.init(model);
    const strip = (suffix: string) => new Map([...tensors].filter(([n]) => n.endsWith(suffix)).map(([n, a]) => [n.slice(0, -suffix.length), a] as [string, NamedArray]));
    assignChecked(opt.m, strip('.exp_avg'), `${file} (exp_avg)`);
    assignChecked(opt.v, strip('.exp_avg_sq'), `${file} (exp_avg_sq)`);
  }
  return out;
}

/** The HF names and shapes a config implies (for tools that check a file without building a model). */
export function expectedTensors(c: LlamaConfig): Map<string, number[]> {
  return new Map(parameterShapes(c));
}
