/**
 * Distractor ranking: candidates scored by how much of the answer's context they share, grouped
 * by score, and the best taken with ties broken at random.
 */
import type { Rng } from '../../core/rng';
import type { NodeType } from '../../graph/schema';
import type { GraphFacts } from './facts';
import { ownTests } from './paths';
import { contraDrugs, directDrugs } from './sample';

/** Candidates grouped by score: [score, ids (sorted)], highest score first. */
export type Buckets = readonly (readonly [number, readonly string[]])[];

/** Distractor candidates kept per draft (the best-scored, ties at random). */
export const RANK_TOP = 48;

/** Adds `by` to the score of `id`. */
export function addScore(m: Map<string, number>, id: string, by: number): void {
  m.set(id, (m.get(id) ?? 0) + by);
}

/** Groups candidate → score into buckets, highest score first. */
export function toBuckets(scores: ReadonlyMap<string, number>): Buckets {
  const by = new Map<number, string[]>();
  for (const [id, s] of scores) {
    const l = by.get(s);
    if (l) l.push(id);
    else by.set(s, [id]);
  }
  return [...by].sort((a, b) => b[0] - a[0]).map(([s, ids]) => [s, ids.sort()] as const);
}

/** The best `m` candidates: whole buckets in order, each shuffled, the last one sampled. */
export function takeTop(buckets: Buckets, m: number, rng: Rng): string[] {
  const out: string[] = [];
  for (const [, ids] of buckets) {
    const need = m - out.length;
    if (need <= 0) break;
    const k = Math.min(need, ids.length);
    const swapped = new Map<number, number>(); // partial Fisher–Yates without copying the bucket
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(ids.length - i);
      const vj = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      out.push(ids[vj]);
    }
  }
  return out;
}

/** Orders candidate → score by score (descending), ties broken at random, keeping the best `m`. */
export function rankByScore(scores: ReadonlyMap<string, number>, rng: Rng, m = RANK_TOP): string[] {
  return takeTop(toBuckets(scores), m, rng);
}

/** Test candidates from diseases that resemble `d`, scored by resemblance. */
export function testCandidates(f: GraphFacts, d: string, type: NodeType, rng: Rng): string[] {
  const b = f.cached(`testCand|${type}`, d, () => {
    const m = new Map<string, number>();
    for (const [o, n] of f.similarDiseases(d)) for (const t of ownTests(f, o)) if (f.node(t).type === type) addScore(m, t, n);
    return toBuckets(m);
  });
  return takeTop(b, RANK_TOP, rng);
}

/** Drug candidates: drugs for resembling diseases, plus drugs contraindicated in `d` (a classic trap). */
export function drugCandidates(f: GraphFacts, d: string, rng: Rng): string[] {
  const b = f.cached('drugCand', d, () => {
    const m = new Map<string, number>();
    for (const [o, n] of f.similarDiseases(d)) for (const x of directDrugs(f, o)) addScore(m, x, n);
    for (const x of contraDrugs(f, d)) addScore(m, x, 2);
    return toBuckets(m);
  });
  return takeTop(b, RANK_TOP, rng);
}
