import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipReport } from '../../../src/core/io';
import { answerFieldLetter, getField, loadGeneric, optionsOf, type FieldMapping } from '../../../src/rods/curated/generic';
import { fixture, jsonl, reasons, skippedIn } from './helpers';

describe('answerFieldLetter', () => {
  const opts = ['red', 'Green', 'blue'];
  it('answerFieldLetter() converts every answer format to a letter', () => {
    expect(answerFieldLetter('b', 'letter', opts)).toBe('B');
    expect(answerFieldLetter('(C)', 'letter', opts)).toBe('C');
    expect(answerFieldLetter(1, 'index0', opts)).toBe('B');
    expect(answerFieldLetter('0', 'index0', opts)).toBe('A');
    expect(answerFieldLetter(3, 'index1', opts)).toBe('C');
    expect(answerFieldLetter('green', 'text', opts)).toBe('B');
    expect(answerFieldLetter('blue', 'text', opts)).toBe('C');
  });
  it('answerFieldLetter() gives a reason for answers it cannot place', () => {
    expect(answerFieldLetter('', 'letter', opts)).toEqual({ reason: 'no answer' });
    expect(answerFieldLetter(null, 'index0', opts)).toEqual({ reason: 'no answer' });
    expect(answerFieldLetter('BC', 'letter', opts)).toEqual({ reason: 'answer is not a letter' });
    expect(answerFieldLetter('x', 'index0', opts)).toEqual({ reason: 'answer is not an index' });
    expect(answerFieldLetter(3, 'index0', opts)).toEqual({ reason: 'answer not among options' });
    expect(answerFieldLetter(0, 'index1', opts)).toEqual({ reason: 'answer not among options' });
    expect(answerFieldLetter('purple', 'text', opts)).toEqual({ reason: 'answer not among options' });
    expect(answerFieldLetter('a', 'text', ['A', 'a'])).toBe('B');
    expect(answerFieldLetter('Q', 'text', ['q', 'q'])).toEqual({ reason: 'answer text matches several options' });
  });
});

