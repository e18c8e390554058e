import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { bootstrapDiff, bootstrapMacro, bootstrapMean, quantile } from '../../src/eval/bootstrap';

describe('bootstrap', () => {
  it('quantile() interpolates linearly between sorted values', () => {
    expect(quantile([0, 10], 0.5)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4, 5], 1)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  });

  it('bootstrapMean(xs, rng) is seeded: the same seed gives the same interval', () => {
    const xs = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1];
    const a = bootstrapMean(xs, new Rng(7), { resamples: 300 });
    const b = bootstrapMean(xs, new Rng(7), { resamples: 300 });
    expect(a).toEqual(b);
    expect(a.mean).toBeCloseTo(7 / 12);
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(a.n).toBe(12);
  });

  it('bootstrapMean() of a constant has a zero-width interval; of nothing, NaN', () => {
    expect(bootstrapMean([1, 1, 1], new Rng(1))).toMatchObject({ mean: 1, lo: 1, hi: 1 });
    const e = bootstrapMean([], new Rng(1));
    expect(e.n).toBe(0);
    expect(Number.isNaN(e.mean)).toBe(true);
  });

  it('bootstrapMean() narrows with more items and covers roughly the binomial interval', () => {
    const small = bootstrapMean([...Array(10)].map((_, i) => (i < 5 ? 1 : 0)), new Rng(3), { resamples: 2000 });
    const big = bootstrapMean([...Array(400)].map((_, i) => (i < 200 ? 1 : 0)), new Rng(3), { resamples: 2000 });
    expect(big.hi - big.lo).toBeLessThan(small.hi - small.lo);
    // normal approximation: ±1.96·sqrt(0.25/400) ≈ ±0.049
    expect(big.hi - big.lo).toBeGreaterThan(0.08);
    expect(big.hi - big.lo).toBeLessThan(0.115);
  });

  it('bootstrapMacro() averages group means (unweighted) and skips empty groups', () => {
    const r = bootstrapMacro([[1, 1, 1, 1], [0, 0], []], new Rng(2), { resamples: 200 });
    expect(r.mean).toBe(0.5);
    expect(r.lo).toBe(0.5);
    expect(r.n).toBe(6);
  });

  it('bootstrapDiff(a, b) is the paired difference b − a and refuses unpaired inputs', () => {
    const r = bootstrapDiff([0, 0, 1, 0], [1, 1, 1, 0], new Rng(4), { resamples: 200 });
    expect(r.mean).toBe(0.5);
    expect(() => bootstrapDiff([0], [0, 1], new Rng(4))).toThrow(/pair/);
  });
});
