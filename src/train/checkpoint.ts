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
import { AdamW, type AdamWConfig } from '../model/train';

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
  /** Set when the checkpoint was written with another learning rate and ResumeOptions.newLr let it resume: what changed. */
  lrChanged?: string;
}

/** How resumeCheckpoint() decides. */
export interface ResumeOptions {
  /** Whether a checkpoint at `step` fits the run (default: any). */
  accept?: (step: number) => boolean;
  /** The learning-rate settings inside the fingerprint, as dotted paths (e.g. 'sft.lr', 'sft.minLr'). */
  lrKeys?: readonly string[];
  /** Resume from a checkpoint whose fingerprint differs in lrKeys only (--resume after a non-finite loss). */
  newLr?: boolean;
}

/** `value` without the dotted paths `keys` (a JSON copy). */
function without(value: unknown, keys: readonly string[]): unknown {
  const copy = JSON.parse(JSON.stringify(value ?? null)) as Record<string, unknown> | null;
  for (const k of keys) {
    const parts = k.split('.');
    let o: unknown = copy;
    for (const p of parts.slice(0, -1)) o = o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined;
    if (o && typeof o === 'object') delete (o as Record<string, unknown>)[parts[parts.length - 1]];
  }
  return copy;
}

/** The lrKeys that differ between two fingerprints, as `key a → b`. */
function lrChanges(prev: unknown, next: unknown, keys: readonly string[]): string {
  const at = (v: unknown, k: string) => k.split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), v);
  return keys.filter((k) => JSON.stringify(at(prev, k)) !== JSON.stringify(at(next, k))).map((k) => `${k} ${at(prev, k)} → ${at(next, k)}`).join(', ');
}

/**
 * Loads `<dir>/last/` when it was written with an equal fingerprint (JSON-compared) and
 * `accept(step)` holds, or, with `newLr`, with a fingerprint that differs in the learning rate
 * only; otherwise logs why (saying when --resume would have continued), deletes it and returns
 * null (start over).
 */
export function resumeCheckpoint<E extends { fingerprint: unknown }>(dir: string, fingerprint: unknown, log: (message: string) => void, o: ResumeOptions = {}): Resumed<E> | null {
  const ck = lastCheckpointDir(dir);
  if (!ck) return null;
  const state = readJson<{ step: number; extra?: E }>(path.join(ck, 'trainer_state.json'));
  const prev = state.extra?.fingerprint;
  const same = JSON.stringify(prev) === JSON.stringify(fingerprint);
  const lrOnly = !same && !!o.lrKeys?.length && JSON.stringify(without(prev, o.lrKeys)) === JSON.stringify(without(fingerprint, o.lrKeys));
  const accepted = (o.accept ?? (() => true))(state.step);
  if (!accepted || !(same || (lrOnly && o.newLr))) {
    const why = lrOnly && accepted ? `the learning rate changed (${lrChanges(prev, fingerprint, o.lrKeys ?? [])}); starting over from step 0 (--resume would continue from step ${state.step} with the new rate)` : 'written with other settings; starting over';
    log(`ignoring ${ck}: ${why}`);
    clearCheckpoints(dir);
    return null;
  }
  const loaded = loadCheckpoint(ck);
  const lrChanged = same ? undefined : lrChanges(prev, fingerprint, o.lrKeys ?? []);
  return { dir: ck, step: state.step, extra: state.extra, model: loaded.model, optimizer: loaded.optimizer, rng: loaded.rng, lrChanged };
}

/** An AdamW with `config` that takes over the step count and moments of `old` (old is left empty). */
export function adoptOptimizer(old: AdamW, config: Partial<AdamWConfig>): AdamW {
  const opt = new AdamW(config);
  opt.step = old.step;
  for (const [k, v] of old.m) opt.m.set(k, v);
  for (const [k, v] of old.v) opt.v.set(k, v);
  old.m.clear();
  old.v.clear();
  return opt;
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
