/**
 * MedQA (USMLE, 4 options) test split as published in JSON Lines:
 * `{question, answer, options: {A..D}, meta_info, answer_idx, metamap_phrases}`.
 * The file has no ids, so an item's id is its line number: `medqa-<line>`.
 */
import type { SkipReport } from '../../core/io';
import { LETTERS, type Item } from '../item';
import { asRecord, loadJsonlWith, text, type RawItem } from './common';

/** Maps one MedQA record; a string return is the skip reason. */
export function medqaRecord(r: Record<string, unknown>, line: number, origin = 'medqa'): RawItem | string {
  const opts = asRecord(r.options);
  if (!opts) return 'options is not an object';
  const keys = Object.keys(opts).sort();
  if (keys.some((k, i) => k !== LETTERS[i])) return 'option keys are not A, B, C, ...';
  const answer = text(r.answer_idx);
  const answerText = text(r.answer);
  if (answer && answerText && opts[answer] !== undefined && text(opts[answer]) !== answerText)
    return 'answer text disagrees with answer_idx';
  return {
    origin,
    originalId: line,
    question: text(r.question),
    options: keys.map((k) => text(opts[k])),
    answer,
    meta: { step: r.meta_info, sourceSplit: 'test' },
  };
}

/** Loads MedQA JSON Lines (1,273 USMLE test items in the mirror). */
export function loadMedqa(file: string, skips: SkipReport): Promise<Item[]> {
  return loadJsonlWith(file, skips, (r, line) => medqaRecord(r, line));
}
