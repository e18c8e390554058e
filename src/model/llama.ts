/**
 * The policy: a decoder-only transformer in the Hugging Face Llama layout, on
 * @tensorflow/tfjs-core ops. embed_tokens → per layer [input_layernorm (RMSNorm) → q/k/v
 * projections (no biases, weights [out, in]) → rotary positions (rotate_half over the two halves
 * of each head) → causal attention (grouped-query when num_key_value_heads < heads) → o_proj →
 * residual → post_attention_layernorm → SwiGLU MLP (gate/up/down) → residual] → norm → lm_head
 * (optionally tied to embed_tokens). Parameters are tf.Variables in a Map keyed by HF names, so a
 * checkpoint (src/model/checkpoint.ts) loads in transformers or vLLM.
 *
 * Activations run as 2-D [tokens, features] products (x·Wᵀ); on wasm the kernels of
 * src/model/kernels.ts turn the transposed/batched products of autodiff into fast 2-D ones.
 */
import * as tf from '@tensorflow/tfjs-core';
require('@tensorflow/tfjs'); // gradient registrations (CommonJS bundle; see kernels.ts)
import { Rng } from '../core/rng';

/** Hugging Face LlamaConfig fields (same names, so config.json round-trips). */
export interface LlamaConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  /** Std of the normal initialiser (HF initializer_range). */
  initializer_range: number;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

export const defaults: LlamaConfig = {
  vocab_size: 512, // byte-level BPE: 256 bytes + merges + specials (the tokenizer decides)
  hidden_size: 64, // width of the residual stream
  intermediate_size: 176, // SwiGLU hidden width (≈ 8/3 · hidden, multiple of 16)
  num_hidden_layers: 2, // decoder blocks
  num_attention_heads: 4, // query heads; head_dim = hidden / heads
  num_key_value_heads: 2, // < heads gives grouped-query attention
  max_position_embeddings: 256, // longest sequence (rotary table size)
  rms_norm_eps: 1e-5, // RMSNorm epsilon
  rope_theta: 10000, // rotary base
  tie_word_embeddings: true, // lm_head shares embed_tokens
  initializer_range: 0.02, // init std
};

/** A padded batch for the loss. Rows of equal length; 1 = real token, 0 = padding. */
export interface Batch {
  /** [batch][time] token ids. */
  inputIds: number[][];
  /** [batch][time]; defaults to all ones. */
  attentionMask?: number[][];
  /** [batch][time]; 1 where the token is a prediction target (e.g. 0 on prompt tokens). Defaults to the attention mask. */
  lossMask?: number[][];
}

/** Per-layer key/value cache: [batch, kvHeads, pastTime, headDim], after rotary. */
export interface KVCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  /** The attention mask of the cached positions, [batch][pastTime]. */
  mask: number[][];
  /** Next position id per row. */
  nextPos: number[];
}

/** Head width: hidden_size / num_attention_heads. */
export function headDim(c: LlamaConfig): number {
  return c.hidden_size / c.num_attention_heads;
}

/** Throws a clear error for an inconsistent config. */
export function validateConfig(c: LlamaConfig): void {
  const ints: (keyof LlamaConfig)[] = ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'max_position_embeddings'];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`LlamaConfig.${k} must be a positive integer, got ${String(v)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error(`LlamaConfig: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (headDim(c) % 2 !== 0) throw new Error(`LlamaConfig: head_dim ${headDim(c)} must be even for rotary positions`);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) throw new Error(`LlamaConfig: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}`);
  if (!(c.rms_norm_eps > 0) || !(c.rope_theta > 0)) throw new Error('LlamaConfig: rms_norm_eps and rope_theta must be positive');
}

