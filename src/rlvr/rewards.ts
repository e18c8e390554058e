/**
 * Verifiable rewards, apart from the RL loop (as in TRL / open-r1): a reward is a plain function
 * over a batch of completions and their item columns, returning one number per completion, or
 * null where it does not apply. A registry maps config names to functions; the paper uses only
 * answer correctness and format, and nothing else enters the reward.
 *
 * - `correctness`: 1 when the letter of the LAST `<answer>X</answer>` is the item's answer, else 0.
 *   The tag must hold exactly one of the item's option letters (spaces allowed). This is the
 *   protocol's strict parser (src/protocol, strictAnswer), the one evaluation reads, so a
 *   completion the reward scores 1 is exactly one that evaluation counts correct.
 * - `format`: 1 when the completion is exactly `<think>{reasoning}</think>\n<answer>X</answer>`
 *   followed by `<|eos|>` (the protocol's isWellFormedCot: non-empty reasoning without format
 *   tags, one of the item's letters, nothing before or after) and the completion was not cut at
 *   the length limit, else 0 — the same test as evaluation's `wellFormed`.
 */
import { isWellFormedCot, strictAnswer } from '../protocol/index';

/** The item columns a reward may read, one entry per completion. */
export interface RewardColumns {
  /** The right option letter. */
  answer: readonly string[];
  /** The item's option letters (e.g. ['A', 'B', 'C', 'D']). */
  letters: readonly (readonly string[])[];
  /** How generation ended: 'length' = cut at maxNewTokens (absent: not known, treated as 'stop'). */
  finish?: readonly ('stop' | 'length')[];
}

/** One number per completion, or null (not applicable). */
export type RewardFn = (completions: readonly string[], columns: RewardColumns) => (number | null)[];

/** Answer correctness: 1 if strictAnswer() is the item's answer, else 0. */
export const correctness: RewardFn = (completions, cols) => completions.map((c, i) => (strictAnswer(c, cols.letters[i]) === cols.answer[i] ? 1 : 0));

/** Whether a sampled completion has the exact format: isWellFormedCot over the item's letters and not cut at the length limit. */
export function wellFormed(completion: string, letters: readonly string[], finish: 'stop' | 'length' = 'stop'): boolean {
  return finish === 'stop' && isWellFormedCot(completion, letters);
}

/** Format: 1 for `<think>…</think>\n<answer>X</answer><|eos|>` and nothing else, else 0. */
export const format: RewardFn = (completions, cols) => completions.map((c, i) => (wellFormed(c, cols.letters[i], cols.finish?.[i] ?? 'stop') ? 1 : 0));

/** Rewards by config name. */
export const REWARDS: Readonly<Record<string, RewardFn>> = { correctness, format };

/** Per-completion total and the value of each named reward. */
export interface ScoredRewards {
  /** Σ weight·value over the non-null rewards of each completion (0 when all are null). */
  total: number[];
  /** Each reward's values, by name. */
  parts: Record<string, (number | null)[]>;
}

/**
 * Scores completions with the rewards named in `weights` (REWARDS keys) and sums them with the
 * weights; a null value is left out of the sum (TRL's nansum). Throws naming an unknown reward.
 */
export function scoreRewards(completions: readonly string[], columns: RewardColumns, weights: Readonly<Record<string, number>>, registry: Readonly<Record<string, RewardFn>> = REWARDS): ScoredRewards {
  const n = completions.length;
  if (columns.answer.length !== n || columns.letters.length !== n || (columns.finish && columns.finish.length !== n))
    throw new Error(`scoreRewards: ${n} completions but ${columns.answer.length} answers, ${columns.letters.length} option lists${columns.finish ? `, ${columns.finish.length} finish reasons` : ''}`);
  const total = new Array<number>(n).fill(0);
  const parts: Record<string, (number | null)[]> = {};
  for (const [name, w] of Object.entries(weights)) {
    const fn = registry[name];
    if (!fn) throw new Error(`unknown reward "${name}" (known: ${Object.keys(registry).join(', ')})`);
    if (!Number.isFinite(w)) throw new Error(`reward weight of "${name}" must be a finite number, got ${w}`);
    const v = fn(completions, columns);
    if (v.length !== n) throw new Error(`reward "${name}" returned ${v.length} values for ${n} completions`);
    parts[name] = v;
    v.forEach((x, i) => {
      if (x !== null) total[i] += w * x;
    });
  }
  return { total, parts };
}
