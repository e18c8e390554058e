/**
 * Shared pieces of the curated-benchmark loaders: the loader signature, a JSON Lines reader that
 * tolerates pandas' bare `NaN`, and `toItem`, which checks one parsed record and either returns a
 * valid Item or counts the reason it was left out in the SkipReport (file + line + reason).
 */
import { INVALID_UTF8, InputError, type SkipReport, assertNotEmpty, readLines } from '../../core/io';
import { LETTERS, type Item } from '../item';

/** Reads one benchmark file into items; rows that cannot be made valid go to `skips`. */
export type CuratedLoader = (file: string, skips: SkipReport) => Promise<Item[]>;

/** One record as a loader understood it, before validation. */
export interface RawItem {
  /** Benchmark name, e.g. 'medqa'; becomes Item.origin and the id prefix. */
  origin: string;
  /** The benchmark's own id (or the row number where it has none). */
  originalId: string | number;
  question: string;
  /** Option texts in order; they become A, B, C, ... */
  options: string[];
  /** The right option's letter ('' or undefined when the record has none). */
  answer: string | undefined;
  meta?: Record<string, unknown>;
}

/** Trimmed text of a string or finite number; '' for anything else (null, objects, NaN read as null). */
export function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
}

/** Letter for a 0-based option index, or undefined when out of range or not an integer. */
export function letterAt(index: unknown): string | undefined {
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < LETTERS.length
    ? LETTERS[index]
    : undefined;
}

/** Options object from an ordered list: ['x', 'y'] → {A: 'x', B: 'y'}. */
export function lettered(options: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  options.forEach((o, i) => (out[LETTERS[i]] = o));
  return out;
}

/**
 * Checks a record and returns the Item, or counts why not in `skips` and returns null.
 * Skip reasons: those of checkItem.
 */
export function toItem(raw: RawItem, file: string, line: number, skips: SkipReport, seenIds: Set<string>): Item | null {
  const item = checkItem(raw, line, seenIds);
  if (typeof item === 'string') {
    skips.skip(file, line, item);
    return null;
  }
  return item;
}

/**
 * The Item of a record, or the reason it cannot be one: 'empty question', 'fewer than 2 options',
 * 'more than 26 options', 'empty option', 'no answer', 'answer not among options', 'duplicate id'
 * (its id is then added to `seenIds`). Records that are valid but odd keep a note in `meta.quirks`
 * ('duplicate options', 'answer text repeated in another option').
 */
export function checkItem(raw: RawItem, line: number, seenIds: Set<string>): Item | string {
  const question = raw.question.trim();
  const options = raw.options.map((o) => o.trim());
  const answer = (raw.answer ?? '').trim().toUpperCase();
  const reason = !question
    ? 'empty question'
    : options.length < 2
      ? 'fewer than 2 options'
      : options.length > LETTERS.length
        ? `more than ${LETTERS.length} options`
        : options.some((o) => !o)
          ? 'empty option'
          : !answer
            ? 'no answer'
            : !LETTERS.slice(0, options.length).includes(answer)
              ? 'answer not among options'
              : undefined;
  if (reason) return reason;
  const id = `${raw.origin}-${raw.originalId}`;
  if (seenIds.has(id)) return 'duplicate id';
  seenIds.add(id);
  const meta: Record<string, unknown> = { originalId: raw.originalId, line, ...raw.meta };
  const given = raw.meta && Array.isArray(raw.meta.quirks) ? (raw.meta.quirks as string[]) : [];
  const quirks = [...given, ...quirksOf(options, LETTERS.indexOf(answer))];
  if (quirks.length) meta.quirks = quirks;
  return { id, origin: raw.origin, question, options: lettered(options), answer, type: 'curated', meta };
}

/** Notes on valid-but-odd option lists (identical option texts). */
export function quirksOf(options: readonly string[], answerIndex: number): string[] {
  const out: string[] = [];
  if (new Set(options).size < options.length) out.push('duplicate options');
  const a = options[answerIndex];
  if (options.filter((o) => o === a).length > 1) out.push('answer text repeated in another option');
  return out;
}

