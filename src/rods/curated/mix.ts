/**
 * Public/synthetic mixing (RODS curation): synthetic graph items and curated benchmark items are
 * combined at a set curated share, drawn and shuffled with a seeded Rng so that the same inputs and
 * seed always give the same list.
 */
import type { Rng } from '../../core/rng';
import type { Item } from '../item';

export interface MixOptions {
  /** Items wanted in the result; default: as many as the inputs allow at the exact ratio. */
  total?: number;
  /**
   * When one kind runs short of `total`: 'shrink' (default) keeps the ratio and returns fewer
   * items; 'fill' keeps the total, topping up with the other kind (the ratio then drifts);
   * 'error' throws.
   */
  shortfall: 'shrink' | 'fill' | 'error';
}

export const defaults: MixOptions = { shortfall: 'shrink' };

export interface MixResult {
  items: Item[];
  curated: number;
  synthetic: number;
  /** Curated share actually reached (curated / items.length; 0 for an empty result). */
  ratio: number;
}

/** The largest total for which both kinds suffice at curated share `ratio`. */
export function maxTotalAt(ratio: number, nSynthetic: number, nCurated: number): number {
  if (ratio === 0) return nSynthetic;
  if (ratio === 1) return nCurated;
  return Math.min(Math.floor(nSynthetic / (1 - ratio) + 1e-9), Math.floor(nCurated / ratio + 1e-9));
}

/**
 * Mixes synthetic and curated items so that `ratio` of the result is curated (0 ≤ ratio ≤ 1).
 * Each kind is sampled without replacement (no item repeats), then the whole list is shuffled.
 * Not enough items of one kind: see `MixOptions.shortfall`; with no `total`, the result is the
 * largest mix that keeps the ratio exactly (e.g. 100 synthetic + 10 curated at 0.5 → 10 + 10).
 */
export function mixItems(
  synthetic: readonly Item[],
  curated: readonly Item[],
  ratio: number,
  rng: Rng,
  opts: Partial<MixOptions> = {},
): MixResult {
  const o: MixOptions = { ...defaults, ...opts };
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`mixItems: ratio must be in [0, 1], got ${ratio}`);
  if (o.total !== undefined && !(Number.isInteger(o.total) && o.total >= 0))
    throw new Error(`mixItems: total must be a non-negative integer, got ${o.total}`);
  const S = synthetic.length;
  const C = curated.length;
  const fit = maxTotalAt(ratio, S, C);
  const want = o.total ?? fit;
  let nC: number;
  let nS: number;
  if (want <= fit) {
    nC = Math.min(C, Math.round(want * ratio));
    nS = Math.min(S, want - nC);
  } else if (o.shortfall === 'error') {
    throw new Error(`mixItems: ${want} items at curated share ${ratio} need ${Math.round(want * ratio)} curated and ${want - Math.round(want * ratio)} synthetic; have ${C} and ${S}`);
  } else if (o.shortfall === 'fill') {
    nC = Math.min(C, Math.round(want * ratio));
    nS = Math.min(S, want - nC);
    nC = Math.min(C, want - nS);
  } else {
    nC = Math.min(C, Math.round(fit * ratio));
    nS = Math.min(S, fit - nC);
  }
  const pickC = rng.fork('curated').sample(curated, nC);
  const pickS = rng.fork('synthetic').sample(synthetic, nS);
  const items = rng.fork('order').shuffle([...pickC, ...pickS]);
  return { items, curated: nC, synthetic: nS, ratio: items.length ? nC / items.length : 0 };
}
