/**
 * The knowledge-graph discovery agent (Fleming-R1 built its >100k-entity graph from Wikipedia
 * with an agent). From seed article titles it walks breadth-first:
 *   1. resolve a batch of Wikipedia titles to Wikidata items (`prop=pageprops`);
 *   2. read the items (`wbgetentities`); an item is medical when its P31 / P279 classes (or the
 *      claim it was reached through) map to a node type; the rest are counted as skipped;
 *   3. turn the mapped claims of each medical item into typed edges (config.ts: CLAIM_RULES) and
 *      enqueue their targets one level deeper;
 *   4. enqueue the namespace-0 links of each medical item's article one level deeper.
 * Facts go to a GraphBuilder under the source 'wikipedia-agent'. Requests are serial,
 * rate-limited, retried and cached on disk; the state is saved after every batch, so a killed
 * run resumes where it stopped and ends with the same graph as an uninterrupted one.
 *
 * Run for real (network only): `runDiscoveryAgent({ ...defaults, seeds, stateFile }, new GraphBuilder())`.
 */
import type { GraphBuilder } from '../graph';
import { AgentRun, BatchDelta, processBatch, toRecord } from './batch';
import { AgentConfig, CLAIM_RULES } from './config';
import { Crawl, bump, sortRecord } from './crawl';
import { AgentStop, ApiClient, FetchLike } from './http';
import { AgentState, FactSink, commitBatch, loadState, removeState, startState } from './state';
import { EntityStore } from './wikidata';

export interface AgentProgress {
  batch: number;
  depth: number;
  pending: number;
  expanded: number;
  entities: number;
  edges: number;
  requests: number;
  cacheHits: number;
}

export interface AgentContext {
  /** Defaults to the global fetch. */
  fetchImpl?: FetchLike;
  /** Called after every committed batch. */
  onProgress?: (p: AgentProgress) => void;
  /** Aborting stops the run after the last committed batch (the promise resolves, stopped: 'aborted'). */
  signal?: AbortSignal;
}

export interface AgentResult {
  /** 'done': frontier exhausted; otherwise why the run stopped (the state file can resume it). */
  stopped: 'done' | 'maxEntities' | 'maxRequests' | 'aborted';
  resumed: boolean;
  batches: number;
  /** HTTP requests sent by this run (retries included). */
  requests: number;
  cacheHits: number;
  retries: number;
  retriesByReason: Record<string, number>;
  /** (type, Q-id) entities and distinct edges the agent has put in the builder (resumed facts included). */
  entities: number;
  entitiesByType: Record<string, number>;
  edges: number;
  /** Items expanded, and frontier entries left. */
  expanded: number;
  pending: number;
  duplicates: number;
  /** Skipped pages, items and claims by reason (claims as `<P-id> <reason>`). */
  skipped: Record<string, number>;
}

/** Throws on settings the APIs or the loop cannot work with. */
export function validateConfig(c: AgentConfig): void {
  if (!c.seeds.length) throw new Error('runDiscoveryAgent: no seed titles');
  if (!(c.batchSize >= 1 && c.batchSize <= 50)) throw new Error(`runDiscoveryAgent: batchSize must be 1..50 (API limit), got ${c.batchSize}`);
  if (!(c.requestsPerSecond > 0)) throw new Error('runDiscoveryAgent: requestsPerSecond must be > 0');
  if (!(c.maxDepth >= 0) || !(c.maxEntities > 0)) throw new Error('runDiscoveryAgent: maxDepth must be >= 0 and maxEntities > 0');
  if (!c.userAgent.trim()) throw new Error('runDiscoveryAgent: a descriptive userAgent is required by Wikimedia policy');
}

/**
 * Crawls Wikipedia and Wikidata from `config.seeds` into `builder` (see the file comment).
 * Resolves when the frontier is exhausted, a budget is reached or `ctx.signal` aborts; network
 * failures that outlast the retries reject, after the last completed batch was saved.
 */
export async function runDiscoveryAgent(config: AgentConfig, builder: GraphBuilder, ctx: AgentContext = {}): Promise<AgentResult> {
  validateConfig(config);
  const client = apiClient(config, ctx);
  const sink = new FactSink(builder, config.source);
  const crawl = new Crawl(config.seeds);
  const journal = openJournal(config, crawl, sink);
  const run = agentRun(config, client, sink, crawl);
  const stopped = await crawlUntilStopped(run, journal, ctx);
  return agentResult(run, stopped, journal.resumed);
}

