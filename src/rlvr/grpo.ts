/**
 * The GRPO update on tensors: a differentiable per-token log-probability of sampled completions
 * under the policy, the loss of advantage.ts (grpoLossValue is its plain-number reference), and
 * the step (μ AdamW updates per batch of rollouts, micro-batched).
 *
 * Layout of a micro-batch, as the sampler sees it: prompts left-padded to P tokens, completions
 * right-padded to L; ids [B, P + L − 1] (the last completion token is never an input). The
 * completion's token t is predicted at position P − 1 + t, so its log-probabilities are one
 * contiguous slice of the hidden states — no gather, and the lm_head runs on completion
 * positions only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, linear } from '../model/layers';
import { Llama, positionIds } from '../model/llama';
import { Reads, runSync, take } from '../model/reads';
import { WeightedTargets, ortGradients, trainingRuntime } from '../model/ortTrain';
import { AdamW, StepResult, gradientStepReads, learningRate, lossStepReads } from '../model/train';
import { LossOptions, tokenWeights } from './advantage';

/** One completion to train on. */
export interface GrpoSample {
  /** Prompt token ids (unpadded). */
  prompt: readonly number[];
  /** Completion token ids (≥ 1; a stop token included). */
  completion: readonly number[];
  /** Advantage of the whole completion. */
  adv: number;
  /** The sampler's log π_old per completion token (needed when updatesPerBatch > 1). */
  old?: readonly number[];
  /** log π_ref per completion token (needed when klCoef > 0). */
  ref?: readonly number[];
}

/** The padded layout of a micro-batch (see the file comment). */
export interface CompletionLayout {
  /** [B][P + L − 1] input ids. */
  ids: number[][];
  /** [B][P + L − 1] attention mask. */
  mask: number[][];
  /** Prompt width (left-padded). */
  P: number;
  /** Completion width (right-padded). */
  L: number;
  /** [B·L] targets: completion tokens, pad where a completion is shorter. */
  targets: number[];
  /** Completion lengths. */
  lengths: number[];
}

/** Builds the layout of completions (prompts left-padded, completions right-padded). */
export function completionLayout(samples: readonly Pick<GrpoSample, 'prompt' | 'completion'>[], pad: number): CompletionLayout {
  if (samples.length === 0) throw new Error('completionLayout: no samples');
  for (const s of samples) if (s.prompt.length === 0 || s.completion.length === 0) throw new Error('completionLayout: prompts and completions need ≥ 1 token');
  const P = Math.max(...samples.map((s) => s.prompt.length));
  const L = Math.max(...samples.map((s) => s.completion.length));
  const ids: number[][] = [];
  const mask: number[][] = [];
  const targets: number[] = [];
  for (const s of samples) {
    const lp = P - s.prompt.length;
    const inputs = s.completion.slice(0, L - 1);
    const rp = L - 1 - inputs.length;
    ids.push([...new Array<number>(lp).fill(pad), ...s.prompt, ...inputs, ...new Array<number>(rp).fill(pad)]);
    mask.push([...new Array<number>(lp).fill(0), ...s.prompt.map(() => 1), ...inputs.map(() => 1), ...new Array<number>(rp).fill(0)]);
    for (let t = 0; t < L; t++) targets.push(t < s.completion.length ? s.completion[t] : pad);
  }
  return { ids, mask, P, L, targets, lengths: samples.map((s) => s.completion.length) };
}

/**
 * Differentiable log π(y_t | x, y_<t) of every completion position.
 * @returns [B, L]; positions past a completion's end hold values for the pad target (weight them 0)
 */
export function completionLogProbs(model: Llama, layout: CompletionLayout): tf.Tensor2D {
  const { ids, mask, P, L, targets } = layout;
  const B = ids.length;
  const T = ids[0].length;
  const d = model.config.hidden_size;
  return tf.tidy(() => {
    const { h } = model.hidden(ids, mask, positionIds(mask)); // [B·T, d]
    const hs = tf.reshape(tf.slice(tf.reshape(h, [B, T, d]), [0, P - 1, 0], [B, L, d]), [B * L, d]);
    const nll = crossEntropy(linear(hs, model.lmHead()), tf.tensor1d(targets, 'int32'));
    return tf.reshape(tf.neg(nll), [B, L]);
  });
}

