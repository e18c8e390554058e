/**
 * PubMedQA expert-labelled set (`ori_pqal.json`): one JSON object keyed by PMID, each with
 * QUESTION, CONTEXTS[] (the abstract without its conclusion), LABELS[] (section names), MESHES[],
 * YEAR, final_decision (yes / no / maybe) and LONG_ANSWER (the conclusion).
 *
 * Options are always A = yes, B = no, C = maybe. Where the contexts go is a choice:
 * - `contexts: 'question'` (the default) puts the abstract in the question, one `LABEL: text` line
 *   per section, then the question, as evaluation harnesses do for the reasoning-required setting
 *   ("Context: ...\nQuestion: ..."), so the item is answerable on its own;
 * - `contexts: 'meta'` keeps the bare question and stores the contexts in `meta.contexts`.
 * LONG_ANSWER gives the answer away, so it is only kept in meta (`meta.longAnswer`), never shown.
 * Items keep the file's order (JavaScript objects would reorder numeric keys, so the order and the
 * line of each PMID are read from the text). A record without QUESTION or final_decision is skipped
 * as 'no field "QUESTION"'; a file where no record has one of them (a renamed field) throws.
 */
import * as fs from 'node:fs';
import { InputError, type SkipReport, assertNotEmpty, readTextSync } from '../../core/io';
import type { Item } from '../item';
import { RequiredFields, asRecord, text, toItem } from './common';

export interface PubmedqaOptions {
  /** Where the abstract goes: in the question text, or in meta only. */
  contexts: 'question' | 'meta';
  /** Prefix each context with its section label (BACKGROUND: ...). */
  sectionLabels: boolean;
}

export const defaults: PubmedqaOptions = {
  contexts: 'question',
  sectionLabels: true,
};

export const PUBMEDQA_OPTIONS = ['yes', 'no', 'maybe'] as const;

/**
 * The keys of the top-level JSON object in file order, each with its 1-based line. A small scanner
 * that tracks strings and nesting depth; keys are the strings at depth 1 followed by ':'.
 */
export function topLevelKeys(json: string): { key: string; line: number }[] {
  const out: { key: string; line: number }[] = [];
  let depth = 0;
  let line = 1;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '\n') line += 1;
    else if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') depth -= 1;
    else if (c === '"') {
      const start = i;
      for (i += 1; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i += 1;
      if (depth === 1 && /^\s*:/.test(json.slice(i + 1, i + 20))) out.push({ key: JSON.parse(json.slice(start, i + 1)) as string, line });
    }
  }
  return out;
}

/** The question text shown for one PubMedQA record under the given options. */
export function pubmedqaQuestion(r: Record<string, unknown>, opts: PubmedqaOptions = defaults): string {
  const q = text(r.QUESTION);
  if (opts.contexts === 'meta') return q;
  const contexts = Array.isArray(r.CONTEXTS) ? r.CONTEXTS.map(text) : [];
  const labels = Array.isArray(r.LABELS) ? r.LABELS.map(text) : [];
  if (!contexts.length) return q;
  const lines = contexts.map((c, i) => (opts.sectionLabels && labels[i] ? `${labels[i]}: ${c}` : c));
  return `Context:\n${lines.join('\n')}\nQuestion: ${q}`;
}

/** Loads `ori_pqal.json` (1,000 items in the mirror). A file that is empty, not UTF-8 or not JSON throws an InputError. */
export async function loadPubmedqa(file: string, skips: SkipReport, opts: PubmedqaOptions = defaults): Promise<Item[]> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const json = readTextSync(file);
  assertNotEmpty(file, json.trim() === '' ? 0 : 1);
  let data: Record<string, unknown> | undefined;
  try {
    data = asRecord(JSON.parse(json));
  } catch (e) {
    throw new InputError(file, 1, `invalid JSON (${(e as Error).message})`);
  }
  if (!data) throw new InputError(file, 1, 'expected one JSON object keyed by PMID');
  const items: Item[] = [];
  const seen = new Set<string>();
  const keys = topLevelKeys(json);
  assertNotEmpty(file, keys.length);
  const required = new RequiredFields(file, ['QUESTION', 'final_decision']);
  for (const { key, line } of keys) {
    skips.read(file);
    const r = asRecord(data[key]);
    const missing = r && required.check(r, line);
    if (!r || missing) {
      skips.skip(file, line, missing || 'record is not an object');
      continue;
    }
    const decision = text(r.final_decision).toLowerCase();
    const idx = PUBMEDQA_OPTIONS.indexOf(decision as (typeof PUBMEDQA_OPTIONS)[number]);
    if (decision && idx < 0) {
      skips.skip(file, line, 'final_decision is not yes/no/maybe');
      continue;
    }
    const meta: Record<string, unknown> = {
      pmid: key,
      year: r.YEAR ?? null,
      meshes: r.MESHES,
      labels: r.LABELS,
      longAnswer: r.LONG_ANSWER,
      sourceSplit: 'test',
    };
    if (opts.contexts === 'meta') meta.contexts = r.CONTEXTS;
    const item = toItem(
      {
        origin: 'pubmedqa',
        originalId: key,
        question: text(r.QUESTION) ? pubmedqaQuestion(r, opts) : '',
        options: [...PUBMEDQA_OPTIONS],
        answer: idx >= 0 ? 'ABC'[idx] : undefined,
        meta,
      },
      file,
      line,
      skips,
      seen,
    );
    if (item) items.push(item);
  }
  required.assertFound();
  return items;
}
