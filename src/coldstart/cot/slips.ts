/**
 * The graph teacher's first drafts are fallible, more so on hard items: clues dropped, the
 * linking hop of a chain missed, anchoring on the distractor sharing the most context, a
 * malformed ending (see the graphTeacher.ts comment for the probabilities).
 */
import type { Rng } from '../../core/rng';
import type { Item } from '../../rods/item';
import type { Plan, TeacherParts } from './plan';
import { relationHolds } from './trace';

/** The plan of a first draft at hardness `h`, its slips drawn from `rng` (drops, missed hop, format slip, anchoring). */
export function draftPlan(t: TeacherParts, item: Item, h: number, rng: Rng): Plan {
  const o = t.options;
  const clues = t.query(item).clues ?? [];
  const pDrop = o.dropBase + o.dropSlope * h;
  let used = clues.filter(() => rng.next() >= pDrop);
  if (!used.length && clues.length) used = [rng.pick(clues)];
  const chainLen = t.chain(item).length;
  const plan: Plan = {
    used,
    hopDropped: chainLen >= 2 && rng.next() < o.hopSlope * h,
    hypothesis: null,
    anchored: false,
    subject: null,
    excluded: [],
    formatSlip: rng.next() < o.formatSlip,
    notes: [],
  };
  if (rng.next() < o.anchorBase + o.anchorSlope * h) {
    plan.hypothesis = anchorCandidate(t, item, rng);
    plan.anchored = true;
  }
  return plan;
}

/** The distractor sharing the most context with the item (anchoring). */
function anchorCandidate(t: TeacherParts, item: Item, rng: Rng): string {
  const q = t.query(item);
  const ids = t.optionIds(item);
  const wrong = Object.keys(ids).sort().filter((l) => l !== item.answer).map((l) => ids[l]);
  const subject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
  const score = (x: string): number => {
    if (q.ask === 'disease') return (q.clues ?? []).filter((c) => t.f.features(x).has(c)).length;
    if (!subject) return 0;
    return t.f.similarDiseases(t.f.node(subject).type === 'disease' ? subject : x).filter(([d]) => t.f.node(d).type === 'disease' && relationHolds(t.graph, ...t.linkArgs(q.ask, d, x))).length;
  };
  const s = wrong.map(score);
  const best = Math.max(...s);
  return rng.pick(wrong.filter((_, i) => s[i] === best));
}
