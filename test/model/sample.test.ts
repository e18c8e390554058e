import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Llama, LlamaConfig } from '../../src/model/llama';
import { generate, leftPad, sampleToken, defaults } from '../../src/model/sample';
import { useBackend } from './helpers';

const tiny: Partial<LlamaConfig> & { vocab_size: number } = {
  vocab_size: 17,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  initializer_range: 0.3,
};
const prompts = [[1, 2, 3], [4, 5, 6, 7, 8], [9]];

describe('generate', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('leftPad(prompts, pad) right-aligns prompts with a 0/1 mask', () => {
    expect(leftPad([[1, 2], [3]], 0)).toEqual({ ids: [[1, 2], [0, 3]], mask: [[1, 1], [0, 1]] });
  });

  it('sampleToken: greedy is argmax; topK 1 and a tiny topP also pick the argmax; logprob is raw log-softmax', () => {
    const logits = Float32Array.from([0.1, 2.0, -1, 1.9]);
    const lse = Math.log(logits.reduce((a, v) => a + Math.exp(v), 0));
    const g = sampleToken(logits, 0, 4, new Rng(1), { ...defaults, greedy: true });
    expect(g.token).toBe(1);
    expect(g.logprob).toBeCloseTo(2 - lse, 5);
    for (let s = 0; s < 20; s++) {
      expect(sampleToken(logits, 0, 4, new Rng(s), { ...defaults, topK: 1 }).token).toBe(1);
      expect(sampleToken(logits, 0, 4, new Rng(s), { ...defaults, topP: 0.01 }).token).toBe(1);
      expect([1, 3]).toContain(sampleToken(logits, 0, 4, new Rng(s), { ...defaults, topK: 2, temperature: 5 }).token);
    }
  });

  it('sampleToken(no cut) picks the tokens and log-probabilities of the plain sampler bit for bit, one exp pass per row', () => {
    // The sampler as it was written first: log Σ exp, then candidate weights, then the walk.
    const plain = (v: Float32Array, off: number, n: number, rng: Rng, temperature: number) => {
      let mx = -Infinity;
      for (let i = 0; i < n; i++) if (v[off + i] > mx) mx = v[off + i];
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.exp(v[off + i] - mx);
      const lse = mx + Math.log(s);
      const cand = Array.from({ length: n }, (_, i) => i);
      const w = cand.map((i) => Math.exp((v[off + i] - mx) / temperature));
      let u = rng.next() * w.reduce((a, b) => a + b, 0);
      let token = n - 1;
      for (let j = 0; j < n; j++) if ((u -= w[j]) < 0) { token = j; break; }
      return { token, logprob: v[off + token] - lse };
    };
    const data = new Rng('logits');
    const V = 300;
    const logits = Float32Array.from({ length: 8 * V }, () => data.normal() * 3);
    for (const temperature of [1, 0.7, 1.3]) {
      const [r1, r2] = [new Rng(`t${temperature}`), new Rng(`t${temperature}`)];
      for (let k = 0; k < 200; k++) {
        const off = (k % 8) * V;
        const fast = sampleToken(logits, off, V, r1, { ...defaults, temperature });
        expect({ token: fast.token, logprob: fast.logprob }).toEqual(plain(logits, off, V, r2, temperature));
      }
    }
  });

  it('sampleToken frequencies follow softmax(logits / temperature)', () => {
    const logits = Float32Array.from([0, Math.log(3)]); // p = 1/4, 3/4
    const rng = new Rng('freq');
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sampleToken(logits, 0, 2, rng, defaults).token;
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
  });

  it('generate() with and without the KV cache gives the same tokens (greedy)', () => {
    const m = new Llama(tiny, 1);
    const a = generate(m, prompts, new Rng(0), { greedy: true, maxNewTokens: 12 });
    const b = generate(m, prompts, new Rng(0), { greedy: true, maxNewTokens: 12, useCache: false });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens.every((t) => t.length === 12)).toBe(true);
    a.logprobs.flat().forEach((lp, i) => expect(lp).toBeCloseTo(b.logprobs.flat()[i], 4));
    m.dispose();
  });

  it('generate() with and without the KV cache gives the same tokens (sampling, same rng seed)', () => {
    const m = new Llama(tiny, 2);
    const o = { maxNewTokens: 10, temperature: 1.2, topK: 10, topP: 0.95 };
    const a = generate(m, prompts, new Rng('s'), o);
    const b = generate(m, prompts, new Rng('s'), { ...o, useCache: false });
    expect(a.tokens).toEqual(b.tokens);
    const c = generate(m, prompts, new Rng('other'), o);
    expect(c.tokens).not.toEqual(a.tokens);
    m.dispose();
  });

  it('generate() logprobs equal Llama.tokenLogProbs of the prompt + completion', () => {
    const m = new Llama(tiny, 3);
    const g = generate(m, [[5, 6, 7]], new Rng(4), { maxNewTokens: 6 });
    const ids = [[5, 6, 7, ...g.tokens[0]]];
    const lp = m.tokenLogProbs(ids).arraySync()[0].slice(2);
    lp.forEach((v, i) => expect(g.logprobs[0][i]).toBeCloseTo(v, 4));
    m.dispose();
  });

  it('generate() stops a row at a stop token (kept in the output) and reports finish reasons', () => {
    const m = new Llama(tiny, 1);
    const free = generate(m, prompts, new Rng(0), { greedy: true, maxNewTokens: 12 });
    const stopTok = free.tokens[0][3];
    const g = generate(m, prompts, new Rng(0), { greedy: true, maxNewTokens: 12, stopTokenIds: [stopTok] });
    const cut = free.tokens[0].indexOf(stopTok);
    expect(g.tokens[0]).toEqual(free.tokens[0].slice(0, cut + 1));
    expect(g.finishReasons[0]).toBe('stop');
    g.tokens.forEach((t, b) => expect(g.finishReasons[b]).toBe(t.includes(stopTok) ? 'stop' : 'length'));
    m.dispose();
  });

  it('generate() leaks no tensors and refuses to run past max_position_embeddings', () => {
    const m = new Llama(tiny, 5);
    generate(m, prompts, new Rng(1), { maxNewTokens: 4 });
    const n0 = tf.memory().numTensors;
    generate(m, prompts, new Rng(1), { maxNewTokens: 8 });
    generate(m, prompts, new Rng(1), { maxNewTokens: 8, useCache: false });
    expect(tf.memory().numTensors).toBe(n0);
    expect(() => generate(m, prompts, new Rng(1), { maxNewTokens: 60 })).toThrow(/exceeds max_position_embeddings 64/);
    m.dispose();
  });
});
