import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, SkipReport } from '../../../src/core/io';
import { sha256File } from '../../../src/graph/download';
import { lenientAnswer, optionLetters, strictAnswer } from '../../../src/protocol/index';
import { loadBenchmark, loadSpec } from '../../../src/rods/curated/registry';
import { childLines } from '../../../src/rods/curated/records';
import { parseSpec, readSpec, SpecError } from '../../../src/rods/curated/spec';
import { BenchmarkLoadError } from '../../../src/rods/curated/usable';
import type { Item } from '../../../src/rods/item';
import { parseLetter } from '../../../src/rods/verify';
import { jsonl, reasons, tempDir } from './helpers';

/** Writes files (name → text or bytes) into a new temporary directory and returns its path. */
function files(entries: Record<string, string | Uint8Array>): string {
  const dir = tempDir('fleming-spec-');
  for (const [name, data] of Object.entries(entries)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
  return dir;
}

/** Loads the spec `spec.yaml` of `dir` (its data beside it). */
async function load(dir: string, skips = new SkipReport()): Promise<Item[]> {
  return (await loadSpec(readSpec(path.join(dir, 'spec.yaml')), skips, { benchmarksDir: null })).items;
}

const brief = (items: Item[]) => items.map((i) => [i.id, i.question, Object.values(i.options), i.answer]);

describe('readSpec', () => {
  it('readSpec() names every wrong field of a spec at once, with what was given and a near key', () => {
    const dir = files({
      'spec.yaml': ['name: My QA', 'file: qa.jsonl', 'fields:', '  question: q', '  options: 5', '  answer: a', '  answerFormat: idx', '  optiontext: t', 'maxSkipShare: 2', 'langauge: en'].join('\n'),
    });
    const err = (() => {
      try {
        readSpec(path.join(dir, 'spec.yaml'));
      } catch (e) {
        return e as SpecError;
      }
    })();
    expect(err).toBeInstanceOf(SpecError);
    const text = err?.problems.join('\n') ?? '';
    expect(text).toContain('name: expected a lower-case name (a-z, 0-9, . _ -), e.g. jmed (got "My QA")');
    expect(text).toContain('fields.options: expected one field (holding a list or an object of options) or a list of 2 to 26 fields (got 5)');
    expect(text).toContain('fields.answerFormat: expected one of letter, index0, index1, text (got "idx")');
    expect(text).toContain('fields.optiontext: unknown key (did you mean optionText?)');
    expect(text).toContain('langauge: unknown key (did you mean language?)');
    expect(text).toMatch(/maxSkipShare: .*(got 2)/);
    expect(err?.message.startsWith(`${path.join(dir, 'spec.yaml')}: invalid benchmark spec:\n  - `)).toBe(true);
  });

  it('readSpec() refuses a spec with both or neither of file / url and fields / loader, and YAML that does not parse (naming the line)', () => {
    expect(() => parseSpec({ name: 'x', fields: { question: 'q', options: 'o', answer: 'a' } }, 's.yaml')).toThrow('file: give exactly one of file and url');
    expect(() => parseSpec({ name: 'x', file: 'f.jsonl', loader: 'medmcqa', fields: { question: 'q', options: 'o', answer: 'a' } }, 's.yaml')).toThrow(
      'fields: give exactly one of fields (a mapping) and loader (code)',
    );
    expect(() => parseSpec({ name: 'x', file: 'f.jsonl', loader: 'mine' }, 's.yaml')).toThrow('loader: expected one of pubmedqa, medmcqa, medxpertqa, cmexam (got "mine")');
    expect(() => parseSpec({ name: 'x', file: 'f.jsonl', fields: { question: 'q', options: ['a', 'b'], optionText: 't', answer: 'a' } }, 's.yaml')).toThrow(
      'fields.optionText: applies when options is one field holding a list of objects',
    );
    const dir = files({ 'spec.yaml': 'name: x\nfields:\n  question: [unclosed\n' });
    expect(() => readSpec(path.join(dir, 'spec.yaml'))).toThrow(/spec\.yaml:\d+: invalid benchmark spec:\n {2}- not YAML or JSON/);
    expect(() => readSpec(path.join(dir, 'nope.yaml'))).toThrow('nope.yaml: benchmark spec not found');
  });

  it('a spec gives defaults: answerFormat letter, maxSkipShare 0.1, optional false', () => {
    const s = parseSpec({ name: 'x', file: 'f.jsonl', fields: { question: 'q', options: 'o', answer: 'a' } }, 's.yaml');
    expect([s.fields?.answerFormat, s.maxSkipShare, s.optional, s.specFile]).toEqual(['letter', 0.1, false, 's.yaml']);
  });
});

describe('spec shapes: every format and option / answer shape public medical QA releases use', () => {
  it('JSON Lines; options an object keyed by letter (any order); answer a letter; subject, id and language in meta', async () => {
    const dir = files({
      'spec.yaml': 'name: qa\nfile: qa.jsonl\nfields: {question: q, options: opts, answer: ans, id: uid, subject: topic}\nlanguage: en\nsplit: test\n',
      'qa.jsonl': jsonl([{ uid: 'a1', q: 'Q1', opts: { B: 'two', A: 'one', C: 'three' }, ans: 'c', topic: 'Cardiology' }]),
    });
    const items = await load(dir);
    expect(brief(items)).toEqual([['qa-a1', 'Q1', ['one', 'two', 'three'], 'C']]);
    expect(items[0].meta).toEqual({ originalId: 'a1', line: 1, subject: 'Cardiology', language: 'en', sourceSplit: 'test' });
  });

  it('a JSON array; options a list of strings; answer a 0-based index; no id field: ids are line numbers', async () => {
    const doc = [
      { q: 'Q1', opts: ['one', 'two'], ans: 1 },
      { q: 'Q2', opts: ['one', 'two', 'three'], ans: 0 },
    ];
    const dir = files({ 'spec.yaml': 'name: arr\nfile: qa.json\nfields: {question: q, options: opts, answer: ans, answerFormat: index0}\n', 'qa.json': JSON.stringify(doc, null, 2) });
    expect(brief(await load(dir))).toEqual([
      ['arr-2', 'Q1', ['one', 'two'], 'B'],
      ['arr-10', 'Q2', ['one', 'two', 'three'], 'A'],
    ]);
  });

  it('a JSON document with the records nested (records: data.items), nested fields, options as objects {key, text}; answer the option text', async () => {
    const doc = { version: 1, data: { items: [{ stem: { text: 'Q1' }, choices: [{ key: 'A', text: 'Aspirin' }, { key: 'B', text: 'Metformin' }], gold: 'metformin' }] } };
    const dir = files({
      'spec.yaml': 'name: nested\nfile: qa.json\nrecords: data.items\nfields: {question: stem.text, options: choices, optionText: text, optionKey: key, answer: gold, answerFormat: text}\n',
      'qa.json': JSON.stringify(doc, null, 1),
    });
    const items = await load(dir);
    expect(brief(items)).toEqual([['nested-5', 'Q1', ['Aspirin', 'Metformin'], 'B']]);
  });

  it('a JSON object keyed by id (id: $key); options as objects with other field names; answer a 1-based index', async () => {
    const doc = { 'pm-7': { question: 'Q7', answers: [{ label: 'x', value: 'yes' }, { label: 'y', value: 'no' }], correct: 2 } };
    const dir = files({ 'spec.yaml': 'name: keyed\nfile: qa.json\nfields: {question: question, options: answers, optionText: value, answer: correct, answerFormat: index1, id: $key}\n', 'qa.json': JSON.stringify(doc) });
    expect(brief(await load(dir))).toEqual([['keyed-pm-7', 'Q7', ['yes', 'no'], 'B']]);
  });

  it('CSV with quoted cells spanning lines; options a list of columns; answer a one-element list in a JSON cell', async () => {
    const csv = 'id,question,op1,op2,op3,answer\nr1,"A patient says:\n""it hurts""\nWhat now?",Rest,Ice,"Both, then surgery","[""C""]"\nr2,Q2,x,y,z,A\n';
    const dir = files({ 'spec.yaml': 'name: csvqa\nfile: qa.csv\nfields: {question: question, options: [op1, op2, op3], answer: answer, id: id}\n', 'qa.csv': csv });
    expect(brief(await load(dir))).toEqual([
      ['csvqa-r1', 'A patient says:\n"it hurts"\nWhat now?', ['Rest', 'Ice', 'Both, then surgery'], 'C'],
      ['csvqa-r2', 'Q2', ['x', 'y', 'z'], 'A'],
    ]);
  });

  it('TSV; options a JSON list in one column', async () => {
    const dir = files({ 'spec.yaml': 'name: tsvqa\nfile: qa.tsv\nfields: {question: q, options: opts, answer: a}\n', 'qa.tsv': 'q\topts\ta\nQ1\t["x", "y"]\tB\n' });
    expect(brief(await load(dir))).toEqual([['tsvqa-2', 'Q1', ['x', 'y'], 'B']]);
  });

  it('Parquet (written with hyparquet-writer): 64-bit ids, a list column, a struct column keyed by letter, one-element list answers', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'qid', data: [101n, 102n], type: 'INT64' },
        { name: 'question', data: ['Q1', 'Q2'], type: 'STRING' },
        { name: 'choices', data: [['one', 'two', 'three'], ['x', 'y']] },
        { name: 'byLetter', data: [{ A: 'one', B: 'two', C: 'three' }, { A: 'x', B: 'y', C: 'z' }] },
        { name: 'answer', data: [['C'], ['A']] },
      ],
    });
    const dir = files({
      'list.yaml': 'name: pq\nfile: qa.parquet\nfields: {question: question, options: choices, answer: answer, id: qid}\n',
      'struct.yaml': 'name: pq2\nfile: qa.parquet\nformat: parquet\nfields: {question: question, options: byLetter, answer: answer, id: qid}\n',
      'qa.parquet': new Uint8Array(buf),
    });
    const list = await loadSpec(readSpec(path.join(dir, 'list.yaml')), new SkipReport(), { benchmarksDir: null });
    expect(brief(list.items)).toEqual([
      ['pq-101', 'Q1', ['one', 'two', 'three'], 'C'],
      ['pq-102', 'Q2', ['x', 'y'], 'A'],
    ]);
    expect(list.items[1].meta?.line).toBe(2); // a Parquet row's "line" is its row number
    const struct = await loadSpec(readSpec(path.join(dir, 'struct.yaml')), new SkipReport(), { benchmarksDir: null });
    expect(brief(struct.items)).toEqual([
      ['pq2-101', 'Q1', ['one', 'two', 'three'], 'C'],
      ['pq2-102', 'Q2', ['x', 'y', 'z'], 'A'],
    ]);
  });

  it('2 options and 26 options (A–Z) load; 27 do not', async () => {
    const az = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
    const rows = [
      { q: 'Two', o: ['yes', 'no'], a: 'B' },
      { q: 'Many', o: az.map((l) => `option ${l}`), a: 'Z' },
      { q: 'Too many', o: [...az, 'AA'].map((l) => `option ${l}`), a: 'A' },
    ];
    const dir = files({ 'spec.yaml': 'name: wide\nfile: qa.jsonl\nfields: {question: q, options: o, answer: a}\nmaxSkipShare: 0.5\n', 'qa.jsonl': jsonl(rows) });
    const skips = new SkipReport();
    const items = await load(dir, skips);
    expect(items.map((i) => [Object.keys(i.options).length, i.answer])).toEqual([
      [2, 'B'],
      [26, 'Z'],
    ]);
    expect(Object.keys(items[1].options)).toEqual(az);
    expect(reasons(skips, path.join(dir, 'qa.jsonl'))).toEqual({ 'more than 26 options': 1 });
  });
});

