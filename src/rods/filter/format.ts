/**
 * RODS format filter: drops items that cannot be asked or graded as they stand — an empty
 * question, fewer than two options, letters out of order, empty or duplicate options, an answer
 * that is not an option — and items whose text shows encoding or markup damage (U+FFFD,
 * UTF-8-read-as-Latin-1 mojibake such as 'Ã©' or 'â€™', control characters, leftover or broken
 * HTML entities, unbalanced HTML tags). Each rejected item carries the first problem found.
 */
import { LETTERS, type Item } from '../item';
import type { FilterResult, Rejected } from './result';

export interface FormatOptions {
  /** Fewest options an item may have. */
  minOptions: number;
  /** Most options (letters A..Z at most). */
  maxOptions: number;
  /** Reject undecoded entities such as '&amp;' (broken ones like '&amp' are always rejected). */
  rejectHtmlEntities: boolean;
}

export const defaults: FormatOptions = {
  minOptions: 2,
  maxOptions: LETTERS.length,
  rejectHtmlEntities: true,
};

/** Windows-1252 characters that stand for bytes 0x80–0x9F when UTF-8 is decoded as cp1252. */
const CP1252 = '\u20AC\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u017D\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u017E\u0178';
/** A UTF-8 continuation byte (0x80–0xBF) read as Latin-1 or cp1252. */
const CONT = `[\\u0080-\\u00BF${CP1252}]`;
/**
 * Mojibake: a UTF-8 lead byte read as Latin-1 (Â..ß for 2-byte, à..ï for 3-byte sequences)
 * followed by continuation bytes read the same way ('Ã©' = é, 'Â°' = °, 'â€™' = ’), and
 * '锟斤拷', the signature of U+FFFD round-tripped through GBK.
 */
const MOJIBAKE = new RegExp(`[\\u00C2-\\u00DF]${CONT}|[\\u00E0-\\u00EF]${CONT}${CONT}|锟斤拷`);
/** C0 controls except tab, LF, CR; DEL; C1 controls. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const ENTITY = /&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});/;
/** A common entity missing its semicolon ('&amp', '&#39'). */
const BROKEN_ENTITY = /&(?:amp|lt|gt|quot|apos|nbsp|#\d{2,7}|#[xX][0-9a-fA-F]{2,6})(?![a-zA-Z0-9;])/;
const TAGS = ['a', 'b', 'div', 'em', 'font', 'i', 'li', 'ol', 'p', 'span', 'strong', 'sub', 'sup', 'table', 'td', 'tr', 'u', 'ul'];

/** Lower-cased, whitespace-collapsed text without a trailing period, for option comparison. */
export function normalizeOption(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

const codepoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first encoding or markup problem in one text, or null. `where` names the field. */
export function textProblem(text: string, where: string, opts: FormatOptions = defaults): string | null {
  if (text.includes('\uFFFD')) return `encoding artefact (U+FFFD in ${where})`;
  const moji = MOJIBAKE.exec(text);
  if (moji) return `mojibake ("${moji[0]}" in ${where})`;
  const ctl = CONTROL.exec(text);
  if (ctl) return `control character (${codepoint(ctl[0])} in ${where})`;
  const broken = BROKEN_ENTITY.exec(text);
  if (broken) return `broken HTML entity ("${broken[0]}" in ${where})`;
  if (opts.rejectHtmlEntities) {
    const ent = ENTITY.exec(text);
    if (ent) return `HTML entity ("${ent[0]}" in ${where})`;
  }
  for (const tag of TAGS) {
    const open = (text.match(new RegExp(`<${tag}(?:\\s[^<>]*)?>`, 'gi')) ?? []).length;
    const close = (text.match(new RegExp(`</${tag}\\s*>`, 'gi')) ?? []).length;
    if (open !== close) return `unbalanced HTML tag (<${tag}>: ${open} open, ${close} closed in ${where})`;
  }
  return null;
}

/** The first format problem of an item, or null when it passes. */
export function formatProblem(item: Item, options: Partial<FormatOptions> = {}): string | null {
  const opts = { ...defaults, ...options };
  if (typeof item.question !== 'string' || item.question.trim() === '') return 'empty question';
  const letters = Object.keys(item.options ?? {});
  if (letters.length < opts.minOptions) return `fewer than ${opts.minOptions} options (${letters.length})`;
  if (letters.length > opts.maxOptions) return `more than ${opts.maxOptions} options (${letters.length})`;
  const expected = LETTERS.slice(0, letters.length);
  if (letters.join() !== expected.join()) return `option letters not ${expected[0]}..${expected[expected.length - 1]} in order (${letters.join(',')})`;
  const seen = new Map<string, string>();
  for (const l of letters) {
    const text = item.options[l];
    if (typeof text !== 'string' || text.trim() === '') return `empty option (${l})`;
    const key = normalizeOption(text);
    const first = seen.get(key);
    if (first) return `duplicate options (${first} = ${l})`;
    seen.set(key, l);
  }
  if (!letters.includes(item.answer)) return `answer not among options (answer ${JSON.stringify(item.answer)}; options ${letters.join(',')})`;
  const q = textProblem(item.question, 'question', opts);
  if (q) return q;
  for (const l of letters) {
    const p = textProblem(item.options[l], `option ${l}`, opts);
    if (p) return p;
  }
  return null;
}

/** Splits items into those that pass the format checks and those that do not (with the reason). */
export function formatFilter(items: readonly Item[], options: Partial<FormatOptions> = {}): FilterResult {
  const kept: Item[] = [];
  const rejected: Rejected[] = [];
  for (const item of items) {
    const reason = formatProblem(item, options);
    if (reason) rejected.push({ item, reason });
    else kept.push(item);
  }
  return { kept, rejected };
}
