/**
 * RODS near-duplicate removal. Each item's text (question plus its options in sorted order, or the
 * question alone) is normalised (NFKD, accents and punctuation stripped, lower case; every Han
 * character its own token) and cut into word k-shingles. Two items are near-duplicates when the
 * exact Jaccard similarity of their shingle sets is ≥ threshold (default 0.8).
 *
 * Candidates come from an inverted index, so the work grows with n, not n²:
 * - 'prefix' (default, exact): prefix filtering — shingles ordered rarest first, only the first
 *   |x| − ⌈t·|x|⌉ + 1 of each set indexed; every pair with J ≥ t shares one of them, so nothing
 *   is missed, and rare shingles keep the lists short even for templated synthetic text.
 * - 'minhash' (approximate): MinHash LSH, 16 bands of 4 rows; a pair at J = 0.8 becomes a
 *   candidate with probability 1 − (1 − 0.8⁴)¹⁶ ≈ 0.9998, at 0.9 ≈ 1 − 10⁻¹⁰.
 * Either way every candidate is checked with the exact Jaccard.
 *
 * Which item is kept is deterministic: items are visited in input order (or by `order`), and each
 * is compared only with items already kept, so the first of a group survives and the rest are
 * rejected as 'near-duplicate of <id> (Jaccard 0.93)'.
 */
import type { Item } from '../item';
import type { FilterResult, Rejected } from './result';

export interface NearDupOptions {
  /** Jaccard similarity of shingle sets at or above which two items are duplicates. */
  threshold: number;
  /** Words per shingle. */
  shingle: number;
  /** Candidate search: exact prefix filtering (default) or MinHash LSH (approximate). */
  method: 'prefix' | 'minhash';
  /** MinHash values per item (method 'minhash'); must equal bands × rows. */
  numHashes: number;
  /** LSH bands (numHashes / bands rows each). */
  bands: number;
  /** Text compared: the question with its options (default), or the question alone. */
  fields: 'question+options' | 'question';
  /** Seed of the hash family. */
  seed: number;
  /** Visiting order (the first of a group is kept); default: input order. */
  order?: (a: Item, b: Item) => number;
}

export const defaults: NearDupOptions = {
  threshold: 0.8,
  shingle: 3,
  method: 'prefix',
  numHashes: 64,
  bands: 16,
  fields: 'question+options',
  seed: 1,
};

/** NFKD, combining marks and punctuation removed, lower case, Han characters spaced, whitespace collapsed. */
export function normalizeText(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim(); // fast path
  let t = s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ');
  if (/\p{Script=Han}/u.test(t)) t = t.replace(/(\p{Script=Han})/gu, ' $1 ').replace(/\s+/g, ' ');
  return t.trim();
}

/** The text an item is compared by. */
export function itemText(item: Item, fields: NearDupOptions['fields'] = defaults.fields): string {
  if (fields === 'question') return item.question;
  const opts = Object.values(item.options ?? {})
    .map((o) => normalizeText(String(o)))
    .sort();
  return `${item.question} ${opts.join(' ')}`;
}

/** murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashToken(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Sorted distinct 32-bit hashes of the word k-shingles of normalised text (one shingle if shorter). */
export function shingles(text: string, k: number = defaults.shingle): Uint32Array {
  const norm = normalizeText(text);
  if (norm === '') return new Uint32Array(0);
  const toks = norm.split(' ').map(hashToken);
  const n = Math.max(1, toks.length - k + 1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let j = i; j < Math.min(i + k, toks.length); j++) h = fmix32(Math.imul(h, 0x9e3779b1) ^ toks[j]);
    out[i] = h;
  }
  out.sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (i === 0 || out[i] !== out[m - 1]) out[m++] = out[i];
  return out.slice(0, m);
}

/** Jaccard similarity of two sorted distinct hash sets (1 for two empty sets). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      inter++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}

/** The hash family's seeds, one per MinHash value. */
function hashSeeds(numHashes: number, seed: number): Uint32Array {
  const s = new Uint32Array(numHashes);
  let x = seed >>> 0;
  for (let i = 0; i < numHashes; i++) s[i] = x = fmix32((x + 0x9e3779b9) >>> 0);
  return s;
}

/** MinHash signature of a shingle set: for each seed, the least fmix32(shingle ^ seed). */
export function minhash(sh: Uint32Array, numHashes: number = defaults.numHashes, seed: number = defaults.seed): Uint32Array {
  return minhashWith(sh, hashSeeds(numHashes, seed));
}

