/**
 * Per-item results, saved as they are made (eval/results.jsonl, one row per model × benchmark ×
 * item × protocol), so a rerun or an interrupted run recomputes nothing already done. The key
 * holds the model's content fingerprint, the decoding protocol and the item's content: change any
 * of them and the item is evaluated again; the old row stays in the file, unused. An item whose
 * request failed is never stored here (eval/errors.jsonl lists it), so the next run asks again.
 */
import { appendJsonl, readAppendLog } from '../core/io';
import { hashString } from '../core/rng';
import type { Item } from '../rods/item';
import type { Anatomy } from './anatomy';
import type { Decoding, Sample } from './generators';

/** Verdict of the claims in one sample's reasoning. */
export interface ClaimCount {
  total: number;
  supported: number;
}

/** One evaluated item. */
export interface ResultRow {
  key: string;
  /** Model id (base, cot, rl1, rl2, a checkpoint's name, api:<model>). */
  model: string;
  /** 'rods-test' (held-out synthetic items) or a benchmark name. */
  benchmark: string;
  itemId: string;
  type: string;
  difficulty: string;
  longTail: boolean;
  answer: string;
  options: number;
  /** Prompt tokens (null for endpoints). */
  promptTokens: number | null;
  /** The prompt + maxNewTokens exceed the model's context: not decoded, counted apart. */
  tooLong: boolean;
  /** k samples (one when greedy); empty when tooLong or error. */
  samples: (Sample & { claims: ClaimCount; anatomy?: Anatomy | null })[];
  /** Why the item has no answer: its request failed for good. Such a row is counted, never stored: the next run asks again. */
  error?: string;
}

/** Whether a row holds answers to score (it fit the context and its request did not fail). */
export const answered = (r: ResultRow): boolean => !r.tooLong && !r.error;

/** The protocol part of a key: what changes the completions. */
export function protocolKey(d: Pick<Decoding, 'samples' | 'temperature' | 'maxNewTokens' | 'seed'>): string {
  const p = d.samples <= 1 ? { greedy: true, maxNewTokens: d.maxNewTokens } : { samples: d.samples, temperature: d.temperature, maxNewTokens: d.maxNewTokens, seed: d.seed };
  return hashString(JSON.stringify(p)).toString(16);
}

/** The key of one item's result. */
export function resultKey(fingerprint: string, protocol: string, benchmark: string, item: Item): string {
  const content = hashString(JSON.stringify([item.question, item.options, item.answer])).toString(16);
  return `${fingerprint}|${protocol}|${benchmark}|${item.id}|${content}`;
}

/**
 * results.jsonl, loaded once and appended to. A last line cut short (a kill or a full disk
 * mid-write) is left out, said in `cut`, and cut off the file, so its item is evaluated again and
 * the next row starts on a line of its own.
 */
export class ResultStore {
  private readonly rows = new Map<string, ResultRow>();
  /** What was left out of a cut last line (file:line and why), if any. */
  readonly cut?: string;

  constructor(readonly file: string) {
    const { rows, cut } = readAppendLog<ResultRow>(file, { repair: true });
    for (const { value, line } of rows) {
      if (!value || typeof value.key !== 'string' || !Array.isArray(value.samples)) throw new Error(`${file}:${line}: not a result row (no key or samples)`);
      this.rows.set(value.key, value);
    }
    this.cut = cut;
  }

  get size(): number {
    return this.rows.size;
  }

  get(key: string): ResultRow | undefined {
    return this.rows.get(key);
  }

  /** Records a row (appended to the file at once). */
  put(row: ResultRow): void {
    this.rows.set(row.key, row);
    appendJsonl(this.file, row);
  }
}
