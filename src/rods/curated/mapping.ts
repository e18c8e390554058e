/**
 * A spec's field mapping applied to one record: the question, the options (a list of fields; one
 * field holding a list of strings, a list of objects or an object keyed by letter or anything
 * else; a JSON string holding one of those, as CSV cells do), the answer (a letter, a 0- or
 * 1-based index, the option's text, or a one-element list of one of those), an optional second
 * answer field that must agree, an id, a subject, extra meta fields.
 *
 * A record that cannot be mapped returns a Skip: the reason names the real cause and the mapping
 * key to fix ('options field "options" holds objects: map their text field with
 * fields.optionText (the objects have: letter, content)'), never only a consequence ('empty
 * option'). Reasons hold no per-row data, so the SkipReport counts them together.
 */
import { LETTERS } from '../item';
import { allNull, asRecord, text, type RawItem } from './common';
import type { BenchmarkSpec, SpecAnswerFormat, SpecFields } from './spec';

/** Why a record was left out, and the mapping key that read it ('fields.options'; '' for the record as a whole). */
export interface Skip {
  reason: string;
  field: string;
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

/** A string that holds a JSON list or object (a CSV cell), parsed; anything else as it is. */
export function jsonIfLooksLike(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('[') || t.startsWith('{'))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'text' : `a ${typeof v}`);
const isText = (v: unknown): boolean => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Option texts from one field holding a list (of strings, or of objects read with optionText / optionKey). */
function fromList(list: unknown[], f: SpecFields, name: string): string[] | Skip {
  const skip = (reason: string, key = 'options'): Skip => ({ reason, field: `fields.${key}` });
  if (list.every(isText)) return f.optionText ? skip(`options field "${name}" holds text, not objects: remove fields.optionText`, 'optionText') : list.map(text);
  const objs = list.map(asRecord);
  if (objs.some((o) => !o)) return skip(`options field "${name}" holds a list of mixed values (text and lists or objects)`);
  if (!f.optionText) return skip(`options field "${name}" holds objects: map their text field with fields.optionText (the objects have: ${Object.keys(objs[0] as object).join(', ')})`);
  const texts = objs.map((o) => getField(o as Record<string, unknown>, f.optionText as string));
  if (texts.some((t) => t === undefined)) return skip(`fields.optionText "${f.optionText}" is not a field of the option objects (they have: ${Object.keys(objs[0] as object).join(', ')})`, 'optionText');
  if (f.optionKey) {
    const keys = objs.map((o) => text(getField(o as Record<string, unknown>, f.optionKey as string)).toUpperCase());
    if (keys.some((k, i) => k !== LETTERS[i])) return skip(`option keys (fields.optionKey "${f.optionKey}") are not A, B, C, ... in order`, 'optionKey');
  }
  return texts.map(text);
}

/** Option texts of a record under the mapping, or why not. */
export function optionTexts(r: Record<string, unknown>, f: SpecFields): string[] | Skip {
  const skip = (reason: string): Skip => ({ reason, field: 'fields.options' });
  if (Array.isArray(f.options)) {
    const vs = f.options.map((name) => getField(r, name));
    const bad = vs.findIndex((v) => v !== null && v !== undefined && !isText(v));
    return bad >= 0 ? skip(`option field "${f.options[bad]}" holds ${kind(vs[bad])}, not text`) : vs.map(text);
  }
  const v = jsonIfLooksLike(getField(r, f.options));
  if (Array.isArray(v)) return fromList(v, f, f.options);
  const o = asRecord(v);
  if (!o) return skip(v === null || v === '' ? 'no options' : `options field "${f.options}" holds ${kind(v)}, not a list or an object of options`);
  let keys = Object.keys(o);
  if (keys.some((k) => !isText(o[k]))) return skip(`options field "${f.options}" maps its keys to lists or objects, not to text`);
  if (keys.length && keys.every((k) => /^[A-Za-z]$/.test(k))) {
    keys = keys.sort();
    if (keys.some((k, i) => k.toUpperCase() !== LETTERS[i])) return skip('option keys are not A, B, C, ... in order');
  }
  return keys.map((k) => text(o[k]));
}

