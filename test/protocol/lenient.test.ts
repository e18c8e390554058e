import { describe, expect, it } from 'vitest';
import { lenientAnswer, strictAnswer } from '../../src/protocol';

const AJ = 'ABCDEFGHIJ'.split(''); // a 10-option item, as every MMLU-Pro item
const ABCD = ['A', 'B', 'C', 'D'];

describe('lenientAnswer', () => {
  // [completion, strict, lenient] on a 10-option item (letters A–J): the harness's own setting
  const table: [string, string | null, string | null][] = [
    ['<think>Fever and cough point to pneumonia.</think>\n<answer>B</answer><|eos|>', 'B', 'B'],
    ['<answer>A</answer> then <answer>D</answer>', 'D', 'D'], // the last tag counts
    ['<answer> c </answer>', null, null], // lower case is not a letter
    ['<answer>Metformin</answer>', null, null], // option text, not a letter; no standalone capital letter
    ['<answer>K</answer>', null, null], // K is not one of the item's letters (A–J)
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
  it.each(table)('strictAnswer / lenientAnswer of %j (letters A–J)', (text, strict, lenient) => {
    expect(strictAnswer(text, AJ)).toBe(strict);
    expect(lenientAnswer(text, AJ)).toBe(lenient);
  });

  // [completion, lenient] on a 4-option item (letters A–D): every rule only sees the item's letters
  const four: [string, string | null][] = [
    ['<think>So the answer is Insulin (B).</think>', 'B'], // "answer is I…" is no letter here; the last standalone letter is B
    ['answer: E', null],
    ['the answer is E. Or maybe C', 'C'], // rule 1 finds no option letter; rule 3 does
    ['\\boxed{G} or the answer is (C)', 'C'],
    ['I think so.', null], // the pronoun is no option
    ['<answer>E</answer> hmm, D', 'D'], // strict fails (E is no option); the cascade reads D
  ];
  it.each(four)('lenientAnswer(%j, A–D) → %s', (text, lenient) => {
    expect(lenientAnswer(text, ABCD)).toBe(lenient);
  });

  it('lenientAnswer() reads letters past J on an item with more options, and nothing without letters', () => {
    const AU = 'ABCDEFGHIJKLMNOPQRSTU'.split(''); // 21 options
    expect(lenientAnswer('the answer is (K)', AU)).toBe('K');
    expect(lenientAnswer('Answer: T', AU)).toBe('T');
    expect(lenientAnswer('\\boxed{U}', AU)).toBe('U');
    expect(lenientAnswer('the answer is (K)', AJ)).toBeNull();
    expect(lenientAnswer('the answer is (B)', [])).toBeNull();
  });

  it('lenientAnswer() ignores special tokens and prefers the first "answer is" (MMLU-Pro uses re.search)', () => {
    expect(lenientAnswer('<|eos|>', AJ)).toBeNull();
    expect(lenientAnswer('the answer is A. Later: the answer is B', AJ)).toBe('A');
  });
});
