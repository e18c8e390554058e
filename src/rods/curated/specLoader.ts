/**
 * Loads a benchmark file with a spec's field mapping (src/rods/curated/mapping.ts) into items.
 * Checks that lose nothing silently: a CSV / TSV header without a mapped column, and a JSON Lines,
 * JSON or Parquet file where a mapped field is in no record at all (a renamed field), throw an
 * InputError naming the field, its mapping key and the fields the file does have; a record that
 * cannot be mapped is counted in the SkipReport under a reason naming its real cause, and its
 * first example (line and record) is kept in SkipHints for the error that a benchmark skipping
 * too many rows raises (usable.ts).
 */
import * as path from 'node:path';
import { InputError, type SkipReport } from '../../core/io';
import type { Item } from '../item';
import { checkItem } from './common';
import { getField, mapRecord, mappedFields } from './mapping';
import { readRecords, type SourceRecord } from './records';
import { formatOf, SpecError, type BenchmarkSpec, type SpecFields } from './spec';

/** The first example of each skip reason: the mapping key it concerns and the row. */
export interface SkipHint {
  /** The mapping key ('fields.options') and its value, e.g. 'fields.options = "options"'; '' when none. */
  mapping: string;
  line: number;
  /** The row as read (a record), or its text. */
  row: unknown;
}

/** Skip reason → its first example, per file. */
export class SkipHints {
  private readonly byFile = new Map<string, Map<string, SkipHint>>();

  /** Keeps the first example of `reason` in `file`. */
  note(file: string, reason: string, hint: SkipHint): void {
    let m = this.byFile.get(file);
    if (!m) this.byFile.set(file, (m = new Map()));
    if (!m.has(reason)) m.set(reason, hint);
  }

  get(file: string, reason: string): SkipHint | undefined {
    return this.byFile.get(file)?.get(reason);
  }
}

/** The mapping key the checks of toItem (common.ts) concern, by their reason. */
const TO_ITEM_FIELD: Record<string, string> = {
  'empty question': 'fields.question',
  'fewer than 2 options': 'fields.options',
  'more than 26 options': 'fields.options',
  'empty option': 'fields.options',
  'no answer': 'fields.answer',
  'answer not among options': 'fields.answer',
  'duplicate id': 'fields.id',
};

/** 'fields.options = "options"' for a mapping key of the spec's fields. */
export function mappingOf(f: SpecFields, key: string): string {
  if (!key) return '';
  const v = key.split('.').slice(1).reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), f);
  return v === undefined ? key : `${key} = ${JSON.stringify(v)}`;
}

function assertColumns(file: string, f: SpecFields, columns: string[], line: number): void {
  const missing = mappedFields(f).filter(([name]) => !columns.includes(name) && !columns.includes(name.split('.')[0]));
  if (missing.length) throw new InputError(file, line, `${missing.map(([n, k]) => `column "${n}" (${k})`).join(', ')} not found (the header has: ${columns.join(', ')})`);
}

/** Throws when a mapped field is in none of the records (a renamed field): one error, not a skip per row. */
function assertFieldsSeen(file: string, f: SpecFields, seen: Map<string, number>, first: SourceRecord | undefined, records: number): void {
  if (!first) return;
  const never = mappedFields(f).filter(([name]) => name !== '$key' && !seen.get(name));
  if (never.length)
    throw new InputError(file, first.line, `${never.map(([n, k]) => `field "${n}" (${k})`).join(', ')} not found in any of the ${records} records (the first record has: ${Object.keys(first.record).join(', ')})`);
}

/** Loads `file` with the spec's field mapping (see the module comment). */
export async function loadFieldsSpec(spec: BenchmarkSpec, file: string, skips: SkipReport, hints = new SkipHints()): Promise<Item[]> {
  const f = spec.fields as SpecFields;
  const format = formatOf(spec);
  if (spec.records !== undefined && format !== 'json') throw new SpecError(spec.specFile || file, [`records: applies to format json only (${path.basename(file)} reads as ${format})`]);
  const fields = mappedFields(f).map(([n]) => n);
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const items: Item[] = [];
  let first: SourceRecord | undefined;
  let records = 0;
  const onHeader = (columns: string[], line: number) => assertColumns(file, f, columns, line);
  for await (const src of readRecords(file, format, { skips, records: spec.records, onHeader })) {
    first ??= src;
    records += 1;
    for (const n of fields) if (getField(src.record, n) !== undefined) seen.set(n, (seen.get(n) ?? 0) + 1);
    const raw = mapRecord(src.record, src.line, spec, src.key);
    const item = 'reason' in raw ? raw : checkItem(raw, src.line, ids);
    if (typeof item === 'string' || 'field' in item) {
      const [reason, key] = typeof item === 'string' ? [item, TO_ITEM_FIELD[item] ?? ''] : [item.reason, item.field];
      hints.note(file, reason, { mapping: mappingOf(f, key), line: src.line, row: src.record });
      skips.skip(file, src.line, reason);
    } else items.push(item);
  }
  if (format !== 'csv' && format !== 'tsv') assertFieldsSeen(file, f, seen, first, records);
  return items;
}
