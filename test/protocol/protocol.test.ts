import { describe, expect, it } from 'vitest';
import { SkipReport } from '../../src/core/io';
import { checkAnswer, checkFormat } from '../../src/coldstart/cot/filters';
import { sftExamples } from '../../src/coldstart/sft/data';
import { readSample } from '../../src/eval/generators';
import { trainBpe } from '../../src/model/tokenizer';
import { formatProblem, isWellFormedCot, itemPrompt, lastAnswerTag, optionLetters, strictAnswer } from '../../src/protocol';
import { correctness, format } from '../../src/rlvr/rewards';
import type { Item } from '../../src/rods/item';

const letters = (n: number) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, n).split('');
const ABCD = letters(4);

/**
 * [what it tests, completion, the item's letters, the item's answer, strict letter, well-formed].
 * Every reader of the completion must agree with the last two columns.
 */
const TABLE: [string, string, string[], string, string | null, boolean][] = [
  // good formats
  ['the exact format', '<think>Fever and rash point to measles.</think>\n<answer>B</answer>', ABCD, 'B', 'B', true],
  ['the exact format + <|eos|>', '<think>Fever and rash point to measles.</think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', true],
  ['reasoning over several lines', '<think>line one\nline two</think>\n<answer>B</answer>', ABCD, 'B', 'B', true],
  ['spaces around the letter', '<think>x</think>\n<answer> B </answer>', ABCD, 'B', 'B', true],
  ['newlines around the letter', '<think>x</think>\n<answer>\nB\n</answer><|eos|>', ABCD, 'B', 'B', true],
  ['well-formed, wrong answer', '<think>x</think>\n<answer>C</answer><|eos|>', ABCD, 'B', 'C', true],
  // the two cases the old parsers disagreed on
  ['a last tag that is not one letter, after a valid one', '<think>x</think>\n<answer>B</answer><answer>B.</answer>', ABCD, 'B', null, false],
  ['K on an 11-option item', '<think>x</think>\n<answer>K</answer>', letters(11), 'K', 'K', true],
  ['K on a 10-option item', '<think>x</think>\n<answer>K</answer>', letters(10), 'B', null, false],
  // option counts
  ['a 2-option item', '<think>x</think>\n<answer>B</answer><|eos|>', letters(2), 'B', 'B', true],
  ['a 2-option item answered C', '<think>x</think>\n<answer>C</answer><|eos|>', letters(2), 'B', null, false],
  ['a 21-option item answered U', '<think>x</think>\n<answer>U</answer><|eos|>', letters(21), 'U', 'U', true],
  ['a 21-option item answered T (wrong)', '<think>x</think>\n<answer>T</answer><|eos|>', letters(21), 'U', 'T', true],
  ['a 21-option item answered V', '<think>x</think>\n<answer>V</answer><|eos|>', letters(21), 'U', null, false],
  // letters outside the item, and not letters
  ['E on a 4-option item', '<think>x</think>\n<answer>E</answer><|eos|>', ABCD, 'B', null, false],
  ['Z on a 4-option item', '<think>x</think>\n<answer>Z</answer>', ABCD, 'B', null, false],
  ['a lowercase letter', '<think>x</think>\n<answer>b</answer><|eos|>', ABCD, 'B', null, false],
  ['a letter in parentheses', '<think>x</think>\n<answer>(B)</answer><|eos|>', ABCD, 'B', null, false],
  ['a letter with a full stop', '<think>x</think>\n<answer>B.</answer><|eos|>', ABCD, 'B', null, false],
  ['a letter with the option text', '<think>x</think>\n<answer>B. Measles</answer><|eos|>', ABCD, 'B', null, false],
  ['two letters in one tag', '<think>x</think>\n<answer>A, B</answer><|eos|>', ABCD, 'B', null, false],
  ['every letter listed', '<think>x</think>\n<answer>ABCD</answer><|eos|>', ABCD, 'B', null, false],
  ['option text instead of a letter', '<think>x</think>\n<answer>Measles</answer>', ABCD, 'B', null, false],
  ['an empty answer tag', '<think>x</think>\n<answer></answer>', ABCD, 'B', null, false],
  ['<|eos|> inside the answer tag', '<think>x</think>\n<answer>B<|eos|></answer>', ABCD, 'B', null, false],
  // bad formats around a readable answer
  ['empty reasoning', '<think></think>\n<answer>B</answer>', ABCD, 'B', 'B', false],
  ['whitespace-only reasoning', '<think>   \n </think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['no newline between thinking and answer', '<think>x</think><answer>B</answer>', ABCD, 'B', 'B', false],
  ['two newlines between thinking and answer', '<think>x</think>\n\n<answer>B</answer>', ABCD, 'B', 'B', false],
  ['text before the thinking', 'Sure! <think>x</think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['missing </think>', '<think>x\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['missing <think>', 'x</think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ["the Base model's direct answer", '<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['text after the answer', '<think>x</think>\n<answer>B</answer> I am sure.<|eos|>', ABCD, 'B', 'B', false],
  ['text after <|eos|>', '<think>x</think>\n<answer>B</answer><|eos|> more', ABCD, 'B', 'B', false],
  ['a newline after the answer', '<think>x</think>\n<answer>B</answer>\n', ABCD, 'B', 'B', false],
  ['two <|eos|>', '<think>x</think>\n<answer>B</answer><|eos|><|eos|>', ABCD, 'B', 'B', false],
  ['<|eos|> before the answer', '<think>x</think>\n<|eos|><answer>B</answer>', ABCD, 'B', 'B', false],
  // nested and extra tags
  ['a tag inside the thinking, another final answer', '<think>maybe <answer>C</answer></think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['an answer only inside the thinking', '<think>so <answer>B</answer></think><|eos|>', ABCD, 'B', 'B', false],
  ['two thinking blocks', '<think>a</think><think>b</think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['a special token inside the thinking', '<think>a <|user|> b</think>\n<answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ["another model's special token inside the thinking", '<think>a <|im_end|> b</think>\n<answer>B</answer>', ABCD, 'B', 'B', false],
  ['several answer tags, the last one right', '<think>x</think>\n<answer>A</answer><answer>B</answer><|eos|>', ABCD, 'B', 'B', false],
  ['several answer tags, the last one wrong', '<think>x</think>\n<answer>B</answer><answer>A</answer><|eos|>', ABCD, 'B', 'A', false],
  ['several answer tags, the last one no option', '<think>x</think>\n<answer>B</answer><answer>E</answer>', ABCD, 'B', null, false],
  ['several answer tags, the last one empty', '<think>x</think>\n<answer>B</answer><answer></answer>', ABCD, 'B', null, false],
  ['an answer tag opened twice', '<think>x</think>\n<answer><answer>B</answer>', ABCD, 'B', null, false],
  ['an answer tag closed twice', '<think>x</think>\n<answer>B</answer></answer>', ABCD, 'B', 'B', false],
  ['an unclosed answer tag after a closed one', '<think>x</think>\n<answer>B</answer><answer>', ABCD, 'B', 'B', false],
  // no answer tag
  ['missing </answer>', '<think>x</think>\n<answer>B<|eos|>', ABCD, 'B', null, false],
  ['the answer in words', '<think>x</think>\nThe answer is B.', ABCD, 'B', null, false],
  ['uppercase tags', '<think>x</think>\n<ANSWER>B</ANSWER><|eos|>', ABCD, 'B', null, false],
  ['a bare letter', 'B', ABCD, 'B', null, false],
  ['empty', '', ABCD, 'B', null, false],
];

function itemOf(i: number, ls: string[], answer: string): Item {
  return { id: `q${i}`, origin: 'synthetic', question: 'Which disease fits?', options: Object.fromEntries(ls.map((l) => [l, `option ${l}`])), answer, type: 'diagnosis', split: 'train' };
}

describe('protocol', () => {
  const tok = trainBpe([itemPrompt(itemOf(0, letters(26), 'A')), ...TABLE.map((r) => r[1])], { vocabSize: 300 }).tokenizer;

  /** What the SFT data filter makes of a verified cot row: 'used', 'malformed' or 'wrongAnswer'. */
  function sftVerdict(item: Item, completion: string): string {
    const { report } = sftExamples(tok, [{ row: { itemId: item.id, completion, teacher: 't', attempts: 1, strategies: [], verified: true }, file: 'x', line: 1 }], new Map([[item.id, item]]), 100_000, new SkipReport());
    return report.used ? 'used' : report.malformed ? 'malformed' : report.wrongAnswer ? 'wrongAnswer' : 'other';
  }

  it.each(TABLE.map((r, i) => [r[0], i] as const))('strictAnswer and every reader of the answer agree: %s', (_what, i) => {
    const [text, ls, answer, strict, wf] = TABLE[i].slice(1) as [string, string[], string, string | null, boolean];
    const item = itemOf(i, ls, answer);
    const cols = { answer: [answer], letters: [ls] };
    expect(optionLetters(item)).toEqual(ls);
    expect(strictAnswer(text, ls), 'protocol strictAnswer').toBe(strict);
    expect(correctness([text], cols)[0], 'RL correctness').toBe(strict === answer ? 1 : 0);
    expect(checkAnswer(text, item).ok, 'CoT checkAnswer').toBe(strict === answer);
    expect(readSample(text, ls, 0, 'stop').strict, "eval's strict column").toBe(strict);
    expect(sftVerdict(item, text), 'SFT data filter').toBe(!wf ? 'malformed' : strict === answer ? 'used' : 'wrongAnswer');
  });

  it.each(TABLE.map((r, i) => [r[0], i] as const))('isWellFormedCot and every format check agree: %s', (_what, i) => {
    const [text, ls, answer, , wf] = TABLE[i].slice(1) as [string, string[], string, string | null, boolean];
    const item = itemOf(i, ls, answer);
    expect(isWellFormedCot(text, ls), 'protocol isWellFormedCot').toBe(wf);
    expect(formatProblem(text, ls) === null).toBe(wf);
    expect(format([text], { answer: [answer], letters: [ls] })[0], 'RL format reward').toBe(wf ? 1 : 0);
    expect(format([text], { answer: [answer], letters: [ls], finish: ['length'] })[0], 'RL format reward, cut at the length limit').toBe(0);
    expect(checkFormat(text, item).ok, 'CoT checkFormat').toBe(wf);
  });

  it('formatProblem() names the first problem', () => {
    expect(formatProblem('Reasoning.<think>x</think>\n<answer>B</answer>', ABCD)).toBe('does not start with <think>');
    expect(formatProblem('<think>x</think>\n<answer>B</answer>\n', ABCD)).toMatch(/missing tag or text outside the tags/);
    expect(formatProblem('<think> </think>\n<answer>B</answer>', ABCD)).toBe('empty reasoning');
    expect(formatProblem('<think>a <answer>C</answer></think>\n<answer>B</answer>', ABCD)).toBe('extra tags inside <think>');
    expect(formatProblem('<think>x</think>\n<answer>B.</answer>', ABCD)).toBe('answer tag holds "B.", not one letter');
    expect(formatProblem('<think>x</think>\n<answer>E</answer>', ABCD)).toBe('answer tag holds E, not one of the options (ABCD)');
  });

  it('lastAnswerTag() is the raw content of the last tag, tags matched left to right', () => {
    expect(lastAnswerTag('<answer>A</answer><answer>C</answer>')).toBe('C');
    expect(lastAnswerTag('<answer> D </answer>')).toBe(' D ');
    expect(lastAnswerTag('<answer><answer>B</answer>')).toBe('<answer>B');
    expect(lastAnswerTag('<answer>B</answer><answer>')).toBe('B');
    expect(lastAnswerTag('no tag')).toBeNull();
  });

  it('optionLetters() lists the option keys A–Z in order, and itemPrompt() one line per option', () => {
    expect(optionLetters({ options: { B: 'Insulin', A: 'Colchicine' } })).toEqual(['A', 'B']);
    expect(optionLetters({ options: Object.fromEntries(letters(26).map((l) => [l, l])) })).toEqual(letters(26));
    expect(optionLetters({ options: { A: 'x', b: 'y', AA: 'z', '1': 'w' } })).toEqual(['A']);
    expect(itemPrompt({ question: 'Which drug treats gout?', options: { B: 'Insulin', A: 'Colchicine' } })).toBe('Which drug treats gout?\nA. Colchicine\nB. Insulin');
  });
});
