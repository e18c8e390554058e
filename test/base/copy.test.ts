import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { copyNllSums, copyProbe, copyProbeReads } from '../../src/base/copy';
import { Llama } from '../../src/model/llama';
import { runAsync } from '../../src/model/reads';
import { useBackend } from '../model/helpers';

const tiny = () => new Llama({ vocab_size: 64, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64 }, 5);

describe('copy probe', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('copyNllSums takes x₂ … x_L of each copy: t = 1 … L−1 and t = L+1 … 2L−1', () => {
    // rows of 2L = 6 values for L = 3: t = 0 (x₁ from bos), 1, 2 (first copy), 3 (x₁ again), 4, 5 (second copy)
    const nll = [100, 1, 2, 1000, 10, 20, 100, 3, 4, 1000, 30, 40];
    expect(copyNllSums(nll, 2, 3)).toEqual({ first: 1 + 2 + 3 + 4, second: 10 + 20 + 30 + 40, n: 4 });
    expect(() => copyNllSums(nll, 3, 3)).toThrow(/expected 3×6 values, got 12/);
  });

  it('averages Llama.tokenNll over those positions, deterministically, without leaking tensors', () => {
    const model = tiny();
    const bos = 1;
    const n0 = tf.memory().numTensors;
    const got = copyProbe(model, bos, new Rng('p'), { sequences: 5, length: 4, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(n0);
    // the same rows drawn by hand
    const rng = new Rng('p');
    const rows = Array.from({ length: 5 }, () => {
      const xs = Array.from({ length: 4 }, () => 9 + rng.int(64 - 9));
      return [bos, ...xs, ...xs];
    });
    const nll = tf.tidy(() => model.tokenNll(rows)).arraySync() as number[][];
    const first = nll.flatMap((r) => [r[1], r[2], r[3]]);
    const second = nll.flatMap((r) => [r[5], r[6], r[7]]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(got.firstCopyNll).toBeCloseTo(mean(first), 3);
    expect(got.secondCopyNll).toBeCloseTo(mean(second), 3);
    expect(got.gain).toBeCloseTo(mean(first) - mean(second), 3);
    expect(got.uniformNll).toBeCloseTo(Math.log(55), 3);
    expect(got).toMatchObject({ sequences: 5, length: 4 });
    // an untrained model cannot copy: both copies cost about a uniform guess over the vocabulary
    expect(Math.abs(got.gain)).toBeLessThan(0.5);
    expect(copyProbe(model, bos, new Rng('p'), { sequences: 5, length: 4, batchSize: 3 })).toEqual(got);
    model.dispose();
  });

  it('reads the same with await data() and rejects probes the model cannot hold', async () => {
    const model = tiny();
    const opts = { sequences: 4, length: 5 };
    expect(await runAsync(copyProbeReads(model, 1, new Rng('q'), opts))).toEqual(copyProbe(model, 1, new Rng('q'), opts));
    expect(() => copyProbe(model, 1, new Rng('q'), { length: 40 })).toThrow(/2·length \+ 1 = 81 exceeds the model's context of 64/);
    expect(() => copyProbe(model, 1, new Rng('q'), { length: 1 })).toThrow(/need length ≥ 2/);
    model.dispose();
  });
});
