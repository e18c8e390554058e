/**
 * The byte-level BPE tokenizer: special tokens are cut out, the rest is split into GPT-2
 * pre-tokens, each pre-token's UTF-8 bytes start as one token per byte, and merges are applied
 * lowest rank first, leftmost first (the Hugging Face `tokenizers` BPE rule). Pre-tokens repeat a
 * lot in real text, so their ids are cached. Added tokens (non-special, e.g. one token per graph
 * entity name) are cut out like special tokens, always, and decode to their text: Hugging Face's
 * non-special `added_tokens` with normalized: false.
 */
import { BYTE_TO_CHAR, byteLevelToBytes, utf8 } from './bytes';
import { Heap } from './heap';
import { preTokenize, specialTokenRegex, splitSpecial } from './pretokenize';

/** A tokenizer's content: enough to rebuild it exactly. */
export interface BpeSpec {
  /** Token per id: special-token contents and byte-level strings (`Ġthe`). Ids are 0..n-1. */
  vocab: readonly string[];
  /** Merges in rank order (rank 0 first), each a pair of byte-level strings in `vocab`. */
  merges: readonly (readonly [string, string])[];
  /** Special tokens, atomic in encode(); each is also in `vocab`. */
  specialTokens: readonly string[];
  /**
   * Added tokens: plain-text strings (not byte-level) that encode() always cuts out as one token,
   * leftmost-longest, before pre-tokenisation; each is also in `vocab`. Not special: decode() keeps them.
   */
  addedTokens?: readonly string[];
}

export interface TokenizerOptions {
  /** Most pre-tokens kept in the encode cache; the cache is emptied when it fills. */
  cacheSize: number;
}

export const defaults: TokenizerOptions = {
  cacheSize: 100_000, // ~ all distinct words of a few MB of text
};

export interface EncodeOptions {
  /** Recognise special-token strings in the text (true, as Hugging Face does by default). */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text. */
  skipSpecial?: boolean;
}

/** Pair key for two token ids (ids stay below 2^21). */
const SHIFT = 0x200000;
/** Pre-tokens longer than this merge with a heap (n log n) instead of repeated scans. */
const LONG_WORD = 64;

/** A trained (or loaded) byte-level BPE tokenizer. */
export class Tokenizer {
  readonly vocab: readonly string[];
  readonly merges: readonly (readonly [string, string])[];
  readonly specialTokens: readonly string[];
  readonly addedTokens: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly byteIds = new Int32Array(256);
  private readonly ranks = new Map<number, number>();
  private readonly mergeResult: Int32Array;
  private readonly tokenBytes: (Uint8Array | null)[];
  private readonly specialSet = new Set<number>();
  private readonly specialRe: RegExp | null;
  /** Added tokens alone (encode without specials). */
  private readonly addedRe: RegExp | null;
  private readonly addedSet = new Set<number>();
  private readonly cache = new Map<string, number[]>();
  private readonly cacheSize: number;
  private scratch = new Int32Array(256);

