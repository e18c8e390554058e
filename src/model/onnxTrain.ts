/**
 * The policy's token loss and its gradient as one ONNX graph, for training steps on a native
 * runtime (src/model/ortTrain.ts; opt-in). Forward as in onnxLlama.ts over whole sequences (no
 * cache), then the backward pass written out by hand, op by op: cross-entropy (softmax − onehot),
 * RMSNorm, SwiGLU, grouped-query attention (softmax backward), rotary positions (the transpose of
 * rotate_half is −rotate_half), the projections, and the embedding (a scatter-add; tied
 * embeddings add the lm_head gradient).
 *
 * Inputs: input_ids int64 [B, T]; targets int64 [B·T] (the next token; any valid id where the
 * weight is 0); weights [B·T] (each target's weight in the loss, already divided by the
 * normalizer); cos, sin [B, T, 1, hd]; bias [B, 1, rep·T, T]; the parameters.
 * Outputs: loss (Σ weight·nll, a scalar) and grad.<name> for every parameter.
 */
import { OnnxGraph } from './onnx';
import { type Ctx, linear, rope } from './onnxLlama';
import type { LlamaConfig } from './params';
import { headDim, parameterShapes } from './params';

/** What a normed value keeps for its backward pass. */
interface Normed {
  x: string;
  /** x · r (before the weight), and r = 1/√(mean(x²) + eps) [N, 1]. */
  xn: string;
  r: string;
  y: string;
  w: string;
}

function normFwd(g: OnnxGraph, x: string, w: string, eps: number): Normed {
  const ms = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const r = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [ms, g.scalar(eps)])])]);
  const xn = g.node('Mul', [x, r]);
  return { x, xn, r, y: g.node('Mul', [xn, w]), w };
}

/** RMSNorm backward: adds ∂w into grads; returns ∂x = r·(u − xn·mean(u·xn)), u = dy·w. */
function normBwd(g: OnnxGraph, n: Normed, dy: string, grads: Map<string, string>, name: string): string {
  grads.set(name, g.node('ReduceSum', [g.node('Mul', [dy, n.xn]), g.ints([0])], { keepdims: 0 }));
  const u = g.node('Mul', [dy, n.w]);
  const m = g.node('ReduceMean', [g.node('Mul', [u, n.xn])], { axes: [-1], keepdims: 1 });
  return g.node('Mul', [n.r, g.node('Sub', [u, g.node('Mul', [n.xn, m])])]);
}

/** Rotary backward: dx = dy·cos − rotate_half(dy·sin). @param dy [B, T, heads, hd] */
function ropeBwd(ctx: Ctx, dy: string): string {
  const { g, hd } = ctx;
  const half = hd / 2;
  const ds = g.node('Mul', [dy, ctx.sin]);
  const s1 = g.node('Slice', [ds, g.ints([0]), g.ints([half]), g.ints([3])]);
  const s2 = g.node('Slice', [ds, g.ints([half]), g.ints([hd]), g.ints([3])]);
  return g.node('Sub', [g.node('Mul', [dy, ctx.cos]), g.node('Concat', [g.node('Neg', [s2]), s1], { axis: 3 })]);
}

/** dW = dyᵀ·x for y = x·Wᵀ. */
function weightGrad(g: OnnxGraph, dy: string, x: string): string {
  return g.node('Gemm', [dy, x], { transA: 1 });
}

/** What one layer's forward keeps for its backward pass. */
interface LayerTape {
  l: number;
  n1: Normed;
  n2: Normed;
  qh: string;
  k: string;
  v: string;
  p: string;
  merged: string;
  gate: string;
  sig: string;
  up: string;
  act: string;
}