function minhashWith(sh: Uint32Array, seeds: Uint32Array): Uint32Array {
  const numHashes = seeds.length;
  const sig = new Uint32Array(numHashes).fill(0xffffffff);
  for (let j = 0; j < sh.length; j++) {
    const x = sh[j];
    for (let i = 0; i < numHashes; i++) {
      const v = fmix32(x ^ seeds[i]);
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

/** Where candidates come from: probe(i) lists kept items that may match i; insert(i) indexes a kept item. */
interface CandidateIndex {
  probe(i: number, visit: (c: number) => void): void;
  insert(i: number): void;
}

/**
 * Exact prefix filtering (the all-pairs similarity join of Bayardo et al. / PPJoin): shingles are
 * ordered rarest first over the whole collection; J(x, y) ≥ t implies |x ∩ y| ≥ ⌈t·max(|x|,|y|)⌉,
 * so the first |x| − ⌈t·|x|⌉ + 1 shingles of x and of y share one. Only those prefixes are
 * indexed, and the rare shingles make short lists even for templated text.
 */
function prefixIndex(sh: readonly Uint32Array[], threshold: number): CandidateIndex {
  // Any fixed global order is correct; rarest-first keeps lists short. Frequencies are counted in a
  // hashed table (a collision only makes a shingle look commoner), which is much faster than a Map.
  const bits = 20;
  const freq = new Uint32Array(1 << bits);
  const slot = (h: number): number => fmix32(h ^ 0x5bd1e995) >>> (32 - bits);
  for (const s of sh) for (let k = 0; k < s.length; k++) freq[slot(s[k])]++;
  const prefixes = sh.map((s) => {
    const keys = new Float64Array(s.length);
    for (let k = 0; k < s.length; k++) keys[k] = freq[slot(s[k])] * 4294967296 + s[k]; // (frequency, hash)
    keys.sort();
    const p = s.length === 0 ? 0 : s.length - Math.ceil(threshold * s.length - 1e-9) + 1;
    const out = new Uint32Array(p);
    for (let k = 0; k < p; k++) out[k] = keys[k] % 4294967296;
    return out;
  });
  const lists = new Map<number, number[]>();
  let firstEmpty = -1; // empty sets only match each other (J = 1)
  return {
    probe(i, visit) {
      if (sh[i].length === 0) {
        if (firstEmpty >= 0) visit(firstEmpty);
        return;
      }
      for (const tok of prefixes[i]) for (const c of lists.get(tok) ?? []) visit(c);
    },
    insert(i) {
      if (sh[i].length === 0 && firstEmpty < 0) firstEmpty = i;
      for (const tok of prefixes[i]) {
        const l = lists.get(tok);
        if (l) l.push(i);
        else lists.set(tok, [i]);
      }
    },
  };
}

/** MinHash LSH: numHashes values in `bands` bands; items sharing a band's values are candidates. */
function minhashIndex(sh: readonly Uint32Array[], numHashes: number, bands: number, seed: number): CandidateIndex {
  const rows = numHashes / bands;
  const seeds = hashSeeds(numHashes, seed);
  const buckets: Map<number, number[]>[] = Array.from({ length: bands }, () => new Map());
  const keysOf = (i: number): number[] => {
    const sig = minhashWith(sh[i], seeds);
    const keys: number[] = [];
    for (let b = 0; b < bands; b++) {
      let h = b;
      for (let r = 0; r < rows; r++) h = fmix32(Math.imul(h, 0x9e3779b1) ^ sig[b * rows + r]);
      keys.push(h);
    }
    return keys;
  };
  let lastKeys: { i: number; keys: number[] } = { i: -1, keys: [] };
  const cached = (i: number): number[] => (lastKeys.i === i ? lastKeys.keys : (lastKeys = { i, keys: keysOf(i) }).keys);
  return {
    probe(i, visit) {
      const keys = cached(i);
      for (let b = 0; b < bands; b++) for (const c of buckets[b].get(keys[b]) ?? []) visit(c);
    },
    insert(i) {
      const keys = cached(i);
      for (let b = 0; b < bands; b++) {
        const list = buckets[b].get(keys[b]);
        if (list) list.push(i);
        else buckets[b].set(keys[b], [i]);
      }
    },
  };
}

/** Keeps the first item of each group of near-duplicates; see the module comment. */
export function nearDuplicates(items: readonly Item[], options: Partial<NearDupOptions> = {}): FilterResult {
  const opts = { ...defaults, ...options };
  const rows = opts.numHashes / opts.bands;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`nearDuplicates: numHashes (${opts.numHashes}) must be a multiple of bands (${opts.bands})`);
  if (!(opts.threshold > 0 && opts.threshold <= 1)) throw new Error(`nearDuplicates: threshold must be in (0, 1], got ${opts.threshold}`);
  const visit = items.map((_, i) => i);
  if (opts.order) {
    const order = opts.order;
    visit.sort((a, b) => order(items[a], items[b]) || a - b);
  }
  const rank = new Int32Array(items.length);
  visit.forEach((i, r) => (rank[i] = r));
  const sh = items.map((it) => shingles(itemText(it, opts.fields), opts.shingle));
  const index = opts.method === 'prefix' ? prefixIndex(sh, opts.threshold) : minhashIndex(sh, opts.numHashes, opts.bands, opts.seed);
  const isKept = new Uint8Array(items.length);
  const dupOf = new Map<number, { of: number; sim: number }>();
  const stamp = new Int32Array(items.length).fill(-1);
  const t = opts.threshold;
  for (const i of visit) {
    let best = -1;
    let bestSim = -1;
    const n = sh[i].length;
    index.probe(i, (c) => {
      if (stamp[c] === i) return; // already compared
      stamp[c] = i;
      const m = sh[c].length;
      if (Math.min(n, m) < t * Math.max(n, m) - 1e-9) return; // sizes alone rule J ≥ t out
      const sim = jaccard(sh[i], sh[c]);
      if (sim >= t && (sim > bestSim || (sim === bestSim && rank[c] < rank[best]))) {
        best = c;
        bestSim = sim;
      }
    });
    if (best >= 0) dupOf.set(i, { of: best, sim: bestSim });
    else {
      isKept[i] = 1;
      index.insert(i);
    }
  }
  const kept: Item[] = [];
  const rejected: Rejected[] = [];
  items.forEach((item, i) => {
    if (isKept[i]) kept.push(item);
    else {
      const d = dupOf.get(i)!;
      rejected.push({ item, reason: `near-duplicate of ${items[d.of].id} (Jaccard ${d.sim.toFixed(2)})` });
    }
  });
  return { kept, rejected };
}
