/**
 * One optimiser step for the policy: gradient accumulation over micro-batches, global-norm
 * clipping, AdamW (decoupled weight decay, bias-corrected moments) on a linear warm-up + cosine
 * schedule. A non-finite loss or gradient norm throws NonFiniteLossError before any weight is
 * touched, so the caller can keep its last good checkpoint.
 *
 * Each step reads back one number pair (loss, gradient norm): synchronously in trainStep /
 * lossStep, with `await data()` in trainStepAsync / lossStepAsync (webgpu). All are one Reads
 * computation (src/model/reads.ts), so they give the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Batch, Llama, lossWeights } from './llama';
import { batchTargets, ortGradients, trainingRuntime } from './ortTrain';
import { Reads, Values, runAsync, runSync, take } from './reads';
import { parallelGradients, trainWorkers } from './workers';
import { accumulateLossGradients } from './gradients';

export { accumulateLossGradients };

/** AdamW and schedule settings. */
export interface AdamWConfig {
  lr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm ceiling; 0 or Infinity disables clipping. */
  clipNorm: number;
  /** Apply weight decay to RMSNorm weights and embeddings too (default: matrices only, not embed_tokens). */
  decayAll: boolean;
}

export const defaults: AdamWConfig = {
  lr: 3e-3, // peak learning rate
  minLr: 3e-4, // floor of the cosine
  warmupSteps: 20, // linear warm-up from lr/warmupSteps
  totalSteps: 1000, // end of the cosine
  beta1: 0.9, // first-moment decay
  beta2: 0.95, // second-moment decay
  eps: 1e-8, // Adam epsilon
  weightDecay: 0.1, // decoupled decay (PyTorch AdamW semantics)
  clipNorm: 1.0, // global-norm clipping
  decayAll: false, // no decay on norms/embeddings
};

/** Thrown when a step's loss or gradient norm is NaN/Inf; weights and moments are unchanged. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
  ) {
    super(`non-finite training signal at step ${step}: loss=${loss}, gradNorm=${gradNorm}; weights were not updated (reload the last good checkpoint or lower the learning rate)`);
    this.name = 'NonFiniteLossError';
  }
}

/** Learning rate for 0-based update `step`: linear warm-up to lr, then cosine down to minLr at totalSteps. */
export function learningRate(c: AdamWConfig, step: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const span = Math.max(1, c.totalSteps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / span);
  return c.minLr + 0.5 * (c.lr - c.minLr) * (1 + Math.cos(Math.PI * progress));
}

/** Whether parameter `name` gets weight decay (2-D projections; not norms or embed_tokens unless decayAll). */
export function decays(name: string, c: AdamWConfig): boolean {
  if (c.decayAll) return true;
  return !name.endsWith('norm.weight') && name !== 'model.embed_tokens.weight';
}

/** AdamW state: step count and first/second moments per parameter (HF names). */
export class AdamW {
  readonly config: AdamWConfig;
  /** Number of updates applied so far. */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(config: Partial<AdamWConfig> = {}) {
    this.config = { ...defaults, ...config };
  }

