/**
 * Training steps with the loss and gradients computed natively: onnxruntime-node runs the
 * gradient graph of src/model/onnxTrain.ts on the policy's current weights; the optimiser step
 * (clipping, AdamW, the non-finite check) stays the workbench's own (src/model/train.ts).
 * Chosen like the inference runtime (src/model/ort.ts): `auto` (the default) trains natively
 * where onnxruntime-node loads and the backend is wasm or cpu (≈ 4× TensorFlow.js on this CPU,
 * about PyTorch's speed), else on TensorFlow.js; `tfjs` and `onnxruntime` insist. Float rounding
 * differs from the TensorFlow.js path (≈ 1e-6 relative), so a run records where it trained and
 * resumes to the same bytes on the same runtime. Covers token losses (trainStep: pretraining,
 * SFT) and the on-policy GRPO update without KL; other losses stay on TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import { syncReadsAvailable } from './reads';
import { Batch, Llama, lossWeights, positionIds } from './llama';
import { attentionBias } from './layers';
import { llamaTrainOnnx } from './onnxTrain';
import { OrtSession, OrtTensor, inferenceChoice, loadOrt, ortLoadError, ortSession, ropeFor, tokenFeeds } from './ort';
import { headDim, parameterShapes } from './params';
import { trainWorkers } from './workers';

/** Where a training step may compute its gradients: a runtime, or `auto` (see the file comment). */
export const TRAIN_RUNTIMES = ['auto', 'tfjs', 'onnxruntime'] as const;
export type TrainRuntimeChoice = (typeof TRAIN_RUNTIMES)[number];
/** Where a training step computes its gradients. */
export type TrainRuntime = Exclude<TrainRuntimeChoice, 'auto'>;

let training: TrainRuntimeChoice | undefined;

/** Chooses where trainStep computes gradients ($FLEMING_TRAIN_RUNTIME, else auto); throws when onnxruntime is insisted on and cannot load. */
export function selectTraining(runtime: string = process.env.FLEMING_TRAIN_RUNTIME || 'auto'): TrainRuntimeChoice {
  const choice = runtime || 'auto';
  if (!(TRAIN_RUNTIMES as readonly string[]).includes(choice)) throw new Error(`unknown training runtime "${runtime}" (choose ${TRAIN_RUNTIMES.join(', ')})`);
  if (choice === 'onnxruntime' && !loadOrt()) throw new Error(`trainRuntime onnxruntime: ${ortLoadError()}`);
  training = choice as TrainRuntimeChoice;
  return training;
}

/** Runs `f` with another training runtime selected, then restores the previous choice (benchmarks, tests). */
export async function withTraining<T>(runtime: TrainRuntimeChoice, f: () => Promise<T> | T): Promise<T> {
  const prev = trainingChoice();
  selectTraining(runtime);
  try {
    return await f();
  } finally {
    selectTraining(prev);
  }
}

/** The current choice, as selected (auto unless selected). */
export function trainingChoice(): TrainRuntimeChoice {
  return training ?? selectTraining();
}

/**
 * Where a training step computes its gradients now: the choice, with `auto` resolved to
 * onnxruntime where it loads, the backend is wasm or cpu and no TensorFlow.js gradient workers
 * were asked for (trainWorkers > 1), else tfjs.
 */
export function trainingRuntime(): TrainRuntime {
  const c = trainingChoice();
  if (c !== 'auto') return c;
  return loadOrt() && ['wasm', 'cpu'].includes(tf.getBackend()) && trainWorkers() <= 1 ? 'onnxruntime' : 'tfjs';
}

/**
 * A micro-batch as the gradient graph takes it: every position's target (the next token) and its
 * weight in the loss (0 where there is none), over ids of equal length.
 */
export interface WeightedTargets {
  /** [B][T] input ids. */
  ids: number[][];
  /** [B][T] attention mask (1 real, 0 pad). */
  mask: number[][];
  /** [B·T] target of each position. */
  targets: Int32Array;
  /** [B·T] weight of each target in Σ weight·nll (may be negative, e.g. an advantage). */
  weights: Float32Array;
}

