/**
 * A resumable GRPO loop. Each step: the plan picks the prompts (stage 1: Easy + Moderate items;
 * stage 2: the mined hard set, re-mined each round) → k rollouts per prompt → rewards and group
 * advantages → μ AdamW updates → one metrics row (metrics.jsonl) and the rollouts
 * (rollouts.jsonl) → the plan's stop rules. Every `checkpointEvery` steps, weights, AdamW
 * moments, the rng state and the plan's state go to `<dir>/last/` (written beside, then
 * renamed: src/train/checkpoint.ts); a restarted loop with the same fingerprint
 * resumes there and ends bitwise equal to an uninterrupted run, because everything a step does
 * is a function of that state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl } from '../core/io';
import type { Progress } from '../core/progress';
import { Rng } from '../core/rng';
import { Reads, runSync } from '../model/reads';
import type { Llama } from '../model/llama';
import { CHAT, Tokenizer } from '../model/tokenizer';
import { AdamW, AdamWConfig, NonFiniteLossError } from '../model/train';
import type { Item } from '../rods/item';
import { type LrSetting, adoptOptimizer, resumeCheckpoint, swapInCheckpointReads, trainingStopped, truncateSteps } from '../train/index';
import { AdvantageOptions, LossOptions, mean, sampleStd } from './advantage';
import { GrpoSample, grpoStepReads, sequenceLogProbsReads } from './grpo';
import { Rollout, rolloutReads } from './rollout';

/** GRPO settings shared by both stages. */
export interface GrpoSettings {
  maxNewTokens: number;
  temperature: number;
  /** Rows decoded together when sampling. */
  rolloutBatch: number;
  /** Completions per forward/backward pass. */
  microBatch: number;
  rewards: Readonly<Record<string, number>>;
  advantage: AdvantageOptions;
  loss: LossOptions;
  updatesPerBatch: number;
  optimizer: Partial<AdamWConfig>;
}

/** One metrics row (metrics.jsonl). */
export interface GrpoRecord {
  /** Updates-loop step (1 after the first). */
  step: number;
  /** The plan's phase label (stage 2: 'round N'). */
  phase: string;
  prompts: number;
  k: number;
  rewardMean: number;
  rewardStd: number;
  correctRate: number;
  formatRate: number;
  /** Fraction of groups with zero reward spread, and its split into all-right / all-wrong. */
  zeroSpread: number;
  allRight: number;
  allWrong: number;
  /** Mean completion length in tokens, and the share cut at maxNewTokens. */
  meanLength: number;
  truncatedRate: number;
  /** Mean token entropy (nats) of the sampled completions. */
  entropy: number;
  /** Mean per-token k3 KL to the reference policy (only with klCoef > 0). */
  kl?: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Optimiser updates made (0 when every group had zero spread). */
  updates: number;
  sampleSeconds: number;
  trainSeconds: number;
  /** Seconds since this process started the loop. */
  seconds: number;
  /** The stop rule that fired after this step. */
  stop?: string;
}

/** What a plan decides before a step. */
export type PlanDecision = { items: Item[]; k: number; phase: string } | { stop: string };

/**
 * The stage-specific part of the loop: which prompts, how many rollouts, when to stop. Its state
 * must be plain JSON, restored by the stage when resuming; everything it decides must follow
 * from that state, the model and the rng.
 */
export interface Plan<S> {
  state: S;
  /** Before step `step` (0-based): the prompts of the step, or a stop (may sample from the model, e.g. mining: a Reads computation). */
  next(model: Llama, rng: Rng, step: number): Reads<PlanDecision>;
  /** After a step: a stop rule that fired, or null. */
  after(record: GrpoRecord): string | null;
}

/** A rollouts.jsonl row (no token ids or logprobs; the text and its scores). */
export interface RolloutRow {
  step: number;
  itemId: string;
  group: number;
  text: string;
  tokens: number;
  finish: 'stop' | 'length';
  rewards: Record<string, number | null>;
  reward: number;
  advantage: number;
}

export interface GrpoLoopOptions<S> {
  /** Stage directory: last/ (resume checkpoint), metrics.jsonl, rollouts.jsonl. */
  dir: string;
  /** Progress label. */
  label: string;
  /** The starting policy (fresh copy). */
  init: () => Llama;
  /** Frozen reference policy for the KL penalty (needed when klCoef > 0). */
  ref?: Llama;
  tok: Tokenizer;
  settings: GrpoSettings;
  /** The plan, from its state (fresh: undefined). */
  plan: (state: S | undefined) => Plan<S>;
  /** Most steps (the plan may stop earlier); the lr schedule spans them. */
  maxSteps: number;
  /** The stop rule's name when maxSteps is reached (default 'max steps'). */
  maxStepsRule?: string;
  checkpointEvery: number;
  /** Every N-th step's rollouts go to rollouts.jsonl (1 = all). */
  rolloutsEvery: number;
  seed: string;
  /** Resume only from a checkpoint with an equal fingerprint. */
  fingerprint: unknown;
  log?: (message: string) => void;
  progress?: (label: string, total: number) => Progress;
  /** After each step (and its checkpoint). Throwing stops the loop (tests: a kill). */
  onStep?: (record: GrpoRecord, model: Llama, rollouts: readonly Rollout[]) => void;
  /** The learning-rate settings in the fingerprint (src/train/loop.ts LrSetting): named after a non-finite loss. */
  lr?: LrSetting;
  /** Resume from a checkpoint written with another learning rate (`--resume`). */
  resumeNewLr?: boolean;
}

