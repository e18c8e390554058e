/**
 * Where the Base stands (notebook 03b, eval/report.md): a release in `base.release` (its final
 * probes, recipe and manifest, checked), or a recipe in progress in `<release>/train/` (the step
 * reached, the sessions' wall time, the training-time probes, loss per skill), or nothing yet.
 * Reads only; a file that does not match its manifest is reported, never thrown.
 *
 *   baseStatus(dir)      release | training | none
 *   runBaseOrigin(run)   which Base a run's coldstart/base started from (a release, or its own)
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../core/io';
import { seedDir } from '../graph/seed';
import { readMetrics } from '../train/metrics';
import { type BaseRecipeConfig, recipeDefaults } from './config';
import type { BaseProbes } from './probes';
import { skillAt } from './recipe';

/** One row of probes.jsonl (every `base.probeEvery` steps, on 200 drills). */
export interface ProbeRow {
  step: number;
  /** Loss on the second copy of a repeated random sequence (nats per token). */
  copy: number;
  /** Loss on the first copy (nothing to copy from). */
  copyFirst: number;
  /** Option-lookup accuracy. */
  option: number;
  optionNll?: number;
}

/** The final probes of a release (probes.json); `ceiling` when the release measured it. */
export interface ReleaseProbes extends BaseProbes {
  ceiling?: { n: number; accuracy: number };
}

/** recipe.json of a release. */
export interface RecipeRecord {
  command: string;
  seed: number;
  backend: string;
  /** What trained it: 'onnxruntime' or 'tfjs' (on `backend`); absent in releases made before it was recorded. */
  trainRuntime?: string;
  wallSeconds: number;
  steps: number;
  settings: BaseRecipeConfig;
}

/** The training loss of one skill, averaged over bins of steps. */
export interface SkillCurve {
  skill: string;
  /** Mean step of each bin's rows of this skill. */
  step: number[];
  /** Mean loss of each bin's rows of this skill. */
  loss: number[];
  /** Steps of this skill in all. */
  steps: number;
}

/** The release's files against manifest.json, and the seed graph against the hashes it was trained on. */
export interface ManifestCheck {
  ok: boolean;
  /** manifest.json's sha256 per file. */
  files: Record<string, string>;
  /** One sentence per file that is missing or differs. */
  problems: string[];
}

export interface ReleaseStatus {
  kind: 'release';
  dir: string;
  probes: ReleaseProbes | null;
  recipe: RecipeRecord | null;
  manifest: ManifestCheck;
  /** Training-time probes of the run that made the release. */
  probeRows: ProbeRow[];
  curves: SkillCurve[];
  /** Steps of the run (recipe.json, else the log's last step). */
  steps: number;
  schedule: string | null;
  /** Settings of recipe.json that differ from the recipe given (the release's are its own). */
  differs: string[];
}

export interface TrainingStatus {
  kind: 'training';
  dir: string;
  work: string;
  /** Last step in metrics.jsonl. */
  step: number;
  /** Step of the resume checkpoint (train/last), null when none is written yet. */
  checkpointStep: number | null;
  /** Steps of the whole run and the schedule (the checkpoint's settings, else the recipe's). */
  steps: number;
  schedule: string;
  settingsFrom: 'checkpoint' | 'recipe';
  /** Settings of the checkpoint that differ from the recipe given (`fleming base` would start over). */
  differs: string[];
  /** Paused sessions of this run (sessions.jsonl): how many, wall seconds, backends. */
  sessions: { count: number; seconds: number; backends: string[] };
  /** Wall seconds of steps after the last paused session (a session running now, or killed before it paused): metrics.jsonl's clock. */
  unrecordedSeconds: number;
  probeRows: ProbeRow[];
  /** Rows of probes.jsonl left from an earlier run with other settings (not shown). */
  earlierProbeRows: number;
  curves: SkillCurve[];
}

export interface NoBase {
  kind: 'none';
  dir: string;
}

export type BaseStatus = ReleaseStatus | TrainingStatus | NoBase;

export interface StatusOptions {
  /** The recipe the checkpoint is compared with, and whose schedule names the skills of a run without one (default: recipeDefaults). */
  recipe?: BaseRecipeConfig;
  /** Bins of the per-skill loss curves over the run's steps (default 200). */
  bins?: number;
}

