/**
 * Answer extraction. Two columns:
 *   strict   the letter inside the last `<answer>X</answer>` — the paper's rule, and the same
 *            function (strictAnswer) the Base/+CoT protocol and the RL rewards read, so training
 *            and evaluation agree on what an answer is;
 *   lenient  strict first; failing that, the cascade of the MMLU-Pro harness
 *            (TIGER-AI-Lab/MMLU-Pro, compute_accuracy.py: extract_answer → extract_again →
 *            extract_final):
 *              1. /answer is \(?([A-J])\)?/              first match
 *              2. /.*[aA]nswer:\s*([A-J])/               last "Answer: X" on a line (greedy .*)
 *              3. /\b[A-J]\b(?!.*\b[A-J]\b)/s            the last standalone capital letter A–J
 *            preceded by `\boxed{X}` (the last one), which the MedXpertQA-style reasoning
 *            harnesses ask reasoning models for. MedXpertQA's own extractor was not available to
 *            check here; MMLU-Pro's cascade is the documented lenient rule this column follows.
 *            [A-J] stands for the item's letters here: every rule only sees the item's options
 *            (MMLU-Pro's items all have A–J), so "I" is a letter only on an item with 9+ options.
 * A reply with no strict letter is a parse failure (reported as a rate).
 */
import { LETTER } from './letters';
import { strictAnswer } from './strict';

/** Special tokens of the policy's chat format (`<|eos|>`), which are not text. */
const SPECIAL = /<\|[a-z_]+\|>/g;

/** The lenient letter (see the file comment), one of `letters`, else null. */
export function lenientAnswer(text: string, letters: readonly string[]): string | null {
  const strict = strictAnswer(text, letters);
  if (strict) return strict;
  const L = `[${letters.filter((l) => LETTER.test(l)).join('')}]`;
  if (L === '[]') return null;
  const t = text.replace(SPECIAL, ' ');
  const boxed = [...t.matchAll(new RegExp(`\\\\boxed\\{\\s*\\(?(${L})\\)?\\s*\\}`, 'g'))];
  if (boxed.length) return boxed[boxed.length - 1][1];
  const a = new RegExp(`answer is \\(?(${L})\\)?`).exec(t);
  if (a) return a[1];
  const b = new RegExp(`.*[aA]nswer:\\s*(${L})`).exec(t);
  if (b) return b[1];
  const c = new RegExp(`\\b${L}\\b(?![\\s\\S]*\\b${L}\\b)`).exec(t);
  return c ? c[0] : null;
}