/** HF parameter names and shapes ([out, in] for projections), in a fixed order. */
export function parameterShapes(c: LlamaConfig): [string, number[]][] {
  const d = c.hidden_size;
  const hd = headDim(c);
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocab_size, d]]];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      [`${p}input_layernorm.weight`, [d]],
      [`${p}self_attn.q_proj.weight`, [c.num_attention_heads * hd, d]],
      [`${p}self_attn.k_proj.weight`, [c.num_key_value_heads * hd, d]],
      [`${p}self_attn.v_proj.weight`, [c.num_key_value_heads * hd, d]],
      [`${p}self_attn.o_proj.weight`, [d, c.num_attention_heads * hd]],
      [`${p}post_attention_layernorm.weight`, [d]],
      [`${p}mlp.gate_proj.weight`, [c.intermediate_size, d]],
      [`${p}mlp.up_proj.weight`, [c.intermediate_size, d]],
      [`${p}mlp.down_proj.weight`, [d, c.intermediate_size]],
    );
  }
  out.push(['model.norm.weight', [d]]);
  if (!c.tie_word_embeddings) out.push(['lm_head.weight', [c.vocab_size, d]]);
  return out;
}

/** Position ids from an attention mask: cumsum(mask) − 1, clamped at 0 (HF generate's rule; left or right padding). */
export function positionIds(mask: number[][]): number[][] {
  return mask.map((row) => {
    let c = 0;
    return row.map((m) => {
      c += m ? 1 : 0;
      return Math.max(0, c - 1);
    });
  });
}

/** All-ones mask of the same shape as `ids`. */
function onesLike(ids: number[][]): number[][] {
  return ids.map((r) => r.map(() => 1));
}

function checkRect(ids: number[][], what: string): [number, number] {
  const b = ids.length;
  if (b === 0) throw new Error(`${what}: empty batch`);
  const t = ids[0].length;
  for (const r of ids) if (r.length !== t) throw new Error(`${what}: rows must have equal length (pad them), got ${t} and ${r.length}`);
  return [b, t];
}

let modelCounter = 0;

/** The Llama policy. Create with a seed (deterministic init); dispose() frees its variables. */
export class Llama {
  readonly config: LlamaConfig;
  /** Trainable parameters keyed by HF name. */
  readonly params: Map<string, tf.Variable>;
  private readonly cosTable: tf.Tensor2D;
  private readonly sinTable: tf.Tensor2D;
  private readonly rotHalf: tf.Tensor2D;
  private readonly uid: string;

