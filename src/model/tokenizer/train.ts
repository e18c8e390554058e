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

const SHIFT = 0x200000;

/**
 * Trains a byte-level BPE tokenizer. Same texts and options → the same tokenizer, merge for merge.
 * Vocabulary: special tokens (ids 0..n-1), the 256 byte tokens in byte order, then merged tokens
 * in the order learned (a merge whose string already exists reuses that token, as in Hugging Face).
 */
export function trainBpe(texts: Iterable<string>, options: Partial<TrainBpeOptions> = {}): { tokenizer: Tokenizer; stats: TrainBpeStats } {
  const opts = { ...trainDefaults, ...options };
  const t0 = performance.now();
  const specials = [...opts.specialTokens];
  const base = specials.length + 256;
  if (new Set(specials).size !== specials.length) throw new Error('trainBpe: duplicate special tokens');
  if (opts.vocabSize < base) throw new Error(`trainBpe: vocabSize ${opts.vocabSize} is below ${base} (specials + 256 bytes)`);
  if (opts.vocabSize >= SHIFT) throw new Error(`trainBpe: vocabSize ${opts.vocabSize} is too large`);

  const vocab: string[] = [...specials, ...BYTE_TO_CHAR];
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (ids.has(t)) throw new Error(`trainBpe: special token ${JSON.stringify(t)} collides with a byte token`);
    ids.set(t, i);
  });
  const merges: [string, string][] = [];

  // Distinct pre-tokens as arrays of token ids, with their counts.
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

  // Pair counts and, per pair, the words that (may) hold it.
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const add = (key: number, n: number): void => {
    const c = (pairCount.get(key) ?? 0) + n;
    if (c === 0) pairCount.delete(key);
    else pairCount.set(key, c);
  };
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i] * SHIFT + w[i + 1];
      add(key, freq[wi]);
      const list = where.get(key);
      if (list === undefined) where.set(key, [wi]);
      else if (list[list.length - 1] !== wi) list.push(wi);
    }
  });

  const candidate = (key: number, count: number): Candidate => {
    const left = vocab[Math.floor(key / SHIFT)];
    return { key, count, merged: left + vocab[key % SHIFT], left };
  };
  const heap = new Heap<Candidate>((x, y) =>
    x.count !== y.count ? x.count > y.count : x.merged !== y.merged ? x.merged < y.merged : x.left < y.left,
  );
  for (const [key, count] of pairCount) heap.push(candidate(key, count));

  const seen = new Int32Array(words.length).fill(-1);
  const specialIds = new Set(specials.map((_, i) => i));
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
    const a = Math.floor(top.key / SHIFT);
    const b = top.key % SHIFT;
    let merged = ids.get(top.merged);
    if (merged !== undefined && specialIds.has(merged)) {
      continue; // would spell a special token: never merged (its entry leaves the queue for good)
    }
    if (merged === undefined) {
      merged = vocab.length;
      vocab.push(top.merged);
      ids.set(top.merged, merged);
    }
    merges.push([vocab[a], vocab[b]]);
    lastMergeCount = current;

    const step = merges.length;
    const touched = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      if (seen[wi] === step) continue;
      seen[wi] = step;
      const w = words[wi];
      let hit = false;
      for (let i = 0; i + 1 < w.length; i++)
        if (w[i] === a && w[i + 1] === b) {
          hit = true;
          break;
        }
      if (!hit) continue;
      const out = new Int32Array(w.length);
      let n = 0;
      for (let i = 0; i < w.length; ) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out[n++] = merged;
          i += 2;
        } else out[n++] = w[i++];
      }
      const f = freq[wi];
      for (let i = 0; i + 1 < w.length; i++) add(w[i] * SHIFT + w[i + 1], -f);
      for (let i = 0; i + 1 < n; i++) {
        const key = out[i] * SHIFT + out[i + 1];
        add(key, f);
        if (out[i] === merged || out[i + 1] === merged) {
          touched.add(key);
          const list = where.get(key);
          if (list === undefined) where.set(key, [wi]);
          else if (list[list.length - 1] !== wi) list.push(wi);
        }
      }
      words[wi] = out.subarray(0, n);
    }
    where.delete(top.key);
    pairCount.delete(top.key);
    for (const key of touched) {
      const c = pairCount.get(key);
      if (c !== undefined) heap.push(candidate(key, c));
    }
  }
  if (vocab.length >= opts.vocabSize) stop = 'vocabSize';

  const tokenizer = new Tokenizer({ vocab, merges, specialTokens: specials });
  const stats: TrainBpeStats = {
    preTokens,
    distinctPreTokens: words.length,
    merges: merges.length,
    vocabSize: vocab.length,
    stop,
    lastMergeCount,
    seconds: (performance.now() - t0) / 1000,
  };
  return { tokenizer, stats };
}
