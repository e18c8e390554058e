/**
 * What a notebook shows, and the same thing in a terminal: tables and figures.
 *
 *   showTable(rows | arquero table | danfo frame)   HTML in a notebook (numbers formatted for
 *                                                    reading), a markdown table elsewhere
 *   showFigure / showPlot (src/core/plot.ts)         a plotly MIME bundle in a notebook
 *
 * In tslab, rich output goes through Jupyter display messages (one bundle may carry several
 * representations; the front end picks the richest it can render), never through stderr.
 */
import { inNotebook } from './progress';

/** One display_data message with several representations (tslab's display API sends one at a time). */
export function displayBundle(data: Record<string, unknown>): void {
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData?: (d: unknown, update: boolean) => void };
  if (!jupyter.lastWriteDisplayData) throw new Error('displayBundle: not inside a running tslab cell');
  jupyter.lastWriteDisplayData({ data, metadata: {}, transient: {} }, false);
}

/** A number as people read it: integers as integers (12,345 from five digits on), others with 1–3 decimals by size. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return Math.abs(x) >= 10000 ? x.toLocaleString('en-US') : String(x);
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return Number(x.toFixed(digits)).toString();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

type Row = Record<string, unknown>;

/** Anything tabular → rows: an array of objects, an arquero table (`objects()`), a danfo frame (`columns` + `values`). */
export function tableRows(t: unknown): Row[] {
  if (Array.isArray(t)) return t as Row[];
  const x = t as { objects?: () => Row[]; columns?: string[]; values?: unknown[][]; index?: unknown[] };
  if (typeof x.objects === 'function') return x.objects();
  if (Array.isArray(x.columns) && Array.isArray(x.values)) {
    const index = x.index ?? [];
    const named = index.some((v, i) => v !== i); // describe() and friends: the index names the rows
    return x.values.map((vals, r) => Object.fromEntries([...(named ? [['', index[r]]] : []), ...(x.columns as string[]).map((c, i) => [c, vals[i]])]));
  }
  throw new Error('showTable: expected rows, an arquero table or a danfo DataFrame');
}

/** Per-column formatters (as arquero's toMarkdown/toHTML `format` option), a caption, a row limit. */
export interface TableOptions {
  caption?: string;
  /** Rows shown at most (default 50); the rest are counted. */
  limit?: number;
  format?: Record<string, (value: never) => string>;
}

function cell(v: unknown, fmt?: (value: never) => string): string {
  if (fmt && v !== null && v !== undefined) return fmt(v as never);
  if (typeof v === 'number') return formatNumber(v);
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The rows as an HTML table: header from the first row's keys (and later ones), numbers right-aligned and formatted. */
export function tableHtml(rows: readonly Row[], opts: TableOptions = {}): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, opts.limit ?? 50);
  const numeric = cols.map((c) => shown.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number'));
  const td = (v: unknown, i: number) => `<td style="text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(cell(v, opts.format?.[cols[i]]))}</td>`;
  const more = rows.length > shown.length ? `<tr><td colspan="${cols.length}">… ${rows.length - shown.length} more rows</td></tr>` : '';
  return (
    `<table class="fleming-table">${opts.caption ? `<caption style="text-align:left">${escapeHtml(opts.caption)}</caption>` : ''}` +
    `<thead><tr>${cols.map((c, i) => `<th style="text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(c)}</th>`).join('')}</tr></thead>` +
    `<tbody>${shown.map((r) => `<tr>${cols.map((c, i) => td(r[c], i)).join('')}</tr>`).join('')}${more}</tbody></table>`
  );
}

/** The rows as a markdown table (terminal output). */
export function tableMarkdown(rows: readonly Row[], opts: TableOptions = {}): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, opts.limit ?? 50);
  const line = (xs: string[]) => `| ${xs.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...shown.map((r) => line(cols.map((c) => cell(r[c], opts.format?.[c]).replace(/\|/g, '\\|'))))].join('\n');
}

/**
 * Shows a table: rendered HTML in a notebook (with a plain-text fallback), a markdown table on a
 * terminal. Takes rows, an arquero table or a danfo DataFrame.
 */
export function showTable(t: unknown, opts: TableOptions = {}): void {
  const rows = tableRows(t);
  if (inNotebook()) displayBundle({ 'text/html': tableHtml(rows, opts), 'text/plain': tableMarkdown(rows, opts) });
  else process.stdout.write(`${opts.caption ? `${opts.caption}\n` : ''}${tableMarkdown(rows, opts)}\n`);
}