/** A token-loss batch as WeightedTargets: targets shifted by one, weights lossMask·attentionMask ÷ normalizer. */
export function batchTargets(batch: Batch, normalizer: number): WeightedTargets {
  const ids = batch.inputIds;
  const [B, T] = [ids.length, ids[0].length];
  const w = lossWeights(batch).weights;
  const targets = new Int32Array(B * T);
  const weights = new Float32Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t + 1 < T; t++) {
      targets[b * T + t] = ids[b][t + 1];
      weights[b * T + t] = w[b * (T - 1) + t] / normalizer;
    }
  return { ids, mask: batch.attentionMask ?? ids.map((r) => r.map(() => 1)), targets, weights };
}

/** One micro-batch's graph feeds: ids, targets, weights, rotary tables, bias. */
function feeds(model: Llama, m: WeightedTargets, rope: { cos: Float32Array; sin: Float32Array }): Record<string, OrtTensor> {
  const ort = loadOrt() as NonNullable<ReturnType<typeof loadOrt>>;
  const c = model.config;
  const [B, T] = [m.ids.length, m.ids[0].length];
  const hd = headDim(c);
  const rep = c.num_attention_heads / c.num_key_value_heads;
  const f = tokenFeeds(c, rope, m.ids, positionIds(m.mask));
  return {
    input_ids: new ort.Tensor('int64', f.ids, [B, T]),
    targets: new ort.Tensor('int64', BigInt64Array.from(m.targets, (x) => BigInt(x)), [B * T]),
    weights: new ort.Tensor('float32', m.weights, [B * T]),
    cos: new ort.Tensor('float32', f.cos, [B, T, 1, hd]),
    sin: new ort.Tensor('float32', f.sin, [B, T, 1, hd]),
    bias: new ort.Tensor('float32', attentionBias(m.mask, rep, T, 0), [B, 1, rep * T, T]),
  };
}

/**
 * Σ weight·nll over all micro-batches and its gradient, computed on onnxruntime and summed
 * micro-batch by micro-batch (as accumulateLossGradients does); the caller disposes them.
 */
export function ortGradients(model: Llama, micro: readonly WeightedTargets[], session?: OrtSession): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const ort = loadOrt();
  if (!ort) throw new Error(`trainRuntime onnxruntime: ${ortLoadError()}`);
  if (!syncReadsAvailable()) throw new Error(`trainRuntime onnxruntime reads the weights synchronously; the ${tf.getBackend()} backend cannot (use trainRuntime tfjs there)`);
  const c = model.config;
  const shapes = parameterShapes(c);
  const weights: Record<string, OrtTensor> = {};
  for (const [name, shape] of shapes) weights[name] = new ort.Tensor('float32', model.param(name).dataSync() as Float32Array, shape);
  const run = session ?? ortSession(ort, 'train', c, inferenceChoice().threads, llamaTrainOnnx);
  const rope = ropeFor(c);
  const fetches: Record<string, null> = { loss: null };
  for (const [name] of shapes) fetches[`grad.${name}`] = null;
  const sums = new Map<string, Float32Array>();
  let loss = 0;
  for (const mb of micro) {
    const out = run.run({ ...weights, ...feeds(model, mb, rope) }, fetches, {});
    loss = Math.fround(loss + out.loss.data[0]);
    for (const [name] of shapes) {
      const g = out[`grad.${name}`].data;
      const acc = sums.get(name);
      if (!acc) sums.set(name, g);
      else for (let i = 0; i < g.length; i++) acc[i] += g[i];
    }
  }
  const grads = new Map<string, tf.Tensor>(shapes.map(([name, shape]) => [name, tf.tensor(sums.get(name) as Float32Array, shape, 'float32')]));
  return { loss: tf.scalar(loss), grads };
}
