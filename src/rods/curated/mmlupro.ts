/**
 * MMLU-Pro (one category per file) as published in JSON Lines: `{question_id, question,
 * options: [...up to 10], answer: 'B', answer_index: 1, cot_content, category, src}`.
 */
import type { SkipReport } from '../../core/io';
import type { Item } from '../item';
import { letterAt, loadJsonlWith, text, type RawItem } from './common';

/** Maps one MMLU-Pro record; a string return is the skip reason. */
export function mmluProRecord(r: Record<string, unknown>, origin: string): RawItem | string {
  if (!Array.isArray(r.options)) return 'options is not an array';
  const byLetter = text(r.answer).toUpperCase();
  const byIndex = letterAt(r.answer_index);
  if (byLetter && byIndex && byLetter !== byIndex) return 'answer and answer_index disagree';
  return {
    origin,
    originalId: text(r.question_id),
    question: text(r.question),
    options: r.options.map(text),
    answer: byLetter || byIndex,
    meta: { category: r.category, src: r.src, sourceSplit: 'test' },
  };
}

/** A loader for one MMLU-Pro category file; `origin` names it (e.g. 'mmlu-pro-health'). */
export function mmluProLoader(origin: string): (file: string, skips: SkipReport) => Promise<Item[]> {
  return (file, skips) => loadJsonlWith(file, skips, (r) => (text(r.question_id) ? mmluProRecord(r, origin) : 'no question_id'));
}
