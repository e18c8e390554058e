import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/rods/item';
import { formatFilter, formatProblem, textProblem } from '../../../src/rods/filter/format';
import { reasonCounts } from '../../../src/rods/filter/result';

const item = (over: Partial<Item> = {}): Item => ({
  id: 'x',
  origin: 'synthetic',
  question: 'A 45-year-old man has fever and a productive cough. Which is the most likely diagnosis?',
  options: { A: 'Pneumonia', B: 'Asthma', C: 'Gout', D: 'Migraine' },
  answer: 'A',
  type: 'diagnosis',
  ...over,
});

describe('formatProblem', () => {
  const cases: [string, Partial<Item>, string | null][] = [
    ['a clean item', {}, null],
    ['clean text with symbols', { question: 'Temp 38.5°C, BP 120/80 mmHg, K+ 3.2 mEq/L, 5 µg, ±2 SD, Sjögren, café, naïve, São Paulo, β-blocker?' }, null],
    ['Chinese text', { question: '患者男性，45岁，发热咳嗽。最可能的诊断是？', options: { A: '肺炎', B: '哮喘' } }, null],
    ['balanced markup', { question: 'Platelets 150 × 10<sup>9</sup>/L. Diagnosis?' }, null],
    ['an ampersand in prose', { question: 'Johnson & Johnson made it; R&D? Diagnosis?' }, null],
    ['empty question', { question: '   ' }, 'empty question'],
    ['one option', { options: { A: 'Pneumonia' } }, 'fewer than 2 options (1)'],
    ['no options', { options: {} }, 'fewer than 2 options (0)'],
    ['letters with a gap', { options: { A: 'Pneumonia', C: 'Gout' } }, 'option letters not A..B in order (A,C)'],
    ['an empty option', { options: { A: 'Pneumonia', B: ' ', C: 'Gout' } }, 'empty option (B)'],
    ['duplicate options', { options: { A: 'Pneumonia', B: 'Asthma', C: 'Gout', D: 'asthma.' } }, 'duplicate options (B = D)'],
    ['answer not an option', { answer: 'E' }, 'answer not among options (answer "E"; options A,B,C,D)'],
    ['lower-case answer', { answer: 'a' }, 'answer not among options (answer "a"; options A,B,C,D)'],
    ['U+FFFD', { question: 'Fever of 38\uFFFDC. Diagnosis?' }, 'encoding artefact (U+FFFD in question)'],
    ['mojibake é', { question: 'Ménière? no: MÃ©niÃ¨re disease. Diagnosis?' }, 'mojibake ("Ã©" in question)'],
    ['mojibake ’', { question: 'The patientâ€™s fever. Diagnosis?' }, 'mojibake ("â€™" in question)'],
    ['mojibake °', { options: { A: '38Â°C', B: '37°C' } }, 'mojibake ("Â°" in option A)'],
    ['GBK mojibake', { question: '患者锟斤拷发热' }, 'mojibake ("锟斤拷" in question)'],
    ['a bell character', { question: 'Fever\u0007. Diagnosis?' }, 'control character (U+0007 in question)'],
    ['a C1 control', { options: { A: 'Pneumonia\u0085', B: 'Gout' } }, 'control character (U+0085 in option A)'],
    ['undecoded entity', { question: 'Fever &amp; cough. Diagnosis?' }, 'HTML entity ("&amp;" in question)'],
    ['numeric entity', { options: { A: 'Crohn&#39;s disease', B: 'Gout' } }, 'HTML entity ("&#39;" in option A)'],
    ['broken entity', { question: 'Fever &amp cough. Diagnosis?' }, 'broken HTML entity ("&amp" in question)'],
    ['unclosed tag', { question: 'Platelets 150 × 10<sup>9/L. Diagnosis?' }, 'unbalanced HTML tag (<sup>: 1 open, 0 closed in question)'],
    ['stray closing tag', { options: { A: 'Gout</b>', B: 'Asthma' } }, 'unbalanced HTML tag (<b>: 0 open, 1 closed in option A)'],
  ];
  for (const [name, over, want] of cases)
    it(`formatProblem() on ${name} → ${want ?? 'ok'}`, () => {
      expect(formatProblem(item(over))).toBe(want);
    });

  it('formatProblem() keeps a decoded-entity-free check off when rejectHtmlEntities is false', () => {
    expect(formatProblem(item({ question: 'Fever &amp; cough?' }), { rejectHtmlEntities: false })).toBeNull();
    expect(formatProblem(item({ question: 'Fever &amp cough?' }), { rejectHtmlEntities: false })).toMatch(/^broken HTML entity/);
  });

  it('formatProblem() honours minOptions', () => {
    expect(formatProblem(item({ options: { A: 'x', B: 'y', C: 'z' } }), { minOptions: 4 })).toBe('fewer than 4 options (3)');
  });

  it('textProblem() does not flag "<5 mmol/L" or "<b12" as tags', () => {
    expect(textProblem('glucose <5 mmol/L and <b12 level', 'question')).toBeNull();
  });
});

describe('formatFilter', () => {
  it('formatFilter() keeps good items in order and rejects the rest with reasons', () => {
    const items = [item({ id: 'a' }), item({ id: 'b', answer: 'Z' }), item({ id: 'c' }), item({ id: 'd', question: '' })];
    const r = formatFilter(items);
    expect(r.kept.map((i) => i.id)).toEqual(['a', 'c']);
    expect(r.rejected.map((x) => [x.item.id, x.reason])).toEqual([
      ['b', 'answer not among options (answer "Z"; options A,B,C,D)'],
      ['d', 'empty question'],
    ]);
    expect(reasonCounts(r.rejected)).toEqual([
      { reason: 'answer not among options', count: 1 },
      { reason: 'empty question', count: 1 },
    ]);
  });
});
