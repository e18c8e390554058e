/**
 * The run directory and the context every stage receives. Layout (DESIGN.md):
 *   runs/<id>/config.json, graph/, rods/, coldstart/, rlvr/, eval/, log.txt
 * Each stage reads the previous stage's files and writes its own, so any stage can be rerun,
 * inspected in a notebook or resumed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunConfig, redactSecrets } from './config';
import { writeJson, readJson } from './io';
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
}

/**
 * Opens (creating if needed) the run directory of `config`, writes config.json and returns the
 * context. A run directory that already has a config.json with another seed or kg is refused, so
 * two different runs never mix their files.
 */
export function openRun(config: RunConfig, opts: { root?: string; progressMode?: ProgressMode; quiet?: boolean } = {}): RunContext {
  const dir = path.resolve(opts.root ?? process.cwd(), config.runDir);
  fs.mkdirSync(dir, { recursive: true });
  const cfgFile = path.join(dir, 'config.json');
  if (fs.existsSync(cfgFile)) {
    const prev = readJson<RunConfig>(cfgFile);
    for (const key of ['seed'] as const)
      if (prev[key] !== config[key])
        throw new Error(`${cfgFile}: this run was made with ${key}=${JSON.stringify(prev[key])}, not ${JSON.stringify(config[key])}; use another --run directory`);
    if (prev.graph?.kg !== config.graph.kg)
      throw new Error(`${cfgFile}: this run was made with --kg ${prev.graph?.kg}, not ${config.graph.kg}; use another --run directory`);
  }
  writeJson(cfgFile, redactSecrets({ ...config, runDir: config.runDir }));
  const logFile = path.join(dir, 'log.txt');
  const quiet = opts.quiet ?? false;
  // In a notebook a quiet run still says what it is doing: its latest log line, updated in place.
  const status = quiet && inNotebook() && opts.progressMode !== 'silent' ? notebookLine() : undefined;
  return {
    config,
    dir,
    stageDir(stage) {
      const d = path.join(dir, stage);
      fs.mkdirSync(d, { recursive: true });
      return d;
    },
    rng(purpose) {
      return new Rng(`${config.seed}:${purpose}`);
    },
    log(message) {
      const line = `[${new Date().toISOString()}] ${message}`;
      fs.appendFileSync(logFile, line + '\n');
      if (!quiet) process.stderr.write(message + '\n');
      else status?.(message);
    },
    progress(label, total) {
      return progress(label, total, { mode: opts.progressMode });
    },
  };
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
