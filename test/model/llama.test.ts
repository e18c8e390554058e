import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Llama, LlamaConfig, positionIds } from '../../src/model/llama';
import { parameterShapes } from '../../src/model/params';
import { maxRelDiff, scaledDiff, useBackend, values } from './helpers';

const tiny: Partial<LlamaConfig> & { vocab_size: number } = {
  vocab_size: 13,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
  initializer_range: 0.4,
};

/**
 * A plain-JS Llama forward written from the HF modeling code (float64, one unpadded sequence):
 * RMSNorm, x·Wᵀ, rotate_half over the two halves, repeat_kv, causal softmax, SwiGLU.
 */
function referenceLogits(m: Llama, ids: number[]): number[][] {
  const c = m.config;
  const P = (n: string) => ({ v: Array.from(m.param(n).dataSync()), s: m.param(n).shape });
  const d = c.hidden_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = d / H;
  const T = ids.length;
  const linear = (x: number[], w: { v: number[]; s: number[] }) => {
    const [o, i] = w.s;
    return Array.from({ length: o }, (_, r) => x.reduce((acc, xv, k) => acc + xv * w.v[r * i + k], 0));
  };
  const norm = (x: number[], w: number[]) => {
    const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
    return x.map((v, i) => (v / Math.sqrt(ms + c.rms_norm_eps)) * w[i]);
  };
  const ropeVec = (x: number[], pos: number) => {
    const half = hd / 2;
    const out = x.slice();
    for (let h = 0; h < x.length / hd; h++)
      for (let i = 0; i < hd; i++) {
        const f = 1 / Math.pow(c.rope_theta, (2 * (i % half)) / hd);
        const rot = i < half ? -x[h * hd + i + half] : x[h * hd + i - half];
        out[h * hd + i] = x[h * hd + i] * Math.cos(pos * f) + rot * Math.sin(pos * f);
      }
    return out;
  };
  const E = P('model.embed_tokens.weight');
  let xs = ids.map((id) => E.v.slice(id * d, (id + 1) * d));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const hn = xs.map((x) => norm(x, P(`${p}input_layernorm.weight`).v));
    const q = hn.map((h, t) => ropeVec(linear(h, P(`${p}self_attn.q_proj.weight`)), t));
    const k = hn.map((h, t) => ropeVec(linear(h, P(`${p}self_attn.k_proj.weight`)), t));
    const v = hn.map((h) => linear(h, P(`${p}self_attn.v_proj.weight`)));
    const att = xs.map((_, t) => {
      const out = new Array<number>(d).fill(0);
      for (let h = 0; h < H; h++) {
        const kvh = Math.floor(h / (H / Hkv));
        const sc: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += q[t][h * hd + i] * k[s][kvh * hd + i];
          sc.push(dot / Math.sqrt(hd));
        }
        const mx = Math.max(...sc);
        const e = sc.map((z) => Math.exp(z - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let i = 0; i < hd; i++) out[h * hd + i] += (e[s] / z) * v[s][kvh * hd + i];
      }
      return out;
    });
    xs = xs.map((x, t) => {
      const a = linear(att[t], P(`${p}self_attn.o_proj.weight`));
      const x1 = x.map((xv, i) => xv + a[i]);
      const hm = norm(x1, P(`${p}post_attention_layernorm.weight`).v);
      const g = linear(hm, P(`${p}mlp.gate_proj.weight`));
      const u = linear(hm, P(`${p}mlp.up_proj.weight`));
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
      const dn = linear(act, P(`${p}mlp.down_proj.weight`));
      return x1.map((xv, i) => xv + dn[i]);
    });
  }
  const W = P(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  return xs.map((x) => linear(norm(x, P('model.norm.weight').v), W));
}

