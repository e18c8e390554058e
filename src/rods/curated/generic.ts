/**
 * A loader for any JSON Lines or CSV/TSV multiple-choice file, driven by a field mapping:
 * ```
 * loadGeneric(file, skips, { origin: 'myqa', question: 'q', options: ['a', 'b', 'c'],
 *                            answer: 'label', answerFormat: 'index0', id: 'uid', meta: ['topic'] })
 * ```
 * `options` is either a list of fields (one option each, in order) or one field holding an array
 * or an object (object keys that are all single letters are sorted; other keys keep their order).
 * In CSV, an options field may hold a JSON array or object. Field names may be dotted paths
 * ('meta.subject'). Without an `id` field, ids are line numbers.
 * A CSV/TSV header without a mapped column throws an InputError ('column "q" not found'); a JSON
 * record without a mapped field is skipped as 'no field "q"'; an empty file throws.
 */
import * as path from 'node:path';
import { InputError, assertNotEmpty, type SkipReport } from '../../core/io';
import { readDelimited } from '../../core/table';
import { LETTERS, type Item } from '../item';
import { asRecord, readJsonlLenient, text, toItem, type RawItem } from './common';

export type AnswerFormat = 'letter' | 'index0' | 'index1' | 'text';

export interface FieldMapping {
  /** Benchmark name: Item.origin and id prefix. */
  origin: string;
  question: string;
  /** A list of option fields, or one field holding an array / object of options. */
  options: string[] | string;
  answer: string;
  /** 'letter' ('B'), 'index0' (1 → B), 'index1' (2 → B) or 'text' (the right option's text). */
  answerFormat: AnswerFormat;
  /** Field holding the record's id; default: the line number. */
  id?: string;
  /** Fields copied into meta as they are. */
  meta?: string[];
  /** File format; default from the extension (.csv / .tsv, optionally .gz; anything else JSON Lines). */
  format?: 'jsonl' | 'csv' | 'tsv';
}

/** The value at a field name, or at a dotted path when no field has that exact name. */
export function getField(r: Record<string, unknown>, name: string): unknown {
  if (name in r) return r[name];
  let v: unknown = r;
  for (const part of name.split('.')) {
    const o = asRecord(v);
    if (!o) return undefined;
    v = o[part];
  }
  return v;
}

function jsonIfLooksLike(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/** Option texts of a record under the mapping, or a skip reason. */
export function optionsOf(r: Record<string, unknown>, spec: FieldMapping['options']): string[] | string {
  if (Array.isArray(spec)) return spec.map((f) => text(getField(r, f)));
  const v = jsonIfLooksLike(getField(r, spec));
  if (Array.isArray(v)) return v.map(text);
  const o = asRecord(v);
  if (!o) return 'options field is not an array or object';
  let keys = Object.keys(o);
  if (keys.every((k) => /^[A-Za-z]$/.test(k))) keys = keys.sort();
  return keys.map((k) => text(o[k]));
}

/** The option letter a dataset's answer field names (a letter, an index or the option's text), or a skip reason. */
export function answerFieldLetter(v: unknown, format: AnswerFormat, options: readonly string[]): string | { reason: string } {
  const t = text(v);
  if (t === '') return { reason: 'no answer' };
  if (format === 'letter') {
    const m = /^\(?([A-Za-z])[).]?$/.exec(t);
    return m ? m[1].toUpperCase() : { reason: 'answer is not a letter' };
  }
  if (format === 'index0' || format === 'index1') {
    const n = Number(t) - (format === 'index1' ? 1 : 0);
    if (!Number.isInteger(n)) return { reason: 'answer is not an index' };
    return n >= 0 && n < options.length ? LETTERS[n] : { reason: 'answer not among options' };
  }
  let hits = options.flatMap((o, i) => (o === t ? [i] : []));
  if (!hits.length) hits = options.flatMap((o, i) => (o.toLowerCase() === t.toLowerCase() ? [i] : []));
  if (hits.length > 1) return { reason: 'answer text matches several options' };
  return hits.length ? LETTERS[hits[0]] : { reason: 'answer not among options' };
}

/** The fields a mapping reads, in order (question, options, answer, id, meta). */
export function mappedFields(m: FieldMapping): string[] {
  return [m.question, ...(Array.isArray(m.options) ? m.options : [m.options]), m.answer, ...(m.id === undefined ? [] : [m.id]), ...(m.meta ?? [])];
}

/** Maps one record under the mapping; a string return is the skip reason. */
export function genericRecord(r: Record<string, unknown>, line: number, m: FieldMapping): RawItem | string {
  const missing = mappedFields(m).find((f) => !(m.meta ?? []).includes(f) && getField(r, f) === undefined);
  if (missing !== undefined) return `no field "${missing}"`;
  const options = optionsOf(r, m.options);
  if (typeof options === 'string') return options;
  const answer = answerFieldLetter(getField(r, m.answer), m.answerFormat, options);
  if (typeof answer !== 'string') return answer.reason;
  const id = m.id === undefined ? line : text(getField(r, m.id));
  if (id === '') return 'no id';
  const meta: Record<string, unknown> = {};
  for (const f of m.meta ?? []) meta[f] = getField(r, f) ?? null;
  return { origin: m.origin, originalId: id, question: text(getField(r, m.question)), options, answer, meta };
}

function formatOf(file: string, m: FieldMapping): 'jsonl' | 'csv' | 'tsv' {
  if (m.format) return m.format;
  const ext = path.extname(file.replace(/\.gz$/i, '')).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.tsv' ? 'tsv' : 'jsonl';
}

/** Loads a JSON Lines or CSV/TSV file with a field mapping (see the module comment). */
export async function loadGeneric(file: string, skips: SkipReport, mapping: FieldMapping): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  const take = (r: Record<string, unknown>, line: number): void => {
    const raw = genericRecord(r, line, mapping);
    if (typeof raw === 'string') return skips.skip(file, line, raw);
    const item = toItem(raw, file, line, skips, seen);
    if (item) items.push(item);
  };
  const format = formatOf(file, mapping);
  if (format === 'jsonl') {
    for await (const { value, line } of readJsonlLenient(file, skips)) {
      const r = asRecord(value);
      if (r) take(r, line);
      else skips.skip(file, line, 'not a JSON object');
    }
  } else {
    const delimiter = format === 'csv' ? ',' : '\t';
    let header = false;
    const rowsBefore = skips.readCounts()[file] ?? 0;
    const onHeader = (columns: string[], line: number): void => {
      header = true;
      const missing = mappedFields(mapping).filter((f) => !columns.includes(f));
      if (missing.length) throw new InputError(file, line, `${missing.map((f) => `column "${f}"`).join(', ')} not found (the header has: ${columns.join(', ')})`);
    };
    for await (const { row, line } of readDelimited(file, { skips, delimiter, quoted: format === 'csv', onHeader })) take(row, line);
    assertNotEmpty(file, header ? 1 : 0, 'header');
    if ((skips.readCounts()[file] ?? 0) === rowsBefore) throw new InputError(file, 0, 'no records after the header');
  }
  return items;
}

/** A CuratedLoader bound to one mapping, for the registry. */
export function genericLoader(mapping: FieldMapping): (file: string, skips: SkipReport) => Promise<Item[]> {
  return (file, skips) => loadGeneric(file, skips, mapping);
}
