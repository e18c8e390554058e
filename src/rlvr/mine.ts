/**
 * Stage-2 hard-sample mining against a served policy.   Command:
 *   fleming rlvr mine --endpoint URL --model NAME [--run DIR] [--out DIR] [--api-key-env VAR]
 *
 * The mining of stage 2 (src/rlvr/plans.ts) for a policy trained elsewhere (verl on a cluster)
 * and served behind an OpenAI-compatible endpoint (vLLM, SGLang, `fleming serve`): every item of
 * the mining pool (the run's train split, or the seeded subset of rlvr.stage2MinePool, as stage 2
 * draws it; with rlvr.stage2MineTiers one difficulty at a time, Difficult first, until
 * rlvr.stage2MaxMined items have failed) is sampled rlvr.stage2Samples times at rlvr.temperature with rlvr.maxNewTokens; an
 * answer counts as correct by the correctness reward (the protocol's strict rule); items failed
 * ≥ rlvr.stage2MinFailures times are kept, Difficult first, up to rlvr.stage2MaxMined
 * (selectHard). Each call is one round: it appends a MiningRecord (with the endpoint and the
 * requests that failed) to <out>/mining.jsonl and writes the round's set as verl Parquet,
 * <out>/stage2_round<r>.parquet and <out>/stage2_train.parquet (the latest round), the rows of
 * `fleming export --format verl`. Default <out>: <run>/rlvr/mine/.
 * The prompt is the policy's: one user turn, itemPrompt(item), no system turn. Replies are not
 * cached (the same model name serves a new checkpoint each round).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonlAll, readJsonlSync, writeJsonlSync } from '../core/io';
import { type ChatResult, LlmClient, LlmError } from '../core/llm';
import { hashString } from '../core/rng';
import type { RunContext } from '../core/run';
import { rlRow, RL_FIELDS } from '../export/rows';
import { writeParquet } from '../export/parquet';
import { itemPrompt, optionLetters } from '../protocol/index';
import type { Item } from '../rods/item';
import { mean } from './advantage';
import { MinedItem, MiningRecord, capFilled, mineTiers, selectHard } from './plans';
import { correctness } from './rewards';

/** The endpoint a round mines against. */
export interface MineEndpoint {
  baseUrl: string;
  model: string;
  apiKeyEnv: string;
}

/** A round mined against an endpoint: the stage's MiningRecord (step: 0, the loop is elsewhere) and what failed. */
export interface EndpointMiningRecord extends MiningRecord {
  endpoint: { baseUrl: string; model: string };
  /** Items left out because a request for them failed for good (e.g. prompt + max tokens past the served context). */
  errors: number;
  errorExamples: string[];
}

export interface MineResult {
  record: EndpointMiningRecord;
  out: string;
  /** The round's verl file and the latest-round copy. */
  files: string[];
}

/** The mining pool of stage 2: the train split, or its seeded subset of rlvr.stage2MinePool items (the draw stage 2 makes). */
export function minePool(ctx: RunContext, items: readonly Item[]): Item[] {
  const train = items.filter((it) => it.split === 'train');
  const n = ctx.config.rlvr.stage2MinePool;
  return n > 0 ? ctx.rng('rlvr:stage2:pool').sample(train, n) : train;
}

/** n replies per item from the endpoint (item-major), or the error of a request that failed for good. */
async function sampleReplies(ctx: RunContext, ep: MineEndpoint, pool: readonly Item[], round: number): Promise<(ChatResult | LlmError)[]> {
  const c = ctx.config;
  const client = new LlmClient({ baseUrl: ep.baseUrl, model: ep.model, apiKeyEnv: ep.apiKeyEnv, maxConcurrency: c.eval.endpointConcurrency, maxRetries: c.eval.endpointRetries, timeoutMs: c.eval.endpointTimeoutS * 1000, cacheDir: '' });
  const requests = pool.flatMap((it) =>
    Array.from({ length: c.rlvr.stage2Samples }, (_, s) => ({
      messages: [{ role: 'user' as const, content: itemPrompt(it) }],
      opts: { temperature: c.rlvr.temperature, maxTokens: c.rlvr.maxNewTokens, sampleIndex: s, seed: hashString(`${c.seed}:rlvr:mine:${round}:${it.id}:${s}`) },
    })),
  );
  const res = await client.chatSettled(requests);
  const fatal = res.find((r): r is LlmError => r instanceof LlmError && [401, 403, 404].includes(r.status ?? 0));
  if (fatal) throw new Error(`rlvr mine: ${ep.baseUrl} refused the request (${fatal.message}); check --endpoint, --model and --api-key-env`);
  return res;
}

/** Failures per item (replies whose correctness reward is not 1), items with a failed request left out. */
function failuresOf(pool: readonly Item[], replies: readonly (ChatResult | LlmError)[], n: number): { results: MinedItem[]; errors: string[] } {
  const results: MinedItem[] = [];
  const errors: string[] = [];
  pool.forEach((it, g) => {
    const mine = replies.slice(g * n, (g + 1) * n);
    const failed = mine.find((r): r is LlmError => r instanceof LlmError);
    if (failed) {
      errors.push(`${it.id}: ${failed.message.slice(0, 200)}`);
      return;
    }
    const texts = (mine as ChatResult[]).map((r) => r.texts[0] ?? '');
    const ok = correctness(texts, { answer: texts.map(() => it.answer), letters: texts.map(() => optionLetters(it)) });
    results.push({ id: it.id, difficulty: it.difficulty ?? 'unlabelled', failures: ok.filter((x) => x !== 1).length });
  });
  return { results, errors };
}