/** The files a release holds (release.ts writeRelease). */
export const RELEASE_FILES = ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'log.jsonl', 'probes.jsonl', 'probes.json', 'recipe.json'];

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Checks every file of manifest.json (and the seed-graph files) by sha256, as findRelease does, collecting problems instead of throwing. */
export function checkManifest(dir: string): ManifestCheck {
  const manifest = readJson<{ files?: Record<string, string>; seedGraph?: Record<string, string> }>(path.join(dir, 'manifest.json'));
  const files = manifest.files ?? {};
  const problems: string[] = [];
  for (const f of RELEASE_FILES) if (!(f in files)) problems.push(`${f}: not in manifest.json`);
  for (const [f, h] of Object.entries(files)) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) problems.push(`${f}: missing`);
    else if (sha256(file) !== h) problems.push(`${f}: sha256 differs from manifest.json`);
  }
  const repo = path.resolve(seedDir(), '..', '..');
  for (const [f, h] of Object.entries(manifest.seedGraph ?? {}))
    if (!fs.existsSync(path.join(repo, f)) || sha256(path.join(repo, f)) !== h) problems.push(`${f}: the seed graph changed since the release was trained`);
  return { ok: problems.length === 0, files, problems };
}

/** The rows of the last run in an append-only file of step rows: those after the last step that does not go forward, up to `upTo`. */
export function currentRunRows<T extends { step: number }>(rows: readonly T[], upTo = Infinity): { rows: T[]; earlier: number } {
  let start = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i].step <= rows[i - 1].step) start = i;
  return { rows: rows.slice(start).filter((r) => r.step <= upTo), earlier: start };
}

/** Mean loss per skill over `bins` equal bins of steps (non-finite losses left out). */
export function skillCurves(rows: readonly { step: number; skill: string; loss: number }[], bins = 200): SkillCurve[] {
  const last = rows.reduce((m, r) => Math.max(m, r.step), 0);
  const width = Math.max(1, Math.ceil(last / bins));
  const acc = new Map<string, Map<number, { step: number; loss: number; n: number }>>();
  const counts = new Map<string, number>();
  for (const r of rows) {
    counts.set(r.skill, (counts.get(r.skill) ?? 0) + 1);
    if (!Number.isFinite(r.loss)) continue;
    const perSkill = acc.get(r.skill) ?? new Map();
    acc.set(r.skill, perSkill);
    const b = Math.floor((r.step - 1) / width);
    const cell = perSkill.get(b) ?? { step: 0, loss: 0, n: 0 };
    perSkill.set(b, { step: cell.step + r.step, loss: cell.loss + r.loss, n: cell.n + 1 });
  }
  const order = ['knowledge', 'copy', 'lookup', 'option'];
  const skills = [...counts.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
  return skills.map((skill) => {
    const cells = [...(acc.get(skill) ?? new Map()).entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    return { skill, step: cells.map((c) => Math.round(c.step / c.n)), loss: cells.map((c) => r4(c.loss / c.n)), steps: counts.get(skill) ?? 0 };
  });
}

/** A release: final probes, recipe, manifest check, the training log's probes and loss per skill. */
function releaseStatus(dir: string, recipeNow: BaseRecipeConfig, bins: number): ReleaseStatus {
  const file = (f: string) => path.join(dir, f);
  const probes = fs.existsSync(file('probes.json')) ? readJson<ReleaseProbes>(file('probes.json')) : null;
  const recipe = fs.existsSync(file('recipe.json')) ? readJson<RecipeRecord>(file('recipe.json')) : null;
  const log = readMetrics<{ step: number; skill: string; loss: number }>(file('log.jsonl'));
  const steps = recipe?.steps ?? log[log.length - 1]?.step ?? 0;
  const probeRows = currentRunRows(readMetrics<ProbeRow>(file('probes.jsonl')), steps).rows;
  const differs = recipe?.settings ? differingSettings(recipe.settings, recipeNow) : [];
  return { kind: 'release', dir, probes, recipe, manifest: checkManifest(dir), probeRows, curves: skillCurves(log, bins), steps, schedule: recipe?.settings?.schedule ?? null, differs };
}

interface SessionRow {
  fromStep: number;
  toStep: number;
  seconds: number;
  backend?: string;
}

/** Sessions of the current run: from the last one back, while each ends where the next began (an earlier run's rows stop the walk). */
function currentSessions(rows: readonly SessionRow[], upTo: number) {
  const kept: SessionRow[] = [];
  let limit = upTo;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i];
    if (r.toStep > limit) break;
    kept.push(r);
    if (r.fromStep <= 0 || r.fromStep >= r.toStep) break;
    limit = r.fromStep;
  }
  return { count: kept.length, seconds: kept.reduce((a, r) => a + r.seconds, 0), backends: [...new Set(kept.map((r) => r.backend ?? '?'))], lastStep: kept[0]?.toStep ?? 0 };
}