/** Per-completion log-probabilities as plain arrays (no gradient), e.g. under the reference policy. */
export function sequenceLogProbs(model: Llama, samples: readonly Pick<GrpoSample, 'prompt' | 'completion'>[], pad: number): number[][] {
  return runSync(sequenceLogProbsReads(model, samples, pad), 'sequenceLogProbs');
}

/** sequenceLogProbs as a Reads computation (every backend, webgpu included). */
export function* sequenceLogProbsReads(model: Llama, samples: readonly Pick<GrpoSample, 'prompt' | 'completion'>[], pad: number): Reads<number[][]> {
  const layout = completionLayout(samples, pad);
  const v = (yield* take(completionLogProbs(model, layout))) as Float32Array;
  return layout.lengths.map((len, b) => Array.from(v.subarray(b * layout.L, b * layout.L + len)));
}

/**
 * The GRPO loss of one micro-batch: −Σ_{j,t} w_j·(term_jt − β·k3_jt), term = logp·A on-policy
 * (Eq. 3) or the clipped ratio objective when the samples carry `old`. `weights` are the
 * per-completion token weights of the WHOLE batch (tokenWeights), so micro-batch losses add up.
 * @returns scalar
 */
export function grpoLoss(model: Llama, samples: readonly GrpoSample[], weights: readonly number[], o: Pick<LossOptions, 'clip' | 'klCoef'>, pad: number): tf.Scalar {
  const layout = completionLayout(samples, pad);
  const { L } = layout;
  const B = samples.length;
  const useOld = samples.every((s) => s.old);
  if (!useOld && samples.some((s) => s.old)) throw new Error('grpoLoss: either every sample carries old logprobs or none does');
  const useKl = o.klCoef > 0;
  if (useKl && samples.some((s) => !s.ref)) throw new Error('grpoLoss: klCoef > 0 needs reference logprobs on every sample');
  const W = new Float32Array(B * L);
  const A = new Float32Array(B * L);
  const old = useOld ? new Float32Array(B * L) : undefined;
  const ref = useKl ? new Float32Array(B * L) : undefined;
  samples.forEach((s, j) => {
    for (let t = 0; t < s.completion.length; t++) {
      W[j * L + t] = weights[j];
      A[j * L + t] = s.adv;
      if (old) old[j * L + t] = (s.old as readonly number[])[t];
      if (ref) ref[j * L + t] = (s.ref as readonly number[])[t];
    }
  });
  return tf.tidy(() => {
    const logp = completionLogProbs(model, layout);
    const adv = tf.tensor2d(A, [B, L]);
    let term: tf.Tensor;
    if (old) {
      const rho = tf.exp(tf.sub(logp, tf.tensor2d(old, [B, L])));
      const clipped = tf.clipByValue(rho, 1 - o.clip.low, 1 + o.clip.high);
      term = tf.minimum(tf.mul(rho, adv), tf.mul(clipped, adv));
    } else term = tf.mul(logp, adv);
    if (ref) {
      const dlt = tf.sub(tf.tensor2d(ref, [B, L]), logp);
      term = tf.sub(term, tf.mul(tf.scalar(o.klCoef), tf.sub(tf.sub(tf.exp(dlt), dlt), tf.scalar(1))));
    }
    return tf.neg(tf.sum(tf.mul(term, tf.tensor2d(W, [B, L])))) as tf.Scalar;
  });
}

/**
 * The on-policy GRPO loss without KL, −Σ_{j,t} w_j·A_j·log π(y_jt), as weighted targets for the
 * native gradient graph: Σ (w_j·A_j)·nll at the positions that predict completion tokens.
 */
