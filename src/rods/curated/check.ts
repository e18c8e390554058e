/**
 * `fleming benchmarks check FILE|NAME` loads one benchmark spec (a spec file, or a built-in by
 * name) and prints what a user needs to see whether the mapping is right: rows read, items loaded,
 * skipped rows by reason (with the mapping each concerns and the first offending row), and three
 * items (first, middle, last) rendered as the model sees them. A benchmark that loads 0 items or
 * skips more than its spec allows prints the same report, then fails.
 * `fleming benchmarks list` lists the registry: each built-in, the file it reads, and whether
 * that file is in the benchmarks directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { itemPrompt } from '../../protocol/prompt';
import type { Item } from '../item';
import { CURATED_BENCHMARKS, loadSpec } from './registry';
import { formatOf, readSpec, type BenchmarkSpec } from './spec';
import type { SourceOptions } from './source';
import { BenchmarkLoadError, describeSkips, type LoadReport } from './usable';

/** What checking one spec gave; `error` is set when the benchmark is not usable. */
export interface CheckResult {
  spec: BenchmarkSpec;
  report: LoadReport;
  /** The three items shown (first, middle, last; fewer when fewer loaded). */
  shown: Item[];
  error?: string;
}

/** The spec a `check` target names: a spec file, else a built-in benchmark. */
export function specOf(target: string): BenchmarkSpec {
  if (fs.existsSync(target) && fs.statSync(target).isFile()) return readSpec(target);
  const e = CURATED_BENCHMARKS[target];
  if (e) return e.spec;
  throw new Error(`benchmarks check: "${target}" is neither a spec file nor a built-in benchmark (${Object.keys(CURATED_BENCHMARKS).join(', ')})`);
}

/** First, middle and last of a list (fewer when shorter). */
export function firstMiddleLast<T>(xs: readonly T[]): T[] {
  const idx = [...new Set([0, Math.floor((xs.length - 1) / 2), xs.length - 1])].filter((i) => i >= 0 && i < xs.length);
  return idx.map((i) => xs[i]);
}

/** Loads a spec and reports counts, skips and three items (see the module comment). */
export async function checkBenchmark(target: string, source: SourceOptions, strict = false): Promise<CheckResult> {
  const spec = specOf(target);
  try {
    const { items, report } = await loadSpec(spec, new SkipReport(strict), source);
    return { spec, report, shown: firstMiddleLast(items) };
  } catch (e) {
    if (!(e instanceof BenchmarkLoadError)) throw e;
    return { spec, report: e.report, shown: [], error: e.message };
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(1).replace(/\.0$/, '')}%`;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s);

function mappingLine(spec: BenchmarkSpec): string {
  if (spec.loader) return `loader: ${spec.loader} (code)`;
  const f = spec.fields;
  if (!f) return '';
  const opts = Array.isArray(f.options) ? `[${f.options.join(', ')}]` : f.options + (f.optionText ? ` (text: ${f.optionText}${f.optionKey ? `, key: ${f.optionKey}` : ''})` : '');
  const extra = [f.id ? `id ← ${f.id}` : 'id ← line number', ...(f.subject ? [`subject ← ${f.subject}`] : [])];
  return `fields: question ← ${f.question}, options ← ${opts}, answer ← ${f.answer} (${f.answerFormat}), ${extra.join(', ')}`;
}

/** One item as the model sees it (itemPrompt), with its id, line and answer. */
export function renderItem(it: Item, maxQuestion = 600): string {
  const n = Object.keys(it.options).length;
  const prompt = itemPrompt({ question: clip(it.question, maxQuestion), options: Object.fromEntries(Object.entries(it.options).map(([k, v]) => [k, clip(v, 200)])) });
  return [`── ${it.id} (line ${it.meta?.line ?? '?'}) · answer ${it.answer} · ${n} options`, prompt].join('\n');
}

/** The check report as text (see the module comment). */
export function formatCheck(r: CheckResult): string {
  const { spec, report } = r;
  const share = report.rows ? report.skipped / report.rows : 0;
  const expected = spec.expectedCount !== undefined && spec.expectedCount !== report.loaded ? ` (the spec expects ${spec.expectedCount})` : '';
  const out = [
    `benchmark ${spec.name} — ${spec.specFile ? `spec ${spec.specFile}` : 'built in'}${spec.description ? `: ${spec.description}` : ''}`,
    `  file: ${report.file} (${formatOf(spec)}${spec.language ? `, language ${spec.language}` : ''})`,
    `  ${mappingLine(spec)}`,
    `rows ${report.rows}: ${report.loaded} items loaded${expected}, ${report.skipped} skipped (${pct(share)}; the spec allows ${pct(spec.maxSkipShare)})`,
  ];
  if (report.reasons.length) out.push('skipped rows by reason:', ...describeSkips(report, report.reasons.length));
  if (r.shown.length) out.push(`${r.shown.length} items (first, middle, last), as the model sees them:`, ...r.shown.map((it) => renderItem(it)));
  return out.join('\n');
}

/** `fleming benchmarks list`: the registry, one line per benchmark. */
export function formatList(benchmarksDir: string | null): string {
  const rows = Object.values(CURATED_BENCHMARKS).map((e) => {
    const present = benchmarksDir ? (fs.existsSync(path.join(benchmarksDir, e.relPath)) ? 'present' : e.optional ? 'absent (optional)' : 'absent') : '';
    const how = e.kind === 'code' ? `code: ${e.spec.loader}` : 'fields';
    return [e.name, how, e.spec.language ?? '', e.expectedCount === null ? '' : String(e.expectedCount), e.relPath, present];
  });
  const head = ['name', 'reads with', 'lang', 'items', 'file (under the benchmarks directory)', benchmarksDir ? `in ${benchmarksDir}` : '(no benchmarks directory set)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * `fleming benchmarks check FILE|NAME` / `fleming benchmarks list`: writes the report to stdout
 * (through `write`) and returns the last line; throws when the benchmark is not usable.
 */
export async function runBenchmarksCommand(args: readonly string[], source: SourceOptions, strict: boolean, write: (s: string) => void): Promise<string> {
  const [sub, target, ...extra] = args;
  if (sub === 'list' && !target) return formatList(source.benchmarksDir);
  if (sub !== 'check' || !target || extra.length) throw new Error('usage: fleming benchmarks check FILE|NAME  |  fleming benchmarks list');
  const r = await checkBenchmark(target, source, strict);
  write(`${formatCheck(r)}\n`);
  if (r.error) throw new Error(r.error);
  return `benchmarks check: ${r.spec.name} is usable (${r.report.loaded} items)`;
}
