/**
 * Parquet files with nested columns (lists of structs, structs), written with hyparquet-writer
 * from plain row objects, and a schema that is written once and read three ways: as Parquet
 * schema elements, as the Hugging Face dataset card's `features`, and as a check of each row.
 * Every field is nullable (OPTIONAL), as pandas and pyarrow write them, so files of one dataset
 * config always share one schema; lists are the standard three-level LIST (list / element).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../core/io';

/** A leaf column's type. */
export type LeafType = 'string' | 'int32' | 'float64' | 'bool';

/** One field of a schema: a leaf, a struct of fields, or a list of one element field. */
export type Field = { name: string; leaf: LeafType } | { name: string; struct: Field[] } | { name: string; list: Field };

/** A UTF-8 string column. */
export const str = (name: string): Field => ({ name, leaf: 'string' });
/** A 32-bit integer column. */
export const int32 = (name: string): Field => ({ name, leaf: 'int32' });
/** A double column. */
export const float64 = (name: string): Field => ({ name, leaf: 'float64' });
/** A struct of named fields. */
export const struct = (name: string, fields: Field[]): Field => ({ name, struct: fields });
/** A list whose element is `element` (named `element` in the file, as the Parquet spec's LIST). */
export const list = (name: string, element: Field | LeafType): Field => ({ name, list: typeof element === 'string' ? { name: 'element', leaf: element } : { ...element, name: 'element' } });

/** A Parquet schema element (the subset hyparquet-writer reads). */
export interface SchemaElement {
  name: string;
  type?: 'BYTE_ARRAY' | 'INT32' | 'DOUBLE' | 'BOOLEAN';
  converted_type?: 'UTF8' | 'LIST';
  repetition_type?: 'OPTIONAL' | 'REPEATED' | 'REQUIRED';
  num_children?: number;
}

const PHYSICAL: Record<LeafType, Pick<SchemaElement, 'type' | 'converted_type'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  int32: { type: 'INT32' },
  float64: { type: 'DOUBLE' },
  bool: { type: 'BOOLEAN' },
};

function elementsOf(f: Field): SchemaElement[] {
  if ('leaf' in f) return [{ name: f.name, ...PHYSICAL[f.leaf], repetition_type: 'OPTIONAL' }];
  if ('struct' in f) return [{ name: f.name, repetition_type: 'OPTIONAL', num_children: f.struct.length }, ...f.struct.flatMap(elementsOf)];
  return [{ name: f.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 }, { name: 'list', repetition_type: 'REPEATED', num_children: 1 }, ...elementsOf(f.list)];
}

/** The flat Parquet schema (root first, depth-first) of `fields`. */
export function parquetSchema(fields: readonly Field[]): SchemaElement[] {
  return [{ name: 'root', num_children: fields.length }, ...fields.flatMap(elementsOf)];
}

/** Why `value` does not fit `f` (null fits every field), or null when it fits. */
export function fieldProblem(f: Field, value: unknown, at = f.name): string | null {
  if (value === null || value === undefined) return null;
  if ('leaf' in f) {
    const ok = f.leaf === 'string' ? typeof value === 'string' : f.leaf === 'bool' ? typeof value === 'boolean' : f.leaf === 'int32' ? Number.isInteger(value) && Math.abs(value as number) < 2 ** 31 : typeof value === 'number';
    return ok ? null : `${at}: ${JSON.stringify(value)} is not ${f.leaf}`;
  }
  if ('list' in f) {
    if (!Array.isArray(value)) return `${at}: not a list`;
    for (let i = 0; i < value.length; i++) {
      const p = fieldProblem(f.list, value[i], `${at}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return `${at}: not a struct`;
  const extra = Object.keys(value).filter((k) => !f.struct.some((c) => c.name === k));
  if (extra.length) return `${at}: fields not in the schema: ${extra.join(', ')}`;
  for (const c of f.struct) {
    const p = fieldProblem(c, (value as Record<string, unknown>)[c.name], `${at}.${c.name}`);
    if (p) return p;
  }
  return null;
}

/**
 * Writes `rows` (objects keyed by the top-level field names) to a Parquet file, atomically.
 * Throws naming the file, row and field of the first value that does not fit the schema, and a
 * row with a key the schema lacks. Returns the file size in bytes.
 */
export function writeParquet(file: string, fields: readonly Field[], rows: readonly Record<string, unknown>[]): number {
  rows.forEach((r, i) => {
    const extra = Object.keys(r).filter((k) => !fields.some((f) => f.name === k));
    if (extra.length) throw new Error(`${file}: row ${i}: columns not in the schema: ${extra.join(', ')}`);
    for (const f of fields) {
      const p = fieldProblem(f, r[f.name]);
      if (p) throw new Error(`${file}: row ${i}: ${p}`);
    }
  });
  // hyparquet-writer is an ES module; Node 20's require() loads it (tsx and vitest too)
  const { parquetWriteBuffer } = require('hyparquet-writer') as typeof import('hyparquet-writer');
  const columnData = fields.map((f) => ({ name: f.name, data: rows.map((r) => r[f.name] ?? null) }));
  const buf = parquetWriteBuffer({ columnData, schema: parquetSchema(fields) as never, createdBy: `fleming-workbench (hyparquet-writer)`, kvMetadata: [{ key: 'fleming.file', value: path.basename(file) }] });
  const bytes = new Uint8Array(buf);
  writeFileAtomic(file, bytes);
  return bytes.byteLength;
}
