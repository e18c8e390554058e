/**
 * Train / validation / test split. Synthetic items are grouped by their anchor entity and whole
 * groups go to one side, so no held-out question is a rewording of a training one. The test split
 * holds out groups first (with a long-tail slice: items whose anchor is a rare entity, flagged
 * meta.longTail); the validation split is carved from the groups left for training, the same
 * way and in the same seeded order, so its anchors are disjoint from both train and test and the
 * test split does not depend on it. A held-out split takes at most `longTailMaxOversample` times
 * its share of the long-tail items, so training keeps rare anchors too: on the seed graph the
 * long tail is mostly drugs (mechanism items), and a split that held all of them out left the
 * cold start and both RL stages without a single long-tail anchor (docs/findings.md, sixth
 * session). Stages choose and report their settings on validation; the final evaluation
 * (Table 3, Table 4) reads test.
 */
import type { KnowledgeGraph } from '../graph/graph';
import type { Rng } from '../core/rng';
import type { Item, Split } from './item';

export interface SplitConfig {
  /** Share of the items held out for test (whole anchor groups, until reached). */
  testShare: number;
  /** Share of the items held out for validation (whole anchor groups of the rest, until reached); 0 = none. */
  validationShare: number;
  /** Entities with degree ≤ this are the long tail. */
  longTailDegree: number;
  /** Share of each held-out split that should come from long-tail anchors (when enough exist). */
  longTailTestShare: number;
  /** A held-out split takes at most this many times its share of all long-tail items (the rest stays in train). */
  longTailMaxOversample: number;
}

export const splitDefaults: SplitConfig = {
  testShare: 0.2, // share of items held out for test
  validationShare: 0.1, // share of items held out for validation
  longTailDegree: 4, // degree ≤ this: long tail
  longTailTestShare: 0.3, // target share of long-tail items in test (and in validation)
  longTailMaxOversample: 2, // test takes at most 2 × 20% = 40% of the long-tail items, validation 20%: train keeps ≥ 40%
};

/** The item's anchor group: its anchor entity, or itself (curated items). */
export const groupOf = (it: Item): string => (it.meta?.anchor as string | undefined) ?? it.id;

/**
 * Takes whole groups, long-tail ones first (to `targetTail` items), then the others, each list in
 * its given order, skipping groups already `taken`, until `target` items are held out.
 */
function holdOut(tail: readonly string[], head: readonly string[], size: (k: string) => number, target: number, targetTail: number, taken: Set<string>): Set<string> {
  const out = new Set<string>();
  let n = 0;
  let nTail = 0;
  for (const k of tail) {
    if (taken.has(k)) continue;
    if (nTail >= targetTail) break;
    out.add(k);
    nTail += size(k);
    n += size(k);
  }
  for (const k of head) {
    if (taken.has(k)) continue;
    if (n >= target) break;
    out.add(k);
    n += size(k);
  }
  return out;
}

/** Assigns item.split ('train' | 'validation' | 'test') and meta.longTail; returns the items in input order. */
export function splitItems(items: Item[], g: KnowledgeGraph | undefined, cfg: SplitConfig, rng: Rng): Item[] {
  if (cfg.testShare + cfg.validationShare >= 1) throw new Error(`rods.testShare (${cfg.testShare}) + rods.validationShare (${cfg.validationShare}) must be < 1: nothing would be left to train on`);
  const groups = new Map<string, number>();
  for (const it of items) groups.set(groupOf(it), (groups.get(groupOf(it)) ?? 0) + 1);
  const size = (k: string) => groups.get(k) as number;
  const isTail = (k: string) => Boolean(g && g.byId.has(k) && g.degree(k) <= cfg.longTailDegree);
  const keys = [...groups.keys()].sort();
  const tail = rng.shuffle(keys.filter(isTail));
  const head = rng.shuffle(keys.filter((k) => !isTail(k)));
  const tailItems = tail.reduce((a, k) => a + size(k), 0);
  // long-tail items a held-out split of `share` aims for: its tail share of its size, at most maxOversample × share of them all
  const tailTarget = (share: number) => Math.min(Math.round(cfg.longTailTestShare * share * items.length), Math.floor(cfg.longTailMaxOversample * share * tailItems));
  const test = holdOut(tail, head, size, Math.round(cfg.testShare * items.length), tailTarget(cfg.testShare), new Set());
  const validation = holdOut(tail, head, size, Math.round(cfg.validationShare * items.length), tailTarget(cfg.validationShare), test);
  const splitOf = (k: string): Split => (test.has(k) ? 'test' : validation.has(k) ? 'validation' : 'train');
  return items.map((it) => {
    const k = groupOf(it);
    return { ...it, split: splitOf(k), meta: { ...(it.meta ?? {}), longTail: isTail(k) } };
  });
}

/**
 * The items a stage evaluates to choose or report its settings: the validation split, or, for a
 * run whose items have none (made before validation existed, or rods.validationShare = 0), the
 * test split, with a note saying so.
 */
export function tuningItems(items: readonly Item[]): { split: 'validation' | 'test'; items: Item[]; note?: string } {
  const validation = items.filter((it) => it.split === 'validation');
  if (validation.length) return { split: 'validation', items: validation };
  return { split: 'test', items: items.filter((it) => it.split === 'test'), note: 'the RODS items have no validation split (rods.validationShare = 0, or made before it existed): evaluating on the test split' };
}
