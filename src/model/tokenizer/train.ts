/**
 * BPE training, deterministic: count the corpus's pre-tokens, then repeatedly merge the most
 * frequent adjacent pair of tokens (within pre-tokens, weighted by how often each pre-token
 * occurs) until the vocabulary is full or the best pair is rarer than `minFrequency`.
 * Ties go to the pair whose merged string sorts first, then whose left part sorts first
 * (JavaScript string order, i.e. UTF-16 code units of the byte-level strings).
 * Pair counts are updated incrementally: a merge only revisits the words that hold its pair.
 */
import { BYTE_TO_CHAR, utf8 } from './bytes';
import { Heap } from './heap';
import { preTokenize, specialTokenRegex, splitSpecial } from './pretokenize';
import { Tokenizer } from './bpe';

/** The special tokens of the policy's chat format, in id order (ids 0..8). */
export const SPECIAL_TOKENS = [
  '<|bos|>',
  '<|eos|>',
  '<|pad|>',
  '<|user|>',
  '<|assistant|>',
  '<think>',
  '</think>',
  '<answer>',
  '</answer>',
] as const;

export interface TrainBpeOptions {
  /** Target vocabulary size, special tokens and the 256 byte tokens included. */
  vocabSize: number;
  /** Stop when the most frequent pair occurs fewer times than this. */
  minFrequency: number;
  /** Special tokens, given ids 0..n-1; their strings in the corpus are cut out, never learned. */
  specialTokens: readonly string[];
}

export const trainDefaults: TrainBpeOptions = {
  vocabSize: 4096, // specials + 256 bytes + ~3.8k merges
  minFrequency: 2, // a pair seen once is not worth a token
  specialTokens: SPECIAL_TOKENS,
};

/** What training saw and did, for logs and notebooks. */
export interface TrainBpeStats {
  /** Pre-tokens counted (with repeats) and distinct. */
  preTokens: number;
  distinctPreTokens: number;
  merges: number;
  vocabSize: number;
  /** Why training stopped. */
  stop: 'vocabSize' | 'minFrequency' | 'noPairs';
  /** Count of the last pair merged. */
  lastMergeCount: number;
  seconds: number;
}

/** Counts pre-tokens over texts (special-token strings cut out). Sorted by pre-token for determinism. */
export function countPreTokens(texts: Iterable<string>, specialTokens: readonly string[] = []): Map<string, number> {
  const re = specialTokenRegex(specialTokens);
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const seg of splitSpecial(text, re)) {
      if (seg.special) continue;
      for (const p of preTokenize(seg.text)) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
  return counts;
}

interface Candidate {
  key: number;
  count: number;
  merged: string;
  left: string;
}

/** A pair (left id, right id) is keyed as left * SHIFT + right; token ids stay below SHIFT. */
const SHIFT = 0x200000;

/**
 * Training state: the vocabulary and merges so far, the distinct pre-tokens as token ids with
 * their counts, and per pair its weighted count and the words that (may) hold it.
 */
interface Training {
  vocab: string[];
  ids: Map<string, number>;
  merges: [string, string][];
  words: Int32Array[];
  freq: number[];
  pairCount: Map<number, number>;
  where: Map<number, number[]>;
}

/**
 * Trains a byte-level BPE tokenizer. Same texts and options → the same tokenizer, merge for merge.
 * Vocabulary: special tokens (ids 0..n-1), the 256 byte tokens in byte order, then merged tokens
 * in the order learned (a merge whose string already exists reuses that token, as in Hugging Face).
 */
export function trainBpe(texts: Iterable<string>, options: Partial<TrainBpeOptions> = {}): { tokenizer: Tokenizer; stats: TrainBpeStats } {
  const opts = { ...trainDefaults, ...options };
  const t0 = performance.now();
  const specials = [...opts.specialTokens];
  checkOptions(opts, specials);
  const { vocab, ids } = initialVocab(specials);
  const { words, freq, preTokens } = preTokenWords(texts, specials);
  const s: Training = { vocab, ids, merges: [], words, freq, ...indexPairs(words, freq) };
  const { stop, lastMergeCount } = learnMerges(s, opts, specials.length);

  const tokenizer = new Tokenizer({ vocab, merges: s.merges, specialTokens: specials });
  const stats: TrainBpeStats = {
    preTokens,
    distinctPreTokens: words.length,
    merges: s.merges.length,
    vocabSize: vocab.length,
    stop,
    lastMergeCount,
    seconds: (performance.now() - t0) / 1000,
  };
  return { tokenizer, stats };
}

