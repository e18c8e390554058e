/**
 * Code that reads tensors back, written once for both kinds of backend. A generator yields each
 * tensor whose values it needs and is resumed with them: `runSync` answers with dataSync (wasm,
 * cpu, tensorflow), `runAsync` with `await data()` (webgpu, where synchronous reads are
 * unavailable), `runReads` picks by backend. Generators compose with `yield*`, so a training loop
 * that calls a training step that reads its loss stays one function.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the active backend can read tensors synchronously (dataSync/arraySync). Not on webgpu
 * in Node: there, use the async forms (trainStepAsync, generateAsync, …).
 */
export function syncReadsAvailable(): boolean {
  return tf.getBackend() !== 'webgpu';
}

export type Values = Float32Array | Int32Array | Uint8Array;
/** A computation that reads tensors back on its way to a T. */
export type Reads<T> = Generator<tf.Tensor, T, Values>;

/** The values of `t` (not disposed). */
export function* peek(t: tf.Tensor): Reads<Values> {
  return yield t;
}

/** The values of `t`, which is disposed afterwards (also when reading fails). */
export function* take(t: tf.Tensor): Reads<Values> {
  try {
    return yield t;
  } finally {
    t.dispose();
  }
}

/**
 * Drives `g` with synchronous reads.
 * @param what name for the error on a backend without synchronous reads (suggests `${what}Async`)
 */
export function runSync<T>(g: Reads<T>, what: string): T {
  if (!syncReadsAvailable()) {
    g.return(undefined as T); // runs the generator's finally blocks (nothing has started yet)
    throw new Error(`${what}: synchronous reads are unavailable on the ${tf.getBackend()} backend; use ${what}Async`);
  }
  let r = g.next();
  while (!r.done) {
    let v: Values;
    try {
      v = (r.value as tf.Tensor).dataSync() as Values; // (cast: tslab's TypeScript 5.0 does not narrow IteratorResult here)
    } catch (e) {
      g.throw(e); // lets the generator free what it holds, then rethrows
      throw e;
    }
    r = g.next(v);
  }
  return r.value as T;
}

/** Drives `g` with `await data()`. */
export async function runAsync<T>(g: Reads<T>): Promise<T> {
  let r = g.next();
  while (!r.done) {
    let v: Values;
    try {
      v = (await (r.value as tf.Tensor).data()) as Values;
    } catch (e) {
      g.throw(e);
      throw e;
    }
    r = g.next(v);
  }
  return r.value as T;
}

/** runSync where the backend reads synchronously, else runAsync; await the result either way. */
export function runReads<T>(g: Reads<T>, what: string): T | Promise<T> {
  return syncReadsAvailable() ? runSync(g, what) : runAsync(g);
}