/** The API client for a run: its settings from `config`, the fetch and abort signal from `ctx`. */
function apiClient(config: AgentConfig, ctx: AgentContext): ApiClient {
  const fetchImpl: FetchLike = ctx.fetchImpl ?? ((url, init) => fetch(url, init));
  return new ApiClient(
    {
      userAgent: config.userAgent,
      requestsPerSecond: config.requestsPerSecond,
      maxRetries: config.maxRetries,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      timeoutMs: config.timeoutMs,
      maxRequests: config.maxRequests,
      cacheDir: config.cacheDir,
    },
    fetchImpl,
    ctx.signal,
  );
}

/** The run's saved state (none without a state file), and whether committed batches were replayed. */
interface Journal {
  state?: AgentState;
  resumed: boolean;
}

/** Replays a saved state into the crawl and the facts, or starts a fresh state file. */
function openJournal(config: AgentConfig, crawl: Crawl, sink: FactSink): Journal {
  if (!config.stateFile) return { resumed: false };
  if (!config.resume) removeState(config.stateFile);
  const loaded = loadState(config.stateFile);
  if (!loaded) return { state: startState(config.stateFile, config.seeds), resumed: false };
  if (JSON.stringify(loaded.state.seeds) !== JSON.stringify(config.seeds))
    throw new Error(`${config.stateFile}: state was made from seeds ${JSON.stringify(loaded.state.seeds)}, not ${JSON.stringify(config.seeds)}`);
  for (const r of loaded.records) {
    crawl.apply(r);
    sink.apply(r.facts);
  }
  return { state: loaded.state, resumed: loaded.records.length > 0 };
}

/** What the batches work with: the API targets and the item store beside the crawl and the facts. */
function agentRun(config: AgentConfig, client: ApiClient, sink: FactSink, crawl: Crawl): AgentRun {
  const wp = { api: config.wikipediaApi, maxlag: config.maxlag };
  const wd = { api: config.wikidataApi, maxlag: config.maxlag };
  const ruleProps = new Set(CLAIM_RULES.map((r) => r.property));
  const store = new EntityStore(client, wd, config.batchSize, ruleProps);
  return { config, client, wp, store, sink, crawl, pathogenClasses: new Set(config.pathogenClasses) };
}

/** The BFS loop: runs and commits batches until the frontier is empty, a budget is reached or the run stops. */
async function crawlUntilStopped(run: AgentRun, journal: Journal, ctx: AgentContext): Promise<AgentResult['stopped']> {
  const { config, crawl, sink } = run;
  try {
    while (crawl.pending()) {
      if (sink.nodeIds.size >= config.maxEntities) return 'maxEntities';
      const batch = crawl.batch(config.batchSize);
      const delta = await processBatch(run, batch);
      commit(run, journal, delta);
      ctx.onProgress?.(progress(run, batch[0].depth));
      if (delta.budgetHit) return 'maxEntities';
      run.store.trim(50_000);
    }
  } catch (e) {
    if (e instanceof AgentStop) return e.reason;
    throw e;
  }
  return 'done';
}

/** Commits a finished batch: applies it to the crawl and the facts, then saves it to the journal. */
function commit(run: AgentRun, journal: Journal, d: BatchDelta): void {
  const record = toRecord(d);
  run.crawl.apply(record);
  run.sink.apply(record.facts);
  if (run.config.stateFile && journal.state) {
    journal.state = { ...journal.state, batches: run.crawl.batches };
    commitBatch(run.config.stateFile, journal.state, record);
  }
}

/** The progress report after a batch at `depth`. */
function progress(run: AgentRun, depth: number): AgentProgress {
  return {
    batch: run.crawl.batches,
    depth,
    pending: run.crawl.pending(),
    expanded: run.crawl.expanded.size,
    entities: run.sink.nodeIds.size,
    edges: run.sink.edgeKeys.size,
    requests: run.client.counts.requests,
    cacheHits: run.client.counts.cacheHits,
  };
}

/** The run's result: why it stopped, and the counts of requests, entities, edges and skips. */
function agentResult({ client, sink, crawl }: AgentRun, stopped: AgentResult['stopped'], resumed: boolean): AgentResult {
  const entitiesByType: Record<string, number> = {};
  for (const k of sink.nodeIds.keys()) bump(entitiesByType, k.slice(0, k.indexOf('|')));
  return {
    stopped,
    resumed,
    batches: crawl.batches,
    requests: client.counts.requests,
    cacheHits: client.counts.cacheHits,
    retries: client.counts.retries,
    retriesByReason: sortRecord(client.counts.retriesByReason),
    entities: sink.nodeIds.size,
    entitiesByType: sortRecord(entitiesByType),
    edges: sink.edgeKeys.size,
    expanded: crawl.expanded.size,
    pending: crawl.pending(),
    duplicates: crawl.duplicates,
    skipped: sortRecord(crawl.skipped),
  };
}
