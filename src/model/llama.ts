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
 * The ops and the decoder block are in layers.ts; names, shapes and init in params.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
require('@tensorflow/tfjs'); // gradient registrations (CommonJS bundle; see kernels.ts)
import { Rng } from '../core/rng';
import { LayerInputs, attentionBias, crossEntropy, decoderLayer, linear, rmsNorm, rotateHalfMatrix, ropeTables } from './layers';
import { headDim, initParameters, validateConfig } from './params';

import type { LlamaConfig } from './params';

/** Hugging Face LlamaConfig fields (same names, so config.json round-trips), defined in ./params. */
export type { LlamaConfig };

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

/** The token ids and rotary positions of a batch, flattened row by row; throws on an id outside the vocabulary or a position past the rotary table. */
function tokenInputs(c: LlamaConfig, ids: number[][], positions: number[][]): { flat: number[]; pos: number[] } {
  const flat: number[] = [];
  const pos: number[] = [];
  for (let b = 0; b < ids.length; b++)
    for (let t = 0; t < ids[b].length; t++) {
      const id = ids[b][t];
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) throw new Error(`Llama: token id ${id} at [${b}][${t}] is outside [0, ${c.vocab_size})`);
      const p = positions[b][t];
      if (p >= c.max_position_embeddings) throw new Error(`Llama: position ${p} at [${b}][${t}] exceeds max_position_embeddings ${c.max_position_embeddings}`);
      flat.push(id);
      pos.push(p);
    }
  return { flat, pos };
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
    this.params = initParameters(this.config, seed instanceof Rng ? seed : new Rng(seed), this.uid);
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
    const { flat, pos } = tokenInputs(c, ids, positions);
    const rep = c.num_attention_heads / c.num_key_value_heads;
    const bias = attentionBias(mask, rep, T, pastT);
    const ks: tf.Tensor4D[] = [];
    const vs: tf.Tensor4D[] = [];
    const h = tf.tidy(() => {
      const idT = tf.tensor1d(flat, 'int32');
      const a = this.layerInputs(B, T, Tk, pos, bias, rep);
      let x: tf.Tensor = tf.gather(this.param('model.embed_tokens.weight'), idT);
      for (let l = 0; l < c.num_hidden_layers; l++) {
        const layer = decoderLayer(x, (s) => this.param(`model.layers.${l}.${s}`), c, a, opts.past && { k: opts.past.k[l], v: opts.past.v[l] });
        if (opts.wantCache) {
          ks.push(tf.keep(layer.k));
          vs.push(tf.keep(layer.v));
        }
        x = layer.x;
      }
      const d = c.hidden_size;
      if (opts.lastOnly) x = tf.reshape(tf.slice(tf.reshape(x, [B, T, d]), [0, T - 1, 0], [B, 1, d]), [B, d]);
      return rmsNorm(x, this.param('model.norm.weight'), c.rms_norm_eps);
    });
    return { h, k: ks, v: vs };
  }

  /**
   * The tensors every layer of a forward pass shares (inside the caller's tidy): rotary tables
   * gathered at the positions, the attention bias [B, 1, rep·T, Tk], the score scale.
   */
  private layerInputs(B: number, T: number, Tk: number, pos: number[], bias: Float32Array, rep: number): LayerInputs {
    const hd = headDim(this.config);
    const posT = tf.tensor1d(pos, 'int32');
    const cos = tf.reshape(tf.gather(this.cosTable, posT), [B, T, 1, hd]);
    const sin = tf.reshape(tf.gather(this.sinTable, posT), [B, T, 1, hd]);
    return { B, T, cos, sin, rot: this.rotHalf, bias: tf.tensor4d(bias, [B, 1, rep * T, Tk]), scale: tf.scalar(1 / Math.sqrt(hd)) };
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
