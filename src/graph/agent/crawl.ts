/**
 * The agent's breadth-first frontier in memory: the current level in order (and by key), the
 * next level by key, and the running counts that batch records add to.
 */
import type { BatchRecord, FrontierEntry } from './state';

/** The crawl in memory: the current BFS level in order (and by key), the next level by key. */
export class Crawl {
  current: FrontierEntry[] = [];
  currentByKey = new Map<string, FrontierEntry>();
  next = new Map<string, FrontierEntry>();
  readonly enqueued = new Set<string>();
  readonly expanded = new Set<string>();
  skipped: Record<string, number> = {};
  duplicates = 0;
  batches = 0;

  constructor(seeds: string[]) {
    for (const key of [...new Set(seeds.map((s) => `wp:${s.trim()}`))].sort()) {
      this.next.set(key, { key, depth: 0, via: [] });
      this.enqueued.add(key);
    }
  }

  pending(): number {
    return this.current.length + this.next.size;
  }

  /** A pending entry by key, if any. */
  pendingEntry(key: string): FrontierEntry | undefined {
    return this.next.get(key) ?? this.currentByKey.get(key);
  }

  /** Moves to the next BFS level (sorted by key) when the current one is used up. */
  ensureLevel(): void {
    if (this.current.length || !this.next.size) return;
    this.current = [...this.next.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.currentByKey = new Map(this.current.map((e) => [e.key, e]));
    this.next = new Map();
  }

  /** The next batch: the first `n` entries of the current level. */
  batch(n: number): FrontierEntry[] {
    this.ensureLevel();
    return this.current.slice(0, n);
  }

  /** Applies a batch record (live, or replayed from the journal). */
  apply(r: BatchRecord): void {
    this.ensureLevel();
    for (const e of this.current.slice(0, r.processed)) this.currentByKey.delete(e.key);
    this.current = this.current.slice(r.processed);
    for (const [key, via] of r.viaMerges) {
      const e = this.pendingEntry(key);
      if (e) e.via = [...new Set([...e.via, ...via])].sort();
    }
    for (const e of r.entries) {
      this.next.set(e.key, { ...e, via: [...e.via] });
      this.enqueued.add(e.key);
    }
    for (const k of r.enqueued) this.enqueued.add(k);
    for (const q of r.expanded) this.expanded.add(q);
    for (const [reason, n] of Object.entries(r.skipped)) bump(this.skipped, reason, n);
    this.duplicates += r.duplicates;
    this.batches += 1;
  }
}

/** A copy of a count record with its keys in sorted order. */
export function sortRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** Adds `n` to the count of `reason`. */
export function bump(r: Record<string, number>, reason: string, n = 1): void {
  r[reason] = (r[reason] ?? 0) + n;
}
