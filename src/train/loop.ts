/**
 * A resumable training loop over phases (pretraining: knowledge LM, then direct-answer tuning; SFT:
 * one phase), each with its own AdamW and warm-up + cosine schedule. A checkpoint goes to `<dir>/last/` every N steps
 * (written beside it, then swapped in by renaming, so a kill never leaves half a checkpoint);
 * a restarted loop with the same fingerprint resumes from it and ends with the same weights as an
 * uninterrupted run, because every batch is a function of the step number. A non-finite loss
 * stops the loop with TrainingStopped and leaves the last good checkpoint in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl } from '../core/io';
import type { Progress } from '../core/progress';
import type { Batch, Llama } from '../model/llama';
import { Reads, runAsync, runSync } from '../model/reads';
import { AdamW, AdamWConfig, NonFiniteLossError, trainStepReads } from '../model/train';
import { adoptOptimizer, clearCheckpoints, lastCheckpointDir, resumeCheckpoint, swapInCheckpointReads } from './checkpoint';
import { truncateSteps } from './metrics';

/** One phase: `steps` updates on batch(0) … batch(steps − 1) with a fresh AdamW. */
export interface Phase {
  name: string;
  steps: number;
  /** AdamW settings; totalSteps defaults to `steps`. */
  optimizer: Partial<AdamWConfig>;
  /** The batch of phase-local step `step` (0-based); must depend on `step` only. */
  batch(step: number): Batch;
}

/** One metrics row (metrics.jsonl). */
export interface StepRecord {
  phase: string;
  /** Global updates done, counting all phases (1 after the first update). */
  step: number;
  /** Updates done in this phase. */
  phaseStep: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  /** Seconds since this process started the loop. */
  seconds: number;
}

export interface LoopOptions {
  /** Directory for `last/` (the resume checkpoint) and metrics.jsonl. */
  dir: string;
  /** Stage name in progress labels (default 'pretrain'). */
  label?: string;
  /** Updates between checkpoints (the last update of each phase is always checkpointed). */
  checkpointEvery: number;
  /** Resume only from a checkpoint written with an equal fingerprint (JSON-compared). */
  fingerprint: unknown;
  /** Ignore and delete an existing checkpoint. */
  fresh?: boolean;
  log?: (message: string) => void;
  progress?: (label: string, total: number) => Progress;
  /** Called after each update (and its checkpoint, when one is due). Throwing stops the loop. */
  onStep?: (record: StepRecord, model: Llama) => void;
  /** The learning rate: see LrSetting. Without it a non-finite loss says to lower the rate and start over. */
  lr?: LrSetting;
  /** Resume from a checkpoint written with another learning rate (RunContext.resumeNewLr, `--resume`). */
  resumeNewLr?: boolean;
}

/**
 * The learning-rate settings of a loop as the fingerprint holds them (dotted paths, the peak rate
 * first, e.g. ['sft.lr', 'sft.minLr']) and the peak rate's value: what a non-finite loss tells the
 * user to lower, and what --resume may change.
 */
export interface LrSetting {
  keys: string[];
  value: number;
}

export interface LoopResult {
  model: Llama;
  /** Global step the loop resumed from (null: started fresh). */
  resumedFrom: number | null;
  /** Total updates (all phases). */
  steps: number;
  /** Metrics rows of the whole run (earlier processes' rows included). */
  metrics: StepRecord[];
}

/**
 * The TrainingStopped for a non-finite loss at `step`: says where the last good checkpoint is
 * (or that none was written), that a rerun as it is stops at the same step (every batch is a
 * function of its step), and what to change: the learning rate, resumed with --resume where
 * the stage names its setting (`lr`).
 */
export function trainingStopped(what: string, dir: string, step: number, checkpointStep: number | null, lr?: LrSetting): TrainingStopped {
  const kept = lastCheckpointDir(dir);
  const lower = lr ? `--set ${lr.keys[0]}=${+(lr.value / 2).toPrecision(3)} (now ${lr.value})` : 'a lower learning rate';
  const how = !kept
    ? `No checkpoint was written yet; rerun with ${lower}.`
    : `The last good checkpoint (step ${checkpointStep ?? '?'}) is kept in ${kept}. ` +
      (lr ? `To resume from it, lower the learning rate: ${lower} --resume; without --resume a changed rate starts over from step 0.` : `Rerun with ${lower}: the stage starts over from step 0.`);
  return new TrainingStopped(`${what}. Rerunning unchanged stops here again (every batch is fixed by its step). ${how}`, step, checkpointStep);
}

/** Thrown when training cannot go on (non-finite loss); the last good checkpoint stays in `<dir>/last`. */
export class TrainingStopped extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly checkpointStep: number | null,
  ) {
    super(message);
    this.name = 'TrainingStopped';
  }
}

interface LoopExtra {
  fingerprint: unknown;
  phase: number;
}

