import { describe, expect, it } from 'vitest';
import { itemJourneys, journeyText } from '../../src/eval/journey';
import type { ResultRow } from '../../src/eval/results';
import type { Item } from '../../src/rods/item';

function item(id: string, answer: string): Item {
  return { id, origin: 'synthetic', question: `Question ${id}?`, options: { A: 'alpha', B: 'beta' }, answer, split: 'test', type: 'diagnosis', difficulty: 'Moderate' };
}

function row(model: string, itemId: string, answer: string, strict: string | null, o: Partial<ResultRow> & { recalls?: boolean } = {}): ResultRow {
  const completion = strict ? `<think> ${model} on ${itemId}.</think>\n<answer>${strict}</answer><|eos|>` : '<think> cut';
  const anatomy = o.recalls === undefined ? null : { reads: true, recalls: o.recalls, named: strict };
  return { key: `${model}|${itemId}`, model, benchmark: 'rods-test', itemId, type: 'diagnosis', difficulty: 'Moderate', longTail: false, answer, options: 2, promptTokens: 10, tooLong: false, samples: [{ completion, strict, lenient: strict, tokens: 8, finish: 'stop', claims: { total: 0, supported: 0 }, anatomy }], ...o };
}

describe('itemJourneys', () => {
  const items = ['a', 'g', 'b', 'c', 'd'].map((id) => item(id, 'A'));
  const rows = [
    // a: all right; b: wrong → right (a gain); c: the stages disagree, last wrong; d: cot did not fit its context
    ...['base', 'cot'].map((m) => row(m, 'a', 'A', 'A')),
    row('base', 'b', 'A', 'B'),
    row('cot', 'b', 'A', 'A', { recalls: true }),
    // g: wrong → right, but the thought does not name the answer (a guess)
    row('base', 'g', 'A', 'B'),
    row('cot', 'g', 'A', 'A', { recalls: false }),
    row('base', 'c', 'A', 'A'),
    row('cot', 'c', 'A', null),
    row('base', 'd', 'A', 'A'),
    row('cot', 'd', 'A', null, { tooLong: true, samples: [] }),
    row('cot', 'a', 'A', 'B', { benchmark: 'medqa' }), // another benchmark's row is not read
  ];

  it('keeps the items every model answered, in item order, each stage with its completion and strict answer', () => {
    const js = itemJourneys(rows, items, ['base', 'cot']);
    expect(js.map((j) => j.itemId)).toEqual(['a', 'g', 'b', 'c']);
    expect(js[2].stages).toEqual([
      { model: 'base', completion: '<think> base on b.</think>\n<answer>B</answer><|eos|>', strict: 'B', correct: false, recalls: null },
      { model: 'cot', completion: '<think> cot on b.</think>\n<answer>A</answer><|eos|>', strict: 'A', correct: true, recalls: true },
    ]);
    expect(js[3].stages[1]).toMatchObject({ strict: null, correct: false });
  });

  it("prefer 'gain' puts first the items the last stage gets right (its thought naming the answer) and the first wrong, then such guesses, then disagreements, then the rest", () => {
    expect(itemJourneys(rows, items, ['base', 'cot'], { prefer: 'gain' }).map((j) => j.itemId)).toEqual(['b', 'g', 'c', 'a']);
    expect(itemJourneys(rows, items, ['base', 'cot'], { prefer: 'gain', limit: 1 }).map((j) => j.itemId)).toEqual(['b']);
    expect(() => itemJourneys(rows, items, [])).toThrow('itemJourneys: no models');
  });

  it('journeyText() shows the question, the options with the answer marked, and one line per stage', () => {
    const [j] = itemJourneys(rows, items, ['base', 'cot'], { prefer: 'gain' });
    expect(journeyText(j, { base: 'Base', cot: '+CoT' }).split('\n')).toEqual([
      'b (Moderate; answer A)',
      'Question b?',
      '  *A. alpha',
      '   B. beta',
      'Base: wrong (B)  <think> base on b.</think> <answer>B</answer>',
      '+CoT: right (A)  <think> cot on b.</think> <answer>A</answer>',
    ]);
    const guess = itemJourneys(rows, items, ['base', 'cot'], { prefer: 'gain' })[1];
    expect(journeyText(guess).split('\n').at(-1)).toBe('cot: right, by a guess (the thought does not name the answer) (A)  <think> cot on g.</think> <answer>A</answer>');
  });
});