describe('Llama', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('parameterShapes(config) uses HF names and [out, in] shapes', () => {
    const shapes = new Map(parameterShapes({ ...(tiny as LlamaConfig) }));
    expect(shapes.get('model.embed_tokens.weight')).toEqual([13, 8]);
    expect(shapes.get('model.layers.1.self_attn.q_proj.weight')).toEqual([8, 8]);
    expect(shapes.get('model.layers.1.self_attn.k_proj.weight')).toEqual([4, 8]); // 2 kv heads × 2
    expect(shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([8, 12]);
    expect(shapes.get('model.layers.0.mlp.gate_proj.weight')).toEqual([12, 8]);
    expect(shapes.get('lm_head.weight')).toEqual([13, 8]);
    expect(shapes.has('model.norm.weight')).toBe(true);
    expect(shapes.size).toBe(1 + 2 * 9 + 2);
  });

  it('new Llama(config, seed) is deterministic in the seed and ties lm_head when asked', () => {
    const a = new Llama(tiny, 7);
    const b = new Llama(tiny, 7);
    const c = new Llama({ ...tiny, tie_word_embeddings: true }, 7);
    expect(Array.from(a.param('model.layers.0.self_attn.q_proj.weight').dataSync())).toEqual(Array.from(b.param('model.layers.0.self_attn.q_proj.weight').dataSync()));
    expect(c.params.has('lm_head.weight')).toBe(false);
    expect(c.lmHead()).toBe(c.param('model.embed_tokens.weight'));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('forward() matches a plain-JS HF Llama reference (rotate_half, GQA, SwiGLU) to 1e-4', () => {
    const m = new Llama(tiny, 3);
    const ids = [1, 5, 2, 12, 7, 7, 0];
    const ref = referenceLogits(m, ids);
    const got = m.forward([ids]);
    expect(got.shape).toEqual([1, 7, 13]);
    expect(scaledDiff(values(got), ref.flat())).toBeLessThan(1e-4);
    got.dispose();
    m.dispose();
  });

  it('forward() is causal: changing a later token leaves earlier logits unchanged', () => {
    const m = new Llama(tiny, 4);
    const a = values(m.forward([[1, 2, 3, 4, 5]]));
    const b = values(m.forward([[1, 2, 3, 9, 5]]));
    expect(Array.from(a.slice(0, 3 * 13))).toEqual(Array.from(b.slice(0, 3 * 13)));
    expect(maxRelDiff(a.slice(3 * 13), b.slice(3 * 13))).toBeGreaterThan(1e-3);
    m.dispose();
  });

  it('forward(ids, mask) with left padding gives the unpadded logits at real positions', () => {
    const m = new Llama(tiny, 5);
    const plain = values(m.forward([[4, 3, 2]]));
    const padded = values(m.forward([[0, 0, 4, 3, 2], [1, 2, 3, 4, 5]], [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]));
    expect(positionIds([[0, 0, 1, 1, 1]])).toEqual([[0, 0, 0, 1, 2]]);
    expect(scaledDiff(padded.slice(2 * 13, 5 * 13), plain)).toBeLessThan(1e-5);
    m.dispose();
  });

  it('tokenLogProbs(ids, mask) is [batch, time−1] and equals log-softmax of forward at the next token', () => {
    const m = new Llama(tiny, 6);
    const ids = [[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]];
    const lp = m.tokenLogProbs(ids);
    expect(lp.shape).toEqual([2, 4]);
    const ref = tf.tidy(() => tf.logSoftmax(m.forward(ids)).arraySync() as number[][][]);
    const want = ids.flatMap((r, b) => r.slice(1).map((t, i) => ref[b][i][t]));
    expect(scaledDiff(values(lp), want)).toBeLessThan(1e-5);
    lp.dispose();
    m.dispose();
  });

  it('loss(batch) is the mean over lossMask·attentionMask targets only', () => {
    const m = new Llama(tiny, 8);
    const ids = [[3, 1, 4, 1, 5], [9, 2, 6, 0, 0]];
    const attn = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
    const lossMask = [[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]]; // prompt tokens excluded
    const nll = m.tokenLogProbs(ids, attn).arraySync();
    const want = -(nll[0][1] + nll[0][2] + nll[0][3] + nll[1][0] + nll[1][1]) / 5;
    const l = m.loss({ inputIds: ids, attentionMask: attn, lossMask });
    expect(l.dataSync()[0]).toBeCloseTo(want, 5);
    l.dispose();
    m.dispose();
  });

  it('loss gradients agree with central finite differences on cpu (float32, eps 1e-2, rel 3e-2)', () => {
    const m = new Llama(tiny, 9);
    const batch = { inputIds: [[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 0, 0]], attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]], lossMask: [[0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]] };
    const names = ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.self_attn.v_proj.weight', 'model.layers.1.mlp.gate_proj.weight', 'model.norm.weight', 'lm_head.weight'];
    const vars = names.map((n) => m.param(n));
    const { value, grads } = tf.variableGrads(() => m.loss(batch), vars);
    const f = () => tf.tidy(() => m.loss(batch).dataSync()[0]);
    const eps = 1e-2;
    let checked = 0;
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      // the two largest-|g| entries of each parameter
      const idx = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 2);
      for (const i of idx) {
        const orig = v.dataSync().slice();
        const bump = (delta: number) => {
          const w = orig.slice();
          w[i] += delta;
          tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        };
        bump(eps);
        const fp = f();
        bump(-eps);
        const fm = f();
        tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
        const num = (fp - fm) / (2 * eps);
        expect(Math.abs(num - g[i]), `${v.name}[${i}] analytic ${g[i]} numeric ${num}`).toBeLessThan(3e-2 * Math.abs(g[i]) + 1e-4);
        checked++;
      }
    }
    expect(checked).toBe(16);
    value.dispose();
    tf.dispose(Object.values(grads));
    m.dispose();
  });

  it('loss and gradients on wasm equal those on cpu (1e-4 of each gradient’s largest entry)', async () => {
    await useBackend('cpu');
    const cfg = { ...tiny, tie_word_embeddings: true };
    const batch = { inputIds: [[3, 1, 4, 1, 5, 9, 2], [0, 0, 2, 6, 5, 3, 5]], attentionMask: [[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]] };
    const run = () => {
      const m = new Llama(cfg, 11);
      const { value, grads } = tf.variableGrads(() => m.loss(batch), [...m.params.values()]);
      const out = { loss: value.dataSync()[0], grads: [...m.params].map(([n, v]) => [n, values(grads[v.name])] as [string, Float32Array]) };
      value.dispose();
      tf.dispose(Object.values(grads));
      m.dispose();
      return out;
    };
    const cpu = run();
    await useBackend('wasm');
    const wasm = run();
    await useBackend('cpu');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    cpu.grads.forEach(([n, g], i) => {
      expect(wasm.grads[i][0]).toBe(n);
      expect(scaledDiff(wasm.grads[i][1], g), n).toBeLessThan(1e-4);
    });
  });
});