describe('JMED: 21 options A–U, in its published format', () => {
  // JMED.jsonl as published (jdh-algo/JMED; the fields OpenCompass's JMEDDataset reads):
  // {question, options: {A..U}, answer: [letter]}. Text written for this test.
  const letters = 'ABCDEFGHIJKLMNOPQRSTU'.split('');
  const options = Object.fromEntries(letters.map((l, i) => [l, `诊断${i + 1}`]));
  const rows = [
    { question: '患者年龄：26岁\n患者性别：男\n患者病情摘要：右手拇指弯曲时不自觉抖动。\n\n根据上述患者的情况，请问最有可能的诊断是什么？', options, answer: ['U'] },
    { question: '患者年龄：43岁\n患者性别：男\n患者病情摘要：咽痛两天。\n\n根据上述患者的情况，请问最有可能的诊断是什么？', options, answer: ['A'] },
  ];

  it('the built-in jmed spec reads JMED.jsonl from <benchmarks>/jmed/: 21 options, the answer list read as its letter, language zh', async () => {
    const dir = files({ 'jmed/JMED.jsonl': jsonl(rows) });
    const items = await loadBenchmark('jmed', dir, new SkipReport());
    expect(items.map((i) => [i.id, Object.keys(i.options).length, i.answer])).toEqual([
      ['jmed-1', 21, 'U'],
      ['jmed-2', 21, 'A'],
    ]);
    expect(items[0].options.U).toBe('诊断21');
    expect(items[0].meta).toMatchObject({ language: 'zh', sourceSplit: 'test' });
  });

  it('a JMED item answered U scores: the strict reader, the lenient reader and parseLetter all read U among A–U', async () => {
    const dir = files({ 'jmed/JMED.jsonl': jsonl(rows) });
    const [item] = await loadBenchmark('jmed', dir, new SkipReport());
    const letters21 = optionLetters(item);
    expect(letters21).toEqual(letters);
    expect(strictAnswer('<think>拇指震颤。</think>\n<answer>U</answer>', letters21)).toBe(item.answer);
    expect(lenientAnswer('so the answer is (U)', letters21)).toBe('U');
    expect(parseLetter('The answer is U.', letters21, item.options)).toBe('U');
  });
});