/**
 * Runs the phases in order from a fresh model (`init`) or from the last checkpoint, reading
 * synchronously (wasm, cpu, tensorflow; trainPhasesAsync on webgpu).
 * @throws TrainingStopped on a non-finite loss (weights of the last checkpoint kept)
 */
export function trainPhases(init: () => Llama, phases: readonly Phase[], o: LoopOptions): LoopResult {
  return runSync(trainPhasesReads(init, phases, o), 'trainPhases');
}

/** trainPhases with asynchronous reads (webgpu). */
export function trainPhasesAsync(init: () => Llama, phases: readonly Phase[], o: LoopOptions): Promise<LoopResult> {
  return runAsync(trainPhasesReads(init, phases, o));
}

/**
 * The loop's state: from `<dir>/last/` when it was written with the same fingerprint and within
 * the phases' steps (weights, AdamW moments, the phase it belongs to), else a fresh model (and
 * the old metrics.jsonl removed).
 */
function startOrResume(init: () => Llama, phases: readonly Phase[], o: LoopOptions, total: number, log: (m: string) => void): { model: Llama; opt: AdamW | undefined; step: number; optPhase: number; resumedFrom: number | null } {
  const resumed = resumeCheckpoint<LoopExtra>(o.dir, o.fingerprint, log, { accept: (at) => at <= total, lrKeys: o.lr?.keys, newLr: o.resumeNewLr });
  if (resumed) {
    const optPhase = resumed.extra?.phase ?? -1;
    let opt = resumed.optimizer;
    if (resumed.lrChanged && opt && phases[optPhase]) opt = adoptOptimizer(opt, { totalSteps: phases[optPhase].steps, ...phases[optPhase].optimizer });
    log(`resuming from ${resumed.dir} at step ${resumed.step}/${total}${resumed.lrChanged ? ` with the new learning rate (${resumed.lrChanged}), as --resume asked` : ''}`);
    return { model: resumed.model, opt, step: resumed.step, optPhase, resumedFrom: resumed.step };
  }
  const metricsFile = path.join(o.dir, 'metrics.jsonl');
  if (fs.existsSync(metricsFile)) fs.rmSync(metricsFile);
  return { model: init(), opt: undefined, step: 0, optPhase: -1, resumedFrom: null };
}

/** trainPhases as a Reads computation (src/model/reads.ts). */
export function* trainPhasesReads(init: () => Llama, phases: readonly Phase[], o: LoopOptions): Reads<LoopResult> {
  const log = o.log ?? (() => undefined);
  const metricsFile = path.join(o.dir, 'metrics.jsonl');
  const starts: number[] = [];
  let total = 0;
  for (const p of phases) {
    starts.push(total);
    total += p.steps;
  }
  fs.mkdirSync(o.dir, { recursive: true });
  if (o.fresh) clearCheckpoints(o.dir);

  const start = startOrResume(init, phases, o, total, log);
  let { model, opt, step, optPhase } = start;
  const resumedFrom = start.resumedFrom;
  const metrics = truncateSteps<StepRecord>(metricsFile, step);

  const t0 = performance.now();
  let lastCk: number | null = resumedFrom;
  try {
    for (let p = 0; p < phases.length; p++) {
      const ph = phases[p];
      const end = starts[p] + ph.steps;
      if (step >= end) continue;
      if (optPhase !== p || !opt) {
        opt?.dispose();
        opt = new AdamW({ totalSteps: ph.steps, ...ph.optimizer });
        optPhase = p;
      }
      const bar = o.progress?.(`${o.label ?? 'pretrain'}: ${ph.name}`, ph.steps);
      bar?.update(step - starts[p]);
      while (step < end) {
        const local = step - starts[p];
        let r;
        try {
          r = yield* trainStepReads(model, opt, ph.batch(local));
        } catch (e) {
          if (!(e instanceof NonFiniteLossError)) throw e;
          bar?.done('stopped');
          throw trainingStopped(`${ph.name} step ${local + 1}: ${e.message}`, o.dir, step, lastCk, o.lr);
        }
        step++;
        const rec: StepRecord = { phase: ph.name, step, phaseStep: local + 1, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, tokens: r.tokens, seconds: Math.round(performance.now() - t0) / 1000 };
        metrics.push(rec);
        appendJsonl(metricsFile, rec);
        if (step === end || step % o.checkpointEvery === 0) {
          yield* swapInCheckpointReads(o.dir, model, { optimizer: opt, step, extra: { fingerprint: o.fingerprint, phase: p } });
          lastCk = step;
        }
        bar?.tick();
        o.onStep?.(rec, model);
      }
      bar?.done(`loss ${metrics[metrics.length - 1]?.loss.toFixed(3)}`);
    }
  } catch (e) {
    opt?.dispose();
    model.dispose();
    throw e;
  }
  opt?.dispose();
  return { model, resumedFrom, steps: total, metrics };
}
