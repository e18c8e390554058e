import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipReport } from '../../../src/core/io';
import { loadGeneric, type FieldMapping } from '../../../src/rods/curated/generic';
import { answerLetter, getField, optionTexts } from '../../../src/rods/curated/mapping';
import type { SpecFields } from '../../../src/rods/curated/spec';
import { fixture, jsonl, reasons, skippedIn } from './helpers';

describe('answerLetter', () => {
  const opts = ['red', 'Green', 'blue'];
  const why = (v: unknown, format: 'letter' | 'index0' | 'index1' | 'text', o: string[] = opts) => {
    const r = answerLetter(v, format, o, 'ans');
    return typeof r === 'string' ? r : r.reason;
  };
  it('answerLetter() converts every answer format to a letter, and a one-element list to its element', () => {
    expect(why('b', 'letter')).toBe('B');
    expect(why('(C)', 'letter')).toBe('C');
    expect(why(1, 'index0')).toBe('B');
    expect(why('0', 'index0')).toBe('A');
    expect(why(3, 'index1')).toBe('C');
    expect(why('2.0', 'index1')).toBe('B');
    expect(why('green', 'text')).toBe('B');
    expect(why('blue', 'text')).toBe('C');
    expect(why(['C'], 'letter')).toBe('C');
    expect(why('["C"]', 'letter')).toBe('C'); // a CSV cell holding a JSON list
    expect(why([2], 'index0')).toBe('C');
  });
  it('answerLetter() gives the real cause for answers it cannot place', () => {
    expect(why('', 'letter')).toBe('no answer');
    expect(why(null, 'index0')).toBe('no answer');
    expect(why([], 'letter')).toBe('no answer');
    expect(why(['A', 'C'], 'letter')).toBe('answer field "ans" holds several answers (an item has one right option)');
    expect(why('BC', 'letter')).toBe('answer field "ans" holds text, not a letter: set fields.answerFormat to text');
    expect(why(2, 'letter')).toBe('answer field "ans" holds a number, not a letter: set fields.answerFormat to index0 or index1');
    expect(why('x', 'index0')).toBe('answer field "ans" holds a letter, not an index: set fields.answerFormat to letter');
    expect(why('purple haze', 'index1')).toBe('answer field "ans" holds text, not an index: set fields.answerFormat to text');
    expect(why(3, 'index0')).toBe('answer not among options');
    expect(why(0, 'index1')).toBe('answer not among options');
    expect(why('purple', 'text')).toBe('answer text matches no option');
    expect(why('a', 'text', ['A', 'a'])).toBe('B');
    expect(why('Q', 'text', ['q', 'q'])).toBe('answer text matches several options');
    expect(why({ key: 'A' }, 'letter')).toBe('answer field "ans" holds an object, not a letter, an index or a text');
  });
});

describe('optionTexts', () => {
  const f = (options: string | string[], more: Partial<SpecFields> = {}): SpecFields => ({ question: 'q', options, answer: 'a', answerFormat: 'letter', ...more });
  const why = (r: Record<string, unknown>, fields: SpecFields) => {
    const o = optionTexts(r, fields);
    return Array.isArray(o) ? o : o.reason;
  };
  it('optionTexts() reads a field list, a list of strings, a letter-keyed object (sorted), other keys in order, a JSON string, and objects by their text field', () => {
    expect(why({ a: 'x', b: 'y' }, f(['a', 'b']))).toEqual(['x', 'y']);
    expect(why({ o: ['x', 'y'] }, f('o'))).toEqual(['x', 'y']);
    expect(why({ o: { B: 'y', A: 'x' } }, f('o'))).toEqual(['x', 'y']);
    expect(why({ o: { opa: 'x', opb: 'y' } }, f('o'))).toEqual(['x', 'y']);
    expect(why({ o: '["x","y"]' }, f('o'))).toEqual(['x', 'y']);
    expect(why({ o: [{ k: 'A', t: 'x' }, { k: 'B', t: 'y' }] }, f('o', { optionText: 't', optionKey: 'k' }))).toEqual(['x', 'y']);
    expect(why({ d: { o: [{ v: { t: 'x' } }, { v: { t: 'y' } }] } }, f('d.o', { optionText: 'v.t' }))).toEqual(['x', 'y']);
  });
  it('optionTexts() names the real cause of options it cannot read, and the mapping key to fix', () => {
    expect(why({ o: 'x' }, f('o'))).toBe('options field "o" holds text, not a list or an object of options');
    expect(why({ o: [{ letter: 'A', content: 'x' }] }, f('o'))).toBe('options field "o" holds objects: map their text field with fields.optionText (the objects have: letter, content)');
    expect(optionTexts({ o: [{ letter: 'A', content: 'x' }] }, f('o'))).toMatchObject({ field: 'fields.options' });
    expect(why({ o: [{ letter: 'A', content: 'x' }] }, f('o', { optionText: 'text' }))).toBe('fields.optionText "text" is not a field of the option objects (they have: letter, content)');
    expect(why({ o: [{ k: 'B', t: 'x' }, { k: 'A', t: 'y' }] }, f('o', { optionText: 't', optionKey: 'k' }))).toBe('option keys (fields.optionKey "k") are not A, B, C, ... in order');
    expect(why({ o: ['x', 'y'] }, f('o', { optionText: 't' }))).toBe('options field "o" holds text, not objects: remove fields.optionText');
    expect(why({ o: { A: 'x', C: 'y' } }, f('o'))).toBe('option keys are not A, B, C, ... in order');
    expect(why({ a: 'x', b: ['y'] }, f(['a', 'b']))).toBe('option field "b" holds a list, not text');
    expect(why({ o: null }, f('o'))).toBe('no options');
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
    expect(reasons(skips, f)).toEqual({ 'no answer': 1, 'fewer than 2 options': 1, 'options field "opts" holds text, not a list or an object of options': 1 });

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
    await expect(loadGeneric(f, skips, m)).rejects.toThrow(`${f}:1: column "question" (fields.question) not found (the header has: stem, a, b, ans)`);
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