/** The round's record, as stage 2 writes it (src/rlvr/plans.ts stage2Plan). */
function roundRecord(ctx: RunContext, round: number, results: MinedItem[], mined: MinedItem[], previous: MinedItem[] | null, seconds: number): MiningRecord {
  const c = ctx.config.rlvr;
  const hist = new Array<number>(c.stage2Samples + 1).fill(0);
  for (const r of results) hist[r.failures]++;
  const byDiff: Record<string, number> = {};
  for (const m of mined) byDiff[m.difficulty] = (byDiff[m.difficulty] ?? 0) + 1;
  const fails = new Map(results.map((r) => [r.id, r.failures]));
  return {
    round,
    step: 0,
    evaluated: results.length,
    samplesPerItem: c.stage2Samples,
    passRate: results.length ? Math.round((1 - mean(results.map((r) => r.failures)) / c.stage2Samples) * 1e6) / 1e6 : 0,
    failureHistogram: hist,
    failing: results.filter((r) => r.failures >= c.stage2MinFailures).length,
    mined: mined.length,
    minedByDifficulty: byDiff,
    minedItems: mined,
    previousStillFailing: previous === null ? null : previous.filter((m) => (fails.get(m.id) ?? 0) >= c.stage2MinFailures).length,
    seconds,
  };
}

/** One mining round against `ep` (see the file comment). */
export async function mineEndpoint(ctx: RunContext, ep: MineEndpoint, opts: { out?: string } = {}): Promise<MineResult> {
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  if (!fs.existsSync(itemsFile)) throw new Error(`${itemsFile}: no RODS items; run \`fleming rods --run ${ctx.dir}\` first`);
  const items = await readJsonlAll<Item>(itemsFile);
  const out = path.resolve(opts.out ?? path.join(ctx.stageDir('rlvr'), 'mine'));
  const log = path.join(out, 'mining.jsonl');
  const rounds = fs.existsSync(log) ? readJsonlSync<EndpointMiningRecord>(log).map((r) => r.value) : [];
  const round = rounds.length + 1;
  const pool = minePool(ctx, items);
  const c = ctx.config.rlvr;
  ctx.log(`rlvr mine: round ${round}: ${pool.length} train items × ${c.stage2Samples} samples from ${ep.model} at ${ep.baseUrl} (temperature ${c.temperature}, ≤ ${c.maxNewTokens} tokens)`);
  const t0 = performance.now();
  // as stage 2: the whole pool, or (rlvr.stage2MineTiers) one difficulty at a time until the cap has failed; each
  // request's seed names its item and sample, so an item's replies do not depend on which tiers are asked
  const results: MinedItem[] = [];
  const errors: string[] = [];
  const tiers: string[] = [];
  const cap = { minFailures: c.stage2MinFailures, maxMined: c.stage2MaxMined };
  for (const [tier, part] of c.stage2MineTiers ? mineTiers(pool) : [['all', pool] as const]) {
    if (c.stage2MineTiers && capFilled(results, cap)) break;
    tiers.push(tier);
    const f = failuresOf(part, await sampleReplies(ctx, ep, part, round), c.stage2Samples);
    results.push(...f.results);
    errors.push(...f.errors);
  }
  if (results.length === 0 && errors.length) throw new Error(`rlvr mine: every request failed, nothing was written (first: ${errors[0]})`);
  const mined = selectHard(results, { minFailures: c.stage2MinFailures, maxMined: c.stage2MaxMined, tieSeed: `${ctx.config.seed}:rlvr:stage2:items:ties${round - 1}` });
  const base = { ...roundRecord(ctx, round, results, mined, rounds.length ? rounds[rounds.length - 1].minedItems : null, Math.round(performance.now() - t0) / 1000), ...(c.stage2MineTiers ? { tiers, pool: pool.length } : {}) };
  const record: EndpointMiningRecord = { ...base, endpoint: { baseUrl: ep.baseUrl, model: ep.model }, errors: errors.length, errorExamples: errors.slice(0, 5) };
  const byId = new Map(items.map((it) => [it.id, it]));
  const rows = mined.map((m, i) => rlRow(byId.get(m.id) as Item, 'stage2', i, { rounds: [round], failures: m.failures, samples: c.stage2Samples }));
  const files = [path.join(out, `stage2_round${round}.parquet`), path.join(out, 'stage2_train.parquet')];
  for (const f of files) writeParquet(f, RL_FIELDS, rows);
  writeJsonlSync(log, [...rounds, record]);
  ctx.log(`rlvr mine: round ${round}: ${record.evaluated}${record.tiers ? ` of ${pool.length} items (${record.tiers.join(', ')})` : ' items'} mined, pass rate ${(100 * record.passRate).toFixed(1)}%, ${record.failing} failing ≥ ${c.stage2MinFailures}×, mined ${record.mined} ${JSON.stringify(record.minedByDifficulty)}${errors.length ? `; ${errors.length} items left out (requests failed: ${errors[0]})` : ''}`);
  return { record, out, files };
}
