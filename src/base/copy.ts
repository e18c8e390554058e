/**
 * Copy probe: can the model continue a sequence it has just seen? Each probe row is
 * `<|bos|> x₁ … x_L x₁ … x_L` with x random non-special tokens. A model with an induction head
 * predicts the second copy from the first and its loss there falls towards 0; without one, both
 * copies cost about the same. Reading a question's subject into a thought and finding the letter
 * of the option a thought names are both such copies (docs/findings.md, "Where the chain breaks").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng';
import type { Llama } from '../model/llama';
import { Reads, runSync, take } from '../model/reads';

export interface CopyProbeOptions {
  /** Probe rows. */
  sequences: number;
  /** Tokens per copy (L). */
  length: number;
  /** Rows per forward pass. */
  batchSize: number;
  /** Lowest token id drawn (ids below it are special tokens). */
  firstId: number;
}

export const copyProbeDefaults: CopyProbeOptions = { sequences: 64, length: 24, batchSize: 16, firstId: 9 };

export interface CopyProbe {
  /** Mean NLL of x₂ … x_L in the first copy (x₁ has no context to come from). */
  firstCopyNll: number;
  /** Mean NLL of x₂ … x_L in the second copy (x₁ follows x_L, which it never followed before). */
  secondCopyNll: number;
  /** firstCopyNll − secondCopyNll: near 0 without an induction head, near firstCopyNll with one. */
  gain: number;
  /** ln(number of tokens drawn): the NLL of a uniform guess. */
  uniformNll: number;
  sequences: number;
  length: number;
}

/**
 * Sums a [rows][2L] NLL matrix (nll[t] = −log p(token t+1 | ..t), as Llama.tokenNll gives for rows
 * of 2L + 1 tokens) over the predictable positions of each copy: t = 1 … L−1 (first copy's x₂ … x_L)
 * and t = L+1 … 2L−1 (second copy's x₂ … x_L).
 */
export function copyNllSums(nll: ArrayLike<number>, rows: number, L: number): { first: number; second: number; n: number } {
  const T = 2 * L;
  if (nll.length !== rows * T) throw new Error(`copyNllSums: expected ${rows}×${T} values, got ${nll.length}`);
  let first = 0, second = 0;
  for (let r = 0; r < rows; r++)
    for (let t = 1; t < L; t++) {
      first += nll[r * T + t];
      second += nll[r * T + L + t];
    }
  return { first, second, n: rows * (L - 1) };
}

/** The probe as a Reads computation (src/model/reads.ts): one tokenNll read per batch. */
export function* copyProbeReads(model: Llama, bos: number, rng: Rng, options: Partial<CopyProbeOptions> = {}): Reads<CopyProbe> {
  const o = { ...copyProbeDefaults, ...options };
  const V = model.config.vocab_size;
  if (!(o.length >= 2) || !(o.sequences >= 1) || !(o.firstId >= 0 && o.firstId < V - 1)) throw new Error(`copyProbe: need length ≥ 2, sequences ≥ 1 and firstId < vocab − 1 (got ${JSON.stringify(o)})`);
  if (2 * o.length + 1 > model.config.max_position_embeddings) throw new Error(`copyProbe: 2·length + 1 = ${2 * o.length + 1} exceeds the model's context of ${model.config.max_position_embeddings}`);
  const rows = Array.from({ length: o.sequences }, () => {
    const xs = Array.from({ length: o.length }, () => o.firstId + rng.int(V - o.firstId));
    return [bos, ...xs, ...xs];
  });
  let first = 0, second = 0, n = 0;
  for (let i = 0; i < rows.length; i += o.batchSize) {
    const batch = rows.slice(i, i + o.batchSize);
    const nll = yield* take(tf.tidy(() => model.tokenNll(batch)));
    const s = copyNllSums(nll, batch.length, o.length);
    first += s.first;
    second += s.second;
    n += s.n;
  }
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return { firstCopyNll: r4(first / n), secondCopyNll: r4(second / n), gain: r4((first - second) / n), uniformNll: r4(Math.log(V - o.firstId)), sequences: o.sequences, length: o.length };
}

/** copyProbeReads with synchronous reads (wasm, cpu, tensorflow). */
export function copyProbe(model: Llama, bos: number, rng: Rng, options: Partial<CopyProbeOptions> = {}): CopyProbe {
  return runSync(copyProbeReads(model, bos, rng, options), 'copyProbe');
}
