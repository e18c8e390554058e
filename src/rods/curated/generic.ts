/**
 * The field-mapping loader as a library call, for a file and a mapping given in code:
 * ```
 * loadGeneric(file, skips, { origin: 'myqa', question: 'q', options: ['a', 'b', 'c'],
 *                            answer: 'label', answerFormat: 'index0', id: 'uid', meta: ['topic'] })
 * ```
 * It builds a benchmark spec (src/rods/curated/spec.ts) and loads it with the spec loader, so it
 * reads every shape a spec reads; a spec file is the documented way (`fleming benchmarks check`).
 * Without an `id` field, ids are line numbers. A CSV/TSV header without a mapped column, or a JSON
 * Lines file where a mapped field is in no record, throws an InputError ('column "q" not found');
 * an empty file throws.
 */
import type { SkipReport } from '../../core/io';
import type { Item } from '../item';
import { loadFieldsSpec } from './specLoader';
import { parseSpec, type SpecAnswerFormat, type SpecFormat } from './spec';

export type AnswerFormat = SpecAnswerFormat;

export interface FieldMapping {
  /** Benchmark name: Item.origin and id prefix. */
  origin: string;
  question: string;
  /** A list of option fields, or one field holding a list / object of options. */
  options: string[] | string;
  /** The text field of option objects (when `options` holds a list of objects). */
  optionText?: string;
  answer: string;
  /** 'letter' ('B'), 'index0' (1 → B), 'index1' (2 → B) or 'text' (the right option's text). */
  answerFormat: AnswerFormat;
  /** Field holding the record's id; default: the line number. */
  id?: string;
  /** Fields copied into meta under their own names. */
  meta?: string[];
  /** File format; default from the extension (.csv / .tsv, optionally .gz; anything else JSON Lines). */
  format?: SpecFormat;
}

/** Loads a file with a field mapping (see the module comment). */
export function loadGeneric(file: string, skips: SkipReport, m: FieldMapping): Promise<Item[]> {
  const ext = file.replace(/\.gz$/i, '').toLowerCase();
  const format = m.format ?? (ext.endsWith('.csv') ? 'csv' : ext.endsWith('.tsv') ? 'tsv' : ext.endsWith('.parquet') ? 'parquet' : ext.endsWith('.json') ? 'json' : 'jsonl');
  const fields = {
    question: m.question,
    options: m.options,
    ...(m.optionText ? { optionText: m.optionText } : {}),
    answer: m.answer,
    answerFormat: m.answerFormat,
    ...(m.id !== undefined ? { id: m.id } : {}),
    ...(m.meta?.length ? { meta: Object.fromEntries(m.meta.map((f) => [f, f])) } : {}),
  };
  const spec = parseSpec({ name: 'generic', file, format, fields }, ''); // checks the mapping; the origin may be any string
  return loadFieldsSpec({ ...spec, name: m.origin }, file, skips);
}

/** A loader bound to one mapping. */
export function genericLoader(mapping: FieldMapping): (file: string, skips: SkipReport) => Promise<Item[]> {
  return (file, skips) => loadGeneric(file, skips, mapping);
}
