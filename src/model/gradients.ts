/**
 * Summed gradients of a loss given as micro-batch pieces: the common core of the training step
 * (src/model/train.ts) and the gradient workers (src/model/workers.ts, gradWorker.ts), kept apart
 * so that neither imports the other.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Llama } from './llama';

/**
 * Gradients of Σ_i losses[i]() (each a scalar function of the model's variables, e.g. one
 * micro-batch of a loss already normalised to the whole batch), summed into one map keyed by HF
 * name. Caller disposes the loss and the grads.
 */
export function accumulateLossGradients(model: Llama, losses: readonly (() => tf.Scalar)[]): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.param(n));
  const grads = new Map<string, tf.Tensor>();
  let loss: tf.Scalar = tf.scalar(0);
  for (const f of losses) {
    const r = tf.variableGrads(f, vars);
    const l = tf.add(loss, r.value) as tf.Scalar;
    loss.dispose();
    r.value.dispose();
    loss = l;
    names.forEach((n, i) => {
      const g = r.grads[vars[i].name];
      const prev = grads.get(n);
      if (prev) {
        grads.set(n, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else grads.set(n, g);
    });
  }
  return { loss, grads };
}
