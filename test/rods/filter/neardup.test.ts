import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';
import type { Item } from '../../../src/rods/item';
import { itemText, jaccard, minhash, nearDuplicates, normalizeText, shingles } from '../../../src/rods/filter/neardup';

const mk = (id: string, question: string, options: Record<string, string> = { A: 'Pneumonia', B: 'Asthma', C: 'Gout', D: 'Migraine' }): Item => ({
  id,
  origin: 'synthetic',
  question,
  options,
  answer: 'A',
  type: 'diagnosis',
});

const Q = 'A 45-year-old man presents with fever, productive cough and pleuritic chest pain for three days. Which is the most likely diagnosis?';

describe('normalizeText', () => {
  const cases: [string, string][] = [
    ['Ménière’s  DISEASE!', 'meniere s disease'],
    ['A 45-year-old, BP 120/80.', 'a 45 year old bp 120 80'],
    ['患者发热', '患 者 发 热'],
    ['  ', ''],
  ];
  for (const [input, want] of cases) it(`normalizeText(${JSON.stringify(input)}) → ${JSON.stringify(want)}`, () => expect(normalizeText(input)).toBe(want));
});

describe('shingles / jaccard / minhash', () => {
  it('shingles() is case- and punctuation-insensitive and sorted distinct', () => {
    const a = shingles('The cat sat on the mat');
    expect(a.length).toBe(4);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(Array.from(shingles('the CAT, sat on... the mat!'))).toEqual(Array.from(a));
    expect(shingles('two words').length).toBe(1);
    expect(shingles('').length).toBe(0);
  });

  it('jaccard() counts shared shingles over the union', () => {
    expect(jaccard(new Uint32Array([1, 2, 3, 4]), new Uint32Array([3, 4, 5]))).toBeCloseTo(2 / 5, 12);
    expect(jaccard(new Uint32Array([1]), new Uint32Array([1]))).toBe(1);
    expect(jaccard(new Uint32Array([]), new Uint32Array([]))).toBe(1);
    expect(jaccard(new Uint32Array([1]), new Uint32Array([]))).toBe(0);
  });

  it('minhash() agreement share estimates Jaccard', () => {
    const a = shingles(Q);
    const b = shingles(Q.replace('three days', 'two weeks'));
    const sa = minhash(a, 256);
    const sb = minhash(b, 256);
    let same = 0;
    for (let i = 0; i < 256; i++) if (sa[i] === sb[i]) same++;
    expect(Math.abs(same / 256 - jaccard(a, b))).toBeLessThan(0.1);
  });

  it('itemText() ignores option order', () => {
    expect(itemText(mk('a', Q, { A: 'X', B: 'Y' }))).toBe(itemText(mk('b', Q, { A: 'y', B: 'x' })));
    expect(itemText(mk('a', Q), 'question')).toBe(Q);
  });
});

