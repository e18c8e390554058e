/**
 * Accuracy of a direct-answer policy on multiple-choice items: greedy decoding of
 * `<answer>X</answer><|eos|>` after the chat prompt, the letter read from the answer tag.
 */
import { Rng } from '../core/rng';
import type { Llama } from '../model/llama';
import { Reads, runAsync, runSync } from '../model/reads';
import { generateReads } from '../model/sample';
import { CHAT, Tokenizer, chatPrompt } from '../model/tokenizer';
import { itemPrompt, optionLetters, strictAnswer } from '../protocol/index';
import type { Item } from '../rods/item';

export interface EvalOptions {
  /** Prompts decoded together. */
  batchSize: number;
  /** Tokens generated per item (`<answer>`, letter, `</answer>`, `<|eos|>` = 4). */
  maxNewTokens: number;
}

export const evalDefaults: EvalOptions = {
  batchSize: 16, // prompts per generate() call
  maxNewTokens: 6, // room for the 4-token answer
};

export interface AccuracyCell {
  n: number;
  correct: number;
  accuracy: number;
}

export interface DirectAnswerReport extends AccuracyCell {
  /** Replies with a well-formed `<answer>X</answer>`. */
  formatOk: number;
  /** Mean of 1/(options) over the items: a random guesser's accuracy. */
  chance: number;
  /** Items left out because prompt + answer exceed the model's context. */
  tooLong: number;
  byType: Record<string, AccuracyCell>;
  byDifficulty: Record<string, AccuracyCell>;
  /** Predicted letter counts (null = unparsable), to spot a constant guesser. */
  predicted: Record<string, number>;
  /** First replies, for inspection. */
  examples: { id: string; answer: string; reply: string }[];
}

function cell(rows: { ok: boolean }[]): AccuracyCell {
  const correct = rows.filter((r) => r.ok).length;
  return { n: rows.length, correct, accuracy: rows.length ? correct / rows.length : 0 };
}

function groupCells<T extends { ok: boolean }>(rows: T[], key: (r: T) => string): Record<string, AccuracyCell> {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return Object.fromEntries([...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, cell(v)]));
}

/** Greedy direct-answer accuracy of `model` on `items` (input order; no randomness). */
export function evalDirectAnswer(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<EvalOptions> = {}): DirectAnswerReport {
  return runSync(evalDirectAnswerReads(model, tok, items, options), 'evalDirectAnswer');
}

/** evalDirectAnswer with asynchronous reads (webgpu). */
export function evalDirectAnswerAsync(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<EvalOptions> = {}): Promise<DirectAnswerReport> {
  return runAsync(evalDirectAnswerReads(model, tok, items, options));
}

/** evalDirectAnswer as a Reads computation (src/model/reads.ts). */
export function* evalDirectAnswerReads(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<EvalOptions> = {}): Reads<DirectAnswerReport> {
  const o = { ...evalDefaults, ...options };
  const max = model.config.max_position_embeddings;
  const prompts = items.map((it) => chatPrompt(tok, itemPrompt(it)));
  const fits = items.map((_, i) => prompts[i].length + o.maxNewTokens <= max);
  const kept = items.filter((_, i) => fits[i]);
  const keptPrompts = prompts.filter((_, i) => fits[i]);
  const eos = tok.specialId(CHAT.eos);
  const pad = tok.specialId(CHAT.pad);
  const rows: { item: Item; reply: string; letter: string | null; ok: boolean }[] = [];
  for (let i = 0; i < kept.length; i += o.batchSize) {
    const g = yield* generateReads(model, keptPrompts.slice(i, i + o.batchSize), new Rng(0), { greedy: true, maxNewTokens: o.maxNewTokens, stopTokenIds: [eos], padTokenId: pad });
    g.tokens.forEach((t, b) => {
      const item = kept[i + b];
      const reply = tok.decode(t);
      const letter = strictAnswer(reply, optionLetters(item));
      rows.push({ item, reply, letter, ok: letter === item.answer });
    });
  }
  const predicted: Record<string, number> = {};
  for (const r of rows) predicted[String(r.letter)] = (predicted[String(r.letter)] ?? 0) + 1;
  return {
    ...cell(rows),
    formatOk: rows.filter((r) => r.letter !== null).length,
    chance: rows.length ? rows.reduce((a, r) => a + 1 / Object.keys(r.item.options).length, 0) / rows.length : 0,
    tooLong: items.length - kept.length,
    byType: groupCells(rows, (r) => r.item.type),
    byDifficulty: groupCells(rows, (r) => r.item.difficulty ?? 'unlabelled'),
    predicted: Object.fromEntries(Object.entries(predicted).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    examples: rows.slice(0, 8).map((r) => ({ id: r.item.id, answer: r.item.answer, reply: r.reply })),
  };
}
