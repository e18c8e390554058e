import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Llama, LlamaConfig } from '../../src/model/llama';
import { AdamW, NonFiniteLossError, accumulateGradients, decays, defaults, learningRate, trainStep } from '../../src/model/train';
import { scaledDiff, useBackend, values } from './helpers';

const tiny: Partial<LlamaConfig> & { vocab_size: number } = {
  vocab_size: 11,
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  max_position_embeddings: 16,
};
const batch = { inputIds: [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]] };

describe('train', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('learningRate(c, step) warms up linearly, then follows a cosine to minLr', () => {
    const c = { ...defaults, lr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
    expect(learningRate(c, 0)).toBeCloseTo(0.1);
    expect(learningRate(c, 9)).toBeCloseTo(1);
    expect(learningRate(c, 10)).toBeCloseTo(1);
    expect(learningRate(c, 60)).toBeCloseTo(0.55); // half way: (1 + 0.1) / 2
    expect(learningRate(c, 110)).toBeCloseTo(0.1);
    expect(learningRate(c, 500)).toBeCloseTo(0.1);
  });

  it('decays(name, c) skips norms and embeddings unless decayAll', () => {
    expect(decays('model.layers.0.self_attn.q_proj.weight', defaults)).toBe(true);
    expect(decays('model.layers.0.input_layernorm.weight', defaults)).toBe(false);
    expect(decays('model.embed_tokens.weight', defaults)).toBe(false);
    expect(decays('model.norm.weight', { ...defaults, decayAll: true })).toBe(true);
  });

  it('trainStep applies one AdamW update exactly as the PyTorch formula says', () => {
    const m = new Llama(tiny, 1);
    const opt = new AdamW({ lr: 0.01, warmupSteps: 1, clipNorm: 0, weightDecay: 0.1 });
    const name = 'model.layers.0.mlp.up_proj.weight';
    const p0 = values(m.param(name));
    const { loss, grads } = accumulateGradients(m, [batch]);
    const g = values(grads.get(name) as tf.Tensor);
    tf.dispose([loss, ...grads.values()]);
    const r = trainStep(m, opt, batch);
    expect(r.lr).toBeCloseTo(0.01);
    const c = opt.config;
    // step 1: m = (1−β1)g, v = (1−β2)g², m̂ = g, v̂ = g², p ← p(1 − lr·wd) − lr·g/(|g| + eps)
    const want = Array.from(p0, (p, i) => p * (1 - 0.01 * 0.1) - (0.01 * g[i]) / (Math.abs(g[i]) + c.eps));
    expect(scaledDiff(values(m.param(name)), want)).toBeLessThan(1e-4); // float32 rounding of the update
    opt.dispose();
    m.dispose();
  });

  it('trainStep over micro-batches equals one step on the whole batch (gradient accumulation)', () => {
    const a = new Llama(tiny, 2);
    const b = new Llama(tiny, 2);
    const oa = new AdamW({ warmupSteps: 1 });
    const ob = new AdamW({ warmupSteps: 1 });
    const whole = { inputIds: [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [2, 2, 3, 3, 0, 0]], lossMask: [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]] };
    const micro = whole.inputIds.map((ids, i) => ({ inputIds: [ids], lossMask: [whole.lossMask[i]] }));
    const ra = trainStep(a, oa, whole);
    const rb = trainStep(b, ob, micro);
    expect(rb.tokens).toBe(ra.tokens);
    expect(rb.loss).toBeCloseTo(ra.loss, 5);
    expect(rb.gradNorm).toBeCloseTo(ra.gradNorm, 5);
    for (const [n, v] of a.params) expect(scaledDiff(values(b.param(n)), values(v)), n).toBeLessThan(1e-5);
    [oa, ob].forEach((o) => o.dispose());
    [a, b].forEach((m) => m.dispose());
  });

  it('trainStep lowers the loss when memorising one batch, and clips the global norm', () => {
    const m = new Llama(tiny, 3);
    const opt = new AdamW({ lr: 1e-2, warmupSteps: 2, totalSteps: 40, clipNorm: 0.5 });
    const first = trainStep(m, opt, batch);
    let last = first;
    for (let i = 0; i < 25; i++) last = trainStep(m, opt, batch);
    expect(last.loss).toBeLessThan(first.loss * 0.6);
    expect(opt.step).toBe(26);
    opt.dispose();
    m.dispose();
  });

  it('trainStep throws NonFiniteLossError on a NaN loss and leaves weights and moments untouched', () => {
    const m = new Llama(tiny, 4);
    const opt = new AdamW({ warmupSteps: 1 });
    trainStep(m, opt, batch);
    const before = [...m.params].map(([n, v]) => [n, values(v)] as const);
    const mBefore = values(opt.m.get('model.norm.weight') as tf.Variable);
    const w = m.param('model.layers.0.input_layernorm.weight');
    const saved = values(w);
    const broken = saved.slice();
    broken[0] = NaN;
    tf.tidy(() => w.assign(tf.tensor(broken, w.shape)));
    const n0 = tf.memory().numTensors;
    expect(() => trainStep(m, opt, batch)).toThrow(NonFiniteLossError);
    expect(() => trainStep(m, opt, batch)).toThrow(/non-finite training signal at step 1: loss=NaN/);
    expect(tf.memory().numTensors).toBe(n0);
    expect(opt.step).toBe(1);
    expect(Array.from(values(opt.m.get('model.norm.weight') as tf.Variable))).toEqual(Array.from(mBefore));
    for (const [n, v] of before) if (n !== 'model.layers.0.input_layernorm.weight') expect(Array.from(values(m.param(n)))).toEqual(Array.from(v));
    opt.dispose();
    m.dispose();
  });

  it('trainStep leaks no tensors (numTensors equal before and after, after a burn-in step)', () => {
    const m = new Llama(tiny, 5);
    const opt = new AdamW({ warmupSteps: 1 });
    trainStep(m, opt, [batch, batch]);
    const n0 = tf.memory().numTensors;
    trainStep(m, opt, [batch, batch]);
    trainStep(m, opt, batch);
    expect(tf.memory().numTensors).toBe(n0);
    opt.dispose();
    m.dispose();
  });
});
