import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError, SkipReport } from '../../../src/core/io';
import { loadMedmcqa, splitAnswerChoices } from '../../../src/rods/curated/medmcqa';
import { loadMedxpertqa } from '../../../src/rods/curated/medxpertqa';
import { loadPubmedqa, pubmedqaQuestion, topLevelKeys } from '../../../src/rods/curated/pubmedqa';
import { CURATED_BENCHMARKS } from '../../../src/rods/curated/registry';
import { loadFieldsSpec } from '../../../src/rods/curated/specLoader';
import { fixture, jsonl, reasons, skippedIn } from './helpers';

/** A built-in spec's field mapping on a fixture file (no share check: these fixtures are mostly bad rows). */
const builtin = (name: string) => (file: string, skips: SkipReport) => loadFieldsSpec(CURATED_BENCHMARKS[name].spec, file, skips);
const loadMedqa = builtin('medqa');
const loadCareqa = builtin('careqa');

describe('loadPubmedqa', () => {
  const record = (decision: string, q = 'Does X help?') => ({
    QUESTION: q,
    CONTEXTS: ['We studied X.', 'X helped.'],
    LABELS: ['BACKGROUND', 'RESULTS'],
    MESHES: ['Humans'],
    YEAR: decision === 'no' ? null : '2001',
    final_decision: decision,
    LONG_ANSWER: 'X helps.',
  });
  // Numeric keys out of numeric order (JSON.stringify of an object would sort them): the loader
  // must keep the file's order.
  const entries: [string, unknown][] = [['900', record('yes')], ['12', record('no')], ['55', record('perhaps')], ['7', record('maybe', ' ')], ['31', record('maybe')]];
  const text = `{\n${entries.map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v, null, 4)}`).join(',\n')}\n}\n`;

  it('topLevelKeys() lists keys in file order with their lines', () => {
    expect(topLevelKeys(text).map((k) => k.key)).toEqual(['900', '12', '55', '7', '31']);
    expect(topLevelKeys(text)[0].line).toBe(2);
    expect(topLevelKeys('{"a": {"b": "x\\"y"}, "c": [1, {"d": 2}]}').map((k) => k.key)).toEqual(['a', 'c']);
  });

  it('loadPubmedqa() maps yes/no/maybe to A/B/C, keeps file order, and counts bad records', async () => {
    const f = fixture('ori_pqal.json', text);
    const skips = new SkipReport();
    const items = await loadPubmedqa(f, skips);
    expect(items.map((i) => [i.id, i.answer])).toEqual([
      ['pubmedqa-900', 'A'],
      ['pubmedqa-12', 'B'],
      ['pubmedqa-31', 'C'],
    ]);
    expect(items[0].options).toEqual({ A: 'yes', B: 'no', C: 'maybe' });
    expect(items[0].question).toBe('Context:\nBACKGROUND: We studied X.\nRESULTS: X helped.\nQuestion: Does X help?');
    expect(items[0].meta).toMatchObject({ pmid: '900', year: '2001', longAnswer: 'X helps.', meshes: ['Humans'] });
    expect(items[1].meta?.year).toBeNull();
    expect(reasons(skips, f)).toEqual({ 'final_decision is not yes/no/maybe': 1, 'empty question': 1 });
    expect(skips.readCounts()[f]).toBe(5);
    expect(items.length + skippedIn(skips, f)).toBe(5);
  });

  it("loadPubmedqa() with contexts: 'meta' keeps the bare question and stores the contexts", async () => {
    const f = fixture('ori_pqal.json', text);
    const items = await loadPubmedqa(f, new SkipReport(), { contexts: 'meta', sectionLabels: true });
    expect(items[0].question).toBe('Does X help?');
    expect(items[0].meta?.contexts).toEqual(['We studied X.', 'X helped.']);
    expect(pubmedqaQuestion(record('yes'), { contexts: 'question', sectionLabels: false })).toBe(
      'Context:\nWe studied X.\nX helped.\nQuestion: Does X help?',
    );
  });

  it('loadPubmedqa() throws an InputError for a file that is not JSON', async () => {
    const f = fixture('ori_pqal.json', '{"1": ');
    await expect(loadPubmedqa(f, new SkipReport())).rejects.toBeInstanceOf(InputError);
  });
});

describe('the JSON loaders on inputs that must lose nothing', () => {
  const ok = { question: 'Q1', answer: 'two', options: { A: 'one', B: 'two', C: 'three', D: 'four' }, meta_info: 'step1', answer_idx: 'B' };

  it('loadFieldsSpec(medqa) keeps the first record of a file that starts with a UTF-8 BOM', async () => {
    const f = fixture('medqa.jsonl', '\uFEFF' + jsonl([ok, { ...ok, question: 'Q2' }]));
    const skips = new SkipReport();
    expect((await loadMedqa(f, skips)).map((i) => i.question)).toEqual(['Q1', 'Q2']);
    expect(skips.total()).toBe(0);
  });

  it('loadFieldsSpec(medqa) counts a line with bytes that are not UTF-8 as "invalid UTF-8" instead of loading U+FFFD', async () => {
    const f = fixture('medqa.jsonl', '');
    fs.writeFileSync(f, Buffer.concat([Buffer.from(jsonl([ok])), Buffer.from('{"question": "Caf'), Buffer.from([0xe9]), Buffer.from(jsonl([{ ...ok, question: '' }]).slice(13))]));
    const skips = new SkipReport();
    const items = await loadMedqa(f, skips);
    expect(items.map((i) => i.question)).toEqual(['Q1']);
    expect(reasons(skips, f)).toEqual({ 'invalid UTF-8': 1 });
    expect(skips.readCounts()[f]).toBe(2);
  });

  it('loadFieldsSpec(medqa) and loadPubmedqa() on an empty file throw an InputError instead of returning 0 items', async () => {
    const m = fixture('medqa.jsonl', '');
    await expect(loadMedqa(m, new SkipReport())).rejects.toThrow(`${m}: empty file: no records`);
    await expect(loadMedqa(m, new SkipReport())).rejects.toBeInstanceOf(InputError);
    const p = fixture('ori_pqal.json', '{}\n');
    await expect(loadPubmedqa(p, new SkipReport())).rejects.toThrow(`${p}: empty file: no records`);
  });

  it('loadPubmedqa() reads a file that starts with a BOM', async () => {
    const rec = { QUESTION: 'Does X help?', CONTEXTS: ['c'], LABELS: ['L'], final_decision: 'yes', LONG_ANSWER: 'yes' };
    const f = fixture('ori_pqal.json', `\uFEFF{\n  "1": ${JSON.stringify(rec)}\n}\n`);
    expect((await loadPubmedqa(f, new SkipReport())).map((i) => i.id)).toEqual(['pubmedqa-1']);
  });
});

describe('the medqa spec (data/benchmarks/medqa.yaml)', () => {
  it('loadFieldsSpec(medqa) reads options{A..D} and answer_idx; ids are line numbers; bad lines are counted', async () => {
    const ok = { question: 'Q1', answer: 'two', options: { A: 'one', B: 'two', C: 'three', D: 'four' }, meta_info: 'step1', answer_idx: 'B' };
    const f = fixture(
      'medqa.jsonl',
      jsonl([
        ok,
        '{"question": "broken"',
        { ...ok, answer: 'three' }, // answer text disagrees with answer_idx
        { ...ok, answer_idx: 'E', answer: '' },
        { ...ok, options: { A: 'x', C: 'y' } },
        { ...ok, options: { A: 'x', B: '' }, answer_idx: 'A', answer: 'x' },
        '[1, 2]',
        { ...ok, answer_idx: '' },
      ]),
    );
    const skips = new SkipReport();
    const items = await loadMedqa(f, skips);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: 'medqa-1', answer: 'B', options: { A: 'one', B: 'two', C: 'three', D: 'four' } });
    expect(items[0].meta).toMatchObject({ step: 'step1' });
    expect(reasons(skips, f)).toEqual({
      'invalid JSON': 1,
      '"answer_idx" and "answer" disagree (fields.answerCheck)': 1,
      'answer not among options': 1,
      'option keys are not A, B, C, ... in order': 1,
      'empty option': 1,
      'not a JSON object': 1,
      'no answer': 1,
    });
    expect(items.length + skippedIn(skips, f)).toBe(skips.readCounts()[f]);
  });
});

describe('splitAnswerChoices', () => {
  it('splitAnswerChoices() splits the embedded options and keeps an option that quotes other letters', () => {
    const q = 'Which one:\nAnswer Choices: (A) Ganser (B) Gudden (C) Corpus callosum (D) Both (A) & (C)';
    expect(splitAnswerChoices(q)).toEqual({ stem: 'Which one:', options: ['Ganser', 'Gudden', 'Corpus callosum', 'Both (A) & (C)'] });
    expect(splitAnswerChoices('No choices here')).toBeUndefined();
  });
});

describe('loadMedmcqa', () => {
  it('loadMedmcqa() reads embedded choices and label[]; multiple or missing labels are skipped', async () => {
    const q = 'Q?\nAnswer Choices: (A) a (B) b (C) c (D) d';
    const base = { id: 'u1', question: q, label: ['C'], label_rationale: null, subject_name: 'Anatomy', topic_name: null };
    const f = fixture(
      'medmcqa.jsonl',
      jsonl([base, { ...base, id: 'u2', label: ['A', 'B'] }, { ...base, id: 'u3', label: [] }, { ...base, id: 'u4', question: 'Q?' }, { ...base, id: 'u5', label: ['E'] }, base, 'x']),
    );
    const skips = new SkipReport();
    const items = await loadMedmcqa(f, skips);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: 'medmcqa-u1', question: 'Q?', options: { A: 'a', B: 'b', C: 'c', D: 'd' }, answer: 'C' });
    expect(items[0].meta).toMatchObject({ subject: 'Anatomy', sourceSplit: 'dev' });
    expect(reasons(skips, f)).toEqual({
      'multiple answers': 1,
      'no answer': 1,
      'no embedded Answer Choices': 1,
      'answer not among options': 1,
      'duplicate id': 1,
      'invalid JSON': 1,
    });
    expect(items.length + skippedIn(skips, f)).toBe(7);
  });
});

describe('loadMedxpertqa', () => {
  it('loadMedxpertqa() reads options[{letter, content}] (10 options) and strips the embedded choices', async () => {
    const letters = 'ABCDEFGHIJ'.split('');
    const options = letters.map((l) => ({ letter: l, content: `opt ${l}` }));
    const q = `Stem?\nAnswer Choices: ${letters.map((l) => `(${l}) opt ${l}`).join(' ')}`;
    const base = { id: 'Text-1', question: q, options, label: ['J'], medical_task: 'Diagnosis', body_system: 'Nervous', question_type: 'Reasoning' };
    const f = fixture(
      'mx.jsonl',
      jsonl([
        base,
        { ...base, id: 'Text-2', options: [...options].reverse() },
        { ...base, id: 'Text-3', question: q.replace('(C) opt C', '(C) other') },
        { ...base, id: 'Text-4', options: 'A' },
        { ...base, id: '' },
      ]),
    );
    const skips = new SkipReport();
    const items = await loadMedxpertqa(f, skips);
    expect(items.map((i) => i.id)).toEqual(['medxpertqa-Text-1', 'medxpertqa-Text-3']);
    expect(items[0].question).toBe('Stem?');
    expect(Object.keys(items[0].options)).toEqual(letters);
    expect(items[0].answer).toBe('J');
    expect(items[0].meta).toMatchObject({ medicalTask: 'Diagnosis', bodySystem: 'Nervous', questionType: 'Reasoning' });
    expect(items[1].meta?.quirks).toEqual(['embedded choices differ from options']);
    expect(reasons(skips, f)).toEqual({ 'option letters are not A, B, C, ... in order': 1, 'options is not an array': 1, 'no id': 1 });
  });
});

describe('the mmlu-pro specs (data/benchmarks/mmlu-pro-*.yaml)', () => {
  it('loadFieldsSpec(mmlu-pro-health) reads options[] with answer, checked against answer_index', async () => {
    const base = { question_id: 70, question: 'Q', options: ['a', 'b', 'c'], answer: 'C', answer_index: 2, cot_content: '', category: 'health', src: 'ori_mmlu-virology' };
    const f = fixture(
      'mmlu.jsonl',
      jsonl([base, { ...base, question_id: 71, answer_index: 0 }, { ...base, question_id: 72, answer: 'D', answer_index: 3 }, { ...base, question_id: 73, answer: '', answer_index: 1 }]),
    );
    const skips = new SkipReport();
    const items = await builtin('mmlu-pro-health')(f, skips);
    expect(items.map((i) => [i.id, i.answer])).toEqual([['mmlu-pro-health-70', 'C']]);
    expect(items[0].meta).toMatchObject({ category: 'health', src: 'ori_mmlu-virology', language: 'en', sourceSplit: 'test' });
    // answer_index only checks the answer: an empty answer is no answer
    expect(reasons(skips, f)).toEqual({ '"answer" and "answer_index" disagree (fields.answerCheck)': 1, 'answer not among options': 1, 'no answer': 1 });
  });
});

describe('the careqa spec (data/benchmarks/careqa.yaml)', () => {
  it('loadFieldsSpec(careqa) handles the published quirks: NaN rows, float numbers, trailing newlines, duplicate options', async () => {
    const nanRow = '{"exam_id": NaN, "question": NaN, "op1": NaN, "op2": NaN, "op3": NaN, "op4": NaN, "cop": NaN, "year": NaN, "category": NaN, "unique_id": NaN}';
    const row = (id: string, cop: string, ops = ['a', 'b', 'c', 'd']) =>
      `{"exam_id": 26.0, "question": "Q ${id}", "op1": ${JSON.stringify(ops[0])}, "op2": ${JSON.stringify(ops[1])}, "op3": ${JSON.stringify(ops[2])}, "op4": ${JSON.stringify(ops[3])}, "cop": ${cop}, "year": 2024.0, "category": "Medicine", "unique_id": "${id}"}`;
    const f = fixture(
      'care.jsonl',
      [row('u1', '2.0'), nanRow, row('u2', '4.0', ['x', 'y', 'z', 'z']), row('u3', '5.0'), row('u4', 'NaN'), row('u5', '1.0', ['a\n', 'b', 'c', 'd']), ''].join('\n'),
    );
    const skips = new SkipReport();
    const items = await loadCareqa(f, skips);
    expect(items.map((i) => [i.id, i.answer])).toEqual([
      ['careqa-u1', 'B'],
      ['careqa-u2', 'D'],
      ['careqa-u5', 'A'],
    ]);
    expect(items[0].meta).toMatchObject({ examId: 26, year: 2024, category: 'Medicine' });
    expect(items[1].meta?.quirks).toEqual(['duplicate options', 'answer text repeated in another option']);
    expect(items[2].options.A).toBe('a');
    expect(reasons(skips, f)).toEqual({ 'empty row (all fields null or NaN)': 1, 'answer not among options': 1, 'no answer': 1 });
    expect(skips.rows().find((r) => r.reason === 'empty row (all fields null or NaN)')?.exampleLines).toEqual([2]);
    expect(items.length + skippedIn(skips, f)).toBe(6);
  });
});

describe('loaders', () => {
  it('loadFieldsSpec(medqa) throws a clear error for a missing file', async () => {
    const missing = fixture('x.jsonl', '') + '.nope';
    expect(fs.existsSync(missing)).toBe(false);
    await expect(loadMedqa(missing, new SkipReport())).rejects.toThrow('no such file');
  });
});

describe('the code loaders on a renamed field', () => {
  it('loadMedmcqa(), loadMedxpertqa() and loadPubmedqa() throw "field X not found" with the fields the records have, instead of a skip per row', async () => {
    const mc = fixture('medmcqa.jsonl', jsonl([{ id: 'u1', stem: 'Q?\nAnswer Choices: (A) a (B) b', label: ['A'] }, { id: 'u2', stem: 'Q?', label: ['B'] }]));
    await expect(loadMedmcqa(mc, new SkipReport())).rejects.toThrow(`${mc}:1: field "question" not found in any of the 2 records (the first record has: id, stem, label)`);
    const mx = fixture('mx.jsonl', jsonl([{ id: 'Text-1', question: 'Q', choices: [{ letter: 'A', content: 'a' }], label: ['A'] }]));
    await expect(loadMedxpertqa(mx, new SkipReport())).rejects.toThrow(`${mx}:1: field "options" not found in any of the 1 records (the first record has: id, question, choices, label)`);
    const pq = fixture('ori_pqal.json', `{\n  "1": ${JSON.stringify({ QUESTION: 'Q', CONTEXTS: [], decision: 'yes' })}\n}\n`);
    await expect(loadPubmedqa(pq, new SkipReport())).rejects.toThrow(`${pq}:2: field "final_decision" not found in any of the 1 records (the first record has: QUESTION, CONTEXTS, decision)`);
  });

  it('a record without a field that the others have is skipped as \'no field "X"\'', async () => {
    const q = 'Q?\nAnswer Choices: (A) a (B) b';
    const f = fixture('medmcqa.jsonl', jsonl([{ id: 'u1', question: q, label: ['A'] }, { id: 'u2', label: ['B'] }]));
    const skips = new SkipReport();
    expect((await loadMedmcqa(f, skips)).map((i) => i.id)).toEqual(['medmcqa-u1']);
    expect(reasons(skips, f)).toEqual({ 'no field "question"': 1 });
  });
});
