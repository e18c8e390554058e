/**
 * One evaluation protocol for every policy stage (Base, +CoT, and later RL): the chat prompt of
 * each test item, greedy decoding of up to `maxNewTokens` tokens (stop at `<|eos|>`), the answer
 * read from the last `<answer>X</answer>` (strict). Reports accuracy overall / by type / by
 * difficulty, the rate of well-formed `<think>…</think>\n<answer>X</answer>` replies, the rate of
 * any parsable answer tag, and the mean completion length.
 */
import { Rng, hashString } from '../../core/rng';
import type { Llama } from '../../model/llama';
import { Reads, runAsync, runSync } from '../../model/reads';
import { generateReads } from '../../model/sample';
import { CHAT, Tokenizer, chatPrompt } from '../../model/tokenizer';
import { isWellFormedCot, itemPrompt, optionLetters, strictAnswer } from '../../protocol/index';
import type { Item } from '../../rods/item';
import { AccuracyCell } from '../../base/evaluate';

export interface PolicyEvalOptions {
  /** Prompts decoded together. */
  batchSize: number;
  /** Tokens generated per item at most. */
  maxNewTokens: number;
  /** Called after each decoded batch with the items done so far. */
  onBatch?: (done: number, total: number) => void;
}

export const policyEvalDefaults: PolicyEvalOptions = {
  batchSize: 16, // prompts per generate() call
  maxNewTokens: 128, // a short trace and the answer
};

/** What was evaluated, and how: equal protocols mean comparable reports. */
export interface EvalProtocol {
  decoding: 'greedy';
  maxNewTokens: number;
  answer: 'last <answer>X</answer>, strict';
  /** Items evaluated (those whose prompt + maxNewTokens fit the context). */
  items: number;
  /** FNV-1a hash of the evaluated item ids in order. */
  itemIds: string;
}

/** One decoded test item. */
export interface EvalRow {
  id: string;
  type: string;
  difficulty: string;
  answer: string;
  /** The decoded completion (special tokens kept). */
  reply: string;
  letter: string | null;
  ok: boolean;
  wellFormed: boolean;
  /** Generated tokens (a stop token included). */
  tokens: number;
  finish: 'stop' | 'length';
}

export interface PolicyEvalReport extends AccuracyCell {
  protocol: EvalProtocol;
  /** Mean of 1/(options): a random guesser's accuracy. */
  chance: number;
  /** Items left out because prompt + maxNewTokens exceed the context. */
  tooLong: number;
  /** Replies with a parsable `<answer>X</answer>` anywhere. */
  answerTagged: number;
  answerTagRate: number;
  /** Replies that are exactly `<think>…</think>\n<answer>X</answer><|eos|>`. */
  wellFormed: number;
  wellFormedRate: number;
  /** Mean generated tokens per reply. */
  meanCompletionTokens: number;
  /** Replies cut at maxNewTokens without `<|eos|>`. */
  truncated: number;
  byType: Record<string, AccuracyCell>;
  byDifficulty: Record<string, AccuracyCell>;
  /** Predicted letter counts ("null" = no parsable answer). */
  predicted: Record<string, number>;
}

function cell(rows: readonly { ok: boolean }[]): AccuracyCell {
  const correct = rows.filter((r) => r.ok).length;
  return { n: rows.length, correct, accuracy: rows.length ? correct / rows.length : 0 };
}

function groupCells(rows: readonly EvalRow[], key: (r: EvalRow) => string): Record<string, AccuracyCell> {
  const groups = new Map<string, EvalRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return Object.fromEntries([...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, cell(v)]));
}

/** The items that fit the protocol (prompt + maxNewTokens ≤ context), in input order. */
export function evalItemsFitting(tok: Tokenizer, items: readonly Item[], maxNewTokens: number, contextLength: number): Item[] {
  return items.filter((it) => chatPrompt(tok, itemPrompt(it)).length + maxNewTokens <= contextLength);
}

