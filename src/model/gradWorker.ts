/**
 * The worker side of data-parallel gradients (src/model/workers.ts): a worker thread with its own
 * TensorFlow.js backend and its own copy of the policy. For each request it takes the current
 * weights, computes the gradient of its share of the micro-batches (each loss already divided by
 * the whole step's normalizer), and answers on its port, then wakes the main thread through the
 * shared flag (the main thread waits synchronously, so trainStep stays synchronous).
 */
import { MessagePort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend';
import { Batch, Llama, LlamaConfig } from './llama';
import { accumulateLossGradients } from './gradients';

/** What the main thread sends: the step's weights (parameterShapes order) and this worker's micro-batches. */
export interface GradRequest {
  seq: number;
  weights: Float32Array[];
  micro: Batch[];
  normalizer: number;
}

/** What a worker answers: the loss and gradients (parameterShapes order), or the error. */
export interface GradReply {
  seq: number;
  loss?: number;
  grads?: Float32Array[];
  error?: string;
}

export interface GradWorkerData {
  config: LlamaConfig;
  backend: string;
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] = seq of the last reply. */
  flag: Int32Array;
}

function answer(model: Llama, r: GradRequest): GradReply {
  const names = [...model.params.keys()];
  names.forEach((n, i) => model.param(n).assign(tf.tensor(r.weights[i], model.param(n).shape)));
  const { loss, grads } = accumulateLossGradients(
    model,
    r.micro.map((mb) => () => model.loss(mb, { normalizer: r.normalizer })),
  );
  const reply = { seq: r.seq, loss: loss.dataSync()[0], grads: names.map((n) => (grads.get(n) as tf.Tensor).dataSync() as Float32Array) };
  tf.dispose([loss, ...grads.values()]);
  return reply;
}

async function serve(d: GradWorkerData): Promise<void> {
  await selectBackend(d.backend);
  const model = new Llama(d.config, 0);
  d.port.on('message', (r: GradRequest) => {
    let reply: GradReply;
    try {
      reply = answer(model, r);
    } catch (e) {
      reply = { seq: r.seq, error: (e as Error).message };
    }
    d.port.postMessage(reply, reply.grads?.map((g) => g.buffer as ArrayBuffer) ?? []);
    Atomics.store(d.flag, 0, r.seq);
    Atomics.notify(d.flag, 0);
  });
}

const data = workerData as (GradWorkerData & { kind?: string }) | null;
if (data?.kind === 'fleming-grad')
  serve(data).catch((e: Error) => {
    data.port.postMessage({ seq: -1, error: `could not start: ${e.message}` } satisfies GradReply);
    Atomics.store(data.flag, 0, -1);
    Atomics.notify(data.flag, 0);
  });