/** Throws on duplicate special tokens and on a vocabSize below specials + 256 or at/above SHIFT. */
function checkOptions(opts: TrainBpeOptions, specials: string[]): void {
  const base = specials.length + 256;
  if (new Set(specials).size !== specials.length) throw new Error('trainBpe: duplicate special tokens');
  if (opts.vocabSize < base) throw new Error(`trainBpe: vocabSize ${opts.vocabSize} is below ${base} (specials + 256 bytes)`);
  if (opts.vocabSize >= SHIFT) throw new Error(`trainBpe: vocabSize ${opts.vocabSize} is too large`);
}

/** The starting vocabulary: special tokens, then the 256 byte tokens; throws when a special spells a byte token. */
function initialVocab(specials: string[]): { vocab: string[]; ids: Map<string, number> } {
  const vocab: string[] = [...specials, ...BYTE_TO_CHAR];
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (ids.has(t)) throw new Error(`trainBpe: special token ${JSON.stringify(t)} collides with a byte token`);
    ids.set(t, i);
  });
  return { vocab, ids };
}

/** Distinct pre-tokens, sorted, as arrays of byte-token ids, with their counts and the total count. */
function preTokenWords(texts: Iterable<string>, specials: string[]): { words: Int32Array[]; freq: number[]; preTokens: number } {
  const counted = countPreTokens(texts, specials);
  const keys = [...counted.keys()].sort();
  const words: Int32Array[] = [];
  const freq: number[] = [];
  let preTokens = 0;
  for (const k of keys) {
    const bytes = utf8(k);
    const w = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) w[i] = specials.length + bytes[i];
    words.push(w);
    const c = counted.get(k) as number;
    freq.push(c);
    preTokens += c;
  }
  return { words, freq, preTokens };
}

/** Adds `n` to a pair's count, dropping pairs whose count reaches 0. */
function addPairCount(pairCount: Map<number, number>, key: number, n: number): void {
  const c = (pairCount.get(key) ?? 0) + n;
  if (c === 0) pairCount.delete(key);
  else pairCount.set(key, c);
}

/** Notes that word `wi` holds the pair (words are visited in order, so a repeat is the last entry). */
function notePairIn(where: Map<number, number[]>, key: number, wi: number): void {
  const list = where.get(key);
  if (list === undefined) where.set(key, [wi]);
  else if (list[list.length - 1] !== wi) list.push(wi);
}

/** Pair counts weighted by word counts and, per pair, the words that hold it. */
function indexPairs(words: Int32Array[], freq: number[]): Pick<Training, 'pairCount' | 'where'> {
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i] * SHIFT + w[i + 1];
      addPairCount(pairCount, key, freq[wi]);
      notePairIn(where, key, wi);
    }
  });
  return { pairCount, where };
}

/** A heap entry for a pair: its count and the strings that break ties. */
function candidate(vocab: string[], key: number, count: number): Candidate {
  const left = vocab[Math.floor(key / SHIFT)];
  return { key, count, merged: left + vocab[key % SHIFT], left };
}

/**
 * Merges the most frequent pair until the vocabulary is full, the best pair is rarer than
 * minFrequency, or no pair is left. Heap entries are lazily refreshed: a popped entry whose count
 * is stale goes back with its true count.
 */
