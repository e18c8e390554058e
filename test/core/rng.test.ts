import { describe, expect, it } from 'vitest';
import { Rng, hashString } from '../../src/core/rng';

describe('Rng', () => {
  it('new Rng(seed) gives the same stream for the same seed and a different one for another', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    const xb = Array.from({ length: 8 }, () => b.nextUint32());
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('next() is uniform in [0,1): mean ≈ 0.5 and every decile is hit', () => {
    const r = new Rng('uniform');
    const bins = new Array(10).fill(0);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      bins[Math.floor(x * 10)] += 1;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
    for (const b of bins) expect(b).toBeGreaterThan(1700);
  });

  it('state() and Rng.fromState() resume the stream exactly', () => {
    const r = new Rng(7);
    r.next();
    const saved = r.state();
    const expected = [r.next(), r.next(), r.int(100)];
    const resumed = Rng.fromState(saved);
    expect([resumed.next(), resumed.next(), resumed.int(100)]).toEqual(expected);
  });

  it('weighted() follows the weights and never picks a zero weight', () => {
    const r = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 9000; i++) counts[r.weighted([1, 0, 2])] += 1;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(1.7);
    expect(counts[2] / counts[0]).toBeLessThan(2.3);
    expect(() => r.weighted([0, 0])).toThrow(/positive sum/);
  });

  it('shuffle() permutes without losing elements; sample() gives distinct elements', () => {
    const r = new Rng(3);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const s = r.shuffle(xs);
    expect([...s].sort((a, b) => a - b)).toEqual(xs);
    expect(s).not.toEqual(xs);
    const k = r.sample(xs, 10);
    expect(new Set(k).size).toBe(10);
  });

  it('int() rejects a non-positive bound', () => {
    expect(() => new Rng(0).int(0)).toThrow(/positive integer/);
  });

  it('hashString() is the FNV-1a hash', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });
});