/** The settings of `recipe` that the checkpoint's differ in (the release directory never counts). */
function differingSettings(settings: Partial<BaseRecipeConfig>, recipe: BaseRecipeConfig): string[] {
  const keys = new Set([...Object.keys(settings), ...Object.keys(recipe)].filter((k) => k !== 'release'));
  return [...keys].filter((k) => JSON.stringify(settings[k as keyof BaseRecipeConfig]) !== JSON.stringify(recipe[k as keyof BaseRecipeConfig]));
}

/** A recipe in progress in `<dir>/train/`. */
function trainingStatus(dir: string, recipe: BaseRecipeConfig, bins: number): TrainingStatus {
  const work = path.join(dir, 'train');
  const stateFile = path.join(work, 'last', 'trainer_state.json');
  const state = fs.existsSync(stateFile) ? readJson<{ step: number; extra?: { fingerprint?: { base?: Partial<BaseRecipeConfig> } } }>(stateFile) : null;
  const settings = state?.extra?.fingerprint?.base;
  const schedule = settings?.schedule ?? recipe.schedule;
  const steps = settings?.steps ?? recipe.steps;
  const metrics = readMetrics<{ step: number; loss: number; seconds?: number }>(path.join(work, 'metrics.jsonl'));
  const step = metrics[metrics.length - 1]?.step ?? state?.step ?? 0;
  const probes = currentRunRows(readMetrics<ProbeRow>(path.join(work, 'probes.jsonl')), step);
  const { lastStep, ...sessions } = currentSessions(readMetrics<SessionRow>(path.join(work, 'sessions.jsonl')), state?.step ?? step);
  const unrecordedSeconds = step > lastStep ? Math.round(metrics[metrics.length - 1]?.seconds ?? 0) : 0;
  const curves = skillCurves(metrics.map((m) => ({ step: m.step, skill: skillAt(schedule, m.step - 1), loss: m.loss })), bins);
  return {
    kind: 'training', dir, work, step, checkpointStep: state?.step ?? null, steps, schedule,
    settingsFrom: settings ? 'checkpoint' : 'recipe', differs: settings ? differingSettings(settings, recipe) : [],
    sessions, unrecordedSeconds, probeRows: probes.rows, earlierProbeRows: probes.earlier, curves,
  };
}

/**
 * What exists of the Base in release directory `dir`: a release (manifest.json there), else a
 * recipe in progress (a checkpoint or metrics in `<dir>/train/`), else nothing. A jsonl file's
 * last line cut short by a kill is dropped (src/train/metrics.ts readMetrics).
 */
export function baseStatus(dir: string, opts: StatusOptions = {}): BaseStatus {
  const bins = opts.bins ?? 200;
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return releaseStatus(dir, opts.recipe ?? recipeDefaults, bins);
  const work = path.join(dir, 'train');
  if (fs.existsSync(path.join(work, 'last', 'trainer_state.json')) || fs.existsSync(path.join(work, 'metrics.jsonl'))) return trainingStatus(dir, opts.recipe ?? recipeDefaults, bins);
  return { kind: 'none', dir };
}

/** What trained a release: the native runtime, or the TensorFlow.js backend. */
export function trainedOn(r: Pick<RecipeRecord, 'backend' | 'trainRuntime'>): string {
  return r.trainRuntime === 'onnxruntime' ? 'onnxruntime (native CPU)' : r.backend;
}

