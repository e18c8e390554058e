/** Shared helpers for the model tests: backend switching and array comparison. */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/model/backend';

/** Makes `name` the active backend (wasm gets the workbench kernels through selectBackend). */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  const choice = await selectBackend(name);
  if (choice.name !== name) throw new Error(`backend ${name} unavailable: ${choice.reason}`);
}

/** Largest |a − b| / (|b| + floor) over two arrays of equal length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + floor));
  return m;
}

/** Values of a tensor as a plain Float32Array copy. */
export function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** max |a − b| / max |b|: error relative to the array's scale (for sums with cancellation). */
export function scaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / (s || 1);
}
