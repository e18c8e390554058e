/**
 * The CoT refinement loop with pass@k selection (Fleming-R1, cold start): for each item, k
 * chains; each chain is a teacher draft checked by the verifiable filters, and while it fails,
 * a revision with the strategy its first failure calls for, up to `depth` revisions:
 *   claims / format / length fail   → self-correction (retract the false step, fix the ending)
 *   right answer, evidence missing  → backtracking (re-examine what was assumed or left out)
 *   wrong answer                    → path-exploration (test the other candidates)
 * a strategy already tried in the chain gives way to the next untried one. Of the chains that
 * pass every filter, the shortest completion is kept (ties: lower chain index), with the number
 * of teacher calls in its chain (`attempts`) and its strategies. Items no chain fixes are returned
 * as failures with the reason of their best attempt.
 *
 * Randomness: chain s of item i uses Rng(`${seed}|${i.id}|${s}`), so results do not depend on
 * order or concurrency.
 */
import { Semaphore } from '../../core/semaphore';
import { Rng } from '../../core/rng';
import type { KnowledgeGraph } from '../../graph/graph';
import { graphDifficulty } from '../../rods/difficulty';
import { itemGraphFeatures } from '../../rods/features';
import type { Difficulty, Item, ItemType } from '../../rods/item';
import { FilterName, FilterOptions, TraceCheck, checkTrace } from './filters';
import { STRATEGIES, Strategy, Teacher, Trace } from './trace';

export interface RefineOptions {
  /** Most revisions per chain. */
  depth: number;
  /** Chains (drafts) per item: pass@k. */
  k: number;
  /** Stop sampling chains once one passes (fewer teacher calls; the kept trace is then that one). */
  stopAtFirstPass: boolean;
  /** Items refined at once (an LLM client adds its own request limit). */
  concurrency: number;
  /** Seed of the per-chain streams. */
  seed: number;
  /** Filter options (length budget, evidence). */
  filters: Partial<FilterOptions>;
}

export const defaults: RefineOptions = {
  depth: 3, // revisions per chain
  k: 4, // chains per item (pass@k)
  stopAtFirstPass: false, // sample all k and keep the shortest passing trace
  concurrency: 8, // items in flight
  seed: 0, // per-chain streams derive from seed, item id and chain index
  filters: {}, // filters.defaults: 1200 chars, 260 tokens, evidence required
};

/** One cot row (DESIGN.md cot record) plus what the notebook's before/after view needs. */
export interface CotOutRow {
  itemId: string;
  completion: string;
  teacher: string;
  /** Teacher calls in the kept chain (1 = its draft passed). */
  attempts: number;
  /** Strategies of the kept chain's revisions, in order. */
  strategies: Strategy[];
  verified: boolean;
  /** Which of the k chains was kept (for failures: the best attempt's chain). */
  chain: number;
  /** The teacher's first draft for the item (chain 0's draft, whichever chain was kept). */
  firstDraft?: string;
  /** Why that first draft failed the filters (empty when it passed). */
  firstDraftFlaws?: string[];
  difficulty: Difficulty | null;
  type: ItemType;
}

/** An item no chain fixed: its best attempt (fewest failed filters, then the latest) and why. */
export interface CotFailure extends CotOutRow {
  verified: false;
  reason: string;
}

export interface RefineStats {
  items: number;
  verified: number;
  failed: number;
  /** Items the teacher could not take (e.g. curated items for the graph teacher). */
  unsupported: number;
  /** First drafts (chain 0) with the right answer letter / passing every filter. */
  firstDraftCorrect: number;
  firstDraftPassed: number;
  /** Strategies in the kept traces. */
  strategies: Record<Strategy, number>;
  /** Revisions tried per strategy, over all chains. */
  strategiesTried: Record<Strategy, number>;
  /** Revisions per strategy after which the chain passed every filter. */
  strategyFixes: Record<Strategy, number>;
  /** Kept traces by attempts (1 = draft passed). */
  byAttempts: Record<string, number>;
  /** Teacher calls (drafts + revisions). */
  calls: number;
  /** Failed-filter counts over all checked traces. */
  filterFailures: Record<FilterName, number>;
  /** Per item type: items, first drafts correct, verified. */
  byType: Record<string, { items: number; firstCorrect: number; verified: number }>;
  /** Per difficulty: items, first drafts correct, verified. */
  byDifficulty: Record<string, { items: number; firstCorrect: number; verified: number }>;
  /** Mean characters of the kept completions. */
  meanChars: number;
  elapsedMs: number;
}

