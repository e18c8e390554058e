import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import {
  Claim,
  Trace,
  approxTokens,
  checkAnswer,
  checkClaims,
  checkEvidence,
  checkFormat,
  checkLength,
  checkTrace,
  claimHolds,
  completionProblem,
} from '../../src/coldstart/cot/index';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const item4 = { options: { A: 'a', B: 'b', C: 'c', D: 'd' }, answer: 'B' };

describe('checkFormat', () => {
  const table: [string, boolean, string?][] = [
    ['<think>Asthma lacks fever.</think>\n<answer>B</answer>', true],
    ['<think>line one\nline two</think>\n<answer>D</answer>', true],
    ['<think>x</think>\n<answer>B</answer>\n', false, 'missing tag or text outside'],
    ['<think>x</think><answer>B</answer>', false, 'missing tag or text outside'],
    ['<think>x</think>\n\n<answer>B</answer>', false, 'missing tag or text outside'],
    ['Reasoning.<think>x</think>\n<answer>B</answer>', false, 'does not start with <think>'],
    ['<think>x\n<answer>B</answer>', false, 'missing tag'],
    ['<think>x</think>\nThe answer is B.', false, 'missing tag'],
    ['<think>   </think>\n<answer>B</answer>', false, 'empty reasoning'],
    ['<think>a <answer>C</answer> b</think>\n<answer>B</answer>', false, 'extra tags inside <think>'],
    ['<think>a</think>\n<think>b</think>\n<answer>B</answer>', false, 'extra tags'],
    ['<think>x</think>\n<answer>Aspirin</answer>', false, 'not one letter'],
    ['<think>x</think>\n<answer> B </answer>', true], // whitespace around the letter is tolerated (the protocol's strict answer reads it)
    ['<think>x</think>\n<answer>B</answer><|eos|>', true], // one trailing <|eos|>
    ['<think>x</think>\n<answer>B</answer><|eos|><|eos|>', false, 'missing tag or text outside'],
    ['<think>x</think>\n<answer>E</answer>', false, "answer tag holds E, not one of the options (ABCD)"],
    ['<think>x</think>\n<answer>K</answer>', false, "answer tag holds K, not one of the options (ABCD)"],
    ['<think>a <|im_end|> b</think>\n<answer>B</answer>', false, 'extra tags inside <think>'],
  ];
  it.each(table)('checkFormat(%j) → %s', (text, ok, reason) => {
    const r = checkFormat(text, item4);
    expect(r.ok).toBe(ok);
    if (reason) expect(r.reason).toContain(reason);
    else expect(r.reason).toBeUndefined();
  });
});

describe('checkAnswer', () => {
  const table: [string, boolean, string?][] = [
    ['<think>x</think>\n<answer>B</answer>', true],
    ['<think>x</think>\n<answer>C</answer>', false, 'answer C but the label is B'],
    ['<answer>C</answer> then <answer>B</answer>', true], // the last tag counts
    ['<answer>B</answer> then <answer>C</answer>', false, 'answer C but the label is B'],
    ['<think>x</think>\n<answer> B </answer>', true], // whitespace inside the tag is tolerated here (format checks it)
    ['<think>x</think>\nThe answer is B.', false, 'no <answer> tag'],
    ['<think>x</think>\n<answer>Aspirin</answer>', false, 'is not a single letter'],
    ['<think>x</think>\n<answer>B or C</answer>', false, 'is not a single letter'],
    ['<think>x</think>\n<answer>E</answer>', false, 'E is not an option (ABCD)'],
    ['<think>x</think>\n<answer>b</answer>', false, 'is not a single letter'],
    ['<think>x</think>\n<answer>K</answer>', false, 'K is not an option (ABCD)'],
  ];
  it.each(table)('checkAnswer(%j) → %s', (text, ok, reason) => {
    const r = checkAnswer(text, item4);
    expect(r.ok).toBe(ok);
    if (reason) expect(r.reason).toContain(reason);
  });
});

describe('checkLength', () => {
  it('checkLength: characters and tokens against the budget', () => {
    expect(approxTokens('Asthma lacks fever.')).toBe(4);
    expect(approxTokens('<think>x</think>')).toBe(8); // < think > x < / think >
    expect(checkLength('x'.repeat(100), { maxChars: 100 }).ok).toBe(true);
    expect(checkLength('x'.repeat(101), { maxChars: 100 })).toEqual({ name: 'length', ok: false, reason: '101 chars > 100' });
    expect(checkLength('a b c d e', { maxTokens: 4 })).toEqual({ name: 'length', ok: false, reason: '5 tokens > 4' });
    expect(checkLength('a b c d e', { maxTokens: 4, countTokens: () => 1 }).ok).toBe(true);
  });
});

