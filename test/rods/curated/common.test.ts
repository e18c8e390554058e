import { describe, expect, it } from 'vitest';
import { InputError, SkipReport } from '../../../src/core/io';
import { parseLenient, quirksOf, readJsonlLenient, toItem, type RawItem } from '../../../src/rods/curated/common';
import { fixture, jsonl } from './helpers';

const raw = (over: Partial<RawItem> = {}): RawItem => ({
  origin: 'x',
  originalId: 7,
  question: ' Q? ',
  options: ['a', ' b '],
  answer: 'b',
  ...over,
});

describe('parseLenient', () => {
  it('parseLenient() reads bare NaN and Infinity as null but leaves "NaN" inside strings alone', () => {
    expect(parseLenient('{"a": NaN, "b": "NaN here", "c": -Infinity, "d": 1}')).toEqual({ a: null, b: 'NaN here', c: null, d: 1 });
    expect(parseLenient('{"a": "say \\"NaN\\"", "b": NaN}')).toEqual({ a: 'say "NaN"', b: null });
    expect(parseLenient('{"a": ')).toBeUndefined();
  });
});

describe('readJsonlLenient', () => {
  it('readJsonlLenient() counts every non-blank line read and skips bad JSON with its line', async () => {
    const f = fixture('a.jsonl', jsonl([{ a: 1 }, '{"a": NaN}', '', 'not json', { a: 4 }]));
    const skips = new SkipReport();
    const rows = [];
    for await (const r of readJsonlLenient(f, skips)) rows.push(r);
    expect(rows).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { a: null }, line: 2 },
      { value: { a: 4 }, line: 5 },
    ]);
    expect(skips.readCounts()[f]).toBe(4);
    expect(skips.rows()).toEqual([{ file: f, reason: 'invalid JSON', count: 1, exampleLines: [4] }]);
  });

  it('readJsonlLenient() throws for a missing file', async () => {
    const it = readJsonlLenient('/nonexistent/x.jsonl', new SkipReport());
    await expect(it.next()).rejects.toThrow('no such file');
  });
});

describe('toItem', () => {
  it('toItem() trims, letters the options A.. and builds a stable id', () => {
    const skips = new SkipReport();
    const item = toItem(raw({ meta: { subject: 's' } }), 'f', 3, skips, new Set());
    expect(item).toEqual({
      id: 'x-7',
      origin: 'x',
      question: 'Q?',
      options: { A: 'a', B: 'b' },
      answer: 'B',
      type: 'curated',
      meta: { originalId: 7, line: 3, subject: 's' },
    });
  });

  it('toItem() counts each invalid record under its reason, with file and line', () => {
    const skips = new SkipReport();
    const seen = new Set<string>();
    const cases: [Partial<RawItem>, string][] = [
      [{ question: '  ' }, 'empty question'],
      [{ options: ['only'] }, 'fewer than 2 options'],
      [{ options: 'abcdefghijklmnopqrstuvwxyz0'.split('') }, 'more than 26 options'],
      [{ options: ['a', ''] }, 'empty option'],
      [{ answer: undefined }, 'no answer'],
      [{ answer: 'C' }, 'answer not among options'],
    ];
    cases.forEach(([over], i) => expect(toItem(raw(over), 'f.jsonl', i + 1, skips, seen)).toBeNull());
    expect(toItem(raw(), 'f.jsonl', 10, skips, seen)).not.toBeNull();
    expect(toItem(raw(), 'f.jsonl', 11, skips, seen)).toBeNull();
    const got = Object.fromEntries(skips.rows().map((r) => [r.reason, r.exampleLines]));
    for (const [i, [, reason]] of cases.entries()) expect(got[reason]).toEqual([i + 1]);
    expect(got['duplicate id']).toEqual([11]);
    expect(skips.total()).toBe(7);
  });

  it('toItem() throws an InputError naming file and line under a strict SkipReport', () => {
    expect(() => toItem(raw({ answer: 'Z' }), 'f.jsonl', 5, new SkipReport(true), new Set())).toThrow(InputError);
    expect(() => toItem(raw({ answer: 'Z' }), 'f.jsonl', 5, new SkipReport(true), new Set())).toThrow('f.jsonl:5');
  });

  it('toItem() keeps items with repeated option texts and notes the quirk', () => {
    const item = toItem(raw({ options: ['m', 'm', 'k'], answer: 'A' }), 'f', 1, new SkipReport(), new Set());
    expect(item?.meta?.quirks).toEqual(['duplicate options', 'answer text repeated in another option']);
  });
});

describe('quirksOf', () => {
  it('quirksOf() flags duplicates only when texts are identical (case matters, as in genetics)', () => {
    expect(quirksOf(['Bb', 'bb', 'BB'], 0)).toEqual([]);
    expect(quirksOf(['x', 'y', 'y'], 0)).toEqual(['duplicate options']);
  });
});
