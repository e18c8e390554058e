import { describe, expect, it } from 'vitest';
import { isWellFormedCot, strictAnswer } from '../../src/protocol';
import { REWARDS, RewardFn, correctness, format, scoreRewards } from '../../src/rlvr/rewards';

const ABCD = ['A', 'B', 'C', 'D'];

/** [completion, finish, correctness, format, what it tests] — the item's answer is B, options A–D. */
const TABLE: [string, 'stop' | 'length', number, number, string][] = [
  ['<think>Fever and rash point to measles.</think>\n<answer>B</answer><|eos|>', 'stop', 1, 1, 'the exact format, right answer'],
  ['<think>Fever and rash point to measles.</think>\n<answer>B</answer>', 'stop', 1, 1, 'no <|eos|> (as in cot.jsonl rows): isWellFormedCot allows it'],
  ['<think>x</think>\n<answer> B </answer><|eos|>', 'stop', 1, 1, 'spaces inside the answer tag'],
  ['<think>x</think>\n<answer>C</answer><|eos|>', 'stop', 0, 1, 'well-formed, wrong answer'],
  ['<think>x</think>\n<answer>B</answer>', 'length', 1, 0, 'cut at maxNewTokens: no format reward'],
  ['<think>x</think>\n<answer>A</answer><answer>B</answer><|eos|>', 'stop', 1, 0, 'several answer tags: the last one counts, format fails'],
  ['<think>x</think>\n<answer>B</answer><answer>A</answer><|eos|>', 'stop', 0, 0, 'several answer tags, the last one wrong'],
  ['<think>x</think>\n<answer>A, B</answer><|eos|>', 'stop', 0, 0, 'two letters in one tag'],
  ['<think>x</think>\n<answer>ABCD</answer><|eos|>', 'stop', 0, 0, 'every letter listed'],
  ['<think>x</think>\n<answer>A B C D</answer><|eos|>', 'stop', 0, 0, 'every letter listed, spaced'],
  ['<think>x</think>\n<answer>A</answer><answer>B</answer><answer>C</answer><answer>D</answer><|eos|>', 'stop', 0, 0, 'every letter in its own tag: only the last (D) counts'],
  ['<think>x</think>\n<answer>b</answer><|eos|>', 'stop', 0, 0, 'lowercase letter'],
  ['<think>x</think>\n<ANSWER>B</ANSWER><|eos|>', 'stop', 0, 0, 'uppercase tags'],
  ['<think>x</think>\n<answer>(B)</answer><|eos|>', 'stop', 0, 0, 'letter in parentheses'],
  ['<think>x</think>\n<answer>B. Measles</answer><|eos|>', 'stop', 0, 0, 'letter with the option text'],
  ['<think>maybe <answer>B</answer></think>\n<answer>A</answer><|eos|>', 'stop', 0, 0, 'a tag inside the thinking does not beat the final answer'],
  ['<think>so <answer>B</answer></think><|eos|>', 'stop', 1, 0, 'answer only inside the thinking: evaluation reads it too; the format reward does not pay'],
  ['<think></think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'empty thinking'],
  ['<think>   \n </think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'whitespace-only thinking'],
  ['<think>x</think>\n<answer>B</answer> I am sure.<|eos|>', 'stop', 1, 0, 'text after the answer'],
  ['<think>x</think>\n<answer>B</answer><|eos|><|eos|>', 'stop', 1, 0, 'two <|eos|>'],
  ['Sure! <think>x</think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'text before the thinking'],
  ['<think>x\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'missing </think>'],
  ['<think>x</think>\n<answer>B<|eos|>', 'stop', 0, 0, 'missing </answer>'],
  ['x</think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'missing <think>'],
  ['<think>x</think><answer>B</answer><|eos|>', 'stop', 1, 0, 'no newline between thinking and answer'],
  ['<think>a</think><think>b</think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'two thinking blocks'],
  ['<think>a <|user|> b</think>\n<answer>B</answer><|eos|>', 'stop', 1, 0, 'a special token inside the thinking'],
  ['<think>x</think>\n<|eos|><answer>B</answer>', 'stop', 1, 0, '<|eos|> before the answer'],
  ['<answer>B</answer><|eos|>', 'stop', 1, 0, "the Base model's direct answer: right, but no thinking"],
  ['<think>x</think>\n<answer>E</answer><|eos|>', 'stop', 0, 0, "a letter that is not an option: neither correct nor well-formed (the format checks the item's letters)"],
  ['', 'length', 0, 0, 'empty'],
];

describe('rewards', () => {
  const completions = TABLE.map((r) => r[0]);
  const cols = { answer: TABLE.map(() => 'B'), letters: TABLE.map(() => ABCD), finish: TABLE.map((r) => r[1]) };

  it.each(TABLE.map((r, i) => [r[4], i] as const))('correctness and format: %s', (_what, i) => {
    const [text, , c, f] = TABLE[i];
    expect(correctness(completions, cols)[i], `correctness of ${JSON.stringify(text)}`).toBe(c);
    expect(format(completions, cols)[i], `format of ${JSON.stringify(text)}`).toBe(f);
  });

  it('correctness and format agree with the protocol (strictAnswer, isWellFormedCot) on every row', () => {
    const c = correctness(completions, cols);
    const f = format(completions, cols);
    TABLE.forEach(([text, finish], i) => {
      expect(c[i]).toBe(strictAnswer(text, ABCD) === 'B' ? 1 : 0);
      expect(f[i]).toBe(finish === 'stop' && isWellFormedCot(text, ABCD) ? 1 : 0);
    });
  });

  it("correctness and format accept only the item's option letters", () => {
    const one = (text: string, answer: string, letters: string[]) => [correctness([text], { answer: [answer], letters: [letters] })[0], format([text], { answer: [answer], letters: [letters] })[0]];
    expect(one('<think>x</think>\n<answer>D</answer>', 'D', ABCD)).toEqual([1, 1]);
    // an item with options A–C whose completion answers D scores 0 even if "D" were the stored answer by mistake
    expect(one('<think>x</think>\n<answer>D</answer>', 'D', ['A', 'B', 'C'])).toEqual([0, 0]);
    expect(one('<think>x</think>\n<answer>C</answer><answer>E</answer>', 'C', ABCD)).toEqual([0, 0]); // the last tag decides, even when invalid
    expect(one('<think>x</think>\n<answer>K</answer>', 'K', 'ABCDEFGHIJK'.split(''))).toEqual([1, 1]); // an 11th option is a letter like any other
  });

  it('scoreRewards() sums weighted rewards, leaves nulls out, and names unknown rewards and bad columns', () => {
    const text = ['<think>x</think>\n<answer>B</answer><|eos|>', '<answer>B</answer><|eos|>', '<think>x</think>\n<answer>A</answer><|eos|>'];
    const c = { answer: ['B', 'B', 'B'], letters: [ABCD, ABCD, ABCD] };
    const s = scoreRewards(text, c, { correctness: 1, format: 0.25 });
    expect(s.total).toEqual([1.25, 1, 0.25]);
    expect(s.parts).toEqual({ correctness: [1, 1, 0], format: [1, 0, 1] });
    const onlyFirst: RewardFn = (cs) => cs.map((_, i) => (i === 0 ? 2 : null));
    expect(scoreRewards(text, c, { correctness: 1, bonus: 0.5 }, { ...REWARDS, bonus: onlyFirst }).total).toEqual([2, 1, 0]);
    expect(() => scoreRewards(text, c, { length: 1 })).toThrow(/unknown reward "length" \(known: correctness, format\)/);
    expect(() => scoreRewards(text, { answer: ['B'], letters: [ABCD] }, { correctness: 1 })).toThrow(/3 completions but 1 answers/);
    expect(() => scoreRewards(text, c, { correctness: NaN })).toThrow(/finite/);
  });
});