describe('checkClaims', () => {
  const id = (type: string, name: string) => `${type}:${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
  const asthma = id('disease', 'Asthma');
  const t2 = id('disease', 'Type 2 diabetes mellitus');
  const table: [string, Claim, boolean][] = [
    ['a direct edge', { source: asthma, relation: 'has_symptom', target: id('symptom', 'Wheezing') }, true],
    ['an edge the graph lacks', { source: asthma, relation: 'has_symptom', target: id('symptom', 'Fever') }, false],
    ['a true absence', { source: asthma, relation: 'has_symptom', target: id('symptom', 'Fever'), negated: true }, true],
    ['a false absence', { source: asthma, relation: 'has_symptom', target: id('symptom', 'Wheezing'), negated: true }, false],
    ['a feature inherited from the parent disease', { source: t2, relation: 'has_symptom', target: id('symptom', 'Polyuria') }, true],
    ['denying an inherited feature', { source: t2, relation: 'has_symptom', target: id('symptom', 'Polyuria'), negated: true }, false],
    ['a drug treating through its class', { source: id('disease', 'Hypertension'), relation: 'treated_by', target: id('drug', 'Lisinopril') }, true],
    ['a member of a contraindicated class', { source: id('drug', 'Propranolol'), relation: 'contraindicated_in', target: asthma }, true],
    ['a class mechanism', { source: id('drug', 'Metoprolol'), relation: 'has_mechanism', target: id('mechanism', 'Beta-adrenergic receptor blockade') }, true],
    ['an unknown node', { source: 'disease:nope', relation: 'has_symptom', target: id('symptom', 'Fever'), negated: true }, false],
  ];
  it.each(table)('claimHolds: %s', (_, c, ok) => {
    expect(g.byId.has(c.target) || c.target.startsWith('disease:nope')).toBe(true);
    expect(claimHolds(g, c)).toBe(ok);
  });

  it('checkClaims names the false claims', () => {
    const r = checkClaims(table.map((t) => t[1]), g);
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('false claims: Asthma has_symptom Fever; NOT Asthma has_symptom Wheezing; NOT Type 2 diabetes mellitus has_symptom Polyuria (+1)');
    expect(checkClaims(table.filter((t) => t[2]).map((t) => t[1]), g)).toEqual({ name: 'claims', ok: true });
  });
});

describe('checkEvidence', () => {
  const items = synthesize(g, { n: 6, mix: { diagnosis: 1 } }, new Rng(3)).items;
  const it0 = items[0];
  const ids = it0.meta!.optionIds as Record<string, string>;
  const clues = (it0.meta!.query as { clues: string[] }).clues;
  const proof: Claim[] = it0.evidence!.edges.filter((e) => e.relation !== 'measured_by').map((e) => ({ ...e }));
  const denials: Claim[] = Object.entries(ids)
    .filter(([l]) => l !== it0.answer)
    .map(([, x]) => {
      const c = clues.find((y) => !claimHolds(g, { source: x, relation: 'has_symptom', target: y }) && !claimHolds(g, { source: x, relation: 'has_finding', target: y }))!;
      return { source: x, relation: g.node(c).type === 'finding' ? 'has_finding' : 'has_symptom', target: c, negated: true } as Claim;
    });
  const grounded = (claims: Claim[]) => ({ completion: '', claims, grounded: true });

  it('checkEvidence: the proof and a true denial per distractor pass', () => {
    expect(checkEvidence(it0, grounded([...proof, ...denials]), g)).toEqual({ name: 'evidence', ok: true });
  });
  it('checkEvidence: a missing proof edge is named', () => {
    const r = checkEvidence(it0, grounded([...proof.slice(1), ...denials]), g);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^proof not stated: /);
  });
  it('checkEvidence: an unrefuted distractor is named', () => {
    const r = checkEvidence(it0, grounded([...proof, ...denials.slice(1)]), g);
    expect(r.reason).toMatch(/^distractor not ruled out: [A-D] \(/);
  });
  it('checkEvidence: a free-text trace must name the answer', () => {
    const text = it0.options[it0.answer];
    expect(checkEvidence(it0, { completion: `<think>It is ${text}.</think>\n<answer>${it0.answer}</answer>`, claims: [] }, g).ok).toBe(true);
    expect(checkEvidence(it0, { completion: '<think>It is something.</think>\n<answer>A</answer>', claims: [] }, null).reason).toContain('never names the answer');
    expect(checkEvidence(it0, { completion: '', claims: [] }, g, { requireEvidence: false }).ok).toBe(true);
  });
});

describe('checkTrace', () => {
  const item: Item = { id: 'q', origin: 'medqa', question: 'Which?', options: { A: 'Aspirin', B: 'Insulin' }, answer: 'B', type: 'curated' };
  it('checkTrace lists every failure in filter order', () => {
    const t: Trace = { completion: '<think>Give aspirin.</think>\n<answer>A</answer>', claims: [], answer: 'A' };
    const r = checkTrace(item, t, g);
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual(['answer', 'evidence']);
    expect(r.failures[0]).toBe('answer: answer A but the label is B');
    const good: Trace = { completion: '<think>Type 1 diabetes needs insulin.</think>\n<answer>B</answer>', claims: [], answer: 'B' };
    expect(checkTrace(item, good, null).ok).toBe(true);
  });
  it('completionProblem checks a stored completion (format, answer, length)', () => {
    expect(completionProblem(item, '<think>x</think>\n<answer>B</answer>')).toBeNull();
    expect(completionProblem(item, '<think>x</think>\n<answer>A</answer>')).toBe('answer: answer A but the label is B');
    expect(completionProblem(item, '<think>x</think>\n<answer>B</answer>', { maxChars: 10 })).toMatch(/^length: /);
  });
});