export interface GrpoLoopResult<S> {
  model: Llama;
  metrics: GrpoRecord[];
  /** Steps done. */
  steps: number;
  /** Why the loop ended ('max steps' when no rule fired). */
  stop: { rule: string; step: number };
  planState: S;
  resumedFrom: number | null;
}

interface LoopExtra<S> {
  fingerprint: unknown;
  plan: S;
  stop: { rule: string; step: number } | null;
}

/** The metrics row of a step (pure). */
export function stepRecord(step: number, phase: string, k: number, rollouts: readonly Rollout[], stats: { zeroSpread: number; allRight: number; allWrong: number }, r: { loss: number; gradNorm: number; lr: number; updates: number }, times: { sample: number; train: number; since: number }, kl?: number): GrpoRecord {
  const rewards = rollouts.map((x) => x.reward);
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const rec: GrpoRecord = {
    step,
    phase,
    prompts: rollouts.length / k,
    k,
    rewardMean: round(mean(rewards)),
    rewardStd: round(rewards.length > 1 ? sampleStd(rewards) : 0),
    correctRate: round(mean(rollouts.map((x) => (x.correct ? 1 : 0)))),
    formatRate: round(mean(rollouts.map((x) => (x.wellFormed ? 1 : 0)))),
    zeroSpread: round(stats.zeroSpread),
    allRight: round(stats.allRight),
    allWrong: round(stats.allWrong),
    meanLength: round(mean(rollouts.map((x) => x.tokens.length))),
    truncatedRate: round(mean(rollouts.map((x) => (x.finish === 'length' ? 1 : 0)))),
    entropy: round(mean(rollouts.map((x) => x.entropy))),
    loss: r.loss,
    gradNorm: r.gradNorm,
    lr: r.lr,
    updates: r.updates,
    sampleSeconds: round(times.sample),
    trainSeconds: round(times.train),
    seconds: round(times.since),
  };
  if (kl !== undefined) rec.kl = round(kl);
  return rec;
}

/**
 * The rollouts of one step: k completions per prompt with their rewards and group advantages,
 * as GRPO samples; with a KL penalty, the reference policy's log-probabilities and the mean
 * per-token k3 KL.
 */
function* sampleStepReads<S>(o: GrpoLoopOptions<S>, model: Llama, rng: Rng, d: { items: Item[]; k: number }, pad: number) {
  const s = o.settings;
  const batch = yield* rolloutReads(model, o.tok, d.items, rng, { ...s, k: d.k, batchSize: s.rolloutBatch });
  const samples: GrpoSample[] = batch.rollouts.map((x) => ({ prompt: x.prompt, completion: x.tokens, adv: x.advantage, old: x.logprobs }));
  let kl: number | undefined;
  if (s.loss.klCoef > 0) {
    // micro-batched as the update is: the whole batch at once (e.g. 6 × 32 completions) outgrows the wasm heap
    for (let i = 0; i < samples.length; i += s.microBatch) {
      const part = samples.slice(i, i + s.microBatch);
      const ref = yield* sequenceLogProbsReads(o.ref as Llama, part, pad);
      part.forEach((x, j) => (x.ref = ref[j]));
    }
    const terms = samples.flatMap((x) => x.ref!.map((r, t) => Math.exp(r - x.old![t]) - (r - x.old![t]) - 1));
    kl = mean(terms);
  }
  return { batch, samples, kl };
}

/** Appends a step's rollouts to rollouts.jsonl (text and scores; no token ids or logprobs). */
function appendRollouts(file: string, step: number, rollouts: readonly Rollout[]): void {
  for (const x of rollouts)
    appendJsonl(file, { step, itemId: x.itemId, group: x.group, text: x.text, tokens: x.tokens.length, finish: x.finish, rewards: x.rewards, reward: x.reward, advantage: Math.round(x.advantage * 1e6) / 1e6 } satisfies RolloutRow);
}

/**
 * The loop's state: from `<dir>/last/` when it was written with the same fingerprint (weights,
 * AdamW moments, rng, the plan's state, a stop that had fired), else fresh (and the stage's old
 * metrics and rollouts removed).
 */