/** A parsed JSON Lines row with its 1-based line number. */
export interface LenientRow {
  value: unknown;
  line: number;
}

/**
 * Streams a JSON Lines file, counting every non-blank line in `skips.read`. Lines that are not
 * JSON only because of bare `NaN` / `Infinity` tokens (as pandas writes them) are parsed with those
 * tokens read as null; other bad lines are counted as 'invalid JSON', lines with bytes that are not
 * UTF-8 as 'invalid UTF-8'. A file without a non-blank line throws an InputError ('empty file').
 */
export async function* readJsonlLenient(file: string, skips: SkipReport): AsyncGenerator<LenientRow> {
  let rows = 0;
  for await (const { text, line, invalid } of readLines(file)) {
    if (text.trim() === '') continue;
    rows += 1;
    skips.read(file);
    if (invalid) {
      skips.skip(file, line, INVALID_UTF8, invalid);
      continue;
    }
    const value = parseLenient(text);
    if (value === undefined) skips.skip(file, line, 'invalid JSON');
    else yield { value, line };
  }
  assertNotEmpty(file, rows);
}

/** JSON.parse, retrying with bare NaN / Infinity / -Infinity (outside strings) read as null. */
export function parseLenient(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    try {
      return JSON.parse(replaceBareNaN(t));
    } catch {
      return undefined;
    }
  }
}

function replaceBareNaN(t: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (inString) {
      out += c;
      if (c === '\\') out += t[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const m = /^(-?Infinity|NaN)/.exec(t.slice(i, i + 9));
    if (m) {
      out += 'null';
      i += m[1].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** A JSON object record (not an array or scalar), or undefined. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** True when every field of the record is null (a pandas row of NaN written as JSON). */
export function allNull(r: Record<string, unknown>): boolean {
  const vs = Object.values(r);
  return vs.length > 0 && vs.every((v) => v === null);
}

/**
 * The fields a loader needs in every record. A record without one is skipped as 'no field "X"';
 * a field that no record has (a renamed field) throws one InputError naming it and the fields the
 * first record has, instead of a skip per row.
 */
export class RequiredFields {
  private readonly seen = new Set<string>();
  private first: { line: number; keys: string[] } | undefined;
  private records = 0;

  constructor(
    readonly file: string,
    readonly fields: readonly string[],
  ) {}

  /** Notes a record; returns the skip reason when it lacks a required field. */
  check(r: Record<string, unknown>, line: number): string | undefined {
    this.first ??= { line, keys: Object.keys(r) };
    this.records += 1;
    for (const f of this.fields) if (f in r) this.seen.add(f);
    const missing = this.fields.find((f) => !(f in r));
    return missing === undefined ? undefined : `no field "${missing}"`;
  }

  /** Throws when a required field was in none of the records. */
  assertFound(): void {
    const never = this.fields.filter((f) => !this.seen.has(f));
    if (this.first && never.length)
      throw new InputError(this.file, this.first.line, `${never.map((f) => `field "${f}"`).join(', ')} not found in any of the ${this.records} records (the first record has: ${this.first.keys.join(', ')})`);
  }
}

/**
 * Reads a JSON Lines benchmark with a per-record mapper (given the record and its 1-based line).
 * The mapper returns a RawItem, or a string: the reason the record is skipped. Non-object lines are
 * skipped as 'not a JSON object'; `required` fields are checked first (RequiredFields).
 */
export async function loadJsonlWith(
  file: string,
  skips: SkipReport,
  map: (r: Record<string, unknown>, line: number) => RawItem | string,
  required: readonly string[] = [],
): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  const fields = new RequiredFields(file, required);
  for await (const { value, line } of readJsonlLenient(file, skips)) {
    const r = asRecord(value);
    if (!r) {
      skips.skip(file, line, 'not a JSON object');
      continue;
    }
    const raw = fields.check(r, line) ?? map(r, line);
    if (typeof raw === 'string') {
      skips.skip(file, line, raw);
      continue;
    }
    const item = toItem(raw, file, line, skips, seen);
    if (item) items.push(item);
  }
  fields.assertFound();
  return items;
}
