import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { registerWasmKernels } from '../../src/model/kernels';
import { maxRelDiff, scaledDiff, useBackend } from './helpers';

/** Runs `f` on cpu and on wasm with the same inputs (plain arrays) and returns both results. */
async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shapes: number[][] }> {
  await useBackend('cpu');
  const c = tf.tidy(f);
  const cpu = Float32Array.from(c.dataSync());
  const cs = c.shape;
  c.dispose();
  await useBackend('wasm');
  const w = tf.tidy(f);
  const wasm = Float32Array.from(w.dataSync());
  const ws = w.shape;
  w.dispose();
  return { cpu, wasm, shapes: [cs, ws] };
}

function randn(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.normal());
}

describe('registerWasmKernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('registerWasmKernels() is idempotent and reports what is already there', () => {
    const again = registerWasmKernels();
    expect(again.registered).toEqual([]);
    expect(again.skipped.join(' ')).toMatch(/BatchMatMul: already registered/);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  // Tolerance: float32 matmuls summed in a different order, relative 1e-4 (floor 1e-3).
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['2-D transposeB (x·Wᵀ)', [33, 17], [9, 17], false, true],
    ['2-D transposeA (dyᵀ·x)', [17, 33], [17, 9], true, false],
    ['2-D both transposed', [17, 33], [9, 17], true, true],
    ['batched 3-D', [5, 12, 8], [5, 8, 11], false, false],
    ['batched 4-D transposeB (q·kᵀ)', [2, 3, 16, 8], [2, 3, 20, 8], false, true],
    ['batched 4-D transposeA (pᵀ·dy)', [2, 3, 20, 16], [2, 3, 20, 8], true, false],
    ['batch against one b (broadcast)', [4, 10, 8], [8, 6], false, false],
    ['batch against one b, transposeA', [4, 8, 10], [8, 6], true, false],
    ['one a against a batch of b', [10, 8], [3, 8, 6], false, false],
    ['tiny batched (original kernel)', [3, 2, 2], [3, 2, 2], false, true],
  ];
  for (const [name, sa, sb, ta, tb] of cases) {
    it(`BatchMatMul ${name} matches the cpu backend (rel 1e-4)`, async () => {
      const rng = new Rng(name);
      const a = randn(rng, sa.reduce((x, y) => x * y, 1));
      const b = randn(rng, sb.reduce((x, y) => x * y, 1));
      const r = await onBoth(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expect(maxRelDiff(r.wasm, r.cpu)).toBeLessThan(1e-4);
    });
  }

  it('BatchMatMul gradients (transposed products) match the cpu backend (1e-5 of the largest entry)', async () => {
    const rng = new Rng('grad');
    const x = randn(rng, 24 * 16);
    const w = randn(rng, 12 * 16);
    const f = () => {
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D, false, true))));
      const [gx, gw] = g([tf.tensor2d(x, [24, 16]), tf.tensor2d(w, [12, 16])]);
      return tf.concat([tf.reshape(gx, [-1]), tf.reshape(gw, [-1])]);
    };
    const r = await onBoth(f);
    expect(scaledDiff(r.wasm, r.cpu)).toBeLessThan(1e-5);
  });

  it('UnsortedSegmentSum matches the cpu backend exactly, ids out of range dropped', async () => {
    const rng = new Rng('seg');
    const x = randn(rng, 7 * 3);
    const ids = [0, 2, 2, 4, -1, 0, 9];
    const r = await onBoth(() => tf.unsortedSegmentSum(tf.tensor2d(x, [7, 3]), tf.tensor1d(ids, 'int32'), 5));
    expect(r.shapes[1]).toEqual([5, 3]);
    expect(maxRelDiff(r.wasm, r.cpu, 1e-6)).toBeLessThan(1e-6);
  });

  it('UnsortedSegmentSum makes the gradient of tf.gather work on wasm (equal to cpu)', async () => {
    const rng = new Rng('gather');
    const table = randn(rng, 6 * 4);
    const idx = [1, 3, 1, 5, 0];
    const f = () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d(idx, 'int32')))))(tf.tensor2d(table, [6, 4]));
    const r = await onBoth(f);
    expect(maxRelDiff(r.wasm, r.cpu, 1e-6)).toBeLessThan(1e-6);
    expect(r.wasm.slice(8, 12).every((v) => v === 0)).toBe(true); // row 2 never gathered
  });

  it('OneHot with dtype float32 gives 1/0 like cpu (the wasm kernel wrote int bits)', async () => {
    const r = await onBoth(() => tf.oneHot(tf.tensor1d([1, 3, 0], 'int32'), 4, 1, 0, 'float32'));
    expect(Array.from(r.wasm)).toEqual(Array.from(r.cpu));
    expect(Array.from(r.wasm.slice(0, 4))).toEqual([0, 1, 0, 0]);
  });

  it('Identity and same-dtype Cast share memory safely: the copy outlives the original', async () => {
    await useBackend('wasm');
    const t = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(t);
    const k = tf.cast(t, 'float32');
    t.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(k.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(tf.cast(c, 'int32').dataSync())).toEqual([1, 2, 3]);
    tf.dispose([c, k]);
  });
});
