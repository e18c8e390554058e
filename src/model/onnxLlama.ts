/**
 * The policy's forward pass as an ONNX graph (src/model/onnx.ts), for inference on a native
 * runtime (src/model/ort.ts). It computes what Llama.hidden + lm_head compute (src/model/llama.ts,
 * layers.ts), on the same inputs the workbench builds on the host: token ids, the rotary tables
 * gathered at each position, the additive attention bias (grouped query heads stacked along
 * time), and the KV cache. The weights are graph inputs under their Hugging Face names, fed from
 * the policy's current variables at every call, so the checkpoint layout does not change and a
 * training step needs no new graph.
 *
 * Inputs: input_ids int64 [B, T]; cos, sin [B, T, 1, hd]; bias [B, 1, rep·T, P+T];
 * past_key.{l}, past_value.{l} [B, Hkv, P, hd] (P may be 0); the parameters.
 * Outputs: logits [B, vocab] of the last position of each row; present_key.{l},
 * present_value.{l} [B, Hkv, P+T, hd] (after rotary, as the workbench's cache).
 */
import { OnnxGraph } from './onnx';
import type { LlamaConfig } from './params';
import { headDim, parameterShapes } from './params';

/** Builds the graph; returns the serialized model. */
export function llamaOnnx(c: LlamaConfig): Uint8Array {
  const g = new OnnxGraph('fleming-llama');
  const hd = headDim(c);
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const cos = g.input('cos', 'float', ['B', 'T', 1, hd]);
  const sin = g.input('sin', 'float', ['B', 'T', 1, hd]);
  const bias = g.input('bias', 'float', ['B', 1, 'RT', 'Tk']);
  for (const [name, shape] of parameterShapes(c)) g.input(name, 'float', shape);
  const bt = g.node('Shape', [ids]);
  const ctx: Ctx = { g, c, hd, cos, sin, bias, shapeBTHhd: g.node('Concat', [bt, g.ints([H, hd])], { axis: 0 }), shapeBTKhd: g.node('Concat', [bt, g.ints([Hkv, hd])], { axis: 0 }) };
  let x = g.node('Gather', ['model.embed_tokens.weight', ids], { axis: 0 }); // [B, T, d]
  x = g.node('Reshape', [x, g.ints([-1, c.hidden_size])]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const pk = g.input(`past_key.${l}`, 'float', ['B', Hkv, 'P', hd]);
    const pv = g.input(`past_value.${l}`, 'float', ['B', Hkv, 'P', hd]);
    x = layer(ctx, x, l, pk, pv);
  }
  // The last position of each row, then the final norm and lm_head.
  const last = g.node('Slice', [g.node('Reshape', [x, g.node('Concat', [bt, g.ints([c.hidden_size])], { axis: 0 })]), g.ints([-1]), g.ints([2 ** 31 - 1]), g.ints([1])]);
  const h = rmsNorm(g, g.node('Reshape', [last, g.ints([-1, c.hidden_size])]), 'model.norm.weight', c.rms_norm_eps);
  const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  g.node('Gemm', [h, head], { transB: 1 }, 'logits');
  g.declareOutput('logits', 'float', ['B', c.vocab_size]);
  return g.toModel();
}

/**
 * One decoding step against a fixed-capacity KV cache: the graph reads the cache the host keeps
 * ([B, Hkv, S, hd], positions not yet written masked by the bias) and returns only the new
 * token's key and value, so no step copies the cache (the host writes the new rows into it).
 * Attention is split into the cached part and the new token's own score, softmax taken over both.
 *
 * Inputs: input_ids int64 [B, 1]; cos, sin [B, 1, 1, hd]; bias [B, 1, 1, S + 1] (the last column
 * the new token's own); cache_key.{l}, cache_value.{l} [B, Hkv, S, hd]; the parameters.
 * Outputs: logits [B, vocab]; new_key.{l}, new_value.{l} [B, Hkv, 1, hd] (after rotary).
 */
