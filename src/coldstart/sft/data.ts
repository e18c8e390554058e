/**
 * SFT examples from teacher traces: verified cot rows joined to their RODS train items, each
 * rendered as chat prompt (itemPrompt) + the trace `<think>…</think>\n<answer>X</answer><|eos|>`,
 * loss on the completion only. Every row that is not used is counted with its reason.
 */
import { SkipReport } from '../../core/io';
import { RenderedChat, Tokenizer, renderChat } from '../../model/tokenizer';
import { isWellFormedCot, itemPrompt, optionLetters, strictAnswer } from '../../protocol/index';
import type { Item } from '../../rods/item';

/** One teacher trace (DESIGN.md cot record; coldstart/cot.jsonl). */
export interface CotRow {
  itemId: string;
  /** `<think>…</think>\n<answer>B</answer>` (an `<|eos|>` at the end is allowed). */
  completion: string;
  teacher: string;
  attempts: number;
  strategies: string[];
  /** Whether the trace passed the verifiable checks (answer correct, format, brevity). */
  verified: boolean;
}

/** A cot row with where it came from (for the skip report). */
export interface SourcedCotRow {
  row: CotRow;
  /** File (or a label such as `<cot rows>`) and 1-based line. */
  file: string;
  line: number;
}

/** Why cot rows were not used, and what was. */
export interface SftDataReport {
  /** Rows read. */
  rows: number;
  /** Rows turned into training examples. */
  used: number;
  /** Distinct train items covered by the used rows. */
  items: number;
  notVerified: number;
  /** Item is in a held-out split, validation or test (never trained on; the field keeps its name for data.json readers). */
  testSplit: number;
  /** itemId not among the RODS items. */
  missingItem: number;
  /** Row without a string itemId/completion, or a completion not in the `<think>…</think>\n<answer>X</answer>` format. */
  malformed: number;
  /** The trace's answer letter is not the item's answer. */
  wrongAnswer: number;
  /** Prompt + trace longer than the model's context. */
  tooLong: number;
  /** Token counts of the used examples (prompt + completion). */
  meanTokens: number;
  maxTokens: number;
  /** Mean completion tokens of the used examples (`<|eos|>` included). */
  meanCompletionTokens: number;
}

/** One training example with its item. */
export interface SftExample extends RenderedChat {
  itemId: string;
}

/**
 * The example with the loss on its answer letter (the token after the last `<answer>`) weighted
 * `weight` times; the mean loss then divides by the summed weights. 1 leaves it unchanged.
 */
export function weightAnswerLetter<T extends RenderedChat>(ex: T, answerOpenId: number, weight: number): T {
  if (weight === 1) return ex;
  const at = ex.ids.lastIndexOf(answerOpenId) + 1;
  if (at <= 0 || at >= ex.ids.length || !ex.completionMask[at]) return ex;
  return { ...ex, completionMask: ex.completionMask.map((m, i) => (i === at ? weight : m)) };
}

/**
 * Turns cot rows into SFT examples: only verified rows whose item is in `items` with
 * split "train", whose completion is a well-formed trace answering the item's letter, and whose
 * prompt + completion fit `maxTokens`. Order: input order. Skips are counted in the report and in
 * `skips` (by design: not verified, test split, too long; data errors: missing item, malformed,
 * wrong answer).
 */
export function sftExamples(
  tok: Tokenizer,
  rows: readonly SourcedCotRow[],
  items: ReadonlyMap<string, Item>,
  maxTokens: number,
  skips: SkipReport = new SkipReport(),
): { examples: SftExample[]; report: SftDataReport } {
  const r: SftDataReport = { rows: rows.length, used: 0, items: 0, notVerified: 0, testSplit: 0, missingItem: 0, malformed: 0, wrongAnswer: 0, tooLong: 0, meanTokens: 0, maxTokens: 0, meanCompletionTokens: 0 };
  const examples: SftExample[] = [];
  for (const { row, file, line } of rows) {
    skips.read(file);
    if (typeof row !== 'object' || row === null || typeof row.itemId !== 'string' || typeof row.completion !== 'string') {
      r.malformed++;
      skips.skip(file, line, 'not a cot row (itemId and completion must be strings)');
      continue;
    }
    if (row.verified !== true) {
      r.notVerified++;
      skips.skipByDesign(file, line, 'not verified');
      continue;
    }
    const item = items.get(row.itemId);
    if (!item) {
      r.missingItem++;
      skips.skip(file, line, 'item not among the RODS items');
      continue;
    }
    if (item.split !== 'train') {
      r.testSplit++;
      skips.skipByDesign(file, line, `item is in the ${item.split ?? 'unlabelled'} split, not train`);
      continue;
    }
    const letters = optionLetters(item);
    if (!isWellFormedCot(row.completion, letters)) {
      r.malformed++;
      skips.skip(file, line, 'completion is not <think>…</think>\\n<answer>X</answer>');
      continue;
    }
    if (strictAnswer(row.completion, letters) !== item.answer) {
      r.wrongAnswer++;
      skips.skip(file, line, "trace's answer is not the item's answer");
      continue;
    }
    const ex = renderChat(tok, { prompt: itemPrompt(item), completion: row.completion });
    if (ex.ids.length > maxTokens) {
      r.tooLong++;
      skips.skipByDesign(file, line, `prompt + trace longer than the context (${maxTokens} tokens)`);
      continue;
    }
    examples.push({ ...ex, itemId: item.id });
  }
  r.used = examples.length;
  r.items = new Set(examples.map((e) => e.itemId)).size;
  if (examples.length) {
    r.meanTokens = examples.reduce((a, e) => a + e.ids.length, 0) / examples.length;
    r.maxTokens = Math.max(...examples.map((e) => e.ids.length));
    r.meanCompletionTokens = examples.reduce((a, e) => a + e.ids.length - e.promptLength, 0) / examples.length;
  }
  return { examples, report: r };
}
