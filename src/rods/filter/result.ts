/**
 * What every RODS filter returns: the items it kept and, for each item it left out, why.
 * Rejected items go to rods/rejected.jsonl, so nothing is dropped silently.
 */
import type { Item } from '../item';

export interface Rejected {
  item: Item;
  /** One short human-readable reason, e.g. 'duplicate options (B = D)'. */
  reason: string;
}

export interface FilterResult {
  kept: Item[];
  rejected: Rejected[];
}

/** Counts of rejections per reason kind (the text before the first ' (' or ':'), sorted by count. */
export function reasonCounts(rejected: readonly Rejected[]): { reason: string; count: number }[] {
  const m = new Map<string, number>();
  for (const r of rejected) {
    const kind = r.reason.split(/ \(|:/)[0];
    m.set(kind, (m.get(kind) ?? 0) + 1);
  }
  return [...m].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