  /** Creates zero moments for every parameter of `model` not yet tracked. */
  init(model: Llama): void {
    for (const [name, p] of model.params) {
      if (!this.m.has(name)) this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      if (!this.v.has(name)) this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const x of this.m.values()) x.dispose();
    for (const x of this.v.values()) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** What a step did. */
export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  lr: number;
  /** Target tokens in the step. */
  tokens: number;
}

/**
 * Gradient of the token-mean loss over all micro-batches (each micro-batch's summed loss divided
 * by the total target count), summed into one map keyed by HF name. Caller disposes the grads.
 */
export function accumulateGradients(model: Llama, micro: Batch[]): { loss: tf.Scalar; grads: Map<string, tf.Tensor>; tokens: number } {
  const tokens = micro.reduce((n, b) => n + lossWeights(b).count, 0);
  const normalizer = Math.max(1, micro.reduce((n, b) => n + lossWeights(b).total, 0));
  // Opt-in, off by default: native gradients (src/model/ortTrain.ts; its threads are inferenceThreads), else
  // TensorFlow.js gradients data-parallel on worker threads (src/model/workers.ts).
  if (trainingRuntime() === 'onnxruntime') return { ...ortGradients(model, micro.map((b) => batchTargets(b, normalizer))), tokens };
  if (trainWorkers() > 1) return { ...parallelGradients(model, micro, normalizer), tokens };
  return { ...accumulateLossGradients(model, micro.map((mb) => () => model.loss(mb, { normalizer }))), tokens };
}

/** √(Σ‖g‖²) over all gradients. @returns scalar tensor */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN([...grads].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** A step whose gradients are computed and whose [loss, gradNorm] still sit on the backend. */
interface PendingStep {
  grads: Map<string, tf.Tensor>;
  tokens: number;
  /** [loss, gradNorm], to read back (sync or async); the caller disposes it. */
  signal: tf.Tensor1D;
}

function beginStep(model: Llama, opt: AdamW, batch: Batch | Batch[]): PendingStep {
  const micro = Array.isArray(batch) ? batch : [batch];
  if (micro.length === 0) throw new Error('trainStep: no micro-batches');
  opt.init(model);
  const { loss, grads, tokens } = accumulateGradients(model, micro);
  return pendingFrom(loss, grads, tokens);
}

/** A loss function, or micro-batch loss functions each normalised to the whole batch by the caller. */
export type LossFns = (() => tf.Scalar) | readonly (() => tf.Scalar)[];

/** Gradients of an arbitrary scalar loss (summed over micro-batch losses) over every parameter. */
function beginLossStep(model: Llama, opt: AdamW, losses: LossFns, tokens: number): PendingStep {
  const fns = typeof losses === 'function' ? [losses] : losses;
  if (fns.length === 0) throw new Error('lossStep: no loss functions');
  opt.init(model);
  const { loss, grads } = accumulateLossGradients(model, fns);
  return pendingFrom(loss, grads, tokens);
}

function pendingFrom(loss: tf.Scalar, grads: Map<string, tf.Tensor>, tokens: number): PendingStep {
  const norm = globalNorm(grads.values());
  const signal = tf.stack([loss, norm]) as tf.Tensor1D;
  tf.dispose([loss, norm]);
  return { grads, tokens, signal };
}

/** Checks the read-back loss and norm, then applies AdamW; frees the gradients either way. */
function finishStep(model: Llama, opt: AdamW, pending: PendingStep, lossV: number, normV: number): StepResult {
  const { grads, tokens } = pending;
  const c = opt.config;
  if (!Number.isFinite(lossV) || !Number.isFinite(normV)) {
    tf.dispose([...grads.values()]);
    throw new NonFiniteLossError(opt.step, lossV, normV);
  }
  const lr = learningRate(c, opt.step);
  const t = opt.step + 1;
  const clip = c.clipNorm > 0 && Number.isFinite(c.clipNorm) ? Math.min(1, c.clipNorm / (normV + 1e-6)) : 1;
  const bc1 = 1 - Math.pow(c.beta1, t);
  const bc2 = 1 - Math.pow(c.beta2, t);
  tf.tidy(() => {
    const b1 = tf.scalar(c.beta1);
    const b2 = tf.scalar(c.beta2);
    const ob1 = tf.scalar(1 - c.beta1);
    const ob2 = tf.scalar(1 - c.beta2);
    const scale = tf.scalar(clip);
    const stepSize = tf.scalar(lr / bc1);
    const sqrtBc2 = tf.scalar(Math.sqrt(bc2));
    const eps = tf.scalar(c.eps);
    const decay = tf.scalar(1 - lr * c.weightDecay);
    for (const [name, p] of model.params) {
      const g = tf.mul(grads.get(name) as tf.Tensor, scale);
      const m = opt.m.get(name) as tf.Variable;
      const v = opt.v.get(name) as tf.Variable;
      m.assign(tf.add(tf.mul(m, b1), tf.mul(g, ob1)));
      v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), ob2)));
      // p ← p·(1 − lr·wd) − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps)   (PyTorch AdamW)
      const decayed = decays(name, c) ? tf.mul(p, decay) : p;
      p.assign(tf.sub(decayed, tf.mul(stepSize, tf.div(m, tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps)))));
    }
  });
  tf.dispose([...grads.values()]);
  opt.step = t;
  return { loss: lossV, gradNorm: normV, lr, tokens };
}

