import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SkipReport } from '../../../src/core/io';

const made: string[] = [];

/** Removes every temporary directory fixture() and tempDir() made (call in afterAll). */
export function removeFixtures(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A new temporary directory, removed by removeFixtures(). */
export function tempDir(prefix = 'fleming-curated-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes `text` to a new temporary file named `name` and returns its path. */
export function fixture(name: string, text: string): string {
  const dir = tempDir();
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
