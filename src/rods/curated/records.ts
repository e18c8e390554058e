/**
 * The records of a benchmark file, one object at a time with the line it starts on, in each format
 * a spec may name: JSON Lines, a JSON document (an array, or an object keyed by id; `records` names
 * where inside the document they are), CSV / TSV (quoted cells may span lines) and Parquet (the
 * "line" of a Parquet row is its 1-based row number). Every record read is counted in
 * `skips.read`; a record that is not an object is counted as 'not a JSON object'; an empty file
 * throws. Text formats go through readLines (io.ts): a BOM is dropped, bytes that are not UTF-8
 * are named by line.
 */
import * as fs from 'node:fs';
import { InputError, assertNotEmpty, readTextSync, type SkipReport } from '../../core/io';
import { readDelimited } from '../../core/table';
import { asRecord, parseLenient, readJsonlLenient } from './common';
import type { SpecFormat } from './spec';

/** One record and where it starts; `key` is its key when the records are an object keyed by id. */
export interface SourceRecord {
  record: Record<string, unknown>;
  line: number;
  key?: string;
}

export interface ReadOptions {
  skips: SkipReport;
  /** JSON: the dotted path of the records inside the document ('' or '.': the document itself). */
  records?: string;
  /** CSV / TSV: called with the header and its line before the first row. */
  onHeader?: (columns: string[], line: number) => void;
}

/** Reads the records of `file` in `format` (see the module comment). */
export async function* readRecords(file: string, format: SpecFormat, opts: ReadOptions): AsyncGenerator<SourceRecord> {
  if (format === 'jsonl') yield* jsonlRecords(file, opts.skips);
  else if (format === 'json') yield* jsonRecords(file, opts);
  else if (format === 'parquet') yield* parquetRecords(file, opts.skips);
  else yield* delimitedRecords(file, format, opts);
}

async function* jsonlRecords(file: string, skips: SkipReport): AsyncGenerator<SourceRecord> {
  for await (const { value, line } of readJsonlLenient(file, skips)) {
    const record = asRecord(value);
    if (record) yield { record, line };
    else skips.skip(file, line, 'not a JSON object');
  }
}

async function* delimitedRecords(file: string, format: 'csv' | 'tsv', opts: ReadOptions): AsyncGenerator<SourceRecord> {
  let header = false;
  const before = opts.skips.readCounts()[file] ?? 0;
  const onHeader = (columns: string[], line: number) => {
    header = true;
    opts.onHeader?.(columns, line);
  };
  const rows = readDelimited(file, { skips: opts.skips, delimiter: format === 'csv' ? ',' : '\t', quoted: format === 'csv', onHeader });
  for await (const { row, line } of rows) yield { record: row, line };
  assertNotEmpty(file, header ? 1 : 0, 'header');
  if ((opts.skips.readCounts()[file] ?? 0) === before) throw new InputError(file, 0, 'no records after the header');
}

/** The dotted path of `records` as parts ([] for the document itself). */
export function recordsPath(records: string | undefined): string[] {
  return records === undefined || records === '' || records === '.' ? [] : records.split('.');
}

async function* jsonRecords(file: string, opts: ReadOptions): AsyncGenerator<SourceRecord> {
  const text = readTextSync(file);
  assertNotEmpty(file, text.trim() === '' ? 0 : 1);
  const doc = parseLenient(text);
  if (doc === undefined) throw new InputError(file, 1, `invalid JSON (${jsonErrorOf(text)})`);
  const parts = recordsPath(opts.records);
  let node: unknown = doc;
  for (const [i, p] of parts.entries()) {
    const o = asRecord(node) ?? (Array.isArray(node) ? (node as unknown[]) : undefined);
    const next = o ? (o as Record<string, unknown>)[p] : undefined;
    if (next === undefined) throw new InputError(file, 0, `records "${opts.records}": no "${parts.slice(0, i + 1).join('.')}" in the document${asRecord(node) ? ` (it has: ${Object.keys(node as object).slice(0, 12).join(', ')})` : ''}`);
    node = next;
  }
  const where = parts.length ? `records "${opts.records}"` : 'the document';
  if (node === null || typeof node !== 'object') throw new InputError(file, 0, `${where} is not a list or an object of records`);
  const entries: [string | undefined, unknown][] = Array.isArray(node) ? node.map((v) => [undefined, v]) : Object.entries(node as object);
  assertNotEmpty(file, entries.length);
  const lines = childLines(text, parts);
  for (const [i, [key, value]] of entries.entries()) {
    const line = lines[i] ?? i + 1;
    opts.skips.read(file);
    const record = asRecord(value);
    if (record) yield { record, line, key };
    else opts.skips.skip(file, line, 'not a JSON object');
  }
}

function jsonErrorOf(text: string): string {
  try {
    JSON.parse(text);
    return 'unreadable';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The line each child of the container at `target` (a path of keys / indices) starts on, in
 * order: a small scanner over valid JSON that tracks strings and nesting.
 */
export function childLines(json: string, target: readonly string[]): number[] {
  const out: number[] = [];
  let i = 0;
  let line = 1;
  const ws = () => {
    for (; i < json.length; i++) {
      const c = json[i];
      if (c === '\n') line += 1;
      else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\uFEFF') return;
    }
  };
  const str = (): string => {
    const s = i;
    for (i += 1; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i += 1;
    i += 1;
    return JSON.parse(json.slice(s, i)) as string;
  };
  const value = (depth: number, onPath: boolean): void => {
    ws();
    const here = onPath && depth === target.length;
    const open = json[i];
    if (open === '{' || open === '[') {
      i += 1;
      for (let n = 0; ; n++) {
        ws();
        if (json[i] === '}' || json[i] === ']') return void (i += 1);
        if (json[i] === ',') i += 1;
        ws();
        const key = open === '{' ? str() : String(n);
        if (open === '{') {
          ws();
          i += 1; // the ':'
        }
        ws();
        if (here) out.push(line);
        value(depth + 1, onPath && !here && target[depth] === key);
      }
    }
    if (open === '"') return void str();
    while (i < json.length && !',]} \t\r\n'.includes(json[i])) i += 1;
  };
  value(0, true);
  return out;
}

/** Parquet values as JSON would give them: 64-bit integers as numbers (or strings past 2^53). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

async function* parquetRecords(file: string, skips: SkipReport): AsyncGenerator<SourceRecord> {
  const { parquetReadObjects } = await import('hyparquet');
  const bytes = fs.readFileSync(file);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  } catch (e) {
    throw new InputError(file, 0, `not a readable Parquet file (${(e as Error).message})`);
  }
  assertNotEmpty(file, rows.length, 'rows');
  for (const [i, row] of rows.entries()) {
    skips.read(file);
    yield { record: plain(row) as Record<string, unknown>, line: i + 1 };
  }
}
