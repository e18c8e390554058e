/**
 * Train/test split. Synthetic items are grouped by their anchor entity and whole groups go to one
 * side, so no test question is a rewording of a training one; the test split also keeps a
 * long-tail slice (items whose anchor is a rare entity), flagged meta.longTail.
 */
import type { KnowledgeGraph } from '../graph/graph';
import type { Rng } from '../core/rng';
import type { Item } from './item';

export interface SplitConfig {
  /** Share of anchor groups held out for test. */
  testShare: number;
  /** Entities with degree ≤ this are the long tail. */
  longTailDegree: number;
  /** Share of the test split that should come from long-tail anchors (when enough exist). */
  longTailTestShare: number;
}

export const splitDefaults: SplitConfig = {
  testShare: 0.2, // share of anchor groups held out
  longTailDegree: 4, // degree ≤ this: long tail
  longTailTestShare: 0.3, // target share of long-tail items in test
};

/** Assigns item.split ('train' | 'test') and meta.longTail; returns the items in input order. */
export function splitItems(items: Item[], g: KnowledgeGraph | undefined, cfg: SplitConfig, rng: Rng): Item[] {
  const groupOf = (it: Item) => (it.meta?.anchor as string | undefined) ?? it.id;
  const groups = new Map<string, Item[]>();
  for (const it of items) {
    const k = groupOf(it);
    const list = groups.get(k);
    if (list) list.push(it);
    else groups.set(k, [it]);
  }
  const isTail = (k: string) => Boolean(g && g.byId.has(k) && g.degree(k) <= cfg.longTailDegree);
  const keys = [...groups.keys()].sort();
  const tail = rng.shuffle(keys.filter(isTail));
  const head = rng.shuffle(keys.filter((k) => !isTail(k)));
  const targetTest = Math.round(cfg.testShare * items.length);
  const targetTail = Math.round(cfg.longTailTestShare * targetTest);
  const test = new Set<string>();
  let nTest = 0;
  let nTail = 0;
  for (const k of tail) {
    if (nTail >= targetTail) break;
    test.add(k);
    nTail += (groups.get(k) as Item[]).length;
    nTest += (groups.get(k) as Item[]).length;
  }
  for (const k of head) {
    if (nTest >= targetTest) break;
    test.add(k);
    nTest += (groups.get(k) as Item[]).length;
  }
  return items.map((it) => {
    const k = groupOf(it);
    return { ...it, split: test.has(k) ? 'test' : 'train', meta: { ...(it.meta ?? {}), longTail: isTail(k) } };
  });
}
