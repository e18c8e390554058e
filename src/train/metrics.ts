/** metrics.jsonl of a training loop: one row per step, appended as the loop goes. */
import * as fs from 'node:fs';
import { InputError, writeJsonlSync } from '../core/io';

/**
 * Rows of a metrics.jsonl (or any append-only JSONL of step rows); a last line cut short by a
 * kill is dropped (an earlier bad line is an InputError).
 */
export function readMetrics<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((t, i) => {
    if (t.trim() === '') return;
    try {
      out.push(JSON.parse(t) as T);
    } catch (e) {
      if (lines.slice(i + 1).some((x) => x.trim() !== '')) throw new InputError(file, i + 1, `invalid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/** Keeps the rows of steps ≤ `upTo` and rewrites the file with them (a resumed loop's history). */
export function truncateSteps<T extends { step: number }>(file: string, upTo: number): T[] {
  const rows = readMetrics<T>(file).filter((r) => r.step <= upTo);
  writeJsonlSync(file, rows);
  return rows;
}
