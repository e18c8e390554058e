import { lastAnswerTag } from './answerTag';
import { LETTER } from './letters';

/**
 * Why a completion has no strict answer, or null when it has one: no `<answer>` tag, or the last
 * tag, trimmed, is not a single capital letter, or not one of `letters`.
 */
export function answerProblem(completion: string, letters: readonly string[]): string | null {
  const t = lastAnswerTag(completion);
  if (t === null) return 'no <answer> tag';
  const s = t.trim();
  if (!LETTER.test(s)) return `answer ${JSON.stringify(s.slice(0, 40))} is not a single letter`;
  if (!letters.includes(s)) return `answer ${s} is not an option (${letters.join('')})`;
  return null;
}

/**
 * The strict answer (the paper's rule): the content of the LAST `<answer>…</answer>` tag, trimmed,
 * when it is exactly one of the item's `letters`; else null. Only the last tag counts, even when
 * it is invalid and an earlier one is not.
 */
export function strictAnswer(completion: string, letters: readonly string[]): string | null {
  return answerProblem(completion, letters) === null ? (lastAnswerTag(completion) as string).trim() : null;
}
