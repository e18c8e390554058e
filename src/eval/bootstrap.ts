/**
 * Percentile bootstrap confidence intervals for accuracies (pure, seeded): resample items with
 * replacement `resamples` times, take the mean each time, report the (1−level)/2 and (1+level)/2
 * quantiles. A macro average resamples each benchmark independently and averages the means.
 */
import type { Rng } from '../core/rng';

export interface Interval {
  /** The point estimate on the original data. */
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface BootstrapOptions {
  /** Bootstrap resamples. */
  resamples: number;
  /** Coverage of the interval (0.95 = 95%). */
  level: number;
}

export const bootstrapDefaults: BootstrapOptions = { resamples: 1000, level: 0.95 };

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Quantile q of sorted values (linear interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

function resampleMean(xs: readonly number[], rng: Rng): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)];
  return s / xs.length;
}

/** CI of the mean of per-item scores (0/1 or fractions). Empty input: NaN bounds, n 0. */
export function bootstrapMean(xs: readonly number[], rng: Rng, options: Partial<BootstrapOptions> = {}): Interval {
  const o = { ...bootstrapDefaults, ...options };
  if (!xs.length) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const means: number[] = [];
  for (let r = 0; r < o.resamples; r++) means.push(resampleMean(xs, rng));
  means.sort((a, b) => a - b);
  return { mean: mean(xs), lo: quantile(means, (1 - o.level) / 2), hi: quantile(means, (1 + o.level) / 2), n: xs.length };
}

/** CI of the unweighted average of group means (groups resampled independently; empty groups ignored). */
export function bootstrapMacro(groups: readonly (readonly number[])[], rng: Rng, options: Partial<BootstrapOptions> = {}): Interval {
  const o = { ...bootstrapDefaults, ...options };
  const gs = groups.filter((g) => g.length > 0);
  const n = gs.reduce((a, g) => a + g.length, 0);
  if (!gs.length) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const means: number[] = [];
  for (let r = 0; r < o.resamples; r++) means.push(mean(gs.map((g) => resampleMean(g, rng))));
  means.sort((a, b) => a - b);
  return { mean: mean(gs.map(mean)), lo: quantile(means, (1 - o.level) / 2), hi: quantile(means, (1 + o.level) / 2), n };
}

/**
 * CI of the paired difference mean(b) − mean(a) over the same items (resampling item indices),
 * for ΔAvg between two stages. a and b must have equal length.
 */
export function bootstrapDiff(a: readonly number[], b: readonly number[], rng: Rng, options: Partial<BootstrapOptions> = {}): Interval {
  if (a.length !== b.length) throw new Error(`bootstrapDiff: ${a.length} vs ${b.length} items (pair the same items)`);
  return bootstrapMean(a.map((x, i) => b[i] - x), rng, options);
}