  /** @param seed integer/string seed or an Rng; normal(0, initializer_range) weights, ones for norms. */
  constructor(config: Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>, seed: number | string | Rng = 0) {
    this.config = { ...defaults, ...config };
    validateConfig(this.config);
    this.uid = `llama${modelCounter++}`;
    const rng = seed instanceof Rng ? seed : new Rng(seed);
    this.params = new Map();
    for (const [name, shape] of parameterShapes(this.config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (shape.length === 1) data.fill(1);
      else for (let i = 0; i < size; i++) data[i] = rng.normal() * this.config.initializer_range;
      this.params.set(name, tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true, `${this.uid}/${name}`)));
    }
    [this.cosTable, this.sinTable] = ropeTables(this.config);
    this.rotHalf = rotateHalfMatrix(headDim(this.config));
  }

  /** Number of scalar parameters (tied lm_head counted once). */
  numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** The parameter `name`; throws naming it when absent. */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`Llama: no parameter ${name}`);
    return v;
  }

  /** lm_head weight [vocab, hidden] (embed_tokens when tied). */
  lmHead(): tf.Variable {
    return this.config.tie_word_embeddings ? this.param('model.embed_tokens.weight') : this.param('lm_head.weight');
  }

  /**
   * Final-norm hidden states.
   * @param ids [batch][time] new token ids
   * @param mask [batch][past + time] attention mask (1 real, 0 pad) over cached + new positions
   * @param positions [batch][time] rotary position of each new token
   * @param past cache of earlier positions (not disposed here)
   * @returns hidden [batch·time, hidden] (or [batch, hidden] with lastOnly) and, with wantCache, the new cache tensors [batch, kvHeads, past+time, headDim]
   */
  hidden(ids: number[][], mask: number[][], positions: number[][], opts: { past?: KVCache; lastOnly?: boolean; wantCache?: boolean } = {}): { h: tf.Tensor2D; k: tf.Tensor4D[]; v: tf.Tensor4D[] } {
    const c = this.config;
    const [B, T] = checkRect(ids, 'Llama.hidden');
    const pastT = opts.past ? opts.past.k[0]?.shape[2] ?? 0 : 0;
    const Tk = pastT + T;
    if (mask.length !== B || mask.some((r) => r.length !== Tk)) throw new Error(`Llama.hidden: mask must be [${B}][${Tk}] (past ${pastT} + new ${T})`);
    const H = c.num_attention_heads;
    const Hkv = c.num_key_value_heads;
    const hd = headDim(c);
    const d = c.hidden_size;
    const flat: number[] = [];
    const pos: number[] = [];
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const id = ids[b][t];
        if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) throw new Error(`Llama: token id ${id} at [${b}][${t}] is outside [0, ${c.vocab_size})`);
        const p = positions[b][t];
        if (p >= c.max_position_embeddings) throw new Error(`Llama: position ${p} at [${b}][${t}] exceeds max_position_embeddings ${c.max_position_embeddings}`);
        flat.push(id);
        pos.push(p);
      }
    // Grouped-query attention without repeating k/v: the rep = H/Hkv query heads that share a kv
    // head are stacked along time, [B, Hkv, rep·T, hd], against k/v [B, Hkv, Tk, hd].
    const rep = H / Hkv;
    // Additive attention bias [B, 1, rep·T, Tk]: key j is visible to query i when j ≤ pastT + i and mask[b][j] = 1.
    const bias = new Float32Array(B * rep * T * Tk);
    for (let b = 0; b < B; b++)
      for (let r = 0; r < rep; r++)
        for (let i = 0; i < T; i++) {
          const row = ((b * rep + r) * T + i) * Tk;
          for (let j = 0; j < Tk; j++) bias[row + j] = j <= pastT + i && mask[b][j] ? 0 : -1e9;
        }

    const ks: tf.Tensor4D[] = [];
    const vs: tf.Tensor4D[] = [];
    const h = tf.tidy(() => {
      const idT = tf.tensor1d(flat, 'int32');
      const posT = tf.tensor1d(pos, 'int32');
      const cos = tf.reshape(tf.gather(this.cosTable, posT), [B, T, 1, hd]);
      const sin = tf.reshape(tf.gather(this.sinTable, posT), [B, T, 1, hd]);
      const biasT = tf.tensor4d(bias, [B, 1, rep * T, Tk]);
      const scale = tf.scalar(1 / Math.sqrt(hd));
      let x: tf.Tensor = tf.gather(this.param('model.embed_tokens.weight'), idT);
      for (let l = 0; l < c.num_hidden_layers; l++) {
        const p = `model.layers.${l}.`;
        const hn = rmsNorm(x, this.param(`${p}input_layernorm.weight`), c.rms_norm_eps);
        const q = rope(tf.reshape(linear(hn, this.param(`${p}self_attn.q_proj.weight`)), [B, T, H, hd]), cos, sin, this.rotHalf);
        let k = tf.transpose(rope(tf.reshape(linear(hn, this.param(`${p}self_attn.k_proj.weight`)), [B, T, Hkv, hd]), cos, sin, this.rotHalf), [0, 2, 1, 3]) as tf.Tensor4D;
        let v = tf.transpose(tf.reshape(linear(hn, this.param(`${p}self_attn.v_proj.weight`)), [B, T, Hkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
        if (opts.past) {
          k = tf.concat([opts.past.k[l], k], 2);
          v = tf.concat([opts.past.v[l], v], 2);
        }
        if (opts.wantCache) {
          ks.push(tf.keep(k));
          vs.push(tf.keep(v));
        }
        const qh = tf.reshape(tf.mul(tf.transpose(q, [0, 2, 1, 3]), scale), [B, Hkv, rep * T, hd]); // heads h = kv·rep + r
        const probs = tf.softmax(tf.add(tf.matMul(qh, k, false, true), biasT)); // [B, Hkv, rep·T, Tk]
        const att = tf.reshape(tf.transpose(tf.reshape(tf.matMul(probs, v), [B, H, T, hd]), [0, 2, 1, 3]), [B * T, H * hd]);
        x = tf.add(x, linear(att, this.param(`${p}self_attn.o_proj.weight`)));
        const hm = rmsNorm(x, this.param(`${p}post_attention_layernorm.weight`), c.rms_norm_eps);
        const gate = linear(hm, this.param(`${p}mlp.gate_proj.weight`));
        const up = linear(hm, this.param(`${p}mlp.up_proj.weight`));
        x = tf.add(x, linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), this.param(`${p}mlp.down_proj.weight`)));
      }
      if (opts.lastOnly) x = tf.reshape(tf.slice(tf.reshape(x, [B, T, d]), [0, T - 1, 0], [B, 1, d]), [B, d]);
      return rmsNorm(x, this.param('model.norm.weight'), c.rms_norm_eps);
    });
    return { h, k: ks, v: vs };
  }

  /**
   * Logits of a padded batch.
   * @param ids [batch][time]
   * @param mask [batch][time], default all ones
   * @returns logits [batch, time, vocab]
   */
  forward(ids: number[][], mask?: number[][]): tf.Tensor3D {
    const [B, T] = checkRect(ids, 'Llama.forward');
    const m = mask ?? onesLike(ids);
    return tf.tidy(() => tf.reshape(linear(this.hidden(ids, m, positionIds(m)).h, this.lmHead()), [B, T, this.config.vocab_size]));
  }

  /**
   * Negative log-likelihood of each next token, nll[b, t] = −log p(ids[b][t+1] | ids[b][..t]).
   * @returns [batch, time − 1]
   */
  tokenNll(ids: number[][], mask?: number[][]): tf.Tensor2D {
    const [B, T] = checkRect(ids, 'Llama.tokenNll');
    if (T < 2) throw new Error('Llama.tokenNll: sequences need at least 2 tokens');
    const m = mask ?? onesLike(ids);
    const targets: number[] = [];
    for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) targets.push(ids[b][t]);
    return tf.tidy(() => {
      const d = this.config.hidden_size;
      const { h } = this.hidden(ids, m, positionIds(m));
      const hs = tf.reshape(tf.slice(tf.reshape(h, [B, T, d]), [0, 0, 0], [B, T - 1, d]), [B * (T - 1), d]);
      const logits = linear(hs, this.lmHead());
      return tf.reshape(crossEntropy(logits, tf.tensor1d(targets, 'int32')), [B, T - 1]);
    });
  }

  /**
   * Per-token log-probabilities for RL: logp[b, t] = log p(ids[b][t+1] | prefix). Padded
   * positions get values too; mask them yourself.
   * @param ids [batch][time]
   * @param mask [batch][time] attention mask
   * @returns [batch, time − 1]
   */
  tokenLogProbs(ids: number[][], mask?: number[][]): tf.Tensor2D {
    return tf.tidy(() => tf.neg(this.tokenNll(ids, mask)));
  }

  /**
   * Mean token cross-entropy over the loss mask (targets where lossMask·attentionMask = 1,
   * shifted by one; a mask value above 1 weights its target, and the mean divides by the weights' sum). `normalizer` replaces the token count (gradient accumulation divides by the
   * tokens of all micro-batches).
   * @returns scalar loss
   */
  loss(batch: Batch, opts: { normalizer?: number } = {}): tf.Scalar {
    const w = lossWeights(batch);
    const n = opts.normalizer ?? Math.max(1, w.total);
    const [B, T] = checkRect(batch.inputIds, 'Llama.loss');
    return tf.tidy(() => {
      const nll = this.tokenNll(batch.inputIds, batch.attentionMask);
      return tf.div(tf.sum(tf.mul(nll, tf.tensor2d(w.weights, [B, T - 1]))), tf.scalar(n));
    });
  }

  /** Frees the variables and tables. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.cosTable.dispose();
    this.sinTable.dispose();
    this.rotHalf.dispose();
  }
}

/**
 * Target weights [batch·(time−1)] (lossMask·attentionMask of tokens 1..T−1; a loss mask may
 * weight a target above 1), the number of targets and the weights' sum (the mean's divisor).
 */