describe('nearDuplicates', () => {
  it('nearDuplicates() keeps the first of each group and names it in the reason', () => {
    const items = [
      mk('q1', Q),
      mk('q2', 'A 60-year-old woman has joint pain in the big toe at night. Which is the most likely diagnosis?'),
      mk('q1-copy', Q.toUpperCase().replace(/\?/g, ' ?!')),
      mk('q1-reordered', Q, { A: 'Asthma', B: 'Pneumonia', C: 'Migraine', D: 'Gout' }),
      mk('q1-otheroptions', Q, { A: 'Tuberculosis', B: 'Lung cancer', C: 'Sarcoidosis', D: 'Pulmonary embolism' }),
    ];
    const r = nearDuplicates(items);
    expect(r.kept.map((i) => i.id)).toEqual(['q1', 'q2', 'q1-otheroptions']);
    expect(r.rejected.map((x) => [x.item.id, x.reason])).toEqual([
      ['q1-copy', 'near-duplicate of q1 (Jaccard 1.00)'],
      ['q1-reordered', 'near-duplicate of q1 (Jaccard 1.00)'],
    ]);
  });

  it('nearDuplicates() with fields "question" also merges items whose options differ', () => {
    const r = nearDuplicates([mk('a', Q), mk('b', Q, { A: 'Tuberculosis', B: 'Lung cancer' })], { fields: 'question' });
    expect(r.kept.map((i) => i.id)).toEqual(['a']);
  });

  it('nearDuplicates() applies the threshold to the exact Jaccard', () => {
    const a = mk('a', Q, {});
    const b = mk('b', Q.replace('pleuritic', 'sharp'), {}); // one word changed → 3 shingles of ~20 differ
    const sim = jaccard(shingles(itemText(a)), shingles(itemText(b)));
    expect(sim).toBeGreaterThan(0.7);
    expect(sim).toBeLessThan(0.8);
    expect(nearDuplicates([a, b]).kept).toHaveLength(2);
    expect(nearDuplicates([a, b], { threshold: 0.7 }).kept.map((i) => i.id)).toEqual(['a']);
  });

  it('nearDuplicates() with `order` keeps the preferred item of a group, output still in input order', () => {
    const items = [mk('synthetic-1', Q), mk('medqa-1', Q)];
    items[1].origin = 'medqa';
    const r = nearDuplicates(items, { order: (x, y) => Number(x.origin === 'synthetic') - Number(y.origin === 'synthetic') });
    expect(r.kept.map((i) => i.id)).toEqual(['medqa-1']);
    expect(r.rejected[0].reason).toBe('near-duplicate of medqa-1 (Jaccard 1.00)');
  });

  it('nearDuplicates() compares with kept items only, so a chain a~b~c keeps a and c', () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const a = words.join(' ');
    const b = words.map((w, i) => (i === 10 ? 'x' : w)).join(' ');
    const c = words.map((w, i) => (i === 10 ? 'x' : i === 20 ? 'y' : i === 25 ? 'z' : w)).join(' ');
    const items = [mk('a', a, {}), mk('b', b, {}), mk('c', c, {})];
    const sim = (x: string, y: string) => jaccard(shingles(x), shingles(y));
    expect(sim(a, b)).toBeCloseTo(25 / 31, 12); // 28 shingles, one word kills 3
    expect(sim(b, c)).toBeCloseTo(22 / 34, 12);
    expect(sim(a, c)).toBeCloseTo(19 / 37, 12);
    const r = nearDuplicates(items, { threshold: 0.6 });
    expect(nearDuplicates(items, { threshold: 0.6, method: 'minhash' })).toEqual(r);
    expect(r.kept.map((i) => i.id)).toEqual(['a', 'c']);
  });

  it('nearDuplicates() with either method equals a brute-force greedy pass over all kept items', () => {
    const rng = new Rng(3);
    const vocab = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const bases = Array.from({ length: 6 }, () => Array.from({ length: 20 }, () => rng.pick(vocab)));
    // 300 variants of 6 base texts with 0–4 random word substitutions: many pairs near the threshold
    const items = Array.from({ length: 300 }, (_, i) => {
      const words = rng.pick(bases).slice();
      for (let e = rng.int(5); e > 0; e--) words[rng.int(words.length)] = rng.pick(vocab);
      return mk(`v${i}`, words.join(' '), {});
    });
    const sh = items.map((it) => shingles(itemText(it)));
    const keptIdx: number[] = [];
    const want: string[] = [];
    let inexact = 0;
    items.forEach((it, i) => {
      let best = -1;
      let bestSim = -1;
      for (const k of keptIdx) {
        const sim = jaccard(sh[i], sh[k]);
        if (sim >= 0.8 && sim > bestSim) [best, bestSim] = [k, sim];
      }
      if (best < 0) keptIdx.push(i);
      else {
        want.push(`${it.id}>${items[best].id}`);
        if (bestSim < 1) inexact++;
      }
    });
    expect(want.length).toBeGreaterThan(50);
    expect(inexact).toBeGreaterThan(10);
    const got = (method: 'prefix' | 'minhash') => nearDuplicates(items, { method }).rejected.map((x) => `${x.item.id}>${/of (\S+)/.exec(x.reason)![1]}`);
    expect(got('prefix')).toEqual(want);
    expect(got('minhash')).toEqual(want);
  });

  it('nearDuplicates() rejects a bad band split', () => {
    expect(() => nearDuplicates([], { numHashes: 64, bands: 10 })).toThrow(/multiple of bands/);
    expect(() => nearDuplicates([], { threshold: 0 })).toThrow(/threshold/);
  });

  it('nearDuplicates() treats empty texts as duplicates of each other', () => {
    const r = nearDuplicates([mk('e1', '?!', {}), mk('x', Q), mk('e2', '...', {})]);
    expect(r.rejected.map((x) => [x.item.id, x.reason])).toEqual([['e2', 'near-duplicate of e1 (Jaccard 1.00)']]);
  });

  it('nearDuplicates() on 20,000 items finds every planted duplicate', () => {
    const rng = new Rng(42);
    const vocab = Array.from({ length: 3000 }, (_, i) => `tok${i.toString(36)}`);
    const items: Item[] = [];
    for (let i = 0; i < 19_000; i++) {
      const q = Array.from({ length: 25 + rng.int(20) }, () => rng.pick(vocab)).join(' ');
      const opts = { A: rng.pick(vocab), B: rng.pick(vocab), C: rng.pick(vocab), D: rng.pick(vocab) };
      items.push(mk(`u${i}`, q + '?', opts));
    }
    // 1,000 near copies: case and punctuation changed, options reordered, one word inserted
    const planted = new Set<string>();
    for (let j = 0; j < 1000; j++) {
      const src = items[rng.int(19_000)];
      const o = src.options;
      const id = `dup${j}`;
      planted.add(id);
      items.push(mk(id, src.question.toUpperCase().replace('?', ', exactly?'), { A: o.D, B: o.C, C: o.B, D: o.A }));
    }
    const order = rng.shuffle(items.slice(19_000).map((_, j) => j));
    const shuffled = items.slice(0, 19_000).concat(order.map((j) => items[19_000 + j]));
    const t0 = performance.now();
    const r = nearDuplicates(shuffled);
    const ms = performance.now() - t0;
    console.log(`nearDuplicates: 20,000 items in ${ms.toFixed(0)} ms; ${r.rejected.length} rejected`);
    const rejectedIds = new Set(r.rejected.map((x) => x.item.id));
    for (const id of planted) expect(rejectedIds.has(id)).toBe(true);
    expect(r.kept.length + r.rejected.length).toBe(20_000);
    // the random originals (25–44 words from 3,000) are essentially never near-duplicates of each other
    expect([...rejectedIds].filter((id) => !planted.has(id)).length).toBeLessThanOrEqual(5);
  });
});

