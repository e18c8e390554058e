/**
 * The Llama policy's parameters: config checks, the Hugging Face names and shapes, and the
 * deterministic initialisation (normal(0, initializer_range) weights, ones for norms).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng';

/** The model's Hugging Face `config.json` fields (LlamaForCausalLM). */
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

/**
 * Fresh trainable parameters in parameterShapes order, drawing from `rng` in that order;
 * variables are named `<uid>/<HF name>`.
 */
export function initParameters(c: LlamaConfig, rng: Rng, uid: string): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (shape.length === 1) data.fill(1);
    else for (let i = 0; i < size; i++) data[i] = rng.normal() * c.initializer_range;
    params.set(name, tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true, `${uid}/${name}`)));
  }
  return params;
}
