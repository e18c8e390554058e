import { describe, expect, it } from 'vitest';
import { lenientAnswer, parseAnswerTag, strictAnswer } from '../../src/eval/extract';

describe('extract', () => {
  it('strictAnswer() is the shared parseAnswerTag (one rule for rewards and evaluation)', () => {
    const texts = ['<answer>B</answer>', '<think>x</think>\n<answer> C </answer><|eos|>', 'The answer is B', ''];
    for (const t of texts) expect(strictAnswer(t)).toBe(parseAnswerTag(t));
  });

  // [completion, strict, lenient]
  const table: [string, string | null, string | null][] = [
    ['<think>Fever and cough point to pneumonia.</think>\n<answer>B</answer><|eos|>', 'B', 'B'],
    ['<answer>A</answer> then <answer>D</answer>', 'D', 'D'], // the last tag counts
    ['<answer> c </answer>', null, null], // lower case is not a letter A–J
    ['<answer>Metformin</answer>', null, null], // option text, not a letter; no standalone capital letter
    ['<answer>K</answer>', null, null], // K is outside A–J
    ['<think>So the answer is B.</think>', null, 'B'], // MMLU-Pro rule 1
    // MMLU-Pro's rule 1 has no word boundary: "answer is Insulin" reads as I (kept, to match the harness)
    ['<think>So the answer is Insulin (B).</think>\nThe answer is B.', null, 'I'],
    ['the answer is (C) because', null, 'C'],
    ['Reasoning...\nAnswer: D\nmore text', null, 'D'], // MMLU-Pro rule 2
    ['answer: E', null, 'E'],
    ['I pick A over B, final: B', null, 'B'], // MMLU-Pro rule 3: the last standalone letter
    ['\\boxed{G} was my guess, the answer is (H)', null, 'G'], // \boxed{} before the cascade
    ['<think>A or B?</think>\n<answer>', null, 'B'], // unterminated tag: strict fails, lenient falls back
    ['no letter here at all', null, null],
    ['', null, null],
  ];
  it.each(table)('strictAnswer / lenientAnswer of %j', (text, strict, lenient) => {
    expect(strictAnswer(text)).toBe(strict);
    expect(lenientAnswer(text)).toBe(lenient);
  });

  it('lenientAnswer() ignores special tokens and prefers the first "answer is" (MMLU-Pro uses re.search)', () => {
    expect(lenientAnswer('<|eos|>')).toBeNull();
    expect(lenientAnswer('the answer is A. Later: the answer is B')).toBe('A');
  });
});
