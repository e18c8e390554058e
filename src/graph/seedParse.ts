/**
 * Reading the seed files: every JSONL line is shape-checked into a Line (its metadata, and its
 * facts with their references); bad lines and repeated names go to the SkipReport. Links
 * between lines are checked later, when the lines are compiled (seedCompile.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INVALID_UTF8, type SkipReport, assertNotEmpty, readLinesSync } from '../core/io';
import { NODE_TYPES, NodeType, Xrefs, isNodeType, normalizeName } from './schema';

/** A fact as written: a target name, or an object with its own refs (findings add measured_by). */
type FactInput = string | { name: string; refs?: string[]; measured_by?: string | string[] };

/** A fact of a line: the target's name, its own refs, and (findings) the tests that measure it. */
export interface Fact {
  name: string;
  refs?: string[];
  measuredBy?: string[];
}

/** One shape-checked line of a seed file. */
export interface Line {
  file: string;
  line: number;
  name: string;
  synonyms: string[];
  xrefs: Xrefs;
  refs: string[];
  facts: Map<string, Fact[]>;
  /** entities.jsonl only. */
  type?: NodeType;
}

/** Fields each file accepts: [metadata fields, fact fields]. */
const FIELDS: Record<string, { meta: string[]; facts: string[] }> = {
  'entities.jsonl': { meta: ['type', 'name', 'synonyms', 'xrefs', 'note', 'refs'], facts: ['subclass_of'] },
  'conditions.jsonl': { meta: ['name', 'synonyms', 'xrefs', 'note', 'refs'], facts: [] },
  'diseases.jsonl': {
    meta: ['name', 'synonyms', 'xrefs', 'note', 'refs', 'specialty', 'clinical_diagnosis'],
    facts: ['located_in', 'caused_by', 'has_symptom', 'has_finding', 'diagnosed_by', 'treated_by', 'subclass_of'],
  },
  'drugs.jsonl': {
    meta: ['name', 'synonyms', 'xrefs', 'note', 'refs'],
    facts: ['class', 'mechanism', 'contraindicated_in', 'side_effect'],
  },
};

/** The seed files, in the order they are read. */
export const SEED_FILES = ['entities.jsonl', 'conditions.jsonl', 'diseases.jsonl', 'drugs.jsonl'];

/** Whether `s` is an absolute http(s) URL. */
export function isRefUrl(s: unknown): s is string {
  if (typeof s !== 'string' || !/^https?:\/\/\S+$/.test(s)) return false;
  try {
    return new URL(s).hostname.includes('.');
  } catch {
    return false;
  }
}

/** Whether `x` is a plain object (not null, not an array). */
function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether `x` is a string with at least one letter or digit. */
function nonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x.trim() !== '' && normalizeName(x) !== '';
}

/** The optional name list `v[key]` (synonyms); throws a reason string when it is malformed. */
function stringList(v: Record<string, unknown>, key: string): string[] {
  const x = v[key];
  if (x === undefined) return [];
  if (!Array.isArray(x)) throw `"${key}" must be a list`;
  if (x.length === 0) throw `empty list "${key}"`;
  for (const s of x) if (!nonEmptyString(s)) throw `"${key}" holds a non-string or empty entry`;
  return x as string[];
}

/** A non-empty list of reference URLs; throws a reason string naming `where` otherwise. */
function refList(x: unknown, where: string): string[] {
  if (!Array.isArray(x)) throw `${where} must be a list`;
  if (x.length === 0) throw `empty list ${where}`;
  for (const r of x) if (!isRefUrl(r)) throw `${where} holds a non-URL reference ${JSON.stringify(r)}`;
  return x as string[];
}

/** The "xrefs" object: a non-empty list of ids per key. */
function parseXrefs(x: unknown): Xrefs {
  if (!isObject(x) || Object.keys(x).length === 0) throw '"xrefs" must be a non-empty object';
  const xrefs: Xrefs = {};
  for (const [k, ids] of Object.entries(x)) {
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((s) => nonEmptyString(s))) throw `xrefs.${k} must be a non-empty list of ids`;
    xrefs[k] = ids as string[];
  }
  return xrefs;
}