describe('unusable benchmarks are errors that name the mapping and a row', () => {
  it('options holding objects without optionText: 0 items is an error naming the real cause, the mapping and the first row', async () => {
    const rows = [1, 2, 3].map((n) => ({ question: `Q${n}`, options: [{ letter: 'A', content: 'x' }, { letter: 'B', content: 'y' }], label: 'A' }));
    const dir = files({ 'spec.yaml': 'name: objs\nfile: qa.jsonl\nfields: {question: question, options: options, answer: label}\n', 'qa.jsonl': jsonl(rows) });
    const err = await load(dir).catch((e) => e);
    expect(err).toBeInstanceOf(BenchmarkLoadError);
    const file = path.join(dir, 'qa.jsonl');
    expect(err.message).toBe(
      [
        `benchmark 'objs' (spec ${path.join(dir, 'spec.yaml')}) loaded 0 items: all 3 rows of ${file} were skipped. The field mapping that failed, by the most common reason:`,
        '  3 × options field "options" holds objects: map their text field with fields.optionText (the objects have: letter, content) [fields.options = "options"]',
        `    first at ${file}:1: ${JSON.stringify(rows[0])}`,
      ].join('\n'),
    );
  });

  it('more skipped rows than maxSkipShare is an error; a spec that allows the share loads', async () => {
    const good = (n: number) => ({ q: `Q${n}`, o: ['x', 'y'], a: n % 2 ? 'A' : 'B' });
    const rows = [...[1, 2, 3, 4, 5, 6, 7, 8].map(good), { q: 'Q9', o: ['x', 'y'], a: 3 }, { q: 'Q10', o: ['x', 'y'], a: ['A', 'B'] }];
    const data = jsonl(rows);
    const strictDir = files({ 'spec.yaml': 'name: share\nfile: qa.jsonl\nfields: {question: q, options: o, answer: a}\n', 'qa.jsonl': data });
    const err = await load(strictDir).catch((e) => e);
    expect(err).toBeInstanceOf(BenchmarkLoadError);
    expect(err.message).toContain(`2 of 10 rows of ${path.join(strictDir, 'qa.jsonl')} skipped (20%), more than the 10% it allows (maxSkipShare 0.1)`);
    expect(err.message).toContain('1 × answer field "a" holds a number, not a letter: set fields.answerFormat to index0 or index1 [fields.answerFormat = "letter"]');
    expect(err.message).toContain(`first at ${path.join(strictDir, 'qa.jsonl')}:9: {"q":"Q9","o":["x","y"],"a":3}`);
    expect(err.message).toContain('1 × answer field "a" holds several answers (an item has one right option) [fields.answer = "a"]');
    const lax = files({ 'spec.yaml': 'name: share\nfile: qa.jsonl\nfields: {question: q, options: o, answer: a}\nmaxSkipShare: 0.25\n', 'qa.jsonl': data });
    expect(await load(lax)).toHaveLength(8);
  });

  it('a mapped field that no record has (renamed) is one InputError naming it and the fields the records have, in JSON Lines, JSON and Parquet', async () => {
    const rows = [{ stem: 'Q1', o: ['x', 'y'], a: 'A' }, { stem: 'Q2', o: ['x', 'y'], a: 'B' }];
    const dir = files({
      'spec.yaml': 'name: renamed\nfile: qa.jsonl\nfields: {question: question, options: o, answer: a, subject: topic}\n',
      'json.yaml': 'name: renamed\nfile: qa.json\nfields: {question: question, options: o, answer: a}\n',
      'qa.jsonl': jsonl(rows),
      'qa.json': JSON.stringify(rows, null, 2),
    });
    await expect(load(dir)).rejects.toThrow(`${path.join(dir, 'qa.jsonl')}:1: field "question" (fields.question), field "topic" (fields.subject) not found in any of the 2 records (the first record has: stem, o, a)`);
    await expect(load(dir)).rejects.toBeInstanceOf(InputError);
    await expect(loadSpec(readSpec(path.join(dir, 'json.yaml')), new SkipReport(), { benchmarksDir: null })).rejects.toThrow(`${path.join(dir, 'qa.json')}:2: field "question" (fields.question) not found in any of the 2 records`);
  });

  it('a CSV header without a mapped column names it and the header', async () => {
    const dir = files({ 'spec.yaml': 'name: c\nfile: qa.csv\nfields: {question: question, options: [a, b], answer: ans}\n', 'qa.csv': 'stem,a,b,ans\nQ1,x,y,A\n' });
    await expect(load(dir)).rejects.toThrow(`${path.join(dir, 'qa.csv')}:1: column "question" (fields.question) not found (the header has: stem, a, b, ans)`);
  });

  it('a spec whose file is missing, or under {benchmarks} with no benchmarks directory, says what to do', async () => {
    const dir = files({ 'spec.yaml': 'name: gone\nfile: nowhere.jsonl\nfields: {question: q, options: o, answer: a}\n', 'b.yaml': 'name: b\nfile: "{benchmarks}/b/b.jsonl"\nfields: {question: q, options: o, answer: a}\n' });
    await expect(load(dir)).rejects.toThrow(`benchmark 'gone' (${path.join(dir, 'spec.yaml')}): file not found: ${path.join(dir, 'nowhere.jsonl')} (file: nowhere.jsonl)`);
    await expect(loadSpec(readSpec(path.join(dir, 'b.yaml')), new SkipReport(), { benchmarksDir: null })).rejects.toThrow('is under the benchmarks directory, and none is set (FLEMING_BENCHMARKS=DIR');
  });
});

