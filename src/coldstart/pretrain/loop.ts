/**
 * A resumable training loop over phases (knowledge LM, then direct-answer tuning), each with its
 * own AdamW and warm-up + cosine schedule. A checkpoint goes to `<dir>/last/` every N steps
 * (written beside it, then swapped in by renaming, so a kill never leaves half a checkpoint);
 * a restarted loop with the same fingerprint resumes from it and ends with the same weights as an
 * uninterrupted run, because every batch is a function of the step number. A non-finite loss
 * stops the loop with TrainingStopped and leaves the last good checkpoint in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, appendJsonl, writeJsonlSync } from '../../core/io';
import type { Progress } from '../../core/progress';
import { loadCheckpoint, saveCheckpointReads } from '../../model/checkpoint';
import type { Batch, Llama } from '../../model/llama';
import { Reads, runAsync, runSync } from '../../model/reads';
import { AdamW, AdamWConfig, NonFiniteLossError, trainStepReads } from '../../model/train';

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

/** The usable resume checkpoint directory (`last`, or `last.old` when a swap was interrupted). */
export function lastCheckpointDir(dir: string): string | undefined {
  for (const d of ['last', 'last.old']) {
    const p = path.join(dir, d);
    if (fs.existsSync(path.join(p, 'trainer_state.json')) && fs.existsSync(path.join(p, 'model.safetensors'))) return p;
  }
  return undefined;
}

function* swapIn(dir: string, model: Llama, opt: AdamW, step: number, extra: LoopExtra): Reads<void> {
  const tmp = path.join(dir, 'last.tmp');
  const last = path.join(dir, 'last');
  const old = path.join(dir, 'last.old');
  fs.rmSync(tmp, { recursive: true, force: true });
  yield* saveCheckpointReads(tmp, model, { optimizer: opt, step, extra: extra as unknown as Record<string, unknown> });
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(last)) fs.renameSync(last, old);
  fs.renameSync(tmp, last);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Removes the resume checkpoint (after the caller has saved the final model elsewhere). */
export function clearCheckpoints(dir: string): void {
  for (const d of ['last', 'last.old', 'last.tmp']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
}

/** Rows of a metrics.jsonl; a last line cut short by a kill is dropped (an earlier bad line is an InputError). */
export function readMetrics(file: string): StepRecord[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: StepRecord[] = [];
  lines.forEach((t, i) => {
    if (t.trim() === '') return;
    try {
      out.push(JSON.parse(t) as StepRecord);
    } catch (e) {
      if (lines.slice(i + 1).some((x) => x.trim() !== '')) throw new InputError(file, i + 1, `invalid JSON (${(e as Error).message})`);
    }
  });
  return out;
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

  let model: Llama | undefined;
  let opt: AdamW | undefined;
  let step = 0;
  let optPhase = -1;
  let resumedFrom: number | null = null;
  const ck = lastCheckpointDir(o.dir);
  if (ck) {
    const state = JSON.parse(fs.readFileSync(path.join(ck, 'trainer_state.json'), 'utf8')) as { step: number; extra?: LoopExtra };
    if (JSON.stringify(state.extra?.fingerprint) === JSON.stringify(o.fingerprint) && state.step <= total) {
      const loaded = loadCheckpoint(ck);
      model = loaded.model;
      opt = loaded.optimizer;
      step = state.step;
      optPhase = state.extra?.phase ?? -1;
      resumedFrom = step;
      log(`resuming from ${ck} at step ${step}/${total}`);
    } else {
      log(`ignoring ${ck}: written with other settings; starting over`);
      clearCheckpoints(o.dir);
    }
  }
  if (!model) {
    model = init();
    if (fs.existsSync(metricsFile)) fs.rmSync(metricsFile);
  }
  const metrics = readMetrics(metricsFile).filter((r) => r.step <= step);
  writeJsonlSync(metricsFile, metrics);

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
          const kept = lastCheckpointDir(o.dir);
          throw new TrainingStopped(
            `${ph.name} step ${local + 1}: ${e.message}. ` +
              (kept ? `The last good checkpoint (step ${lastCk ?? '?'}) is kept in ${kept}; rerun to resume from it, or lower the learning rate and use --force.` : 'No checkpoint was written yet; lower the learning rate and rerun.'),
            step,
            lastCk,
          );
        }
        step++;
        const rec: StepRecord = { phase: ph.name, step, phaseStep: local + 1, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, tokens: r.tokens, seconds: Math.round(performance.now() - t0) / 1000 };
        metrics.push(rec);
        appendJsonl(metricsFile, rec);
        if (step === end || step % o.checkpointEvery === 0) {
          yield* swapIn(o.dir, model, opt, step, { fingerprint: o.fingerprint, phase: p });
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
