import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SkipReport } from '../../../src/core/io';
import { tempDir as testTempDir } from '../../helpers/tmp';

/** A new temporary directory, removed after the test file (test/helpers/tmp.ts). */
export function tempDir(prefix = 'fleming-curated-'): string {
  return testTempDir(prefix);
}

/** Writes `text` to a new temporary file named `name` and returns its path. */
export function fixture(name: string, text: string): string {
  const dir = tempDir('fleming-curated-');
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** JSON Lines text from records (strings are written as they are, for malformed lines). */
export function jsonl(rows: unknown[]): string {
  return rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

/** Skip reasons of one file as {reason: count}. */
export function reasons(skips: SkipReport, file: string): Record<string, number> {
  return Object.fromEntries(skips.rows().filter((r) => r.file === file).map((r) => [r.reason, r.count]));
}

/** Number of rows of one file that were skipped. */
export function skippedIn(skips: SkipReport, file: string): number {
  return skips.rows().filter((r) => r.file === file).reduce((n, r) => n + r.count, 0);
}

/** The open data mirror's benchmarks directory (../shared/data/benchmarks from the repo root). */
export const MIRROR_BENCHMARKS = path.resolve(__dirname, '../../../../shared/data/benchmarks');
export const HAVE_MIRROR = fs.existsSync(MIRROR_BENCHMARKS);