export interface RefineResult {
  rows: CotOutRow[];
  failures: CotFailure[];
  stats: RefineStats;
}

/** What the loop needs besides the teacher. */
export interface RefineContext {
  /** The graph claims are checked against (null: claims and grounded evidence unchecked). */
  graph: KnowledgeGraph | null;
}

/** The strategy for a failed check, given those tried in the chain so far. */
export function chooseStrategy(check: Pick<TraceCheck, 'failed'>, tried: readonly Strategy[]): Strategy {
  const f = check.failed;
  let order: Strategy[];
  if (f.includes('claims') || f.includes('format')) order = ['self-correction', 'backtracking', 'path-exploration'];
  else if (f.includes('answer')) order = ['path-exploration', 'backtracking', 'self-correction'];
  else if (f.includes('evidence')) order = ['backtracking', 'path-exploration', 'self-correction'];
  else order = ['self-correction', 'backtracking', 'path-exploration'];
  return order.find((s) => !tried.includes(s)) ?? order[tried.length % order.length];
}

/** One teacher call of a chain: the strategy asked for (null: the draft), the trace, and the filters' verdict. */
export interface ChainStep {
  strategy: Strategy | null;
  completion: string;
  ok: boolean;
  failures: string[];
}

interface Chain {
  index: number;
  trace: Trace;
  check: TraceCheck;
  strategies: Strategy[];
  attempts: number;
  draft: Trace;
  draftCheck: TraceCheck;
  steps: ChainStep[];
}

/** The row's difficulty: the item's label, else the graph signal for synthetic items, else null. */
export function rowDifficulty(item: Item, graph: KnowledgeGraph | null): Difficulty | null {
  if (item.difficulty) return item.difficulty;
  if (graph && item.meta?.optionIds) return graphDifficulty(itemGraphFeatures(graph, item));
  return null;
}

/** Runs one chain: draft, then revisions while it fails. */
async function runChain(item: Item, teacher: Teacher, s: number, opts: RefineOptions, ctx: RefineContext, stats: RefineStats): Promise<Chain> {
  const rng = new Rng(`${opts.seed}|${item.id}|${s}`);
  const check = (t: Trace) => {
    const c = checkTrace(item, t, ctx.graph, opts.filters);
    for (const n of c.failed) stats.filterFailures[n] += 1;
    return c;
  };
  const draft = await teacher.draft(item, { rng, sample: s, depth: 0 });
  stats.calls += 1;
  const draftCheck = check(draft);
  let trace = draft;
  let c = draftCheck;
  const strategies: Strategy[] = [];
  const steps: ChainStep[] = [{ strategy: null, completion: draft.completion, ok: c.ok, failures: c.failures }];
  for (let d = 1; d <= opts.depth && !c.ok; d++) {
    const strategy = chooseStrategy(c, strategies);
    trace = await teacher.revise(item, trace, c.failures, strategy, { rng, sample: s, depth: d });
    stats.calls += 1;
    stats.strategiesTried[strategy] += 1;
    strategies.push(strategy);
    c = check(trace);
    steps.push({ strategy, completion: trace.completion, ok: c.ok, failures: c.failures });
    if (c.ok) stats.strategyFixes[strategy] += 1;
  }
  return { index: s, trace, check: c, strategies, attempts: strategies.length + 1, draft, draftCheck, steps };
}

/**
 * Chain `sample` of one item, call by call (draft, then each revision with its strategy and the
 * filters' verdict): exactly what refineItem computes for that chain, for inspection.
 */
export async function explainChain(item: Item, teacher: Teacher, ctx: RefineContext, options: Partial<RefineOptions> = {}, sample = 0): Promise<ChainStep[]> {
  const opts = { ...defaults, ...options };
  return (await runChain(item, teacher, sample, opts, ctx, emptyStats())).steps;
}

function emptyStats(): RefineStats {
  const zero = <K extends string>(ks: readonly K[]) => Object.fromEntries(ks.map((x) => [x, 0])) as Record<K, number>;
  return {
    items: 0,
    verified: 0,
    failed: 0,
    unsupported: 0,
    firstDraftCorrect: 0,
    firstDraftPassed: 0,
    strategies: zero(STRATEGIES),
    strategiesTried: zero(STRATEGIES),
    strategyFixes: zero(STRATEGIES),
    byAttempts: {},
    calls: 0,
    filterFailures: zero(['format', 'answer', 'claims', 'evidence', 'length'] as const),
    byType: {},
    byDifficulty: {},
    meanChars: 0,
    elapsedMs: 0,
  };
}