/** The letter an answer value names in `format`, or why not (`field` is the mapping key that read it). */
export function answerLetter(value: unknown, format: SpecAnswerFormat, options: readonly string[], name: string, field = 'fields.answer'): string | Skip {
  const skip = (reason: string, key = field): Skip => ({ reason, field: key });
  let v = jsonIfLooksLike(value);
  if (Array.isArray(v)) {
    if (v.length > 1) return skip(`answer field "${name}" holds several answers (an item has one right option)`);
    v = v[0];
  }
  if (v !== undefined && v !== null && !isText(v)) return skip(`answer field "${name}" holds ${kind(v)}, not a letter, an index or a text`);
  const t = text(v);
  if (t === '') return skip('no answer');
  const letterLike = /^\(?([A-Za-z])[).]?$/.exec(t);
  const numberLike = /^-?\d+(\.0+)?$/.test(t);
  const fmt = field === 'fields.answer' ? 'fields.answerFormat' : `${field.replace(/\.field$/, '')}.format`;
  if (format === 'letter') {
    if (letterLike) return letterLike[1].toUpperCase();
    return skip(`answer field "${name}" holds ${numberLike ? 'a number' : 'text'}, not a letter: set ${fmt} to ${numberLike ? 'index0 or index1' : 'text'}`, fmt);
  }
  if (format === 'index0' || format === 'index1') {
    if (!numberLike) return skip(`answer field "${name}" holds ${letterLike ? 'a letter' : 'text'}, not an index: set ${fmt} to ${letterLike ? 'letter' : 'text'}`, fmt);
    const n = Number(t) - (format === 'index1' ? 1 : 0);
    return n >= 0 && n < options.length ? LETTERS[n] : skip('answer not among options');
  }
  let hits = options.flatMap((o, i) => (o === t ? [i] : []));
  if (!hits.length) hits = options.flatMap((o, i) => (o.toLowerCase() === t.toLowerCase() ? [i] : []));
  if (hits.length > 1) return skip('answer text matches several options');
  return hits.length ? LETTERS[hits[0]] : skip('answer text matches no option');
}

/** Skip when the spec's answerCheck field names another option than the answer; its absence is no disagreement. */
function checkAnswer(r: Record<string, unknown>, f: SpecFields, options: readonly string[], letter: string): Skip | null {
  const c = f.answerCheck;
  if (!c || text(jsonIfLooksLike(getField(r, c.field))) === '') return null;
  const disagree: Skip = { reason: `"${f.answer}" and "${c.field}" disagree (fields.answerCheck)`, field: 'fields.answerCheck' };
  if (c.format === 'text') {
    const want = text(getField(r, c.field)).toLowerCase();
    const got = options[LETTERS.indexOf(letter)];
    return got === undefined || got.toLowerCase() === want ? null : disagree;
  }
  const other = answerLetter(getField(r, c.field), c.format, options, c.field, 'fields.answerCheck.field');
  return typeof other === 'string' && other !== letter ? disagree : null;
}

/** The mapped fields a record must have (question, options, answer, id when mapped), with their mapping keys. */
export function requiredFields(f: SpecFields): [string, string][] {
  const out: [string, string][] = [[f.question, 'fields.question']];
  for (const o of Array.isArray(f.options) ? f.options : [f.options]) out.push([o, 'fields.options']);
  out.push([f.answer, 'fields.answer']);
  if (f.id !== undefined && f.id !== '$key') out.push([f.id, 'fields.id']);
  return out;
}

/** Every field the mapping reads, with its mapping key (for the header check and the "found in no record" check). */
export function mappedFields(f: SpecFields): [string, string][] {
  const out = requiredFields(f);
  if (f.answerCheck) out.push([f.answerCheck.field, 'fields.answerCheck.field']);
  if (f.subject) out.push([f.subject, 'fields.subject']);
  for (const [k, v] of Object.entries(f.meta ?? {})) out.push([v, `fields.meta.${k}`]);
  return out;
}

/** Maps one record under a spec's fields: a RawItem for toItem, or why it is left out. */
export function mapRecord(r: Record<string, unknown>, line: number, spec: BenchmarkSpec, key?: string): RawItem | Skip {
  const f = spec.fields as SpecFields;
  if (allNull(r)) return { reason: 'empty row (all fields null or NaN)', field: '' };
  const missing = requiredFields(f).find(([name]) => getField(r, name) === undefined);
  if (missing) return { reason: `no field "${missing[0]}"`, field: missing[1] };
  const q = getField(r, f.question);
  if (q !== null && !isText(q)) return { reason: `question field "${f.question}" holds ${kind(q)}, not text`, field: 'fields.question' };
  const options = optionTexts(r, f);
  if (!Array.isArray(options)) return options;
  const answer = answerLetter(getField(r, f.answer), f.answerFormat, options, f.answer);
  if (typeof answer !== 'string') return answer;
  const disagree = checkAnswer(r, f, options, answer);
  if (disagree) return disagree;
  const id = f.id === undefined ? line : f.id === '$key' ? (key ?? '') : text(getField(r, f.id));
  if (id === '') return { reason: 'no id', field: 'fields.id' };
  const meta: Record<string, unknown> = {};
  const subject = f.subject === undefined ? '' : text(getField(r, f.subject));
  if (subject) meta.subject = subject;
  for (const [k, name] of Object.entries(f.meta ?? {})) meta[k] = getField(r, name) ?? null;
  if (spec.language) meta.language = spec.language;
  if (spec.split) meta.sourceSplit = spec.split;
  return { origin: spec.name, originalId: id, question: text(q), options, answer, meta };
}
