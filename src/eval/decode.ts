/**
 * Step 3 of `fleming eval`: every model answers every set. Results go to eval/results.jsonl as
 * they are made, keyed by weights, protocol and item, so a rerun decodes nothing already there;
 * prompts that do not fit a model's context are recorded as too long, never dropped; an item whose
 * request failed for good is a row with its error, counted but not stored, so a rerun asks again.
 */
import * as path from 'node:path';
import type { RunContext } from '../core/run';
import { ensureBackend } from '../model/backend';
import { lenientAnswer, optionLetters, strictAnswer } from '../protocol/index';
import type { Item } from '../rods/item';
import type { CopyProbe } from '../base/copy';
import { thoughtAnatomy } from './anatomy';
import type { ClaimMatcher } from './claims';
import { CheckpointGenerator, Decoding, EndpointGenerator, EndpointSpec, Generator, type Sample } from './generators';
import type { EvalRunOptions, ModelEntry } from './inputs';
import { type ClaimCount, ResultRow, ResultStore, protocolKey, resultKey } from './results';

/** What decoding produced: every row (cached, new or failed), each checkpoint's copy probe, and the counts. */
export interface Decoded {
  rows: ResultRow[];
  copies: Map<string, CopyProbe>;
  generated: number;
  reused: number;
  /** Items whose request failed for good (rows with `error`). */
  errors: number;
}

/** A sample with its claims and anatomy read by the graph's matcher (without a graph: `claims` as given, no anatomy). */
function readThought(matcher: ClaimMatcher | null, item: Item, s: Sample, claims: ClaimCount): ResultRow['samples'][number] {
  return matcher ? { ...s, claims: countClaims(matcher, s.completion), anatomy: thoughtAnatomy(matcher, item, s.completion) } : { ...s, claims, anatomy: null };
}

function countClaims(m: ClaimMatcher, completion: string): { total: number; supported: number } {
  const v = m.verify(completion);
  return { total: v.total, supported: v.supported };
}

/** Shared state of one decoding pass over the models. */
interface Pass {
  ctx: RunContext;
  store: ResultStore;
  protocol: string;
  matcher: ClaimMatcher | null;
  out: Decoded;
}

/** One model on one set: cached rows reused (claims re-read), too-long items recorded, the rest decoded in chunks. */
async function decodeSet(p: Pass, m: ModelEntry, gen: Generator, d: Decoding, set: { name: string; items: Item[] }): Promise<void> {
  const { ctx, store, matcher, out } = p;
  const todo: { item: Item; key: string }[] = [];
  for (const item of set.items) {
    const key = resultKey(gen.fingerprint, p.protocol, set.name, item);
    const have = store.get(key);
    if (have) {
      // answers and claims are re-read with the current protocol and matcher (they may have changed since the row was made)
      const letters = optionLetters(item);
      out.rows.push({ ...have, model: m.id, samples: have.samples.map((s) => readThought(matcher, item, { ...s, strict: strictAnswer(s.completion, letters), lenient: lenientAnswer(s.completion, letters) }, s.claims)) });
      out.reused++;
    } else todo.push({ item, key });
  }
  const base = (item: Item, key: string) => ({
    key, model: m.id, benchmark: set.name, itemId: item.id, type: item.type, difficulty: item.difficulty ?? 'unlabelled',
    longTail: Boolean(item.meta?.longTail), answer: item.answer, options: Object.keys(item.options).length, promptTokens: gen.promptTokens(item),
  });
  const fitting = todo.filter(({ item, key }) => {
    if (gen.fits(item, d.maxNewTokens)) return true;
    const row: ResultRow = { ...base(item, key), tooLong: true, samples: [] };
    store.put(row);
    out.rows.push(row);
    return false;
  });
  if (!fitting.length) return;
  const bar = ctx.progress(`eval: ${m.label} on ${set.name}`, fitting.length);
  const chunk = Math.max(1, d.batchSize) * (m.kind === 'endpoint' ? 4 : 1);
  for (let i = 0; i < fitting.length; i += chunk) {
    const part = fitting.slice(i, i + chunk);
    const answers = await gen.run(part.map((q) => q.item), d);
    part.forEach(({ item, key }, j) => {
      const a = answers[j];
      if ('error' in a) {
        out.rows.push({ ...base(item, key), tooLong: false, samples: [], error: a.error });
        out.errors++;
        return;
      }
      const row: ResultRow = { ...base(item, key), tooLong: false, samples: a.map((s) => readThought(matcher, item, s, { total: 0, supported: 0 })) };
      store.put(row);
      out.rows.push(row);
    });
    bar.update(Math.min(fitting.length, i + chunk));
  }
  bar.done();
}

/** The generator of a model: a checkpoint on the selected backend, or an endpoint with its reply cache and the eval.endpoint* limits. */
async function generatorOf(ctx: RunContext, m: ModelEntry, opts: EvalRunOptions, dir: string): Promise<Generator> {
  if (m.kind !== 'endpoint') {
    await ensureBackend(ctx.config.backend, (msg) => ctx.log(`eval: ${msg}`));
    return new CheckpointGenerator(m.source, m.id);
  }
  const c = ctx.config.eval;
  const spec = { ...(opts.endpoint as EndpointSpec), maxConcurrency: c.endpointConcurrency };
  return new EndpointGenerator(spec, { cacheDir: path.join(dir, 'llm-cache'), timeoutMs: c.endpointTimeoutS * 1000, maxRetries: c.endpointRetries, ...opts.endpointClient });
}

/** Every model that can run, on every set (see the file comment); checkpoints also get the copy probe. */
export async function decodeModels(
  ctx: RunContext,
  opts: EvalRunOptions,
  models: readonly ModelEntry[],
  evalSets: readonly { name: string; items: Item[] }[],
  matcher: ClaimMatcher | null,
  decoding: Decoding,
  dir: string,
): Promise<Decoded> {
  const store = new ResultStore(path.join(dir, 'results.jsonl'));
  if (store.cut) ctx.log(`eval: ${store.cut}; its item is evaluated again`);
  const p: Pass = { ctx, store, protocol: protocolKey(decoding), matcher, out: { rows: [], copies: new Map(), generated: 0, reused: 0, errors: 0 } };
  for (const m of models.filter((x) => !x.notRun)) {
    const gen = await generatorOf(ctx, m, opts, dir);
    const d: Decoding = m.kind === 'endpoint' ? { ...decoding, maxNewTokens: ctx.config.eval.endpointMaxTokens } : decoding;
    try {
      if (gen instanceof CheckpointGenerator) p.out.copies.set(m.id, await gen.copyProbe(ctx.rng('eval:copy')));
      for (const set of evalSets) await decodeSet(p, m, gen, d, set);
      p.out.generated += gen.generated;
    } finally {
      gen.dispose();
    }
  }
  return p.out;
}
