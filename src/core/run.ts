/**
 * The run directory and the context every stage receives. Layout (DESIGN.md):
 *   runs/<id>/config.json, graph/, rods/, coldstart/, rlvr/, eval/, log.txt
 * Each stage reads the previous stage's files and writes its own, so any stage can be rerun,
 * inspected in a notebook or resumed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunConfig, defaults as configDefaults, limits as configLimits, redactSecrets } from './config';
import { ensureDir, isReadOnlyError, readJson, tempPid, writable, writeError, writeFileIfChanged, writeJson } from './io';
import { inNotebook, notebookLine, progress, Progress, ProgressMode } from './progress';
import { Rng, hashString } from './rng';

export const STAGES = ['graph', 'rods', 'coldstart', 'rlvr', 'eval'] as const;
export type StageName = (typeof STAGES)[number];

export interface RunContext {
  config: RunConfig;
  /** Absolute run directory. */
  dir: string;
  /** Directory of a stage's outputs (created on demand). */
  stageDir(stage: StageName): string;
  /** A deterministic generator for a named purpose, derived from the run's seed. */
  rng(purpose: string): Rng;
  log(message: string): void;
  progress(label: string, total: number): Progress;
  /**
   * Training resumes from its last checkpoint even though the learning rate changed (`fleming …
   * --resume`, after a non-finite loss); otherwise a changed rate starts the stage over.
   */
  resumeNewLr?: boolean;
}

export interface OpenRunOptions {
  root?: string;
  progressMode?: ProgressMode;
  quiet?: boolean;
  /** See RunContext.resumeNewLr. */
  resumeNewLr?: boolean;
}

/**
 * Opens (creating if needed) the run directory of `config`, writes config.json (only when it
 * changed, so a finished run can be read from a read-only copy), removes the temporary files that
 * killed or failed writes left (their process is gone) and returns the context. A run directory
 * that already has a config.json with another seed or kg is refused, so two different runs never
 * mix their files.
 */
export function openRun(config: RunConfig, opts: OpenRunOptions = {}): RunContext {
  const dir = path.resolve(opts.root ?? process.cwd(), config.runDir);
  ensureDir(dir);
  const cfgFile = path.join(dir, 'config.json');
  if (fs.existsSync(cfgFile)) {
    const prev = readJson<RunConfig>(cfgFile);
    for (const key of ['seed'] as const)
      if (prev[key] !== config[key])
        throw new Error(`${cfgFile}: this run was made with ${key}=${JSON.stringify(prev[key])}, not ${JSON.stringify(config[key])}; use another --run directory`);
    if (prev.graph?.kg !== config.graph.kg)
      throw new Error(`${cfgFile}: this run was made with --kg ${prev.graph?.kg}, not ${config.graph.kg}; use another --run directory`);
  }
  if (!writeFileIfChanged(cfgFile, JSON.stringify(redactSecrets({ ...config, runDir: config.runDir }), null, 2) + '\n') && writable(dir)) touch(cfgFile); // the run in use is the latest (latestRun)
  const logFile = path.join(dir, 'log.txt');
  const quiet = opts.quiet ?? false;
  // In a notebook a quiet run still says what it is doing: its latest log line, updated in place.
  const status = quiet && inNotebook() && opts.progressMode !== 'silent' ? notebookLine() : undefined;
  let logWritable = true;
  const ctx: RunContext = {
    config,
    dir,
    resumeNewLr: opts.resumeNewLr,
    stageDir(stage) {
      const d = path.join(dir, stage);
      ensureDir(d);
      return d;
    },
    rng(purpose) {
      return new Rng(`${config.seed}:${purpose}`);
    },
    log(message) {
      const line = `[${new Date().toISOString()}] ${message}`;
      if (logWritable) logWritable = appendLog(logFile, line);
      if (!quiet) process.stderr.write(message + '\n');
      else status?.(message);
    },
    progress(label, total) {
      return progress(label, total, { mode: opts.progressMode });
    },
  };
  const swept = sweepTempFiles(dir);
  if (swept.length) ctx.log(`removed ${swept.length} temporary file${swept.length > 1 ? 's' : ''} that an interrupted write left: ${swept.slice(0, 5).map((f) => path.relative(dir, f)).join(', ')}${swept.length > 5 ? ', …' : ''}`);
  return ctx;
}

/** Sets a file's times to now (nothing when it may not be changed). */
function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch (e) {
    if (!isReadOnlyError(e)) throw e;
  }
}

/** Appends a line to log.txt; false (and one line on stderr) when the run directory is read-only. */
function appendLog(file: string, line: string): boolean {
  try {
    fs.appendFileSync(file, line + '\n');
    return true;
  } catch (e) {
    if (!isReadOnlyError(e)) throw writeError(file, e);
    process.stderr.write(`${path.dirname(file)} is read-only: log lines go to stderr only, not to ${file}\n`);
    return false;
  }
}

/** Whether process `pid` is alive on this machine. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files under `dir` (io.tempName's `<file>.tmp-<pid>-…`) whose process is
 * gone: what a killed or failed write left. Another live process's files (a write in flight) are
 * kept; so is everything in a read-only directory. Returns the files removed.
 */
export function sweepTempFiles(dir: string): string[] {
  const removed: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const pid = tempPid(e.name);
      if (pid !== null && pid !== process.pid && !pidAlive(pid)) {
        try {
          fs.rmSync(p, { recursive: true, force: true });
          removed.push(p);
        } catch (err) {
          if (!isReadOnlyError(err)) throw err;
        }
      } else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return removed.sort();
}

/** A short content hash of a file, for stage fingerprints. */
export function fileHash(file: string): string {
  return hashString(fs.readFileSync(file, 'utf8')).toString(16);
}