describe('nearDuplicates on templated text', () => {
  it('nearDuplicates() on 20,000 templated items (shared stems, different clues) flags only the real copy', () => {
    const rng = new Rng(1);
    const finds = Array.from({ length: 400 }, (_, i) => `finding${i}`);
    const dis = Array.from({ length: 300 }, (_, i) => `disease${i}`);
    const stems = [
      (a: string[]) => `A ${20 + rng.int(60)}-year-old patient presents with ${a[0]}, ${a[1]} and ${a[2]}. Which of the following is the most likely diagnosis?`,
      (a: string[]) => `A patient has ${a[0]} and ${a[1]}; laboratory tests show ${a[2]}. Which test best confirms the diagnosis?`,
    ];
    const items = Array.from({ length: 20_000 }, (_, i) => {
      const o = rng.sample(dis, 4);
      return mk(`t${i}`, rng.pick(stems)(rng.sample(finds, 3)), { A: o[0], B: o[1], C: o[2], D: o[3] });
    });
    items.push({ ...items[7], id: 'copy-of-t7' });
    const t0 = performance.now();
    const r = nearDuplicates(items);
    const ms = performance.now() - t0;
    console.log(`nearDuplicates (templated): 20,001 items in ${ms.toFixed(0)} ms; ${r.rejected.length} rejected`);
    expect(r.rejected.map((x) => x.reason)).toEqual(['near-duplicate of t7 (Jaccard 1.00)']);
  });
});
