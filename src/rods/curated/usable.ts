/**
 * Whether a loaded benchmark is usable: a benchmark that loads 0 items, or skips more than the
 * share of its rows its spec allows (maxSkipShare, default 10%), is an error, never a silent
 * "0 items". The error names the most common skip reason, the field mapping it concerns and its
 * first offending row, so a user sees at once which mapping to fix.
 */
import { readLinesSync, type SkipReport } from '../../core/io';
import type { Item } from '../item';
import type { SkipHints } from './specLoader';

/** One skip reason of a file: how many rows, their first lines, and (when known) the mapping and first row. */
export interface SkipLine {
  reason: string;
  count: number;
  lines: number[];
  /** 'fields.options = "options"' for a spec's field mapping; '' for a code loader or a whole-row reason. */
  mapping: string;
  /** The first offending row (JSON of the record, or the file's text at that line), at most 400 characters. */
  example: string;
}

/** What loading one benchmark file gave. */
export interface LoadReport {
  name: string;
  file: string;
  /** Rows read (loaded + skipped). */
  rows: number;
  loaded: number;
  skipped: number;
  maxSkipShare: number;
  reasons: SkipLine[];
}

const clip = (s: string, n = 400): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The text of `line` in a text file ('' when unreadable, binary or past the end). */
function lineText(file: string, line: number): string {
  if (/\.(parquet|gz)$/i.test(file)) return '';
  try {
    return readLinesSync(file)[line - 1]?.text.trim() ?? '';
  } catch {
    return '';
  }
}

/** The report of one file's load: counts and the skip reasons, most common first. */
export function loadReport(name: string, file: string, items: readonly Item[], skips: SkipReport, maxSkipShare: number, hints?: SkipHints): LoadReport {
  const rows = skips.rows().filter((r) => r.file === file);
  const reasons = rows.map((r): SkipLine => {
    const h = hints?.get(file, r.reason);
    const example = h ? (typeof h.row === 'string' ? h.row : JSON.stringify(h.row)) : lineText(file, r.exampleLines[0]);
    return { reason: r.reason, count: r.count, lines: r.exampleLines, mapping: h?.mapping ?? '', example: clip(example) };
  });
  const skipped = reasons.reduce((n, r) => n + r.count, 0);
  return { name, file, rows: skips.readCounts()[file] ?? items.length + skipped, loaded: items.length, skipped, maxSkipShare, reasons };
}

/** A benchmark that loaded 0 items or skipped too many rows. */
export class BenchmarkLoadError extends Error {
  constructor(readonly report: LoadReport, message: string) {
    super(message);
    this.name = 'BenchmarkLoadError';
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 1).replace(/\.0$/, '')}%`;

/** One line per reason, the most common first, with its mapping and first row. */
export function describeSkips(report: LoadReport, max = 3): string[] {
  return report.reasons.slice(0, max).flatMap((r) => [
    `  ${r.count} × ${r.reason}${r.mapping ? ` [${r.mapping}]` : ''}`,
    ...(r.example ? [`    first at ${report.file}:${r.lines[0]}: ${r.example}`] : []),
  ]);
}

/** Throws a BenchmarkLoadError when the report shows 0 items or a skip share above the allowed one. */
export function assertUsable(report: LoadReport, where: string): void {
  const share = report.rows ? report.skipped / report.rows : 0;
  if (report.loaded > 0 && share <= report.maxSkipShare) return;
  const head =
    report.loaded === 0
      ? `benchmark '${report.name}' (${where}) loaded 0 items: all ${report.rows} rows of ${report.file} were skipped`
      : `benchmark '${report.name}' (${where}): ${report.skipped} of ${report.rows} rows of ${report.file} skipped (${pct(share)}), more than the ${pct(report.maxSkipShare)} it allows (maxSkipShare ${report.maxSkipShare})`;
  const more = report.reasons.length > 3 ? [`  … and ${report.reasons.length - 3} more reasons`] : [];
  throw new BenchmarkLoadError(report, [`${head}. The field mapping that failed, by the most common reason:`, ...describeSkips(report), ...more].join('\n'));
}