function layerFwd(ctx: Ctx, x: string, l: number): { x: string; tape: LayerTape } {
  const { g, c, hd } = ctx;
  const [H, Hkv] = [c.num_attention_heads, c.num_key_value_heads];
  const w = (s: string) => `model.layers.${l}.${s}`;
  const n1 = normFwd(g, x, w('input_layernorm.weight'), c.rms_norm_eps);
  const q = rope(ctx, g.node('Reshape', [linear(g, n1.y, w('self_attn.q_proj.weight')), ctx.shapeBTHhd]));
  const k = g.node('Transpose', [rope(ctx, g.node('Reshape', [linear(g, n1.y, w('self_attn.k_proj.weight')), ctx.shapeBTKhd]))], { perm: [0, 2, 1, 3] });
  const v = g.node('Transpose', [g.node('Reshape', [linear(g, n1.y, w('self_attn.v_proj.weight')), ctx.shapeBTKhd])], { perm: [0, 2, 1, 3] });
  const qh = g.node('Mul', [g.node('Reshape', [g.node('Transpose', [q], { perm: [0, 2, 1, 3] }), g.ints([0, Hkv, -1, hd])]), g.scalar(1 / Math.sqrt(hd))]);
  const s = g.node('Add', [g.node('MatMul', [qh, g.node('Transpose', [k], { perm: [0, 1, 3, 2] })]), ctx.bias]);
  const p = g.node('Softmax', [s], { axis: -1 });
  const o = g.node('MatMul', [p, v]);
  const merged = g.node('Reshape', [g.node('Transpose', [g.node('Reshape', [o, g.ints([0, H, -1, hd])])], { perm: [0, 2, 1, 3] }), g.ints([-1, H * hd])]);
  const xa = g.node('Add', [x, linear(g, merged, w('self_attn.o_proj.weight'))]);
  const n2 = normFwd(g, xa, w('post_attention_layernorm.weight'), c.rms_norm_eps);
  const gate = linear(g, n2.y, w('mlp.gate_proj.weight'));
  const sig = g.node('Sigmoid', [gate]);
  const up = linear(g, n2.y, w('mlp.up_proj.weight'));
  const act = g.node('Mul', [g.node('Mul', [gate, sig]), up]);
  const out = g.node('Add', [xa, linear(g, act, w('mlp.down_proj.weight'))]);
  return { x: out, tape: { l, n1, n2, qh, k, v, p, merged, gate, sig, up, act } };
}

/** The MLP half of a layer's backward: ∂ of xa given ∂ of the layer's output. */
function mlpBwd(ctx: Ctx, t: LayerTape, dout: string, grads: Map<string, string>): string {
  const { g } = ctx;
  const w = (s: string) => `model.layers.${t.l}.${s}`;
  grads.set(w('mlp.down_proj.weight'), weightGrad(g, dout, t.act));
  const dact = g.node('MatMul', [dout, w('mlp.down_proj.weight')]);
  const dup = g.node('Mul', [dact, g.node('Mul', [t.gate, t.sig])]);
  // d silu(x)/dx = s·(1 + x·(1 − s))
  const dsilu = g.node('Mul', [t.sig, g.node('Add', [g.scalar(1), g.node('Mul', [t.gate, g.node('Sub', [g.scalar(1), t.sig])])])]);
  const dgate = g.node('Mul', [g.node('Mul', [dact, t.up]), dsilu]);
  grads.set(w('mlp.up_proj.weight'), weightGrad(g, dup, t.n2.y));
  grads.set(w('mlp.gate_proj.weight'), weightGrad(g, dgate, t.n2.y));
  const dhm = g.node('Add', [g.node('MatMul', [dup, w('mlp.up_proj.weight')]), g.node('MatMul', [dgate, w('mlp.gate_proj.weight')])]);
  return g.node('Add', [dout, normBwd(g, t.n2, dhm, grads, w('post_attention_layernorm.weight'))]);
}

/** The attention half of a layer's backward: ∂ of the layer's input given ∂ of xa. */
function attentionBwd(ctx: Ctx, t: LayerTape, dxa: string, grads: Map<string, string>): string {
  const { g, c, hd } = ctx;
  const [H, Hkv] = [c.num_attention_heads, c.num_key_value_heads];
  const w = (s: string) => `model.layers.${t.l}.${s}`;
  grads.set(w('self_attn.o_proj.weight'), weightGrad(g, dxa, t.merged));
  const dmerged = g.node('MatMul', [dxa, w('self_attn.o_proj.weight')]);
  const dO = g.node('Reshape', [g.node('Transpose', [g.node('Reshape', [dmerged, ctx.shapeBTHhd])], { perm: [0, 2, 1, 3] }), g.ints([0, Hkv, -1, hd])]);
  const dP = g.node('MatMul', [dO, g.node('Transpose', [t.v], { perm: [0, 1, 3, 2] })]);
  const dv = g.node('MatMul', [g.node('Transpose', [t.p], { perm: [0, 1, 3, 2] }), dO]); // [B, Hkv, T, hd]
  const dS = g.node('Mul', [t.p, g.node('Sub', [dP, g.node('ReduceSum', [g.node('Mul', [dP, t.p]), g.ints([-1])], { keepdims: 1 })])]);
  const dqh = g.node('Mul', [g.node('MatMul', [dS, t.k]), g.scalar(1 / Math.sqrt(hd))]);
  const dk = g.node('MatMul', [g.node('Transpose', [dS], { perm: [0, 1, 3, 2] }), t.qh]);
  const dq = g.node('Transpose', [g.node('Reshape', [dqh, g.ints([0, H, -1, hd])])], { perm: [0, 2, 1, 3] }); // [B, T, H, hd]
  const dq0 = g.node('Reshape', [ropeBwd(ctx, dq), g.ints([-1, H * hd])]);
  const dk0 = g.node('Reshape', [ropeBwd(ctx, g.node('Transpose', [dk], { perm: [0, 2, 1, 3] })), g.ints([-1, Hkv * hd])]);
  const dv0 = g.node('Reshape', [g.node('Transpose', [dv], { perm: [0, 2, 1, 3] }), g.ints([-1, Hkv * hd])]);
  const hn = t.n1.y;
  grads.set(w('self_attn.q_proj.weight'), weightGrad(g, dq0, hn));
  grads.set(w('self_attn.k_proj.weight'), weightGrad(g, dk0, hn));
  grads.set(w('self_attn.v_proj.weight'), weightGrad(g, dv0, hn));
  const dhn = g.node('Add', [g.node('Add', [g.node('MatMul', [dq0, w('self_attn.q_proj.weight')]), g.node('MatMul', [dk0, w('self_attn.k_proj.weight')])]), g.node('MatMul', [dv0, w('self_attn.v_proj.weight')])]);
  return g.node('Add', [dxa, normBwd(g, t.n1, dhn, grads, w('input_layernorm.weight'))]);
}

