/**
 * Data-parallel gradients on worker threads (opt-in: the run config's `trainWorkers`, or
 * $FLEMING_TRAIN_WORKERS; default 1 = the single-threaded path, unchanged). With N workers a
 * step's micro-batches (or, for a single batch, its rows) are split into N contiguous shares: the
 * main thread computes the first, N − 1 worker threads (src/model/gradWorker.ts, each with its own
 * TensorFlow.js backend and a copy of the policy fed the current weights) the others, and the
 * gradients are summed in share order. Deterministic, but summed in another order than one
 * thread sums them, so float rounding differs from trainWorkers 1.
 */
import * as path from 'node:path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { syncReadsAvailable } from './reads';
import type { GradReply, GradRequest } from './gradWorker';
import { Batch, Llama, LlamaConfig } from './llama';
import { accumulateLossGradients } from './gradients';

let workers = 1;

/** Sets the number of gradient workers (1 = off); throws on a bad count. */
export function selectWorkers(n: number = Number(process.env.FLEMING_TRAIN_WORKERS || 1)): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`trainWorkers must be a positive integer, got ${n}`);
  workers = n;
  return n;
}

/** Runs `f` with `n` gradient workers, then restores the previous count (benchmarks). */
export async function withWorkers<T>(n: number, f: () => Promise<T> | T): Promise<T> {
  const prev = workers;
  selectWorkers(n);
  try {
    return await f();
  } finally {
    selectWorkers(prev);
  }
}

/** The current worker count. */
export function trainWorkers(): number {
  return workers;
}

/** Rows [from, to) of a batch, masks included. */
function rows(b: Batch, from: number, to: number): Batch {
  return { inputIds: b.inputIds.slice(from, to), attentionMask: b.attentionMask?.slice(from, to), lossMask: b.lossMask?.slice(from, to) };
}

/** Splits micro-batches into n contiguous shares (a single batch by rows); fewer when there is too little to split. */
export function shares(micro: Batch[], n: number): Batch[][] {
  if (micro.length >= n) return Array.from({ length: n }, (_, i) => micro.slice(Math.floor((i * micro.length) / n), Math.floor(((i + 1) * micro.length) / n)));
  const all = micro.flatMap((b) => {
    const B = b.inputIds.length;
    const k = Math.min(B, Math.ceil(n / micro.length));
    return Array.from({ length: k }, (_, i) => rows(b, Math.floor((i * B) / k), Math.floor(((i + 1) * B) / k)));
  });
  return all.length > n ? shares(all, n) : all.map((b) => [b]);
}

interface Handle {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

/** A pool of gradient workers for one model shape; the first use starts them. */
export class GradientPool {
  private readonly handles: Handle[] = [];
  private seq = 0;

  constructor(
    readonly config: LlamaConfig,
    readonly size: number,
  ) {
    const boot = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(path.join(__dirname, 'gradWorker.ts'))});`;
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(boot, { eval: true, workerData: { kind: 'fleming-grad', config, backend: tf.getBackend(), port: port2, flag }, transferList: [port2] });
      worker.unref();
      this.handles.push({ worker, port: port1, flag });
    }
  }

  /**
   * Σ of the shares' losses and gradients: share 0 on this thread, the rest on the workers.
   * @returns tensors the caller disposes
   */
  gradients(model: Llama, parts: Batch[][], normalizer: number): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
    if (parts.length - 1 > this.handles.length) throw new Error(`GradientPool: ${parts.length - 1} shares for ${this.handles.length} workers`);
    const names = [...model.params.keys()];
    const weights = names.map((n) => model.param(n).dataSync() as Float32Array);
    const seq = ++this.seq;
    parts.slice(1).forEach((micro, i) => this.handles[i].port.postMessage({ seq, weights, micro, normalizer } satisfies GradRequest));
    const own = accumulateLossGradients(
      model,
      parts[0].map((mb) => () => model.loss(mb, { normalizer })),
    );
    let replies: GradReply[];
    try {
      replies = parts.slice(1).map((_, i) => this.wait(this.handles[i], seq));
    } catch (e) {
      tf.dispose([own.loss, ...own.grads.values()]);
      throw e;
    }
    let loss = own.loss;
    const grads = own.grads;
    for (const r of replies) {
      const l = tf.tidy(() => tf.add(loss, tf.scalar(r.loss as number)) as tf.Scalar);
      loss.dispose();
      loss = l;
      names.forEach((n, i) => {
        const prev = grads.get(n) as tf.Tensor;
        grads.set(n, tf.tidy(() => tf.add(prev, tf.tensor((r.grads as Float32Array[])[i], prev.shape))));
        prev.dispose();
      });
    }
    return { loss, grads };
  }

  /** Blocks until the worker answered `seq` (or 10 minutes passed). */
  private wait(h: Handle, seq: number): GradReply {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const got = receiveMessageOnPort(h.port);
      if (got) {
        const r = got.message as GradReply;
        if (r.error) throw new Error(`gradient worker: ${r.error}`);
        if (r.seq === seq) return r;
        continue;
      }
      if (Date.now() > deadline) throw new Error('gradient worker: no answer in 10 minutes');
      Atomics.wait(h.flag, 0, Atomics.load(h.flag, 0), 1000);
    }
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
    this.handles.length = 0;
  }
}

let pool: GradientPool | undefined;

/**
 * accumulateGradients with trainWorkers > 1: the gradient of Σ micro-batch losses (each divided by
 * `normalizer`) computed data-parallel; the pool is kept for the next step of the same model shape.
 */
export function parallelGradients(model: Llama, micro: Batch[], normalizer: number): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  if (!syncReadsAvailable()) throw new Error(`trainWorkers > 1 reads the weights synchronously; the ${tf.getBackend()} backend cannot`);
  if (!pool || pool.size !== workers - 1 || JSON.stringify(pool.config) !== JSON.stringify(model.config)) {
    void pool?.dispose();
    pool = new GradientPool(model.config, workers - 1);
  }
  return pool.gradients(model, shares(micro, workers), normalizer);
}

/** Stops the pool's workers (tests, or before a process exits on its own). */
export async function stopWorkers(): Promise<void> {
  await pool?.dispose();
  pool = undefined;
}