export function llamaDecodeOnnx(c: LlamaConfig): Uint8Array {
  const g = new OnnxGraph('fleming-llama-decode');
  const hd = headDim(c);
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const ids = g.input('input_ids', 'int64', ['B', 1]);
  const cos = g.input('cos', 'float', ['B', 1, 1, hd]);
  const sin = g.input('sin', 'float', ['B', 1, 1, hd]);
  const bias = g.input('bias', 'float', ['B', 1, 1, 'S1']);
  for (const [name, shape] of parameterShapes(c)) g.input(name, 'float', shape);
  const bt = g.node('Shape', [ids]);
  const ctx: Ctx = { g, c, hd, cos, sin, bias, shapeBTHhd: g.node('Concat', [bt, g.ints([H, hd])], { axis: 0 }), shapeBTKhd: g.node('Concat', [bt, g.ints([Hkv, hd])], { axis: 0 }) };
  let x = g.node('Gather', ['model.embed_tokens.weight', g.node('Reshape', [ids, g.ints([-1])])], { axis: 0 }); // [B, d]
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const ck = g.input(`cache_key.${l}`, 'float', ['B', Hkv, 'S', hd]);
    const cv = g.input(`cache_value.${l}`, 'float', ['B', Hkv, 'S', hd]);
    x = decodeLayer(ctx, x, l, ck, cv);
  }
  const h = rmsNorm(g, x, 'model.norm.weight', c.rms_norm_eps);
  const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  g.node('Gemm', [h, head], { transB: 1 }, 'logits');
  g.declareOutput('logits', 'float', ['B', c.vocab_size]);
  return g.toModel();
}

/** One decoder block of llamaDecodeOnnx on x [B, d]; writes new_key/value.{l}. */
function decodeLayer(ctx: Ctx, x: string, l: number, cacheK: string, cacheV: string): string {
  const { g, c, hd } = ctx;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const w = (s: string) => `model.layers.${l}.${s}`;
  const hn = rmsNorm(g, x, w('input_layernorm.weight'), c.rms_norm_eps);
  const q = rope(ctx, g.node('Reshape', [linear(g, hn, w('self_attn.q_proj.weight')), ctx.shapeBTHhd]));
  const k = g.node('Transpose', [rope(ctx, g.node('Reshape', [linear(g, hn, w('self_attn.k_proj.weight')), ctx.shapeBTKhd]))], { perm: [0, 2, 1, 3] }, `new_key.${l}`);
  const v = g.node('Transpose', [g.node('Reshape', [linear(g, hn, w('self_attn.v_proj.weight')), ctx.shapeBTKhd])], { perm: [0, 2, 1, 3] }, `new_value.${l}`);
  g.declareOutput(k, 'float', ['B', Hkv, 1, hd]);
  g.declareOutput(v, 'float', ['B', Hkv, 1, hd]);
  // The rep query heads sharing a kv head: [B, Hkv, rep, hd]; scores against the cache and the new key.
  const qh = g.node('Mul', [g.node('Reshape', [g.node('Transpose', [q], { perm: [0, 2, 1, 3] }), g.ints([0, Hkv, -1, hd])]), g.scalar(1 / Math.sqrt(hd))]);
  const sCache = g.node('MatMul', [qh, g.node('Transpose', [cacheK], { perm: [0, 1, 3, 2] })]); // [B, Hkv, rep, S]
  const sNew = g.node('MatMul', [qh, g.node('Transpose', [k], { perm: [0, 1, 3, 2] })]); // [B, Hkv, rep, 1]
  const p = g.node('Softmax', [g.node('Add', [g.node('Concat', [sCache, sNew], { axis: 3 }), ctx.bias])], { axis: -1 });
  const pCache = g.node('Slice', [p, g.ints([0]), g.ints([-1]), g.ints([3])]);
  const pNew = g.node('Slice', [p, g.ints([-1]), g.ints([2 ** 31 - 1]), g.ints([3])]);
  const att = g.node('Add', [g.node('MatMul', [pCache, cacheV]), g.node('MatMul', [pNew, v])]); // [B, Hkv, rep, hd]
  const merged = g.node('Reshape', [att, g.ints([-1, H * hd])]);
  const xa = g.node('Add', [x, linear(g, merged, w('self_attn.o_proj.weight'))]);
  const hm = rmsNorm(g, xa, w('post_attention_layernorm.weight'), c.rms_norm_eps);
  const gate = linear(g, hm, w('mlp.gate_proj.weight'));
  const up = linear(g, hm, w('mlp.up_proj.weight'));
  const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), up]);
  return g.node('Add', [xa, linear(g, act, w('mlp.down_proj.weight'))]);
}

