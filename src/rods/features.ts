/**
 * Graph features of a synthetic item, used by the graph difficulty signal, and a simulated
 * reference model whose empirical pass rate is the third difficulty signal when no real model or
 * LLM is configured.
 */
import type { KnowledgeGraph } from '../graph/graph';
import type { Rng } from '../core/rng';
import type { Item } from './item';
import type { SynthQuery } from './synth/config';
import { solveItem } from './synth/solve';
import type { GraphFeatures } from './difficulty';

function neighbours(g: KnowledgeGraph, id: string): Set<string> {
  const out = new Set<string>();
  for (const e of g.out.get(id) ?? []) out.add(e.target);
  for (const e of g.in.get(id) ?? []) out.add(e.source);
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * hops: reasoning steps from the clues to the answer (1 for single-relation items);
 * minDegree: degree of the rarest of the item's anchor and answer entities;
 * distractorOverlap: neighbourhood Jaccard between the answer and its closest distractor
 * (how much the best wrong option looks like the right one).
 */
export function itemGraphFeatures(g: KnowledgeGraph, item: Item): GraphFeatures {
  const ids = (item.meta?.optionIds ?? {}) as Record<string, string>;
  const answerId = ids[item.answer];
  const anchor = item.meta?.anchor as string | undefined;
  const degs = [anchor, answerId].filter((x): x is string => Boolean(x) && g.byId.has(x as string)).map((x) => g.degree(x));
  let overlap = 0;
  if (answerId && g.byId.has(answerId)) {
    const na = neighbours(g, answerId);
    for (const [l, id] of Object.entries(ids)) if (l !== item.answer && g.byId.has(id)) overlap = Math.max(overlap, jaccard(na, neighbours(g, id)));
  }
  return { hops: item.hops ?? 1, minDegree: degs.length ? Math.min(...degs) : 0, distractorOverlap: overlap };
}

/**
 * A simulated reference model: it knows a fact about an entity with probability
 * degree / (degree + halfDegree) — rare entities are known less, the premise of the paper's
 * long-tail sampling — and answers from what it knows, guessing among the options that remain.
 * Returns the letter it answers for one sample.
 */
export function referenceAnswer(g: KnowledgeGraph, item: Item, rng: Rng, halfDegree = 6): string {
  const q = item.meta?.query as SynthQuery | undefined;
  const letters = Object.keys(item.options);
  if (!q) return rng.pick(letters);
  const know = (id: string) => {
    const d = g.byId.has(id) ? g.degree(id) : 0;
    return rng.next() < d / (d + halfDegree);
  };
  let reduced: SynthQuery = q;
  if (q.clues && q.clues.length) {
    const kept = q.clues.filter(know);
    reduced = { ...q, clues: kept };
    if (q.given === undefined && kept.length === 0) return rng.pick(letters);
  } else if (q.given && !know(q.given)) {
    return rng.pick(letters);
  }
  const sol = solveItem(g, { ...item, meta: { ...item.meta, query: reduced } });
  const pool = sol.candidates.length ? sol.candidates : letters;
  return pool.length === 1 ? pool[0] : rng.pick(pool);
}
