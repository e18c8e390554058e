import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';
import type { Item } from '../../../src/rods/item';
import { maxTotalAt, mixItems } from '../../../src/rods/curated/mix';

const make = (origin: string, n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${origin}-${i}`, origin, question: `q${i}`, options: { A: 'a', B: 'b' }, answer: 'A', type: origin === 'synthetic' ? 'diagnosis' : 'curated' }));
const syn = make('synthetic', 100);
const cur = make('medqa', 40);
const ids = (xs: Item[]) => xs.map((i) => i.id);

describe('mixItems', () => {
  it('mixItems() hits the curated share exactly for a requested total, without repeats', () => {
    const r = mixItems(syn, cur, 0.3, new Rng(1), { total: 50 });
    expect(r.items).toHaveLength(50);
    expect(r.items.filter((i) => i.origin === 'medqa')).toHaveLength(15);
    expect(r.curated).toBe(15);
    expect(r.synthetic).toBe(35);
    expect(r.ratio).toBeCloseTo(0.3);
    expect(new Set(ids(r.items)).size).toBe(50);
  });

  it('mixItems() is deterministic for a seed and differs across seeds', () => {
    const a = mixItems(syn, cur, 0.25, new Rng(7), { total: 40 });
    const b = mixItems(syn, cur, 0.25, new Rng(7), { total: 40 });
    const c = mixItems(syn, cur, 0.25, new Rng(8), { total: 40 });
    expect(ids(a.items)).toEqual(ids(b.items));
    expect(ids(a.items)).not.toEqual(ids(c.items));
  });

  it('mixItems() without a total returns the largest mix that keeps the ratio', () => {
    expect(maxTotalAt(0.5, 100, 40)).toBe(80);
    const r = mixItems(syn, cur, 0.5, new Rng(1));
    expect([r.curated, r.synthetic]).toEqual([40, 40]);
    expect(mixItems(syn, cur, 0.3, new Rng(1)).items).toHaveLength(133); // 40 / 0.3 = 133.3 → 40 + 93
    expect(mixItems(syn, cur, 0, new Rng(1)).curated).toBe(0);
    expect(mixItems(syn, cur, 1, new Rng(1)).items).toHaveLength(40);
  });

  it('mixItems() when one kind runs short: shrink keeps the ratio, fill keeps the total, error throws', () => {
    const shrink = mixItems(syn, cur, 0.5, new Rng(1), { total: 120 });
    expect([shrink.curated, shrink.synthetic]).toEqual([40, 40]);
    const fill = mixItems(syn, cur, 0.5, new Rng(1), { total: 120, shortfall: 'fill' });
    expect([fill.curated, fill.synthetic]).toEqual([40, 80]);
    const all = mixItems(syn, cur, 0.5, new Rng(1), { total: 1000, shortfall: 'fill' });
    expect(all.items).toHaveLength(140);
    expect(() => mixItems(syn, cur, 0.5, new Rng(1), { total: 120, shortfall: 'error' })).toThrow('need 60 curated and 60 synthetic; have 40 and 100');
    expect(mixItems([], cur, 0.5, new Rng(1)).items).toEqual([]);
  });

  it('mixItems() rejects a ratio outside [0, 1] and a bad total', () => {
    expect(() => mixItems(syn, cur, 1.5, new Rng(1))).toThrow('ratio must be in [0, 1]');
    expect(() => mixItems(syn, cur, 0.5, new Rng(1), { total: -1 })).toThrow('total must be a non-negative integer');
  });
});