function startOrResume<S>(o: GrpoLoopOptions<S>, log: (m: string) => void) {
  const resumed = resumeCheckpoint<LoopExtra<S>>(o.dir, o.fingerprint, log, { lrKeys: o.lr?.keys, newLr: o.resumeNewLr });
  const config = { totalSteps: o.maxSteps, ...o.settings.optimizer };
  if (resumed) log(`resuming from ${resumed.dir} at step ${resumed.step}${resumed.lrChanged ? ` with the new learning rate (${resumed.lrChanged}), as --resume asked` : ''}`);
  else for (const f of ['metrics.jsonl', 'rollouts.jsonl']) fs.rmSync(path.join(o.dir, f), { force: true });
  const kept = resumed?.optimizer;
  return {
    model: resumed?.model ?? o.init(),
    opt: kept ? (resumed.lrChanged ? adoptOptimizer(kept, config) : kept) : new AdamW(config),
    rng: resumed?.rng ?? new Rng(o.seed),
    planState: resumed?.extra?.plan,
    step: resumed?.step ?? 0,
    stop: (resumed?.extra?.stop ?? null) as { rule: string; step: number } | null,
    resumedFrom: resumed ? resumed.step : null,
  };
}

/**
 * Runs (or resumes) a GRPO stage with synchronous reads; see the file comment and runGrpoLoopReads.
 * @throws TrainingStopped on a non-finite loss (the last good checkpoint stays in `<dir>/last`)
 */
export function runGrpoLoop<S>(o: GrpoLoopOptions<S>): GrpoLoopResult<S> {
  return runSync(runGrpoLoopReads(o), 'runGrpoLoop');
}

/**
 * The GRPO loop as a Reads computation (src/model/reads.ts): driven by runReads it runs on every
 * backend, webgpu (asynchronous reads only) included, with the same numbers as runGrpoLoop.
 */
export function* runGrpoLoopReads<S>(o: GrpoLoopOptions<S>): Reads<GrpoLoopResult<S>> {
  const log = o.log ?? (() => undefined);
  const s = o.settings;
  const metricsFile = path.join(o.dir, 'metrics.jsonl');
  const rolloutsFile = path.join(o.dir, 'rollouts.jsonl');
  const pad = o.tok.specialId(CHAT.pad);
  if (s.loss.klCoef > 0 && !o.ref) throw new Error('rlvr: klCoef > 0 needs a reference policy');
  fs.mkdirSync(o.dir, { recursive: true });

  const start = startOrResume(o, log);
  const { model, opt, rng, resumedFrom } = start;
  let { step, stop } = start;
  const plan = o.plan(start.planState);
  const metrics = truncateSteps<GrpoRecord>(metricsFile, step);
  truncateSteps<RolloutRow>(rolloutsFile, step);

  const t0 = performance.now();
  const bar = o.progress?.(o.label, o.maxSteps);
  bar?.update(step);
  let lastCk: number | null = resumedFrom;
  const save = function* (): Reads<void> {
    yield* swapInCheckpointReads(o.dir, model, { optimizer: opt, rng, step, extra: { fingerprint: o.fingerprint, plan: plan.state, stop } });
    lastCk = step;
  };
  try {
    while (!stop) {
      if (step >= o.maxSteps) {
        stop = { rule: o.maxStepsRule ?? 'max steps', step };
        break;
      }
      const d = yield* plan.next(model, rng, step);
      if ('stop' in d) {
        stop = { rule: d.stop, step };
        break;
      }
      const ts = performance.now();
      const { batch, samples, kl } = yield* sampleStepReads(o, model, rng, d, pad);
      const tt = performance.now();
      let r;
      try {
        r = yield* grpoStepReads(model, opt, samples, { ...s.loss, updatesPerBatch: s.updatesPerBatch, microBatch: s.microBatch, pad });
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        bar?.done('stopped');
        throw trainingStopped(`${o.label} step ${step + 1}: ${e.message}`, o.dir, step, lastCk, o.lr);
      }
      const te = performance.now();
      step++;
      const rec = stepRecord(step, d.phase, d.k, batch.rollouts, batch.stats, r, { sample: (tt - ts) / 1000, train: (te - tt) / 1000, since: (te - t0) / 1000 }, kl);
      const fired = plan.after(rec);
      if (fired) {
        stop = { rule: fired, step };
        rec.stop = fired;
      }
      metrics.push(rec);
      appendJsonl(metricsFile, rec);
      if (o.rolloutsEvery > 0 && (step - 1) % o.rolloutsEvery === 0) appendRollouts(rolloutsFile, step, batch.rollouts);
      if (!stop && step % o.checkpointEvery === 0) yield* save();
      bar?.tick();
      o.onStep?.(rec, model, batch.rollouts);
    }
    yield* save(); // the final state (a plan may have changed it before stopping)
    bar?.done(`stopped by ${stop.rule} at step ${stop.step}`);
  } catch (e) {
    opt.dispose();
    model.dispose();
    throw e;
  }
  opt.dispose();
  return { model, metrics, steps: step, stop, planState: plan.state, resumedFrom };
}