export function lossWeights(batch: Batch): { weights: Float32Array; count: number; total: number } {
  const [B, T] = checkRect(batch.inputIds, 'lossWeights');
  const am = batch.attentionMask ?? onesLike(batch.inputIds);
  const lm = batch.lossMask ?? am;
  const weights = new Float32Array(B * Math.max(0, T - 1));
  let count = 0;
  let total = 0;
  for (let b = 0; b < B; b++)
    for (let t = 1; t < T; t++) {
      const w = am[b][t] ? lm[b][t] : 0;
      if (!Number.isFinite(w) || w < 0) throw new Error(`lossWeights: loss mask weights must be finite and ≥ 0, got ${w} at [${b}][${t}]`);
      weights[b * (T - 1) + t - 1] = w;
      if (w > 0) count++;
      total += w;
    }
  return { weights, count, total };
}

/** x·Wᵀ for HF-layout weights. @param x [n, in] @param w [out, in] @returns [n, out] */
export function linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor2D {
  return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true);
}

/** RMSNorm: x / sqrt(mean(x²) + eps) · weight. @param x [n, d] @param w [d] */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul<tf.Tensor2D>(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), tf.scalar(eps)))), w as tf.Tensor));
}

/** Rotary cos/sin tables [maxPos, headDim], HF layout (emb = cat(freqs, freqs)). */
export function ropeTables(c: LlamaConfig): [tf.Tensor2D, tf.Tensor2D] {
  const hd = headDim(c);
  const half = hd / 2;
  const P = c.max_position_embeddings;
  const cos = new Float32Array(P * hd);
  const sin = new Float32Array(P * hd);
  for (let p = 0; p < P; p++)
    for (let i = 0; i < half; i++) {
      const invFreq = Math.fround(1 / Math.pow(c.rope_theta, (2 * i) / hd));
      const a = Math.fround(p * invFreq);
      cos[p * hd + i] = cos[p * hd + half + i] = Math.cos(a);
      sin[p * hd + i] = sin[p * hd + half + i] = Math.sin(a);
    }
  return [tf.tensor2d(cos, [P, hd]), tf.tensor2d(sin, [P, hd])];
}