/** Validates one line's shape; returns the parsed line or throws a reason string. */
export function parseLine(file: string, lineNo: number, v: unknown): Line {
  if (!isObject(v)) throw 'line is not a JSON object';
  const spec = FIELDS[file];
  for (const k of Object.keys(v)) if (!spec.meta.includes(k) && !spec.facts.includes(k)) throw `unknown field "${k}"`;
  if (!nonEmptyString(v.name)) throw 'missing or empty "name"';
  const out: Line = { file, line: lineNo, name: v.name.trim(), synonyms: stringList(v, 'synonyms'), xrefs: {}, refs: [], facts: new Map() };
  if (v.xrefs !== undefined) out.xrefs = parseXrefs(v.xrefs);
  if (v.note !== undefined && !nonEmptyString(v.note)) throw '"note" must be a non-empty string';
  if (v.specialty !== undefined && !nonEmptyString(v.specialty)) throw '"specialty" must be a non-empty string';
  if (v.clinical_diagnosis !== undefined && v.clinical_diagnosis !== true) throw '"clinical_diagnosis" may only be true';
  if (v.refs !== undefined) out.refs = refList(v.refs, '"refs"');
  if (file === 'entities.jsonl') {
    if (!isNodeType(v.type) || v.type === 'disease' || v.type === 'drug')
      throw `"type" must be one of ${NODE_TYPES.filter((t) => t !== 'disease' && t !== 'drug').join(', ')}`;
    out.type = v.type;
  }
  let unreferenced = false;
  for (const key of spec.facts) {
    const x = v[key];
    if (x === undefined) continue;
    if (!Array.isArray(x)) throw `"${key}" must be a list`;
    if (x.length === 0) throw `empty list "${key}"`;
    const facts = (x as FactInput[]).map((item) => parseFact(key, item));
    if (facts.some((f) => !f.refs) && out.refs.length === 0) unreferenced = true;
    out.facts.set(key, facts);
  }
  if (unreferenced) throw 'a fact has no reference (no line "refs" and no fact "refs")';
  if (file === 'drugs.jsonl' && !out.facts.has('class')) throw 'drug without "class"';
  if (file === 'conditions.jsonl' && out.refs.length === 0) throw 'condition without "refs"';
  return out;
}

/** One entry of the fact list `key`: a name, or an object with its own refs (and, for findings, measured_by). */
function parseFact(key: string, item: FactInput): Fact {
  let fact: Fact;
  if (typeof item === 'string') {
    if (!nonEmptyString(item)) throw `"${key}" holds an empty name`;
    fact = { name: item.trim() };
  } else if (isObject(item)) {
    const allowed = key === 'has_finding' ? ['name', 'refs', 'measured_by'] : ['name', 'refs'];
    for (const k of Object.keys(item)) if (!allowed.includes(k)) throw `unknown field "${k}" in a "${key}" entry`;
    if (!nonEmptyString(item.name)) throw `a "${key}" entry lacks a name`;
    fact = { name: item.name.trim() };
    if (item.refs !== undefined) fact.refs = refList(item.refs, `"${key}" entry "${item.name}" refs`);
    if (item.measured_by !== undefined) {
      const m = typeof item.measured_by === 'string' ? [item.measured_by] : item.measured_by;
      if (!Array.isArray(m) || m.length === 0 || !m.every((s) => nonEmptyString(s))) throw `finding "${item.name}" has an empty or invalid measured_by`;
      fact.measuredBy = m.map((s) => s.trim());
    }
  } else throw `"${key}" holds an entry that is neither a name nor an object`;
  if (key === 'has_finding' && !fact.measuredBy) throw `finding "${fact.name}" has no measured_by`;
  return fact;
}

/**
 * Reads and shape-checks one seed file; bad lines go to `skips` (which throws when strict): lines
 * that are not JSON or not UTF-8 (a BOM is removed first), bad shapes, repeated names. A file that
 * is present but empty throws.
 */
export function readSeedFile(dir: string, file: string, skips: SkipReport): Line[] {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) {
    if (file === 'diseases.jsonl' || file === 'drugs.jsonl') throw new Error(`${full}: no such file`);
    return [];
  }
  const out: Line[] = [];
  const seen = new Map<string, number>();
  let rows = 0;
  for (const { text, line: n, invalid } of readLinesSync(full)) {
    if (text.trim() === '') continue;
    rows += 1;
    skips.read(full);
    if (invalid) {
      skips.skip(full, n, INVALID_UTF8, invalid);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      skips.skip(full, n, `invalid JSON (${(e as Error).message})`);
      continue;
    }
    let line: Line;
    try {
      line = parseLine(file, n, value);
    } catch (reason) {
      if (typeof reason !== 'string') throw reason;
      skips.skip(full, n, reason);
      continue;
    }
    const key = `${line.type ?? ''}|${normalizeName(line.name)}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      skips.skip(full, n, `duplicate name "${line.name}" (first on line ${prev})`);
      continue;
    }
    seen.set(key, n);
    line.file = full;
    out.push(line);
  }
  assertNotEmpty(full, rows, 'lines');
  return out;
}