function learnMerges(s: Training, opts: TrainBpeOptions, nSpecials: number): { stop: TrainBpeStats['stop']; lastMergeCount: number } {
  const { vocab, pairCount } = s;
  const heap = new Heap<Candidate>((x, y) =>
    x.count !== y.count ? x.count > y.count : x.merged !== y.merged ? x.merged < y.merged : x.left < y.left,
  );
  for (const [key, count] of pairCount) heap.push(candidate(vocab, key, count));

  const seen = new Int32Array(s.words.length).fill(-1);
  let stop: TrainBpeStats['stop'] = 'noPairs';
  let lastMergeCount = 0;
  while (vocab.length < opts.vocabSize) {
    const top = heap.pop();
    if (top === undefined) {
      stop = 'noPairs';
      break;
    }
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      // Counts of old pairs only fall, so a stale entry is re-queued with its true count.
      if (current > 0) heap.push({ ...top, count: current });
      continue;
    }
    if (current < opts.minFrequency) {
      stop = 'minFrequency';
      break;
    }
    const merged = mergedToken(s, top.merged, nSpecials);
    if (merged < 0) continue; // would spell a special token: never merged (its entry leaves the queue for good)
    const a = Math.floor(top.key / SHIFT);
    const b = top.key % SHIFT;
    s.merges.push([vocab[a], vocab[b]]);
    lastMergeCount = current;
    for (const key of applyMerge(s, top.key, merged, seen)) {
      const c = pairCount.get(key);
      if (c !== undefined) heap.push(candidate(vocab, key, c));
    }
  }
  if (vocab.length >= opts.vocabSize) stop = 'vocabSize';
  return { stop, lastMergeCount };
}

/** The id of a merged string, added to the vocabulary if new; -1 when it spells a special token. */
function mergedToken(s: Training, str: string, nSpecials: number): number {
  let merged = s.ids.get(str);
  if (merged !== undefined && merged < nSpecials) return -1;
  if (merged === undefined) {
    merged = s.vocab.length;
    s.vocab.push(str);
    s.ids.set(str, merged);
  }
  return merged;
}

/**
 * Replaces the pair `key` by token `merged` in every word that holds it, updating the pair index.
 * @param seen per word, the merge step that last visited it (a word is listed once per pair)
 * @returns the pairs containing `merged` whose counts changed (to re-queue)
 */
function applyMerge(s: Training, key: number, merged: number, seen: Int32Array): Set<number> {
  const a = Math.floor(key / SHIFT);
  const b = key % SHIFT;
  const step = s.merges.length;
  const touched = new Set<number>();
  for (const wi of s.where.get(key) ?? []) {
    if (seen[wi] === step) continue;
    seen[wi] = step;
    const w = s.words[wi];
    if (!holdsPair(w, a, b)) continue;
    const out = mergePair(w, a, b, merged);
    repairCounts(s, wi, w, out, merged, touched);
    s.words[wi] = out;
  }
  s.where.delete(key);
  s.pairCount.delete(key);
  return touched;
}

/** Whether token `a` is directly followed by token `b` somewhere in `w`. */
function holdsPair(w: Int32Array, a: number, b: number): boolean {
  for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) return true;
  return false;
}

/** `w` with every non-overlapping (a, b), left to right, replaced by `merged`. */
function mergePair(w: Int32Array, a: number, b: number, merged: number): Int32Array {
  const out = new Int32Array(w.length);
  let n = 0;
  for (let i = 0; i < w.length; ) {
    if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
      out[n++] = merged;
      i += 2;
    } else out[n++] = w[i++];
  }
  return out.subarray(0, n);
}

/** Moves word `wi`'s weight from the pairs of `before` to those of `after`; notes pairs holding `merged`. */
function repairCounts(s: Training, wi: number, before: Int32Array, after: Int32Array, merged: number, touched: Set<number>): void {
  const { pairCount, where } = s;
  const f = s.freq[wi];
  for (let i = 0; i + 1 < before.length; i++) addPairCount(pairCount, before[i] * SHIFT + before[i + 1], -f);
  for (let i = 0; i + 1 < after.length; i++) {
    const key = after[i] * SHIFT + after[i + 1];
    addPairCount(pairCount, key, f);
    if (after[i] === merged || after[i + 1] === merged) {
      touched.add(key);
      notePairIn(where, key, wi);
    }
  }
}