/** Refines one item: k chains, the shortest passing trace kept; or a failure with a reason. */
export async function refineItem(item: Item, teacher: Teacher, ctx: RefineContext, options: Partial<RefineOptions> = {}, stats: RefineStats = emptyStats()): Promise<CotOutRow | CotFailure> {
  const opts = { ...defaults, ...options };
  if (!(opts.k >= 1) || !Number.isInteger(opts.k)) throw new Error(`refine: k must be a positive integer, got ${opts.k}`);
  if (!(opts.depth >= 0) || !Number.isInteger(opts.depth)) throw new Error(`refine: depth must be a non-negative integer, got ${opts.depth}`);
  const base = { itemId: item.id, teacher: teacher.name, difficulty: rowDifficulty(item, ctx.graph), type: item.type };
  const why = teacher.unsupported?.(item) ?? null;
  if (why) return { ...base, completion: '', attempts: 0, strategies: [], verified: false, chain: 0, reason: `unsupported: ${why}` };
  const chains: Chain[] = [];
  for (let s = 0; s < opts.k; s++) {
    const ch = await runChain(item, teacher, s, opts, ctx, stats);
    chains.push(ch);
    if (ch.check.ok && opts.stopAtFirstPass) break;
  }
  const first = chains[0];
  const firstView = { firstDraft: first.draft.completion, firstDraftFlaws: first.draftCheck.failures };
  const passing = chains.filter((c) => c.check.ok);
  if (passing.length) {
    const best = passing.reduce((a, b) => (b.trace.completion.length < a.trace.completion.length ? b : a));
    return { ...base, completion: best.trace.completion, attempts: best.attempts, strategies: best.strategies, verified: true, chain: best.index, ...firstView };
  }
  const best = chains.reduce((a, b) => (b.check.failed.length <= a.check.failed.length ? b : a));
  return { ...base, completion: best.trace.completion, attempts: best.attempts, strategies: best.strategies, verified: false, chain: best.index, ...firstView, reason: best.check.failures.join('; ') };
}

const bump = (m: Record<string, { items: number; firstCorrect: number; verified: number }>, k: string, first: boolean, ok: boolean) => {
  const e = m[k] ?? (m[k] = { items: 0, firstCorrect: 0, verified: 0 });
  e.items += 1;
  e.firstCorrect += first ? 1 : 0;
  e.verified += ok ? 1 : 0;
};

/**
 * Refines every item (bounded concurrency, results in input order): verified rows, failures,
 * and the loop's statistics (first-draft accuracy, strategies, calls, filter failures).
 */
export async function refineAll(items: readonly Item[], teacher: Teacher, ctx: RefineContext, options: Partial<RefineOptions> = {}): Promise<RefineResult> {
  const opts = { ...defaults, ...options };
  const t0 = Date.now();
  const stats = emptyStats();
  const sem = new Semaphore(Math.max(1, opts.concurrency));
  const out = await Promise.all(items.map((it) => sem.run(() => refineItem(it, teacher, ctx, opts, stats))));
  const rows: CotOutRow[] = [];
  const failures: CotFailure[] = [];
  let chars = 0;
  out.forEach((r, i) => {
    const item = items[i];
    stats.items += 1;
    const unsupported = 'reason' in r && r.reason.startsWith('unsupported:');
    if (unsupported) stats.unsupported += 1;
    const firstOk = !unsupported && r.firstDraft !== undefined && !(r.firstDraftFlaws ?? []).some((x) => x.startsWith('answer:'));
    if (firstOk) stats.firstDraftCorrect += 1;
    if (!unsupported && r.firstDraftFlaws && r.firstDraftFlaws.length === 0) stats.firstDraftPassed += 1;
    bump(stats.byType, item.type, firstOk, r.verified);
    bump(stats.byDifficulty, r.difficulty ?? 'none', firstOk, r.verified);
    if (r.verified) {
      rows.push(r);
      stats.verified += 1;
      chars += r.completion.length;
      for (const s of r.strategies) stats.strategies[s] += 1;
      stats.byAttempts[String(r.attempts)] = (stats.byAttempts[String(r.attempts)] ?? 0) + 1;
    } else failures.push(r as CotFailure);
  });
  stats.failed = failures.length;
  stats.meanChars = rows.length ? chars / rows.length : 0;
  stats.elapsedMs = Date.now() - t0;
  return { rows, failures, stats };
}