/** What the layers of one graph share. */
export interface Ctx {
  g: OnnxGraph;
  c: LlamaConfig;
  hd: number;
  cos: string;
  sin: string;
  bias: string;
  /** [B, T, H, hd] and [B, T, Hkv, hd] as int64 shapes. */
  shapeBTHhd: string;
  shapeBTKhd: string;
}

/** x·Wᵀ for W [out, in] (Gemm with transB). */
export function linear(g: OnnxGraph, x: string, w: string): string {
  return g.node('Gemm', [x, w], { transB: 1 });
}

/** x · 1/√(mean(x²) + eps) · w. */
export function rmsNorm(g: OnnxGraph, x: string, w: string, eps: number): string {
  const ms = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const inv = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [ms, g.scalar(eps)])])]);
  return g.node('Mul', [g.node('Mul', [x, inv]), w]);
}

/** x·cos + rotate_half(x)·sin over the two halves of each head. @param x [B, T, heads, hd] */
export function rope(ctx: Ctx, x: string): string {
  const { g, hd } = ctx;
  const half = hd / 2;
  const x1 = g.node('Slice', [x, g.ints([0]), g.ints([half]), g.ints([3])]);
  const x2 = g.node('Slice', [x, g.ints([half]), g.ints([hd]), g.ints([3])]);
  const rotated = g.node('Concat', [g.node('Neg', [x2]), x1], { axis: 3 });
  return g.node('Add', [g.node('Mul', [x, ctx.cos]), g.node('Mul', [rotated, ctx.sin])]);
}

/** One decoder block on x [B·T, d]; writes present_key/value.{l}. */
function layer(ctx: Ctx, x: string, l: number, pastK: string, pastV: string): string {
  const { g, c, hd } = ctx;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const w = (s: string) => `model.layers.${l}.${s}`;
  const hn = rmsNorm(g, x, w('input_layernorm.weight'), c.rms_norm_eps);
  const q = rope(ctx, g.node('Reshape', [linear(g, hn, w('self_attn.q_proj.weight')), ctx.shapeBTHhd]));
  const k = g.node('Transpose', [rope(ctx, g.node('Reshape', [linear(g, hn, w('self_attn.k_proj.weight')), ctx.shapeBTKhd]))], { perm: [0, 2, 1, 3] });
  const v = g.node('Transpose', [g.node('Reshape', [linear(g, hn, w('self_attn.v_proj.weight')), ctx.shapeBTKhd])], { perm: [0, 2, 1, 3] });
  const kAll = g.node('Concat', [pastK, k], { axis: 2 }, `present_key.${l}`);
  const vAll = g.node('Concat', [pastV, v], { axis: 2 }, `present_value.${l}`);
  g.declareOutput(kAll, 'float', ['B', Hkv, 'Tk', hd]);
  g.declareOutput(vAll, 'float', ['B', Hkv, 'Tk', hd]);
  // Query heads sharing a kv head stacked along time: [B, Hkv, rep·T, hd].
  const qh = g.node('Mul', [g.node('Reshape', [g.node('Transpose', [q], { perm: [0, 2, 1, 3] }), g.ints([0, Hkv, -1, hd])]), g.scalar(1 / Math.sqrt(hd))]);
  const scores = g.node('Add', [g.node('MatMul', [qh, g.node('Transpose', [kAll], { perm: [0, 1, 3, 2] })]), ctx.bias]);
  const att = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), vAll]); // [B, Hkv, rep·T, hd]
  const merged = g.node('Reshape', [g.node('Transpose', [g.node('Reshape', [att, g.ints([0, H, -1, hd])])], { perm: [0, 2, 1, 3] }), g.ints([-1, H * hd])]);
  const xa = g.node('Add', [x, linear(g, merged, w('self_attn.o_proj.weight'))]);
  const hm = rmsNorm(g, xa, w('post_attention_layernorm.weight'), c.rms_norm_eps);
  const gate = linear(g, hm, w('mlp.gate_proj.weight'));
  const up = linear(g, hm, w('mlp.up_proj.weight'));
  const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), up]);
  return g.node('Add', [xa, linear(g, act, w('mlp.down_proj.weight'))]);
}
