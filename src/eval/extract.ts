/**
 * Answer extraction. Two columns:
 *   strict   the letter inside the last `<answer>X</answer>` — the paper's rule, and the same
 *            function (parseAnswerTag) the Base/+CoT protocol and the RL rewards read, so training
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
 * A reply with no strict letter is a parse failure (reported as a rate).
 */
import { parseAnswerTag } from '../base/evaluate';

export { parseAnswerTag };

/** The strict letter: inside the last `<answer>X</answer>` (A–J, spaces allowed), else null. */
export function strictAnswer(text: string): string | null {
  return parseAnswerTag(text);
}

/** Special tokens of the policy's chat format (`<|eos|>`), which are not text. */
const SPECIAL = /<\|[a-z_]+\|>/g;

/** The lenient letter (see the file comment), else null. */
export function lenientAnswer(text: string): string | null {
  const strict = parseAnswerTag(text);
  if (strict) return strict;
  const t = text.replace(SPECIAL, ' ');
  const boxed = [...t.matchAll(/\\boxed\{\s*\(?([A-J])\)?\s*\}/g)];
  if (boxed.length) return boxed[boxed.length - 1][1];
  const a = /answer is \(?([A-J])\)?/.exec(t);
  if (a) return a[1];
  const b = /.*[aA]nswer:\s*([A-J])/.exec(t);
  if (b) return b[1];
  const c = /\b[A-J]\b(?![\s\S]*\b[A-J]\b)/.exec(t);
  return c ? c[0] : null;
}
