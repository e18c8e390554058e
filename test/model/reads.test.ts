import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Reads, peek, runAsync, runReads, runSync, take } from '../../src/model/reads';
import { useBackend } from './helpers';

/** Sums two read-back tensors; `fail` throws between the reads. */
function* twoReads(a: tf.Tensor, fail = false): Reads<number> {
  const x = yield* peek(a);
  if (fail) throw new Error('boom');
  const y = yield* take(tf.mul(a, 2));
  return x[0] + y[1];
}

describe('reads', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('runSync(g) and runAsync(g) resume the generator with each yielded tensor’s values', async () => {
    const a = tf.tensor1d([1, 2, 3]);
    expect(runSync(twoReads(a), 'twoReads')).toBe(5);
    expect(await runAsync(twoReads(a))).toBe(5);
    expect(await runReads(twoReads(a), 'twoReads')).toBe(5);
    a.dispose();
  });

  it('take(t) frees t, peek(t) does not; an error inside the generator propagates with nothing leaked', async () => {
    const a = tf.tensor1d([1, 2, 3]);
    const n = tf.memory().numTensors;
    runSync(twoReads(a), 'twoReads');
    expect(tf.memory().numTensors).toBe(n);
    expect(a.isDisposed).toBe(false);
    expect(() => runSync(twoReads(a, true), 'twoReads')).toThrow('boom');
    await expect(runAsync(twoReads(a, true))).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(n);
    a.dispose();
  });

  it('runSync(g) passes a read failure into the generator, whose finally blocks free what it holds', () => {
    let freed = false;
    function* g(): Reads<number> {
      try {
        const t = tf.scalar(1);
        t.dispose(); // reading a disposed tensor throws
        yield t;
        return 1;
      } finally {
        freed = true;
      }
    }
    expect(() => runSync(g(), 'g')).toThrow(/disposed/);
    expect(freed).toBe(true);
  });
});