/**
 * Rotary positions, HF apply_rotary_pos_emb: x·cos + rotate_half(x)·sin with rotate_half(x) =
 * cat(−x₂, x₁) over the two halves of each head (not interleaved pairs).
 * rotate_half runs as a [hd, hd] matmul (rotateHalfMatrix): on wasm that beats reverse/concat.
 * @param x [B, T, heads, hd] @param cos [B, T, 1, hd] @param sin [B, T, 1, hd] @param rot [hd, hd]
 */
export function rope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, rot: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, T, H, hd] = x.shape;
    const rotated = tf.reshape(tf.matMul(tf.reshape(x, [B * T * H, hd]), rot as tf.Tensor2D), [B, T, H, hd]);
    return tf.add<tf.Tensor4D>(tf.mul(x, cos), tf.mul(rotated, sin));
  });
}

/** rotate_half as a matrix: x·R = cat(−x₂, x₁). @returns [hd, hd] */
export function rotateHalfMatrix(hd: number): tf.Tensor2D {
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let j = 0; j < half; j++) {
    r[(j + half) * hd + j] = -1; // out_j = −x_{j+half}
    r[j * hd + j + half] = 1; // out_{j+half} = x_j
  }
  return tf.tensor2d(r, [hd, hd]);
}

/**
 * Token cross-entropy with a hand-written gradient (softmax − onehot), so autodiff does not
 * differentiate through max/logsumexp.
 * @param logits [n, vocab] @param targets int32 [n] @returns nll [n]
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [n, V] = logits.shape;
  const rows = tf.range(0, n, 1, 'int32');
  const flatIdx = tf.add(tf.mul(rows, tf.scalar(V, 'int32')), targets); // [n] into the flat logits
  const idx2 = tf.stack([rows, targets], 1); // [n, 2]
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const lg = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    // log p(t) = x_t − logsumexp(x), and logsumexp(x) = max(x) − log(max(softmax(x))): one softmax
    // (a fast kernel on wasm, unlike exp) and no underflow, since max(softmax) ≥ 1/V.
    const p = tf.softmax(lg);
    const picked = tf.gather(tf.reshape(lg, [-1]), flatIdx);
    save([p, idx2]); // saved tensors outlive the caller's tidy; closures would not
    return {
      value: tf.sub(tf.sub(tf.max(lg, -1), tf.log(tf.max(p, -1))), picked),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const onehot = tf.scatterND(saved[1], tf.ones([n]), [n, V]);
        return tf.mul(tf.sub(saved[0], onehot), tf.reshape(dy, [-1, 1]));
      },
    };
  });
  return f(logits) as tf.Tensor1D;
}