/** Wall time as people read it: seconds, minutes, or hours with one decimal. */
export function duration(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}
const int = (n: number) => n.toLocaleString('en-US');

/** The status in a few sentences (notebook, logs). */
export function statusLines(st: BaseStatus): string[] {
  if (st.kind === 'none') return [`No released Base in ${st.dir} and no recipe in progress: \`fleming base\` trains it (\`--hours H\` pauses; rerun to resume).`];
  if (st.kind === 'release') {
    const r = st.recipe;
    return [
      `Released Base in ${st.dir}: ${int(st.steps)} steps${st.schedule ? `, schedule ${st.schedule}` : ''}${r ? `; \`${r.command}\` (seed ${r.seed}), ${duration(r.wallSeconds)} on ${trainedOn(r)}` : '; no recipe.json'}.`,
      st.manifest.ok ? `Every file matches manifest.json (sha256), and so does the seed graph it was trained on.` : `Manifest check: ${st.manifest.problems.join('; ')}.`,
      ...(st.differs.length ? [`Its settings (recipe.json) differ from this configuration's \`base\` section in ${st.differs.join(', ')}.`] : []),
    ];
  }
  const s = st.sessions;
  const lines = [
    `Recipe in progress in ${st.work}: step ${int(st.step)} of ${int(st.steps)} (${((100 * st.step) / Math.max(1, st.steps)).toFixed(0)}%), schedule ${st.schedule}; ` +
      `${st.checkpointStep === null ? 'no resume checkpoint yet' : `resume checkpoint at step ${int(st.checkpointStep)}`}; ${s.count} paused session${s.count === 1 ? '' : 's'}${s.count ? `, ${duration(s.seconds)} on ${s.backends.join(', ')}` : ''}` +
      `${st.unrecordedSeconds ? `; ${duration(st.unrecordedSeconds)} since (a session running now, or one killed before it paused)` : ''}.`,
  ];
  if (st.differs.length) lines.push(`The checkpoint was written with other settings than the recipe's (${st.differs.join(', ')}): \`fleming base\` with the recipe would start over.`);
  if (st.earlierProbeRows) lines.push(`probes.jsonl also holds ${st.earlierProbeRows} rows of an earlier run (not shown).`);
  return lines;
}

/** Which Base a run's coldstart/base started from (`done.json`'s fingerprint, and the release directory its checkpoint names). */
export type BaseOrigin =
  | { kind: 'release'; dir: string; trainedFrom: Record<string, string>; now: ReleaseStatus | null; changed: string[] }
  | { kind: 'own'; dir: string }
  | { kind: 'none' };

/**
 * The Base of run `runDir`: 'release' when its finished coldstart/base was tuned from a released
 * Base (with the release's status now, and the files that changed since), 'own' when the run
 * pretrained its own, 'none' when it has no finished Base.
 */
export function runBaseOrigin(runDir: string): BaseOrigin {
  const dir = path.join(runDir, 'coldstart', 'base');
  const done = path.join(dir, 'done.json');
  if (!fs.existsSync(done)) return { kind: 'none' };
  const trainedFrom = readJson<{ fingerprint?: { release?: Record<string, string> } }>(done).fingerprint?.release;
  if (!trainedFrom) return { kind: 'own', dir };
  const stateFile = path.join(dir, 'trainer_state.json');
  const from = fs.existsSync(stateFile) ? readJson<{ extra?: { from?: string } }>(stateFile).extra?.from : undefined;
  const configured = fs.existsSync(path.join(runDir, 'config.json')) ? readJson<{ base?: { release?: string } }>(path.join(runDir, 'config.json')).base?.release : undefined;
  const releaseAt = from ?? (configured ? path.resolve(seedDir(), '..', '..', configured) : ''); // release.ts releaseDir(), without loading the model code
  const st = releaseAt && fs.existsSync(path.join(releaseAt, 'manifest.json')) ? releaseStatus(releaseAt, recipeDefaults, 50) : null;
  const changed = st ? Object.keys({ ...trainedFrom, ...st.manifest.files }).filter((f) => trainedFrom[f] !== st.manifest.files[f]) : [];
  return { kind: 'release', dir: releaseAt, trainedFrom, now: st, changed };
}