/** A run's graph files (nodes.jsonl and edges.jsonl in `graphDir`) as one fingerprint; null when either is missing. */
export function graphFilesHash(graphDir: string): string | null {
  const edges = path.join(graphDir, 'edges.jsonl');
  const nodes = path.join(graphDir, 'nodes.jsonl');
  return fs.existsSync(edges) && fs.existsSync(nodes) ? fileHash(edges) + fileHash(nodes) : null;
}

/**
 * Whether a stage already finished with exactly these inputs: its done file exists and records the
 * same fingerprint. Stages skip their work then (unless --force).
 */
export function stageDone(doneFile: string, fingerprint: unknown): boolean {
  return fs.existsSync(doneFile) && JSON.stringify(readJson<{ fingerprint: unknown }>(doneFile).fingerprint) === JSON.stringify(fingerprint);
}

/** Records that a stage finished with these inputs (written last, atomically). */
export function markStageDone(doneFile: string, fingerprint: unknown, extra: Record<string, unknown> = {}): void {
  writeJson(doneFile, { fingerprint, finishedAt: new Date().toISOString(), ...extra });
}

/** Whether `dir` is a run directory (it holds the config.json openRun() writes). */
export function isRunDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json'));
}

/** The run under `runsRoot` (e.g. runs/) whose config.json was written last, or null when there is none. */
export function latestRun(runsRoot: string): string | null {
  if (!fs.existsSync(runsRoot)) return null;
  const runs = fs
    .readdirSync(runsRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isRunDir(path.join(runsRoot, e.name)))
    .map((e) => ({ dir: path.join(runsRoot, e.name), at: fs.statSync(path.join(runsRoot, e.name, 'config.json')).mtimeMs }))
    .sort((a, b) => a.at - b.at || a.dir.localeCompare(b.dir));
  return runs.length ? runs[runs.length - 1].dir : null;
}

/**
 * The settings a run recorded in its config.json, as overrides for the next command on it: the
 * keys this version still knows (the others are listed in `dropped`), without the per-command
 * ones (runDir, backend, strict) and without redacted values.
 */
export function recordedSettings(recorded: Record<string, unknown>): { settings: Record<string, unknown>; dropped: string[] } {
  const dropped: string[] = [];
  const keep = (v: unknown, def: unknown, limits: unknown, at: string): unknown => {
    if (!isObject(v) || !isObject(def) || (isObject(limits) && (limits as { kind?: string }).kind === 'map')) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const key = at ? `${at}.${k}` : k;
      const lim = isObject(limits) ? (limits as Record<string, unknown>)[k] : undefined;
      if (x === '[redacted]' || (!at && PER_COMMAND.has(k))) continue;
      if (def[k] === undefined && !(isObject(lim) && lim.kind === 'optional')) dropped.push(key);
      else out[k] = isObject(x) && lim && (lim as { kind?: string }).kind === 'optional' ? Object.fromEntries(Object.entries(x).filter(([, y]) => y !== '[redacted]')) : keep(x, def[k], lim, key);
    }
    return out;
  };
  return { settings: keep(recorded, configDefaults, configLimits, '') as Record<string, unknown>, dropped };
}

/** Settings chosen per command, not kept from one command to the next. */
const PER_COMMAND = new Set(['runDir', 'backend', 'strict']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The stage each config section belongs to (its command), and the files that say it finished. */
export const FINISHED_BY: Record<string, { stage: string; done: string[] }> = {
  graph: { stage: 'graph', done: ['graph/done.json'] },
  rods: { stage: 'rods', done: ['rods/done.json'] },
  pretrain: { stage: 'pretrain', done: ['coldstart/base/done.json'] },
  coldstart: { stage: 'coldstart', done: ['coldstart/cot-done.json'] },
  sft: { stage: 'coldstart', done: ['coldstart/sft/done.json'] },
  rlvr: { stage: 'rlvr', done: ['rlvr/stage1/done.json', 'rlvr/stage2/done.json'] },
};

/** Where an input lives, not what a stage computes (rods leaves it out of its fingerprint). */
const LOCATIONS = new Set(['rods.benchmarksDir']);

/** A setting that differs from the value a finished stage of the run was made with. */
export interface SettingChange {
  key: string;
  from: unknown;
  to: unknown;
  /** The stage (command) that finished with `from`. */
  stage: string;
  /** Its done file, relative to the run. */
  done: string;
}

/**
 * The settings of `next` that differ from the run's recorded config where the stage they belong
 * to has finished (its done file exists in `dir`). Settings the run never recorded (a newer
 * version's) and redacted values are not compared.
 */
export function changedFinishedSettings(recorded: Record<string, unknown>, next: RunConfig, dir: string): SettingChange[] {
  const out: SettingChange[] = [];
  for (const [section, { stage, done }] of Object.entries(FINISHED_BY)) {
    const finished = done.find((f) => fs.existsSync(path.join(dir, f)));
    const prev = recorded[section];
    if (!finished || !isObject(prev)) continue;
    const walk = (a: unknown, b: unknown, def: unknown, at: string): void => {
      if (LOCATIONS.has(at) || a === '[redacted]') return;
      if (isObject(a) && isObject(b) && isObject(def) && !at.endsWith('.rewards') && !at.endsWith('.mix')) {
        // a setting the run never recorded is a newer version's (not compared), unless it is optional (absent = unset)
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (k in a || def[k] === undefined) walk(a[k], b[k], def[k], `${at}.${k}`);
        return;
      }
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ key: at, from: a, to: b, stage, done: finished });
    };
    walk(prev, (next as unknown as Record<string, unknown>)[section], (configDefaults as unknown as Record<string, unknown>)[section], section);
  }
  return out;
}
