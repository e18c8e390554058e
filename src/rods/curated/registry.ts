/**
 * The curated public benchmarks the paper mixes with synthetic items and evaluates on, each read
 * from its original published format under one benchmarks directory (the open data mirror keeps
 * them at ../shared/data/benchmarks from the repository root; pass it as --benchmarks DIR).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SkipReport } from '../../core/io';
import type { Item } from '../item';
import { loadCareqa } from './careqa';
import { loadCmexam } from './cmexam';
import type { CuratedLoader } from './common';
import { loadMedmcqa } from './medmcqa';
import { loadMedqa } from './medqa';
import { loadMedxpertqa } from './medxpertqa';
import { mmluProLoader } from './mmlupro';
import { loadPubmedqa } from './pubmedqa';

export interface BenchmarkSpec {
  /** File path under the benchmarks directory. */
  relPath: string;
  loader: CuratedLoader;
  /** Items the file should yield (SOURCES.md); null where the file is not in the mirror. */
  expectedCount: number | null;
  /** Loaded by loadAllBenchmarks only when its file is present. */
  optional?: boolean;
}

/** Benchmark name → where its file lives, how to read it, and how many items it holds. */
export const CURATED_BENCHMARKS: Record<string, BenchmarkSpec> = {
  pubmedqa: { relPath: 'pubmedqa/ori_pqal.json', loader: (f, s) => loadPubmedqa(f, s), expectedCount: 1000 },
  medqa: { relPath: 'medqa/medqa_usmle_test.jsonl', loader: loadMedqa, expectedCount: 1273 },
  medmcqa: { relPath: 'medmcqa/medmcqa_dev.jsonl', loader: loadMedmcqa, expectedCount: 4183 },
  medxpertqa: { relPath: 'medxpertqa/medxpertqa_text_partial.jsonl', loader: loadMedxpertqa, expectedCount: 625 },
  'mmlu-pro-biology': {
    relPath: 'mmlu-pro/mmlu-pro_biology.jsonl',
    loader: mmluProLoader('mmlu-pro-biology'),
    expectedCount: 717,
  },
  'mmlu-pro-health': {
    relPath: 'mmlu-pro/mmlu-pro_health.jsonl',
    loader: mmluProLoader('mmlu-pro-health'),
    expectedCount: 818,
  },
  careqa: { relPath: 'careqa/care_qa_en.jsonl', loader: loadCareqa, expectedCount: 5621 },
  cmexam: { relPath: 'cmexam/test_with_annotations.csv', loader: loadCmexam, expectedCount: null, optional: true },
};

const HINT = 'pass --benchmarks DIR, e.g. ../shared/data/benchmarks';

/** The path of a benchmark's file, after checking that the directory and the file exist. */
export function benchmarkPath(name: string, benchmarksDir: string): string {
  const spec = CURATED_BENCHMARKS[name];
  if (!spec) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(CURATED_BENCHMARKS).join(', ')}`);
  assertDir(benchmarksDir);
  const file = path.join(benchmarksDir, spec.relPath);
  if (!fs.existsSync(file))
    throw new Error(`benchmark '${name}': file not found: ${file} (expected ${spec.relPath} under the benchmarks directory; ${HINT})`);
  return file;
}

function assertDir(dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new Error(`benchmarks directory not found: ${path.resolve(dir)} (${HINT})`);
}

/** Loads one benchmark by name; rows that cannot be made valid are counted in `skips`. */
export async function loadBenchmark(name: string, benchmarksDir: string, skips: SkipReport): Promise<Item[]> {
  const file = benchmarkPath(name, benchmarksDir);
  return CURATED_BENCHMARKS[name].loader(file, skips);
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
    const spec = CURATED_BENCHMARKS[name];
    if (spec?.optional && !fs.existsSync(path.join(benchmarksDir, spec.relPath))) continue;
    const file = benchmarkPath(name, benchmarksDir);
    const loaded = await spec.loader(file, skips);
    items.push(...loaded);
    const skipped = skips.rows().filter((r) => r.file === file).reduce((n, r) => n + r.count, 0);
    counts.push({ name, file, rows: skips.readCounts()[file] ?? 0, loaded: loaded.length, skipped, expected: spec.expectedCount });
  }
  return { items, counts };
}
