/**
 * CareQA (English) as published in the Citrus mirror, JSON Lines with pandas quirks:
 * `{exam_id: 26.0, question, op1..op4, cop: 2.0 (1–4), year: 2024.0, category, unique_id}`.
 * Quirks found in the file (5,623 lines for 5,621 items):
 * - two rows where every field is a bare `NaN` (not valid JSON): read leniently and skipped as
 *   'empty row (all fields NaN)';
 * - numbers written as floats (exam_id, cop, year): read as integers;
 * - a few options with a trailing newline: trimmed;
 * - 12 items with two identical option texts, 5 of them where the right answer's text appears
 *   twice (only the `cop` letter counts as right): kept, flagged in `meta.quirks`.
 */
import type { SkipReport } from '../../core/io';
import type { Item } from '../item';
import { allNull, letterAt, loadJsonlWith, text, type RawItem } from './common';

/** Maps one CareQA record; a string return is the skip reason. */
export function careqaRecord(r: Record<string, unknown>): RawItem | string {
  if (allNull(r)) return 'empty row (all fields NaN)';
  const id = text(r.unique_id);
  if (!id) return 'no unique_id';
  const cop = r.cop;
  const answer = typeof cop === 'number' ? (letterAt(cop - 1) ?? String(cop)) : undefined;
  return {
    origin: 'careqa',
    originalId: id,
    question: text(r.question),
    options: [r.op1, r.op2, r.op3, r.op4].map(text),
    answer,
    meta: { examId: r.exam_id, year: r.year, category: r.category, sourceSplit: 'test' },
  };
}

/** Loads CareQA JSON Lines (5,621 English items in the mirror). */
export function loadCareqa(file: string, skips: SkipReport): Promise<Item[]> {
  return loadJsonlWith(file, skips, (r) => careqaRecord(r));
}