  constructor(spec: BpeSpec, options: Partial<TokenizerOptions> = {}) {
    const opts = { ...defaults, ...options };
    this.cacheSize = opts.cacheSize;
    this.vocab = [...spec.vocab];
    this.merges = spec.merges.map(([a, b]) => [a, b] as const);
    this.specialTokens = [...spec.specialTokens];
    this.addedTokens = [...(spec.addedTokens ?? [])];
    if (this.vocab.length >= SHIFT) throw new Error(`Tokenizer: vocabulary of ${this.vocab.length} is too large`);
    this.vocab.forEach((t, id) => {
      if (this.ids.has(t)) throw new Error(`Tokenizer: token ${JSON.stringify(t)} appears twice (ids ${this.ids.get(t)} and ${id})`);
      this.ids.set(t, id);
    });
    for (const s of this.specialTokens) {
      const id = this.ids.get(s);
      if (id === undefined) throw new Error(`Tokenizer: special token ${JSON.stringify(s)} is not in the vocabulary`);
      if (s === '') throw new Error('Tokenizer: empty special token');
      this.specialSet.add(id);
    }
    for (const a of this.addedTokens) {
      const id = this.ids.get(a);
      if (id === undefined) throw new Error(`Tokenizer: added token ${JSON.stringify(a)} is not in the vocabulary`);
      if (a === '' || this.specialSet.has(id)) throw new Error(`Tokenizer: added token ${JSON.stringify(a)} is empty or special`);
      this.addedSet.add(id);
    }
    for (let b = 0; b < 256; b++) {
      const id = this.ids.get(BYTE_TO_CHAR[b]);
      if (id === undefined || this.specialSet.has(id)) throw new Error(`Tokenizer: byte ${b} (${JSON.stringify(BYTE_TO_CHAR[b])}) has no token`);
      this.byteIds[b] = id;
    }
    this.tokenBytes = this.vocab.map((t, id) => (this.specialSet.has(id) ? null : this.addedSet.has(id) ? utf8(t) : byteLevelToBytes(t)));
    this.tokenBytes.forEach((b, id) => {
      if (b === null && !this.specialSet.has(id)) throw new Error(`Tokenizer: token ${id} ${JSON.stringify(this.vocab[id])} is not a byte-level string`);
    });
    this.mergeResult = new Int32Array(this.merges.length);
    this.merges.forEach(([a, b], rank) => {
      const ia = this.ids.get(a);
      const ib = this.ids.get(b);
      const im = this.ids.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined)
        throw new Error(`Tokenizer: merge ${rank} "${a} ${b}" uses a token that is not in the vocabulary`);
      const key = ia * SHIFT + ib;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
      this.mergeResult[rank] = im;
    });
    this.specialRe = specialTokenRegex([...this.specialTokens, ...this.addedTokens]);
    this.addedRe = specialTokenRegex(this.addedTokens);
  }

  /** Number of tokens (ids are 0..vocabSize-1). */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Id of a token string (byte-level form, or a special token's content). */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Token string of an id (byte-level form, or a special token's content). */
  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  /** Id of a special token; throws if the tokenizer does not have it. */
  specialId(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined || !this.specialSet.has(id)) throw new Error(`Tokenizer: no special token ${JSON.stringify(token)}`);
    return id;
  }

  /** Whether an id is a special token. */
  isSpecial(id: number): boolean {
    return this.specialSet.has(id);
  }

  /** Whether an id is an added (non-special) token. */
  isAdded(id: number): boolean {
    return this.addedSet.has(id);
  }

  /** Text → token ids. Special-token strings become their ids unless `allowSpecial` is false; added tokens always do. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const re = options.allowSpecial === false ? this.addedRe : this.specialRe;
    for (const seg of splitSpecial(text, re)) {
      if (seg.special) out.push(this.ids.get(seg.text) as number);
      else for (const piece of preTokenize(seg.text)) this.encodePiece(piece, out);
    }
    return out;
  }

  /** encode() over many texts. */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): number[][] {
    return texts.map((t) => this.encode(t, options));
  }

  /** Token ids → text. Bytes are joined across tokens before UTF-8 decoding; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF: it is text
    let text = '';
    let buf = new Uint8Array(256);
    let n = 0;
    const flush = (): void => {
      if (n > 0) text += decoder.decode(buf.subarray(0, n));
      n = 0;
    };
    for (const id of ids) {
      const bytes = this.tokenBytes[id];
      if (bytes === undefined) throw new Error(`Tokenizer.decode: id ${id} is out of range 0..${this.vocab.length - 1}`);
      if (bytes === null) {
        flush();
        if (!options.skipSpecial) text += this.vocab[id];
        continue;
      }
      if (n + bytes.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, n + bytes.length));
        bigger.set(buf.subarray(0, n));
        buf = bigger;
      }
      buf.set(bytes, n);
      n += bytes.length;
    }
    flush();
    return text;
  }

  /** Number of pre-tokens in the encode cache. */
  get cacheEntries(): number {
    return this.cache.size;
  }

  /** Appends the ids of one pre-token (cached). */
  private encodePiece(piece: string, out: number[]): void {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      ids = this.bpe(utf8(piece));
      if (this.cache.size >= this.cacheSize) this.cache.clear();
      this.cache.set(piece, ids);
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /** Merges one pre-token's bytes: lowest rank first, leftmost first. */
  private bpe(bytes: Uint8Array): number[] {
    if (bytes.length > LONG_WORD) return this.bpeLong(bytes);
    if (this.scratch.length < bytes.length) this.scratch = new Int32Array(bytes.length * 2);
    const sym = this.scratch;
    let len = bytes.length;
    for (let i = 0; i < len; i++) sym[i] = this.byteIds[bytes[i]];
    while (len > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < len; i++) {
        const r = this.ranks.get(sym[i] * SHIFT + sym[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = sym[best];
      const b = sym[best + 1];
      const merged = this.mergeResult[bestRank];
      let j = best;
      for (let i = best; i < len; ) {
        if (i + 1 < len && sym[i] === a && sym[i + 1] === b) {
          sym[j++] = merged;
          i += 2;
        } else sym[j++] = sym[i++];
      }
      len = j;
    }
    return Array.from(sym.subarray(0, len));
  }

  /** bpe() for long pre-tokens: a linked list of symbols and a heap of (rank, position). */
  private bpeLong(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const sym = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteIds[bytes[i]];
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new Heap<number>((x, y) => x < y);
    const rankAt = (i: number): number | undefined => (next[i] < 0 ? undefined : this.ranks.get(sym[i] * SHIFT + sym[next[i]]));
    const pushAt = (i: number): void => {
      const r = rankAt(i);
      if (r !== undefined) heap.push(r * SHIFT * 16 + i); // (rank, position), position < 2^25
    };
    if (n >= SHIFT * 16) throw new Error(`Tokenizer: pre-token of ${n} bytes is too long`);
    for (let i = 0; i + 1 < n; i++) pushAt(i);
    const alive = new Uint8Array(n).fill(1);
    for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
      const rank = Math.floor(top / (SHIFT * 16));
      const i = top - rank * SHIFT * 16;
      if (!alive[i] || rankAt(i) !== rank) continue; // stale entry
      const j = next[i];
      sym[i] = this.mergeResult[rank];
      alive[j] = 0;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) pushAt(prev[i]);
      pushAt(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }
}