/** Reads [loss, gradNorm], then applies the update; frees the gradients when reading fails. */
function* finishReads(model: Llama, opt: AdamW, pending: PendingStep): Reads<StepResult> {
  let v: Values;
  try {
    v = yield* take(pending.signal);
  } catch (e) {
    tf.dispose([...pending.grads.values()]);
    throw e;
  }
  return finishStep(model, opt, pending, v[0], v[1]);
}

/** trainStep as a Reads computation (compose with `yield*`; drive with runSync/runAsync). */
export function* trainStepReads(model: Llama, opt: AdamW, batch: Batch | Batch[]): Reads<StepResult> {
  return yield* finishReads(model, opt, beginStep(model, opt, batch));
}

/**
 * An optimiser step (clipping, AdamW, the non-finite check, as trainStep) on a loss and gradients
 * computed elsewhere, e.g. natively (src/model/ortTrain.ts); `compute` returns tensors it hands over.
 */
export function* gradientStepReads(model: Llama, opt: AdamW, compute: () => { loss: tf.Scalar; grads: Map<string, tf.Tensor> }, tokens = 0): Reads<StepResult> {
  opt.init(model);
  const { loss, grads } = compute();
  return yield* finishReads(model, opt, pendingFrom(loss, grads, tokens));
}

/** lossStep as a Reads computation. */
export function* lossStepReads(model: Llama, opt: AdamW, lossFn: LossFns, tokens = 0): Reads<StepResult> {
  return yield* finishReads(model, opt, beginLossStep(model, opt, lossFn, tokens));
}

/**
 * One optimiser update from one batch or a list of micro-batches (gradient accumulation).
 * Reads the loss and gradient norm back synchronously (wasm, cpu, tensorflow); on webgpu use
 * trainStepAsync. Throws NonFiniteLossError (weights untouched) when the loss or gradient norm is
 * not finite.
 */
export function trainStep(model: Llama, opt: AdamW, batch: Batch | Batch[]): StepResult {
  return runSync(trainStepReads(model, opt, batch), 'trainStep');
}

/**
 * trainStep with the loss and gradient norm read back asynchronously (`await data()`): the form
 * for the webgpu backend, where synchronous reads are unavailable. Same numbers as trainStep.
 */
export function trainStepAsync(model: Llama, opt: AdamW, batch: Batch | Batch[]): Promise<StepResult> {
  return runAsync(trainStepReads(model, opt, batch));
}

/**
 * One AdamW update (clipping, schedule, non-finite check as in trainStep) on the gradient of
 * any scalar loss over the policy's parameters, e.g. a policy-gradient loss.
 * @param lossFn builds the scalar loss from model ops (run under tf.variableGrads); a list of
 *   micro-batch losses (each normalised to the whole batch) has its gradients summed
 * @param tokens reported in StepResult.tokens
 */
export function lossStep(model: Llama, opt: AdamW, lossFn: LossFns, tokens = 0): StepResult {
  return runSync(lossStepReads(model, opt, lossFn, tokens), 'lossStep');
}

/** lossStep with asynchronous reads (webgpu). */
export function lossStepAsync(model: Llama, opt: AdamW, lossFn: LossFns, tokens = 0): Promise<StepResult> {
  return runAsync(lossStepReads(model, opt, lossFn, tokens));
}
