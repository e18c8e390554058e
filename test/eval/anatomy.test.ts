import { describe, expect, it } from 'vitest';
import { summarizeAnatomy, thoughtAnatomy } from '../../src/eval/anatomy';
import { ClaimMatcher } from '../../src/eval/claims';
import type { Item } from '../../src/rods/item';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const m = new ClaimMatcher(g);
const id = (name: string) => {
  const n = g.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n.id;
};
const opts = ['Levothyroxine', 'Methimazole', 'Insulin', 'Omeprazole'];
const treatment: Item = {
  id: 't1', origin: 'synthetic', type: 'treatment', answer: 'A', split: 'test',
  question: 'A 40-year-old woman is diagnosed with hypothyroidism. Which drug treats this condition?',
  options: { A: 'levothyroxine', B: 'methimazole', C: 'insulin', D: 'omeprazole' },
  meta: { query: { ask: 'treatment', given: id('Hypothyroidism') }, optionIds: Object.fromEntries(['A', 'B', 'C', 'D'].map((l, i) => [l, id(opts[i])])) },
} as Item;
const diagnosis: Item = {
  id: 'd1', origin: 'synthetic', type: 'diagnosis', answer: 'B', split: 'test',
  question: 'A man has wheezing. What is the most likely diagnosis?',
  options: { A: 'gout', B: 'asthma', C: 'hypertension', D: 'preeclampsia' },
  meta: { query: { ask: 'disease', clues: [id('Wheezing')] }, optionIds: { A: id('Gout'), B: id('Asthma'), C: id('Hypertension'), D: id('Preeclampsia') } },
} as Item;

describe('thoughtAnatomy', () => {
  it('reads, recalls and picks on a right chain', () => {
    expect(thoughtAnatomy(m, treatment, '<think>Hypothyroidism is treated with levothyroxine.</think>\n<answer>A</answer>')).toEqual({ reads: true, recalls: true, named: 'A' });
  });
  it('finds each broken link', () => {
    // wrong subject: the thought is about another disease and names option B's drug
    expect(thoughtAnatomy(m, treatment, '<think>Hyperthyroidism is treated with methimazole.</think>\n<answer>C</answer>')).toEqual({ reads: false, recalls: false, named: 'B' });
    // right subject and drug, but the letter does not follow the thought
    const a = thoughtAnatomy(m, treatment, '<think>Hypothyroidism is treated with levothyroxine.</think>\n<answer>C</answer>');
    expect(a).toEqual({ reads: true, recalls: true, named: 'A' });
    // a diagnosis: the clue is the subject; the option named last counts
    expect(thoughtAnatomy(m, diagnosis, '<think>Wheezing is seen in gout. No: wheezing is seen in asthma.</think>\n<answer>B</answer>')).toEqual({ reads: true, recalls: true, named: 'B' });
  });
  it('has no anatomy without a thought or a graph query', () => {
    expect(thoughtAnatomy(m, treatment, '<answer>A</answer>')).toBeNull();
    expect(thoughtAnatomy(m, { ...treatment, meta: {} } as Item, '<think>x</think>\n<answer>A</answer>')).toBeNull();
  });
});

describe('summarizeAnatomy', () => {
  it('shares over the samples with an anatomy; picks over those naming an option', () => {
    const s = summarizeAnatomy([
      { anatomy: { reads: true, recalls: true, named: 'A' }, strict: 'A' },
      { anatomy: { reads: true, recalls: true, named: 'A' }, strict: 'C' },
      { anatomy: { reads: false, recalls: false, named: null }, strict: 'B' },
      { anatomy: { reads: null, recalls: false, named: 'D' }, strict: 'D' },
      { anatomy: null, strict: 'A' },
    ]);
    expect(s).toEqual({ n: 4, reads: 2 / 3, recalls: 0.5, namesOption: 0.75, picks: 2 / 3 });
    expect(summarizeAnatomy([{ anatomy: null, strict: 'A' }])).toEqual({ n: 0, reads: null, recalls: null, namesOption: null, picks: null });
  });
});
