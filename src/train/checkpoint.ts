/**
 * The resume checkpoint of a training directory, `<dir>/last/`: written beside it (`last.tmp`),
 * then swapped in by renaming, so a kill at any moment leaves either the previous checkpoint or
 * the new one, never half of one (`last.old` covers the instant between the two renames).
 * Every stage that trains (pretraining, SFT, both GRPO stages) resumes through these functions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../core/io';
import { stageDone } from '../core/run';
import { SaveOptions, loadCheckpoint, saveCheckpointReads } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import type { Reads } from '../model/reads';
import type { Rng } from '../core/rng';
import type { AdamW } from '../model/train';

/** The usable resume checkpoint directory (`last`, or `last.old` when a swap was interrupted). */
export function lastCheckpointDir(dir: string): string | undefined {
  for (const d of ['last', 'last.old']) {
    const p = path.join(dir, d);
    if (fs.existsSync(path.join(p, 'trainer_state.json')) && fs.existsSync(path.join(p, 'model.safetensors'))) return p;
  }
  return undefined;
}

/** Writes `<dir>/last/` atomically (tmp → rename), replacing the previous resume checkpoint. */
export function* swapInCheckpointReads(dir: string, model: Llama, opts: SaveOptions): Reads<void> {
  const tmp = path.join(dir, 'last.tmp');
  const last = path.join(dir, 'last');
  const old = path.join(dir, 'last.old');
  fs.rmSync(tmp, { recursive: true, force: true });
  yield* saveCheckpointReads(tmp, model, opts);
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(last)) fs.renameSync(last, old);
  fs.renameSync(tmp, last);
  fs.rmSync(old, { recursive: true, force: true });
}

/** Removes the resume checkpoint (after the caller has saved the final model elsewhere). */
export function clearCheckpoints(dir: string): void {
  for (const d of ['last', 'last.old', 'last.tmp']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
}

/** A loaded resume checkpoint: weights, optimiser moments, rng, and the loop's own `extra` state. */
export interface Resumed<E> {
  dir: string;
  step: number;
  extra: E | undefined;
  model: Llama;
  optimizer?: AdamW;
  rng?: Rng;
}

/**
 * Loads `<dir>/last/` when it was written with an equal fingerprint (JSON-compared) and
 * `accept(step)` holds; otherwise logs why, deletes it and returns null (start over).
 */
export function resumeCheckpoint<E extends { fingerprint: unknown }>(
  dir: string,
  fingerprint: unknown,
  log: (message: string) => void,
  accept: (step: number) => boolean = () => true,
): Resumed<E> | null {
  const ck = lastCheckpointDir(dir);
  if (!ck) return null;
  const state = readJson<{ step: number; extra?: E }>(path.join(ck, 'trainer_state.json'));
  if (JSON.stringify(state.extra?.fingerprint) !== JSON.stringify(fingerprint) || !accept(state.step)) {
    log(`ignoring ${ck}: written with other settings; starting over`);
    clearCheckpoints(dir);
    return null;
  }
  const loaded = loadCheckpoint(ck);
  return { dir: ck, step: state.step, extra: state.extra, model: loaded.model, optimizer: loaded.optimizer, rng: loaded.rng };
}

/**
 * Whether a training stage in `dir` is finished with these inputs (`<dir>/done.json` written
 * under an equal fingerprint) and may be reused. When it is not (or `force`), a stale done.json
 * and the resume checkpoint go, so the stage trains afresh; an unfinished stage keeps its
 * checkpoint and resumes.
 */
export function finishedStage(dir: string, fingerprint: unknown, force = false): boolean {
  const doneFile = path.join(dir, 'done.json');
  if (!force && stageDone(doneFile, fingerprint)) return true;
  if (force || fs.existsSync(doneFile)) {
    fs.rmSync(doneFile, { force: true });
    clearCheckpoints(dir);
  }
  return false;
}