export function grpoTargets(samples: readonly GrpoSample[], weights: readonly number[], pad: number): WeightedTargets {
  const layout = completionLayout(samples, pad);
  const T = layout.ids[0].length;
  const targets = new Int32Array(samples.length * T);
  const w = new Float32Array(samples.length * T);
  samples.forEach((s, j) => {
    for (let t = 0; t < s.completion.length; t++) {
      targets[j * T + layout.P - 1 + t] = s.completion[t];
      w[j * T + layout.P - 1 + t] = weights[j] * s.adv;
    }
  });
  return { ids: layout.ids, mask: layout.mask, targets, weights: w };
}

/** Settings of one GRPO step. */
export interface GrpoStepOptions extends LossOptions {
  /** Optimiser updates on the same rollouts (μ); > 1 uses the clipped ratio against the sampler's logprobs. */
  updatesPerBatch: number;
  /** Completions per forward/backward pass (memory bound; the result does not depend on it beyond float rounding). */
  microBatch: number;
  /** Pad token id. */
  pad: number;
}

/** What a GRPO step did: the first update's loss and gradient norm, the last lr, tokens trained on. */
export interface GrpoStepResult extends StepResult {
  updates: number;
}

/**
 * μ AdamW updates on one batch of rollouts. Samples with advantage 0 and no KL term contribute
 * nothing and are skipped (they still count in the token weights, as in the loss's definition).
 * With no contributing sample at all (every group has zero reward spread), no update is made
 * and the schedule does not advance (loss 0, gradNorm 0, updates 0).
 */
export function grpoStep(model: Llama, opt: AdamW, samples: readonly GrpoSample[], o: GrpoStepOptions): GrpoStepResult {
  return runSync(grpoStepReads(model, opt, samples, o), 'grpoStep');
}

/** grpoStep as a Reads computation: the form the loop runs, on every backend (webgpu included). */
export function* grpoStepReads(model: Llama, opt: AdamW, samples: readonly GrpoSample[], o: GrpoStepOptions): Reads<GrpoStepResult> {
  if (samples.length === 0) throw new Error('grpoStep: no samples');
  if (!(o.updatesPerBatch >= 1) || !Number.isInteger(o.updatesPerBatch)) throw new Error(`grpoStep: updatesPerBatch must be a positive integer, got ${o.updatesPerBatch}`);
  if (o.updatesPerBatch > 1 && samples.some((s) => !s.old)) throw new Error('grpoStep: updatesPerBatch > 1 needs the sampler logprobs (old) on every sample');
  const weights = tokenWeights(
    samples.map((s) => s.completion.length),
    o.norm,
    o.maxNewTokens,
  );
  const used = samples.map((s, j) => ({ s: o.updatesPerBatch > 1 ? s : { ...s, old: undefined }, w: weights[j] })).filter((x) => x.s.adv !== 0 || o.klCoef > 0);
  const tokens = used.reduce((a, x) => a + x.s.completion.length, 0);
  if (used.length === 0) return { loss: 0, gradNorm: 0, lr: learningRate(opt.config, opt.step), tokens: 0, updates: 0 };
  const mb = Math.max(1, Math.floor(o.microBatch));
  const chunks: (typeof used)[] = [];
  for (let i = 0; i < used.length; i += mb) chunks.push(used.slice(i, i + mb));
  let first: StepResult | undefined;
  let last: StepResult | undefined;
  // On-policy without a KL term the loss is a weighted token NLL, which the native gradient graph
  // computes where trainRuntime is onnxruntime (opt-in, src/model/ortTrain.ts).
  const native = trainingRuntime() === 'onnxruntime' && o.updatesPerBatch === 1 && o.klCoef === 0;
  for (let u = 0; u < o.updatesPerBatch; u++) {
    last = native
      ? yield* gradientStepReads(model, opt, () => ortGradients(model, chunks.map((c) => grpoTargets(c.map((x) => x.s), c.map((x) => x.w), o.pad))), tokens)
      : yield* lossStepReads(
          model,
          opt,
          chunks.map((c) => () => grpoLoss(model, c.map((x) => x.s), c.map((x) => x.w), o, o.pad)),
          tokens,
        );
    first ??= last;
  }
  const f = first as StepResult;
  return { loss: f.loss, gradNorm: f.gradNorm, lr: (last as StepResult).lr, tokens, updates: o.updatesPerBatch };
}
