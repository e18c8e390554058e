import { CHAT } from '../model/tokenizer/chat';
import { LETTER } from './letters';

const FORMAT = /^<think>([\s\S]*)<\/think>\n<answer>([\s\S]*)<\/answer>$/;
/** The format's tags and any special token (`<|eos|>`, `<|im_end|>`), none allowed in the reasoning. */
const TAGS = /<\/?think>|<\/?answer>|<\|[a-z_]+\|>/;

/**
 * Why a completion is not exactly `<think>{reasoning}</think>\n<answer>X</answer>`, or null when
 * it is: one trailing `<|eos|>` is allowed and nothing else outside the tags; the reasoning is
 * non-empty (not only whitespace) and holds no format tag or special token; the answer tag holds
 * one of `letters`, whitespace around it allowed.
 */
export function formatProblem(completion: string, letters: readonly string[]): string | null {
  const t = completion.endsWith(CHAT.eos) ? completion.slice(0, -CHAT.eos.length) : completion;
  if (!t.startsWith(CHAT.thinkOpen)) return 'does not start with <think>';
  const m = FORMAT.exec(t);
  if (!m) return 'not <think>…</think>\\n<answer>X</answer> (missing tag or text outside the tags)';
  if (!m[1].trim()) return 'empty reasoning';
  if (TAGS.test(m[1])) return 'extra tags inside <think>';
  const a = m[2].trim();
  if (!LETTER.test(a)) return `answer tag holds ${JSON.stringify(m[2].slice(0, 40))}, not one letter`;
  if (!letters.includes(a)) return `answer tag holds ${a}, not one of the options (${letters.join('')})`;
  return null;
}

/** Whether a completion is exactly `<think>{reasoning}</think>\n<answer>X</answer>` (+ one `<|eos|>`): formatProblem is null. */
export function isWellFormedCot(completion: string, letters: readonly string[]): boolean {
  return formatProblem(completion, letters) === null;
}
