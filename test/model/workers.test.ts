/**
 * Data-parallel gradients on worker threads (opt-in trainWorkers, src/model/workers.ts): the
 * split into shares, the steps against the single-threaded path, determinism, leaks, and a
 * worker's error reaching the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Batch, Llama, LlamaConfig } from '../../src/model/llama';
import { AdamW, StepResult, trainStep } from '../../src/model/train';
import { selectWorkers, shares, stopWorkers, trainWorkers } from '../../src/model/workers';
import { scaledDiff, useBackend, values } from './helpers';

const tiny: Partial<LlamaConfig> & { vocab_size: number } = { vocab_size: 40, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 };

function batch(rng: Rng, B = 6, T = 10): Batch {
  const inputIds = Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(40)));
  return { inputIds, attentionMask: inputIds.map((r, b) => r.map((_, t) => (b === 0 && t < 2 ? 0 : 1))), lossMask: inputIds.map((r) => r.map((_, t) => (t < 3 ? 0 : 1))) };
}

function run(workers: number): { r: StepResult[]; w: Float32Array[]; leaked: number } {
  selectWorkers(workers);
  const m = new Llama(tiny, 4);
  const opt = new AdamW({ lr: 1e-2, warmupSteps: 1 });
  const rng = new Rng('w');
  const r = [trainStep(m, opt, batch(rng))];
  const n0 = tf.memory().numTensors;
  r.push(trainStep(m, opt, batch(rng)), trainStep(m, opt, [batch(rng, 3), batch(rng, 3), batch(rng, 2)]));
  const leaked = tf.memory().numTensors - n0;
  const w = [...m.params.values()].map(values);
  opt.dispose();
  m.dispose();
  selectWorkers(1);
  return { r, w, leaked };
}

describe('workers', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(async () => {
    selectWorkers(1);
    await stopWorkers();
  });

  it('shares(micro, n) splits micro-batches into n contiguous groups, a single batch by rows', () => {
    const b = (n: number): Batch => ({ inputIds: Array.from({ length: n }, (_, i) => [i, i]) });
    expect(shares([b(1), b(1), b(1)], 2).map((s) => s.length)).toEqual([1, 2]);
    const rowsOf = (s: Batch[][]) => s.map((g) => g.map((x) => x.inputIds.map((r) => r[0])));
    expect(rowsOf(shares([b(5)], 2))).toEqual([[[0, 1]], [[2, 3, 4]]]);
    expect(rowsOf(shares([b(1)], 2))).toEqual([[[0]]]); // one row: nothing to split
    expect(() => selectWorkers(0)).toThrow(/positive integer/);
    expect(trainWorkers()).toBe(1);
  });

  it('trainStep with trainWorkers 2 follows the single-threaded steps (loss, grad norm, weights), deterministically, without leaks', () => {
    const one = run(1);
    const two = run(2);
    expect(two.leaked).toBe(0);
    two.r.forEach((s, i) => {
      expect(Math.abs(s.loss - one.r[i].loss) / one.r[i].loss).toBeLessThan(1e-5);
      expect(Math.abs(s.gradNorm - one.r[i].gradNorm) / one.r[i].gradNorm).toBeLessThan(1e-4);
      expect(s.tokens).toBe(one.r[i].tokens);
    });
    two.w.forEach((w, i) => expect(scaledDiff(w, one.w[i])).toBeLessThan(1e-4));
    const again = run(2);
    expect(again.r).toEqual(two.r);
  });

  it("a worker's error reaches trainStep with the worker's message", () => {
    selectWorkers(2);
    const m = new Llama(tiny, 5);
    const opt = new AdamW();
    const bad = { inputIds: [[1, 2, 3], [4, 5, 99]] }; // row 1 goes to the worker; 99 is outside the vocabulary
    trainStep(m, opt, { inputIds: [[1, 2, 3], [4, 5, 6]] }); // moments created
    const n0 = tf.memory().numTensors;
    expect(() => trainStep(m, opt, bad)).toThrow(/gradient worker: .*token id 99/);
    expect(tf.memory().numTensors).toBe(n0);
    selectWorkers(1);
    opt.dispose();
    m.dispose();
  });
});