describe('a spec that names a URL', () => {
  let server: http.Server;
  let base = '';
  let requests = 0;
  const body = jsonl([{ q: 'Q1', o: ['x', 'y'], a: 'B' }]);
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests += 1;
      if (req.url === '/qa.jsonl') res.writeHead(200).end(body);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads once into the cache, checks the sha256, and names the URL when the download or the checksum fails', async () => {
    const cacheDir = tempDir('fleming-spec-cache-');
    const sum = sha256File(files({ 'x.jsonl': body }) + '/x.jsonl');
    const spec = parseSpec({ name: 'remote', url: `${base}/qa.jsonl`, sha256: sum, fields: { question: 'q', options: 'o', answer: 'a' } }, 'remote.yaml');
    const first = await loadSpec(spec, new SkipReport(), { benchmarksDir: null, cacheDir });
    expect(brief(first.items)).toEqual([['remote-1', 'Q1', ['x', 'y'], 'B']]);
    expect(first.file).toBe(path.join(cacheDir, 'remote', 'qa.jsonl'));
    await loadSpec(spec, new SkipReport(), { benchmarksDir: null, cacheDir });
    expect(requests).toBe(1);
    const bad = parseSpec({ name: 'remote2', url: `${base}/qa.jsonl`, sha256: '0'.repeat(64), fields: { question: 'q', options: 'o', answer: 'a' } }, 'remote2.yaml');
    await expect(loadSpec(bad, new SkipReport(), { benchmarksDir: null, cacheDir })).rejects.toThrow(`${base}/qa.jsonl has sha256 ${sum}, the spec expects ${'0'.repeat(64)}`);
    expect(fs.existsSync(path.join(cacheDir, 'remote2', 'qa.jsonl'))).toBe(false);
    const missing = parseSpec({ name: 'gone', url: `${base}/gone.jsonl`, fields: { question: 'q', options: 'o', answer: 'a' } }, 'gone.yaml');
    await expect(loadSpec(missing, new SkipReport(), { benchmarksDir: null, cacheDir, retries: 1, backoffMs: 1 })).rejects.toThrow(`benchmark 'gone' (gone.yaml): download failed: ${base}/gone.jsonl: HTTP 404`);
  });
});

describe('childLines', () => {
  it('childLines() gives the line each record of a JSON container starts on', () => {
    const json = '{\n  "a": [\n    {"x": "[not {a} bracket\\""},\n    {"x": 2}\n  ],\n  "b": {\n    "k1": 1,\n    "k2": {"y": [1, 2]}\n  }\n}';
    expect(childLines(json, ['a'])).toEqual([3, 4]);
    expect(childLines(json, ['b'])).toEqual([7, 8]);
    expect(childLines(json, [])).toEqual([2, 6]);
    expect(childLines('[1, 2,\n3]', [])).toEqual([1, 1, 2]);
  });
});
