/**
 * The benchmark registry: the public benchmarks the paper mixes with synthetic items and evaluates
 * on (Table 1), each described by a spec in data/benchmarks/<name>.yaml (src/rods/curated/spec.ts)
 * that maps its published format's fields, or names a code loader where the format needs code
 * (codeLoaders.ts). Their files live in one benchmarks directory ($FLEMING_BENCHMARKS or
 * --set rods.benchmarksDir=DIR; the open data mirror keeps them at ../shared/data/benchmarks).
 * A user's own spec (`fleming eval --benchmark-spec FILE`, eval.benchmarkSpecsDir) loads the same
 * way. Every load is checked: 0 items, or more skipped rows than the spec allows, is an error
 * naming the field mapping that failed (usable.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import type { Item } from '../item';
import { CODE_LOADERS } from './codeLoaders';
import { loadFieldsSpec, SkipHints } from './specLoader';
import { BENCHMARKS_DIR, readSpec, type BenchmarkSpec } from './spec';
import { BENCHMARKS_HINT, specSource, type SourceOptions } from './source';
import { assertUsable, loadReport, type LoadReport } from './usable';

/** Where the built-in specs are. */
export const BUILTIN_SPECS_DIR = path.resolve(__dirname, '..', '..', '..', 'data', 'benchmarks');
/** The built-in benchmarks, in the order evaluation lists them (each has data/benchmarks/<name>.yaml). */
export const BUILTIN_ORDER = ['pubmedqa', 'medqa', 'medmcqa', 'medxpertqa', 'mmlu-pro-biology', 'mmlu-pro-health', 'careqa', 'jmed', 'cmexam'] as const;

/** A benchmark the registry knows. */
export interface BenchmarkEntry {
  name: string;
  spec: BenchmarkSpec;
  /** 'fields': a field mapping; 'code': a code loader (spec.loader). */
  kind: 'fields' | 'code';
  /** The file's path under the benchmarks directory (built-ins: spec.file without '{benchmarks}/'). */
  relPath: string;
  /** Items the file should yield (the spec's expectedCount); null when unknown. */
  expectedCount: number | null;
  /** Loaded by loadAllBenchmarks only when its file is present. */
  optional: boolean;
}

/** The registry entry of a spec. */
export function entryOf(spec: BenchmarkSpec): BenchmarkEntry {
  const f = spec.file ?? '';
  const relPath = f.startsWith(`${BENCHMARKS_DIR}/`) ? f.slice(BENCHMARKS_DIR.length + 1) : f;
  return { name: spec.name, spec, kind: spec.loader ? 'code' : 'fields', relPath, expectedCount: spec.expectedCount ?? null, optional: spec.optional };
}

function builtins(): Record<string, BenchmarkEntry> {
  const out: Record<string, BenchmarkEntry> = {};
  for (const name of BUILTIN_ORDER) {
    const spec = readSpec(path.join(BUILTIN_SPECS_DIR, `${name}.yaml`));
    if (spec.name !== name) throw new Error(`${spec.specFile}: name is '${spec.name}', expected '${name}'`);
    out[name] = entryOf(spec);
  }
  return out;
}

/** Benchmark name → its registry entry (built-in specs, read from data/benchmarks/). */
export const CURATED_BENCHMARKS: Record<string, BenchmarkEntry> = builtins();

function entry(name: string): BenchmarkEntry {
  const e = CURATED_BENCHMARKS[name];
  if (!e) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(CURATED_BENCHMARKS).join(', ')} (or give a spec file: --benchmark-spec FILE)`);
  return e;
}

function assertDir(dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`benchmarks directory not found: ${path.resolve(dir)} (${BENCHMARKS_HINT})`);
}

/** The path of a built-in benchmark's file, after checking that the directory and the file exist. */
export function benchmarkPath(name: string, benchmarksDir: string): string {
  const e = entry(name);
  assertDir(benchmarksDir);
  const file = path.join(benchmarksDir, e.relPath);
  if (!fs.existsSync(file))
    throw new Error(`benchmark '${name}': file not found: ${file} (expected ${e.relPath} under the benchmarks directory; ${BENCHMARKS_HINT})`);
  return file;
}

/** Items of a code loader named after the spec (a loader names them after itself: 'medmcqa-…' → '<spec name>-…'), with its language. */
function renamed(items: Item[], spec: BenchmarkSpec): Item[] {
  return items.map((it) => {
    const named = it.origin === spec.name ? it : { ...it, origin: spec.name, id: `${spec.name}${it.id.slice(it.origin.length)}` };
    return spec.language ? { ...named, meta: { ...named.meta, language: spec.language } } : named;
  });
}

/** One loaded benchmark: its items, the file read and the load report. */
export interface LoadedBenchmark {
  items: Item[];
  file: string;
  report: LoadReport;
}

/**
 * Loads a benchmark from its spec: the file (or download), the mapping or code loader, then the
 * usability check (0 items or too many skipped rows throw). Skips are added to `skips`.
 */
export async function loadSpec(spec: BenchmarkSpec, skips: SkipReport, source: SourceOptions): Promise<LoadedBenchmark> {
  const file = await specSource(spec, source);
  const own = new SkipReport(skips.strict);
  const hints = new SkipHints();
  let items: Item[];
  try {
    items = spec.loader ? renamed(await CODE_LOADERS[spec.loader](file, own), spec) : await loadFieldsSpec(spec, file, own, hints);
  } finally {
    skips.add(own);
  }
  const report = loadReport(spec.name, file, items, own, spec.maxSkipShare, hints);
  assertUsable(report, spec.specFile ? `spec ${spec.specFile}` : 'built in');
  return { items, file, report };
}

/** Loads one built-in benchmark by name from the benchmarks directory; rows that cannot be made valid are counted in `skips`. */
export async function loadBenchmark(name: string, benchmarksDir: string, skips: SkipReport): Promise<Item[]> {
  benchmarkPath(name, benchmarksDir);
  return (await loadSpec(entry(name).spec, skips, { benchmarksDir })).items;
}

/** Per-benchmark counts from loadAllBenchmarks. */
export interface BenchmarkCount {
  name: string;
  file: string;
  /** Rows read from the file (records for pubmedqa), loaded + skipped. */
  rows: number;
  loaded: number;
  skipped: number;
  expected: number | null;
}

/**
 * Loads every registered benchmark (optional ones only when their file exists), in registry order.
 * Returns the items of all benchmarks and one count row per benchmark.
 */
export async function loadAllBenchmarks(
  benchmarksDir: string,
  skips: SkipReport,
  names: readonly string[] = Object.keys(CURATED_BENCHMARKS),
): Promise<{ items: Item[]; counts: BenchmarkCount[] }> {
  assertDir(benchmarksDir);
  const items: Item[] = [];
  const counts: BenchmarkCount[] = [];
  for (const name of names) {
    const e = entry(name);
    if (e.optional && !fs.existsSync(path.join(benchmarksDir, e.relPath))) continue;
    benchmarkPath(name, benchmarksDir);
    const { items: loaded, file, report } = await loadSpec(e.spec, skips, { benchmarksDir });
    items.push(...loaded);
    counts.push({ name, file, rows: report.rows, loaded: loaded.length, skipped: report.skipped, expected: e.expectedCount });
  }
  return { items, counts };
}