/** The loss head: Σ weight·nll, and ∂ of the final hidden states; adds the head's weight gradient. */
function lossHead(g: OnnxGraph, c: LlamaConfig, h: string, grads: Map<string, string>): { loss: string; dh: string; dHead: string } {
  const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const targets = g.input('targets', 'int64', ['N']);
  const weights = g.input('weights', 'float', ['N']);
  const lsm = g.node('LogSoftmax', [linear(g, h, head)], { axis: -1 }); // [N, V]
  const picked = g.node('GatherElements', [lsm, g.node('Unsqueeze', [targets, g.ints([1])])], { axis: 1 }); // [N, 1]
  const w2 = g.node('Unsqueeze', [weights, g.ints([1])]);
  const loss = g.node('Neg', [g.node('ReduceSum', [g.node('Mul', [picked, w2])], { keepdims: 0 })]);
  // softmax − onehot: −1 added at each row's target (a scatter, not an [N, V] one-hot).
  const minusOne = g.node('Expand', [g.scalar(-1), g.node('Shape', [picked])]);
  const shifted = g.node('ScatterElements', [g.node('Exp', [lsm]), g.node('Unsqueeze', [targets, g.ints([1])]), minusOne], { axis: 1, reduction: { s: 'add' } });
  const dlogits = g.node('Mul', [shifted, w2]);
  const dHead = weightGrad(g, dlogits, h);
  if (!c.tie_word_embeddings) grads.set('lm_head.weight', dHead);
  return { loss, dh: g.node('MatMul', [dlogits, head]), dHead };
}

/** Builds the gradient graph; returns the serialized model. */
export function llamaTrainOnnx(c: LlamaConfig): Uint8Array {
  const g = new OnnxGraph('fleming-llama-train');
  const hd = headDim(c);
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const cos = g.input('cos', 'float', ['B', 'T', 1, hd]);
  const sin = g.input('sin', 'float', ['B', 'T', 1, hd]);
  const bias = g.input('bias', 'float', ['B', 1, 'RT', 'T']);
  for (const [name, shape] of parameterShapes(c)) g.input(name, 'float', shape);
  const bt = g.node('Shape', [ids]);
  const ctx: Ctx = { g, c, hd, cos, sin, bias, shapeBTHhd: g.node('Concat', [bt, g.ints([c.num_attention_heads, hd])], { axis: 0 }), shapeBTKhd: g.node('Concat', [bt, g.ints([c.num_key_value_heads, hd])], { axis: 0 }) };
  const flatIds = g.node('Reshape', [ids, g.ints([-1, 1])]); // [N, 1]
  let x = g.node('Gather', ['model.embed_tokens.weight', g.node('Reshape', [ids, g.ints([-1])])], { axis: 0 }); // [N, d]
  const tapes: LayerTape[] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const r = layerFwd(ctx, x, l);
    tapes.push(r.tape);
    x = r.x;
  }
  const nf = normFwd(g, x, 'model.norm.weight', c.rms_norm_eps);
  const grads = new Map<string, string>();
  const head = lossHead(g, c, nf.y, grads);
  let dx = normBwd(g, nf, head.dh, grads, 'model.norm.weight');
  for (const t of tapes.reverse()) dx = attentionBwd(ctx, t, mlpBwd(ctx, t, dx, grads), grads);
  const zeros = g.node('Expand', [g.scalar(0), g.ints([c.vocab_size, c.hidden_size])]);
  const dEmb = g.node('ScatterND', [zeros, flatIds, dx], { reduction: { s: 'add' } });
  grads.set('model.embed_tokens.weight', c.tie_word_embeddings ? g.node('Add', [dEmb, head.dHead]) : dEmb);
  g.output(head.loss, 'loss', 'float', []);
  for (const [name, shape] of parameterShapes(c)) g.output(grads.get(name) as string, `grad.${name}`, 'float', shape);
  return g.toModel();
}
