/**
 * RODS anonymisation: replaces personal identifiers in question and option text with
 * placeholders — names after a title (Mr./Mrs./Ms./Dr./Prof. …) or a 'Name:' label, calendar
 * dates (ISO, d/m/y or m/d/y, '5 April 2023', 'April 5th, 2023', 'April 2023'), e-mail
 * addresses, SSN-like numbers, phone numbers and labelled record numbers (MRN, patient ID, …).
 * Clinical numbers are left alone: ages ('45-year-old'), blood pressure ('120/80 mmHg'), lab
 * values, doses, fractions, gestational weeks, years on their own.
 *
 * An item whose options become identical after replacement (e.g. four dates → four '[DATE]')
 * cannot be asked any more and is rejected; changed items record their counts in
 * meta.anonymized.
 */
import type { Item } from '../item';
import type { FilterResult, Rejected } from './result';
import { normalizeOption } from './format';

export const PII_KINDS = ['email', 'id', 'ssn', 'phone', 'date', 'name'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface AnonymizeOptions {
  /** Placeholder written for each kind. */
  placeholders: Record<PiiKind, string>;
  /** Kinds to replace (all by default). */
  kinds: readonly PiiKind[];
}

export const defaults: AnonymizeOptions = {
  placeholders: { email: '[EMAIL]', id: '[ID]', ssn: '[SSN]', phone: '[PHONE]', date: '[DATE]', name: '[NAME]' },
  kinds: PII_KINDS,
};

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?';
const ORD = '(?:st|nd|rd|th)?';
const NAME_WORD = "[A-Z][\\p{L}-]*(?:['’][A-Z][\\p{L}-]*)?";

/** One replacement rule: a pattern and a function giving the replacement (or null to keep the match). */
interface Rule {
  kind: PiiKind;
  re: RegExp;
  replace: (ph: string, m: RegExpExecArray) => string | null;
}

const validDay = (d: string): boolean => Number(d) >= 1 && Number(d) <= 31;
const validMonth = (m: string): boolean => Number(m) >= 1 && Number(m) <= 12;

const RULES: Rule[] = [
  { kind: 'email', re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, replace: (ph) => ph },
  {
    kind: 'id',
    re: /\b(MRN|[Mm]edical record (?:[Nn]umber|[Nn]o\.?)|[Pp]atient (?:ID|[Nn]umber|[Nn]o\.?)|[Hh]ospital (?:[Nn]umber|[Nn]o\.?)|NHS (?:[Nn]umber|[Nn]o\.?)|[Rr]ecord (?:[Nn]umber|[Nn]o\.?)|ID)(\s*(?:#|:|[Nn]o\.?|[Nn]umber)?\s*)([A-Za-z0-9][A-Za-z0-9-]{3,})\b/g,
    replace: (ph, m) => (/\d/.test(m[3]) ? `${m[1]}${m[2]}${ph}` : null),
  },
  { kind: 'ssn', re: /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g, replace: (ph) => ph },
  { kind: 'phone', re: /(?<![\w/.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w/])/g, replace: (ph) => ph },
  // ISO 2023-04-05 or 2023/04/05
  { kind: 'date', re: /(?<![\d/.-])(?:19|20)\d{2}([-/])(\d{1,2})\1(\d{1,2})(?![\d/-])/g, replace: (ph, m) => (validMonth(m[2]) && validDay(m[3]) ? ph : null) },
  // 05/04/2023, 5/4/23, 05-04-2023, 05.04.2023 (two-digit years only with '/')
  {
    kind: 'date',
    re: /(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-]?\d)/g,
    replace: (ph, m) => {
      const [a, b] = [Number(m[1]), Number(m[3])];
      if (m[4].length === 2 && m[2] !== '/') return null;
      const ok = a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
      return ok ? ph : null;
    },
  },
  // April 5th, 2023 / April 5 / Apr. 5 2023
  { kind: 'date', re: new RegExp(`\\b${MONTH}\\s+(\\d{1,2})${ORD}(?:,?\\s+\\d{4})?(?![\\d])`, 'g'), replace: (ph, m) => (validDay(m[1]) ? ph : null) },
  // 5 April 2023 / 5th of April / 5 Apr
  { kind: 'date', re: new RegExp(`\\b(\\d{1,2})${ORD}\\s+(?:of\\s+)?${MONTH}(?:,?\\s+\\d{4})?(?![\\p{L}\\d])`, 'gu'), replace: (ph, m) => (validDay(m[1]) ? ph : null) },
  // April 2023
  { kind: 'date', re: new RegExp(`\\b${MONTH},?\\s+(?:19|20)\\d{2}\\b`, 'g'), replace: (ph) => ph },
  // Mr. John Smith → Mr. [NAME]
  { kind: 'name', re: new RegExp(`\\b(Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Mme|Mlle)(\\.?\\s+)${NAME_WORD}(?:\\s+${NAME_WORD})?`, 'gu'), replace: (ph, m) => `${m[1]}${m[2]}${ph}` },
  // Name: John Smith → Name: [NAME]
  { kind: 'name', re: new RegExp(`\\b((?:[Pp]atient )?[Nn]ame\\s*:\\s*)${NAME_WORD}(?:\\s+${NAME_WORD}){0,2}`, 'gu'), replace: (ph, m) => `${m[1]}${ph}` },
];

/** `text` with each match of the global `re` replaced by fn(match), or left as is where fn gives null. */
function replaceMatches(text: string, re: RegExp, fn: (m: RegExpExecArray) => string | null): string {
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const r = fn(m);
    if (r !== null) {
      out += text.slice(last, m.index) + r;
      last = m.index + m[0].length;
    }
    if (m[0].length === 0) re.lastIndex += 1;
  }
  return out + text.slice(last);
}

/** Replaces identifiers in one text; returns the new text and how many of each kind were replaced. */
export function anonymizeText(text: string, options: Partial<AnonymizeOptions> = {}): { text: string; counts: Partial<Record<PiiKind, number>> } {
  const opts = { ...defaults, ...options, placeholders: { ...defaults.placeholders, ...(options.placeholders ?? {}) } };
  const counts: Partial<Record<PiiKind, number>> = {};
  let out = text;
  for (const rule of RULES) {
    if (!opts.kinds.includes(rule.kind)) continue;
    const ph = opts.placeholders[rule.kind];
    out = replaceMatches(out, rule.re, (m) => {
      const r = rule.replace(ph, m);
      if (r !== null) counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
      return r;
    });
  }
  return { text: out, counts };
}

export interface AnonymizeResult extends FilterResult {
  /** Replacements made over all items, per kind. */
  counts: Partial<Record<PiiKind, number>>;
  /** Items that had at least one replacement. */
  changed: number;
}

/** Anonymises question and options of every item; see the module comment. */
export function anonymize(items: readonly Item[], options: Partial<AnonymizeOptions> = {}): AnonymizeResult {
  const kept: Item[] = [];
  const rejected: Rejected[] = [];
  const total: Partial<Record<PiiKind, number>> = {};
  let changed = 0;
  for (const item of items) {
    const counts: Partial<Record<PiiKind, number>> = {};
    const add = (c: Partial<Record<PiiKind, number>>): void => {
      for (const [k, v] of Object.entries(c) as [PiiKind, number][]) counts[k] = (counts[k] ?? 0) + v;
    };
    const q = anonymizeText(item.question, options);
    add(q.counts);
    const opts: Record<string, string> = {};
    for (const l of Object.keys(item.options ?? {})) {
      const o = anonymizeText(item.options[l], options);
      add(o.counts);
      opts[l] = o.text;
    }
    if (Object.keys(counts).length === 0) {
      kept.push(item);
      continue;
    }
    changed += 1;
    for (const [k, v] of Object.entries(counts) as [PiiKind, number][]) total[k] = (total[k] ?? 0) + v;
    const sorted = Object.fromEntries(PII_KINDS.filter((k) => counts[k]).map((k) => [k, counts[k]]));
    const out: Item = { ...item, question: q.text, options: opts, meta: { ...(item.meta ?? {}), anonymized: sorted } };
    const seen = new Map<string, string>();
    let clash: string | null = null;
    for (const l of Object.keys(opts)) {
      const key = normalizeOption(opts[l]);
      const first = seen.get(key);
      if (first) {
        clash = `${first} = ${l}`;
        break;
      }
      seen.set(key, l);
    }
    if (clash) rejected.push({ item: out, reason: `anonymisation made options identical (${clash})` });
    else kept.push(out);
  }
  const counts = Object.fromEntries(PII_KINDS.filter((k) => total[k]).map((k) => [k, total[k]]));
  return { kept, rejected, counts, changed };
}