describe('optionsOf', () => {
  it('optionsOf() reads a field list, an array field, a letter-keyed object (sorted) and a JSON string', () => {
    expect(optionsOf({ a: 'x', b: 'y' }, ['a', 'b'])).toEqual(['x', 'y']);
    expect(optionsOf({ o: ['x', 'y'] }, 'o')).toEqual(['x', 'y']);
    expect(optionsOf({ o: { B: 'y', A: 'x' } }, 'o')).toEqual(['x', 'y']);
    expect(optionsOf({ o: { opa: 'x', opb: 'y' } }, 'o')).toEqual(['x', 'y']);
    expect(optionsOf({ o: '["x","y"]' }, 'o')).toEqual(['x', 'y']);
    expect(optionsOf({ o: 'x' }, 'o')).toBe('options field is not an array or object');
  });
  it('getField() follows dotted paths when no field has the exact name', () => {
    expect(getField({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(getField({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(getField({ a: 1 }, 'a.b')).toBeUndefined();
  });
});

describe('loadGeneric', () => {
  it('loadGeneric() reads JSON Lines with field-list options and index0 answers, counting bad rows', async () => {
    const f = fixture(
      'g.jsonl',
      jsonl([
        { uid: 'q1', q: 'Q1', a: 'x', b: 'y', c: 'z', label: 2, topic: 't' },
        { uid: 'q2', q: 'Q2', a: 'x', b: 'y', c: 'z', label: 5 },
        { uid: 'q3', q: 'Q3', a: 'x', b: '', c: 'z', label: 0 },
        { uid: '', q: 'Q4', a: 'x', b: 'y', c: 'z', label: 0 },
        'oops',
      ]),
    );
    const m: FieldMapping = { origin: 'gq', question: 'q', options: ['a', 'b', 'c'], answer: 'label', answerFormat: 'index0', id: 'uid', meta: ['topic'] };
    const skips = new SkipReport();
    const items = await loadGeneric(f, skips, m);
    expect(items).toEqual([
      { id: 'gq-q1', origin: 'gq', question: 'Q1', options: { A: 'x', B: 'y', C: 'z' }, answer: 'C', type: 'curated', meta: { originalId: 'q1', line: 1, topic: 't' } },
    ]);
    expect(reasons(skips, f)).toEqual({ 'answer not among options': 1, 'empty option': 1, 'no id': 1, 'invalid JSON': 1 });
    expect(items.length + skippedIn(skips, f)).toBe(5);
  });

  it('loadGeneric() reads CSV with an options column holding JSON, for letter / index1 / text answers', async () => {
    const f = fixture(
      'g.csv',
      'question,opts,ans\n' + 'Q1,"[""x"",""y""]",B\n' + 'Q2,"{""A"":""x"",""B"":""y""}",A\n' + 'Q3,"[""x"",""y""]",\n' + 'Q4,"[""x""]",A\n' + 'Q5,x,A\n',
    );
    const base = { origin: 'gc', question: 'question', options: 'opts', answer: 'ans' };
    const skips = new SkipReport();
    const letter = await loadGeneric(f, skips, { ...base, answerFormat: 'letter' });
    expect(letter.map((i) => [i.id, i.answer])).toEqual([
      ['gc-2', 'B'],
      ['gc-3', 'A'],
    ]);
    expect(reasons(skips, f)).toEqual({ 'no answer': 1, 'fewer than 2 options': 1, 'options field is not an array or object': 1 });

    const g = fixture('h.csv', 'question,o1,o2,ans\nQ1,x,y,2\nQ2,x,y,y\n');
    const idx1 = await loadGeneric(g, new SkipReport(), { ...base, options: ['o1', 'o2'], answerFormat: 'index1' });
    expect(idx1.map((i) => i.answer)).toEqual(['B']);
    const txt = await loadGeneric(g, new SkipReport(), { ...base, options: ['o1', 'o2'], answerFormat: 'text' });
    expect(txt.map((i) => [i.question, i.answer])).toEqual([['Q2', 'B']]);
  });

  it('loadGeneric() reads TSV when the format says so', async () => {
    const f = fixture('t.txt', 'q\ta\tb\tans\nQ1\tx\ty\tA\n');
    const items = await loadGeneric(f, new SkipReport(), { origin: 't', question: 'q', options: ['a', 'b'], answer: 'ans', answerFormat: 'letter', format: 'tsv' });
    expect(items.map((i) => i.options)).toEqual([{ A: 'x', B: 'y' }]);
  });
});

describe('loadGeneric on inputs that must lose nothing', () => {
  const m: FieldMapping = { origin: 'g', question: 'question', options: ['a', 'b'], answer: 'ans', answerFormat: 'letter' };
  const BOM = '\uFEFF';

  it('loadGeneric() on a CSV whose question column was renamed throws "column not found" with the header, not one "empty question" per row', async () => {
    const f = fixture('renamed.csv', 'stem,a,b,ans\nQ1,x,y,A\nQ2,x,y,B\nQ3,x,y,A\n');
    const skips = new SkipReport();
    await expect(loadGeneric(f, skips, m)).rejects.toThrow(`${f}:1: column "question" not found (the header has: stem, a, b, ans)`);
    expect(skips.total()).toBe(0);
  });

  it('loadGeneric() on JSON Lines counts a record without a mapped field as \'no field "question"\'', async () => {
    const f = fixture('renamed.jsonl', jsonl([{ stem: 'Q1', a: 'x', b: 'y', ans: 'A' }, { stem: 'Q2', a: 'x', b: 'y', ans: 'B' }, { question: 'Q3', a: 'x', b: 'y', ans: 'B' }]));
    const skips = new SkipReport();
    expect((await loadGeneric(f, skips, m)).map((i) => i.question)).toEqual(['Q3']);
    expect(reasons(skips, f)).toEqual({ 'no field "question"': 2 });
  });

  it('loadGeneric() keeps the first record of a JSON Lines or CSV file that starts with a BOM', async () => {
    const j = fixture('bom.jsonl', BOM + jsonl([{ question: 'Q1', a: 'x', b: 'y', ans: 'A' }, { question: 'Q2', a: 'x', b: 'y', ans: 'B' }]));
    const c = fixture('bom.csv', `${BOM}question,a,b,ans\nQ1,x,y,A\nQ2,x,y,B\n`);
    for (const f of [j, c]) {
      const skips = new SkipReport();
      expect((await loadGeneric(f, skips, m)).map((i) => i.question), f).toEqual(['Q1', 'Q2']);
      expect(skips.total(), f).toBe(0);
    }
  });

  it('loadGeneric() counts a record whose bytes are not UTF-8 instead of loading U+FFFD into its text', async () => {
    const f = fixture('latin1.jsonl', '');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('{"question":"Caf'), Buffer.from([0xe9]), Buffer.from(' au lait?","a":"x","b":"y","ans":"A"}\n{"question":"Q2","a":"x","b":"y","ans":"B"}\n')]));
    const skips = new SkipReport();
    expect((await loadGeneric(f, skips, m)).map((i) => i.question)).toEqual(['Q2']);
    expect(reasons(skips, f)).toEqual({ 'invalid UTF-8': 1 });
    await expect(loadGeneric(f, new SkipReport(true), m)).rejects.toThrow(`${f}:1: invalid UTF-8 (byte 0xE9 at column 17)`);
  });

  it('loadGeneric() on an empty file, or a CSV with only its header, throws instead of returning 0 items', async () => {
    const empty = fixture('empty.jsonl', '\n\n');
    await expect(loadGeneric(empty, new SkipReport(), m)).rejects.toThrow(`${empty}: empty file: no records`);
    const none = fixture('none.csv', '');
    await expect(loadGeneric(none, new SkipReport(), m)).rejects.toThrow(`${none}: empty file: no header`);
    const header = fixture('header.csv', 'question,a,b,ans\n');
    await expect(loadGeneric(header, new SkipReport(), m)).rejects.toThrow(`${header}: no records after the header`);
  });

  it('loadGeneric() on a CSV with a quote never closed names the file and the line it opens on', async () => {
    const f = fixture('quote.csv', 'question,a,b,ans\nQ1,x,y,A\n"Q2,x,y,B\nQ3,x,y,A\n');
    await expect(loadGeneric(f, new SkipReport(), m)).rejects.toThrow(`${f}:3: unclosed quote`);
  });
});
