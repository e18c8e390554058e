/**
 * CMExam (Chinese National Medical Licensing Examination) in its published CSV format, as read by
 * the CMExam repository's own preprocessing (williamliujl/CMExam, src/preprocess/generate_prompt.py):
 * columns `Question`, `Options`, `Answer`, `Explanation`, and in the annotated test file further
 * annotation columns (disease group, clinical department, discipline, competency, difficulty).
 * `Options` holds one option per line, each `<letter> <text>` (e.g. 'A 肝硬化\nB 肝癌\n...');
 * `Answer` is the letter, or several letters for multiple-answer questions ('ABD').
 *
 * The repository's own notebooks also use the raw Chinese headers (标题, 选项, 答案, 答案解析), which
 * are accepted as aliases. Every other non-empty column is kept verbatim in `meta.annotations`
 * under its header, so the annotation columns survive whatever their exact names.
 * Skips: 'no answer' (the repository's script drops these too), 'multiple answers' (an Item has one
 * right letter), 'options not lettered A, B, C, ... in order', and the checks of `toItem`.
 * The CSV has no id column, so ids use the line number the CSV reader reports for the record
 * (`cmexam-<line>`; stable for a given file; cells span lines, so it is not the row index).
 * A header without a Question, Options or Answer column (or its alias), an empty file or one with no
 * row after the header throws an InputError.
 */
import * as path from 'node:path';
import { InputError, assertNotEmpty, type SkipReport } from '../../core/io';
import { readDelimited } from '../../core/table';
import { LETTERS, type Item } from '../item';
import { toItem } from './common';

/** Header names for each field: the released English one first, then the raw Chinese alias. */
export const CMEXAM_COLUMNS = {
  question: ['Question', '标题'],
  options: ['Options', '选项'],
  answer: ['Answer', '答案'],
  explanation: ['Explanation', '答案解析'],
} as const;

/** Parses the Options cell ('A 文本\nB 文本...') into texts, or undefined if not lettered A.. in order. */
export function parseCmexamOptions(cell: string): string[] | undefined {
  const lines = cell.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z])(?:[\s.、．:：)）]+|$)(.*)$/.exec(lines[i]);
    if (!m || m[1].toUpperCase() !== LETTERS[i]) return undefined;
    out.push(m[2].trim());
  }
  return out.length ? out : undefined;
}

function pick(row: Record<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) if (n in row) return row[n];
  return undefined;
}

/** Loads a CMExam CSV (train.csv, val.csv, test.csv or the annotated test file). */
export async function loadCmexam(file: string, skips: SkipReport): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  const known = new Set<string>(Object.values(CMEXAM_COLUMNS).flat());
  const sourceSplit = path.basename(file).replace(/\.csv(\.gz)?$/i, '');
  let header = false;
  const rowsBefore = skips.readCounts()[file] ?? 0;
  const onHeader = (columns: string[], line: number): void => {
    header = true;
    const required = [CMEXAM_COLUMNS.question, CMEXAM_COLUMNS.options, CMEXAM_COLUMNS.answer];
    const missing = required.filter((names) => !names.some((n) => columns.includes(n)));
    if (missing.length)
      throw new InputError(file, line, `not a CMExam CSV: ${missing.map((n) => `column "${n.join('" or "')}"`).join(', ')} not found (the header has: ${columns.join(', ')})`);
  };
  for await (const { row, line } of readDelimited(file, { skips, onHeader })) {
    const question = pick(row, CMEXAM_COLUMNS.question) as string;
    const optionsCell = pick(row, CMEXAM_COLUMNS.options) as string;
    const answer = (pick(row, CMEXAM_COLUMNS.answer) ?? '').trim().toUpperCase();
    if (answer.length > 1) {
      skips.skip(file, line, 'multiple answers');
      continue;
    }
    const options = parseCmexamOptions(optionsCell);
    if (!options) {
      skips.skip(file, line, 'options not lettered A, B, C, ... in order');
      continue;
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(row)) if (!known.has(k) && v.trim() !== '') annotations[k] = v.trim();
    const meta: Record<string, unknown> = { sourceSplit };
    const explanation = (pick(row, CMEXAM_COLUMNS.explanation) ?? '').trim();
    if (explanation) meta.explanation = explanation;
    if (Object.keys(annotations).length) meta.annotations = annotations;
    const item = toItem({ origin: 'cmexam', originalId: line, question, options, answer, meta }, file, line, skips, seen);
    if (item) items.push(item);
  }
  assertNotEmpty(file, header ? 1 : 0, 'header');
  if ((skips.readCounts()[file] ?? 0) === rowsBefore) throw new InputError(file, 0, 'no records after the header');
  return items;
}
