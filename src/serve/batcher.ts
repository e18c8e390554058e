/**
 * The decode side of `fleming serve`: jobs queue (./queue.ts) under a batch key, and each batch is
 * one generateAsync call (n copies of each prompt), cut into choices per job.
 */
import { Rng } from '../core/rng';
import { generateAsync } from '../model/sample';
import type { Engine } from './engine';
import { BatchQueue, BatchQueueOptions } from './queue';
import type { Job } from './request';

/** One choice: the text (cut at a stop string), its tokens, and why it ended. */
export interface Choice {
  text: string;
  tokens: number[];
  finish: 'stop' | 'length';
}

/** Cuts `text` at the first occurrence of any stop string. */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; cut: boolean } {
  let at = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, cut: false } : { text: text.slice(0, at), cut: true };
}

/**
 * One generate call for jobs with the same settings (the batch key): n rows per job, greedy at
 * temperature 0, else sampled from the job's seed or, unseeded, from `serverRng`.
 */
export async function decodeBatch(engine: Engine, jobs: Job[], serverRng: Rng): Promise<Choice[][]> {
  const { model, tok, eos, pad } = engine;
  const j0 = jobs[0];
  const prompts = jobs.flatMap((j) => Array.from({ length: j.n }, () => j.prompt));
  const greedy = j0.temperature === 0;
  const rng = greedy ? new Rng(0) : j0.seed !== undefined ? new Rng(j0.seed) : serverRng;
  const g = await generateAsync(model, prompts, rng, { maxNewTokens: j0.maxTokens, temperature: greedy ? 1 : j0.temperature, topP: j0.topP, greedy, stopTokenIds: [eos], padTokenId: pad });
  let row = 0;
  return jobs.map((j) =>
    Array.from({ length: j.n }, (): Choice => {
      const t = g.tokens[row];
      const finish = g.finishReasons[row++];
      const body = t[t.length - 1] === eos ? t.slice(0, -1) : t;
      const { text, cut } = cutAtStop(tok.decode(body), j.stop);
      return { text, tokens: body, finish: cut ? 'stop' : finish };
    }),
  );
}

/**
 * The batch key of each job: requests with the same key may share a generate call. Greedy ones by
 * length; sampled ones by settings; seeded ones alone (a seed reproduces), hence the counter.
 */
export function batchKeys(): (job: Job) => string {
  let seeded = 0;
  return (j) => (j.temperature === 0 ? `greedy:${j.maxTokens}` : j.seed !== undefined ? `seeded:${seeded++}` : `sample:${j.temperature}:${j.topP}:${j.maxTokens}`);
}

/** The server's batcher: `submit(job)` resolves to the job's choices (or throws QueueFull). */
export interface Batcher {
  submit(job: Job): Promise<Choice[]>;
  /** Resolves once no batch decodes and none waits. */
  idle(): Promise<void>;
}

/** A batching queue over `engine`; unseeded sampling draws from one stream seeded by `seed`; `onBatch` runs before each generate call. */
export function createBatcher(engine: Engine, seed: number, options: BatchQueueOptions, onBatch: () => void = () => {}): Batcher {
  const serverRng = new Rng(seed);
  const keyOf = batchKeys();
  const queue = new BatchQueue<Job, Choice[]>((jobs) => {
    onBatch();
    return decodeBatch(engine, jobs, serverRng);
  }, options);
  return { submit: (job) => queue.push(job, keyOf(job), job.n), idle: () => queue.idle() };
}