/** Summary of decoded rows (pure). */
export function summarizeEval(rows: readonly EvalRow[], items: readonly Item[], protocol: EvalProtocol, tooLong: number): PolicyEvalReport {
  const n = rows.length;
  const predicted: Record<string, number> = {};
  for (const r of rows) predicted[String(r.letter)] = (predicted[String(r.letter)] ?? 0) + 1;
  const answerTagged = rows.filter((r) => r.letter !== null).length;
  const wellFormed = rows.filter((r) => r.wellFormed).length;
  const byId = new Map(items.map((it) => [it.id, it]));
  return {
    protocol,
    ...cell(rows),
    chance: n ? rows.reduce((a, r) => a + 1 / Object.keys(byId.get(r.id)?.options ?? { A: '' }).length, 0) / n : 0,
    tooLong,
    answerTagged,
    answerTagRate: n ? answerTagged / n : 0,
    wellFormed,
    wellFormedRate: n ? wellFormed / n : 0,
    meanCompletionTokens: n ? rows.reduce((a, r) => a + r.tokens, 0) / n : 0,
    truncated: rows.filter((r) => r.finish === 'length').length,
    byType: groupCells(rows, (r) => r.type),
    byDifficulty: groupCells(rows, (r) => r.difficulty),
    predicted: Object.fromEntries(Object.entries(predicted).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
  };
}

/**
 * Greedy evaluation of `model` on `items` (input order; no randomness): see the file comment.
 * Items whose prompt + maxNewTokens exceed the context are counted in `tooLong`, not decoded.
 */
export function evalPolicy(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<PolicyEvalOptions> = {}): { report: PolicyEvalReport; rows: EvalRow[] } {
  return runSync(evalPolicyReads(model, tok, items, options), 'evalPolicy');
}

/** evalPolicy with asynchronous reads (webgpu). */
export function evalPolicyAsync(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<PolicyEvalOptions> = {}): Promise<{ report: PolicyEvalReport; rows: EvalRow[] }> {
  return runAsync(evalPolicyReads(model, tok, items, options));
}

/** evalPolicy as a Reads computation (src/model/reads.ts). */
export function* evalPolicyReads(model: Llama, tok: Tokenizer, items: readonly Item[], options: Partial<PolicyEvalOptions> = {}): Reads<{ report: PolicyEvalReport; rows: EvalRow[] }> {
  const o = { ...policyEvalDefaults, ...options };
  const kept = evalItemsFitting(tok, items, o.maxNewTokens, model.config.max_position_embeddings);
  const eos = tok.specialId(CHAT.eos);
  const pad = tok.specialId(CHAT.pad);
  const rows: EvalRow[] = [];
  for (let i = 0; i < kept.length; i += o.batchSize) {
    const batch = kept.slice(i, i + o.batchSize);
    const g = yield* generateReads(
      model,
      batch.map((it) => chatPrompt(tok, itemPrompt(it))),
      new Rng(0),
      { greedy: true, maxNewTokens: o.maxNewTokens, stopTokenIds: [eos], padTokenId: pad },
    );
    g.tokens.forEach((t, b) => {
      const item = batch[b];
      const reply = tok.decode(t);
      const letters = optionLetters(item);
      const letter = strictAnswer(reply, letters);
      rows.push({
        id: item.id,
        type: item.type,
        difficulty: item.difficulty ?? 'unlabelled',
        answer: item.answer,
        reply,
        letter,
        ok: letter === item.answer,
        wellFormed: g.finishReasons[b] === 'stop' && isWellFormedCot(reply, letters),
        tokens: t.length,
        finish: g.finishReasons[b],
      });
    });
    o.onBatch?.(rows.length, kept.length);
  }
  const protocol: EvalProtocol = {
    decoding: 'greedy',
    maxNewTokens: o.maxNewTokens,
    answer: 'last <answer>X</answer>, strict',
    items: kept.length,
    itemIds: hashString(kept.map((it) => it.id).join('\n')).toString(16),
  };
  return { report: summarizeEval(rows, items, protocol, items.length - kept.length), rows };
}
