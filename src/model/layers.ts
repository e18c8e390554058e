/**
 * The transformer's tensor ops in the Hugging Face Llama layout: x·Wᵀ projections, RMSNorm,
 * rotary positions, the causal attention bias, one decoder block (grouped-query attention and
 * a SwiGLU MLP), and the token cross-entropy with a hand-written gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaConfig } from './params';
import { headDim } from './params';

/** A layer's weight by its HF name after `model.layers.<i>.` (e.g. `self_attn.q_proj.weight`). */
export type LayerWeight = (suffix: string) => tf.Tensor;

/** What every layer of one forward pass shares. */
export interface LayerInputs {
  /** Batch rows and new positions per row. */
  B: number;
  T: number;
  /** Rotary tables gathered at the new positions, [B, T, 1, hd]; rotate_half matrix [hd, hd]. */
  cos: tf.Tensor;
  sin: tf.Tensor;
  rot: tf.Tensor;
  /** Additive attention bias [B, 1, rep·T, past+T] (attentionBias). */
  bias: tf.Tensor;
  /** 1 / sqrt(head_dim). */
  scale: tf.Scalar;
}

/** x·Wᵀ for HF-layout weights. @param x [n, in] @param w [out, in] @returns [n, out] */
export function linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor2D {
  return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true);
}

/** RMSNorm: x / sqrt(mean(x²) + eps) · weight. @param x [n, d] @param w [d] */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul<tf.Tensor2D>(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), tf.scalar(eps)))), w as tf.Tensor));
}

/** Rotary cos/sin tables [maxPos, headDim] as flat arrays, HF layout (emb = cat(freqs, freqs)). */
export function ropeTableValues(c: LlamaConfig): { cos: Float32Array; sin: Float32Array } {
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
  return { cos, sin };
}

/** Rotary cos/sin tables [maxPos, headDim] as tensors (ropeTableValues). */
export function ropeTables(c: LlamaConfig): [tf.Tensor2D, tf.Tensor2D] {
  const { cos, sin } = ropeTableValues(c);
  const shape: [number, number] = [c.max_position_embeddings, headDim(c)];
  return [tf.tensor2d(cos, shape), tf.tensor2d(sin, shape)];
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
 * Additive attention bias [B, 1, rep·T, Tk] as a flat array: key j is visible to query i when
 * j ≤ pastT + i and mask[b][j] = 1 (0), else −1e9. The rep query heads sharing a kv head are
 * stacked along time.
 * @param mask [B][Tk] attention mask over cached + new positions
 */
export function attentionBias(mask: number[][], rep: number, T: number, pastT: number): Float32Array {
  const B = mask.length;
  const Tk = pastT + T;
  const bias = new Float32Array(B * rep * T * Tk);
  for (let b = 0; b < B; b++)
    for (let r = 0; r < rep; r++)
      for (let i = 0; i < T; i++) {
        const row = ((b * rep + r) * T + i) * Tk;
        for (let j = 0; j < Tk; j++) bias[row + j] = j <= pastT + i && mask[b][j] ? 0 : -1e9;
      }
  return bias;
}

/**
 * One decoder block: x + o_proj(attention(input_layernorm(x))), then + SwiGLU MLP of
 * post_attention_layernorm(x).
 * @param x [B·T, hidden] @param past this layer's cached k/v [B, kvHeads, pastT, hd]
 * @returns the new x [B·T, hidden], and k/v [B, kvHeads, pastT + T, hd] (after rotary)
 */
export function decoderLayer(x: tf.Tensor, w: LayerWeight, c: LlamaConfig, a: LayerInputs, past?: { k: tf.Tensor4D; v: tf.Tensor4D }): { x: tf.Tensor; k: tf.Tensor4D; v: tf.Tensor4D } {
  const hn = rmsNorm(x, w('input_layernorm.weight'), c.rms_norm_eps);
  const { out, k, v } = selfAttention(hn, w, c, a, past);
  const xa = tf.add(x, out);
  const hm = rmsNorm(xa, w('post_attention_layernorm.weight'), c.rms_norm_eps);
  return { x: tf.add(xa, swiGlu(hm, w)), k, v };
}

/**
 * Grouped-query causal attention without repeating k/v: the rep = H/Hkv query heads that share
 * a kv head are stacked along time, [B, Hkv, rep·T, hd], against k/v [B, Hkv, Tk, hd].
 * @param hn [B·T, hidden] normed input @returns o_proj output [B·T, hidden] and the layer's k/v
 */
function selfAttention(hn: tf.Tensor, w: LayerWeight, c: LlamaConfig, a: LayerInputs, past?: { k: tf.Tensor4D; v: tf.Tensor4D }): { out: tf.Tensor2D; k: tf.Tensor4D; v: tf.Tensor4D } {
  const { B, T, cos, sin, rot } = a;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const rep = H / Hkv;
  const q = rope(tf.reshape(linear(hn, w('self_attn.q_proj.weight')), [B, T, H, hd]), cos, sin, rot);
  let k = tf.transpose(rope(tf.reshape(linear(hn, w('self_attn.k_proj.weight')), [B, T, Hkv, hd]), cos, sin, rot), [0, 2, 1, 3]) as tf.Tensor4D;
  let v = tf.transpose(tf.reshape(linear(hn, w('self_attn.v_proj.weight')), [B, T, Hkv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
  if (past) {
    k = tf.concat([past.k, k], 2);
    v = tf.concat([past.v, v], 2);
  }
  const qh = tf.reshape(tf.mul(tf.transpose(q, [0, 2, 1, 3]), a.scale), [B, Hkv, rep * T, hd]); // heads h = kv·rep + r
  const probs = tf.softmax(tf.add(tf.matMul(qh, k, false, true), a.bias)); // [B, Hkv, rep·T, Tk]
  const att = tf.reshape(tf.transpose(tf.reshape(tf.matMul(probs, v), [B, H, T, hd]), [0, 2, 1, 3]), [B * T, H * hd]);
  return { out: linear(att, w('self_attn.o_proj.weight')), k, v };
}

/** SwiGLU MLP: down(silu(gate(x)) · up(x)). @param hm [B·T, hidden] @returns [B·T, hidden] */
function swiGlu(hm: tf.Tensor, w: LayerWeight): tf.Tensor2D {
  const gate = linear(hm, w('mlp.gate_proj.weight'));
  const up = linear(hm, w('mlp.up_proj.weight'));
  return linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), w('mlp.down_proj.weight'));
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
