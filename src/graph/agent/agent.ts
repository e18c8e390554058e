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
import type { NodeType } from '../schema';
import { claimTargetType, entityTypes, nodeFact } from './claims';
import { AgentConfig, CLAIM_RULES } from './config';
import { AgentStop, ApiClient, FetchLike } from './http';
import { AgentState, BatchRecord, Fact, FactSink, FrontierEntry, commitBatch, loadState, removeState, startState } from './state';
import { EntityStore, EntitySummary } from './wikidata';
import { ApiTarget, fetchLinks, resolveTitles } from './wikipedia';

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

/** The crawl in memory: the current BFS level in order (and by key), the next level by key. */
class Crawl {
  current: FrontierEntry[] = [];
  currentByKey = new Map<string, FrontierEntry>();
  next = new Map<string, FrontierEntry>();
  readonly enqueued = new Set<string>();
  readonly expanded = new Set<string>();
  skipped: Record<string, number> = {};
  duplicates = 0;
  batches = 0;

  constructor(seeds: string[]) {
    for (const key of [...new Set(seeds.map((s) => `wp:${s.trim()}`))].sort()) {
      this.next.set(key, { key, depth: 0, via: [] });
      this.enqueued.add(key);
    }
  }

  pending(): number {
    return this.current.length + this.next.size;
  }

  /** A pending entry by key, if any. */
  pendingEntry(key: string): FrontierEntry | undefined {
    return this.next.get(key) ?? this.currentByKey.get(key);
  }

  /** Moves to the next BFS level (sorted by key) when the current one is used up. */
  ensureLevel(): void {
    if (this.current.length || !this.next.size) return;
    this.current = [...this.next.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.currentByKey = new Map(this.current.map((e) => [e.key, e]));
    this.next = new Map();
  }

  /** The next batch: the first `n` entries of the current level. */
  batch(n: number): FrontierEntry[] {
    this.ensureLevel();
    return this.current.slice(0, n);
  }

  /** Applies a batch record (live, or replayed from the journal). */
  apply(r: BatchRecord): void {
    this.ensureLevel();
    for (const e of this.current.slice(0, r.processed)) this.currentByKey.delete(e.key);
    this.current = this.current.slice(r.processed);
    for (const [key, via] of r.viaMerges) {
      const e = this.pendingEntry(key);
      if (e) e.via = [...new Set([...e.via, ...via])].sort();
    }
    for (const e of r.entries) {
      this.next.set(e.key, { ...e, via: [...e.via] });
      this.enqueued.add(e.key);
    }
    for (const k of r.enqueued) this.enqueued.add(k);
    for (const q of r.expanded) this.expanded.add(q);
    for (const [reason, n] of Object.entries(r.skipped)) bump(this.skipped, reason, n);
    this.duplicates += r.duplicates;
    this.batches += 1;
  }
}

/** What one batch found, while it runs; committed only when the whole batch succeeded. */
interface BatchDelta {
  processed: number;
  facts: Fact[];
  newNodes: Set<string>;
  skipped: Record<string, number>;
  duplicates: number;
  expanded: Set<string>;
  enqueued: Set<string>;
  entries: Map<string, FrontierEntry>;
  viaMerges: Map<string, NodeType[]>;
  budgetHit: boolean;
}

function toRecord(d: BatchDelta): BatchRecord {
  return {
    processed: d.processed,
    facts: d.facts,
    entries: [...d.entries.values()],
    enqueued: [...d.enqueued].filter((k) => !d.entries.has(k)),
    expanded: [...d.expanded],
    viaMerges: [...d.viaMerges],
    skipped: sortRecord(d.skipped),
    duplicates: d.duplicates,
  };
}

function sortRecord(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

function bump(r: Record<string, number>, reason: string, n = 1): void {
  r[reason] = (r[reason] ?? 0) + n;
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
  const fetchImpl: FetchLike = ctx.fetchImpl ?? ((url, init) => fetch(url, init));
  const client = new ApiClient(
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
  const sink = new FactSink(builder, config.source);
  const crawl = new Crawl(config.seeds);
  let state: AgentState | undefined;
  let resumed = false;
  if (config.stateFile) {
    if (!config.resume) removeState(config.stateFile);
    const loaded = loadState(config.stateFile);
    if (loaded) {
      if (JSON.stringify(loaded.state.seeds) !== JSON.stringify(config.seeds))
        throw new Error(`${config.stateFile}: state was made from seeds ${JSON.stringify(loaded.state.seeds)}, not ${JSON.stringify(config.seeds)}`);
      for (const r of loaded.records) {
        crawl.apply(r);
        sink.apply(r.facts);
      }
      state = loaded.state;
      resumed = loaded.records.length > 0;
    } else state = startState(config.stateFile, config.seeds);
  }
  const wp: ApiTarget = { api: config.wikipediaApi, maxlag: config.maxlag };
  const wd: ApiTarget = { api: config.wikidataApi, maxlag: config.maxlag };
  const ruleProps = new Set(CLAIM_RULES.map((r) => r.property));
  const store = new EntityStore(client, wd, config.batchSize, ruleProps);
  const pathogenClasses = new Set(config.pathogenClasses);

  let stopped: AgentResult['stopped'] = 'done';
  try {
    while (crawl.pending()) {
      if (sink.nodeIds.size >= config.maxEntities) {
        stopped = 'maxEntities';
        break;
      }
      const batch = crawl.batch(config.batchSize);
      const delta = await processBatch(batch);
      commit(delta);
      const depth = batch[0].depth;
      ctx.onProgress?.({
        batch: crawl.batches,
        depth,
        pending: crawl.pending(),
        expanded: crawl.expanded.size,
        entities: sink.nodeIds.size,
        edges: sink.edgeKeys.size,
        requests: client.counts.requests,
        cacheHits: client.counts.cacheHits,
      });
      if (delta.budgetHit) {
        stopped = 'maxEntities';
        break;
      }
      store.trim(50_000);
    }
  } catch (e) {
    if (e instanceof AgentStop) stopped = e.reason;
    else throw e;
  }

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

  function commit(d: BatchDelta): void {
    const record = toRecord(d);
    crawl.apply(record);
    sink.apply(record.facts);
    if (config.stateFile && state) {
      state = { ...state, batches: crawl.batches };
      commitBatch(config.stateFile, state, record);
    }
  }

  async function processBatch(batch: FrontierEntry[]): Promise<BatchDelta> {
    const d: BatchDelta = {
      processed: 0,
      facts: [],
      newNodes: new Set(),
      skipped: {},
      duplicates: 0,
      expanded: new Set(),
      enqueued: new Set(),
      entries: new Map(),
      viaMerges: new Map(),
      budgetHit: false,
    };
    const depth = batch[0].depth;
    const deeper = depth + 1 <= config.maxDepth;
    const entities = (): number => sink.nodeIds.size + d.newNodes.size;
    const hasNode = (type: NodeType, q: string): boolean => sink.hasNode(type, q) || d.newNodes.has(`${type}|${q}`);
    const isEnqueued = (key: string): boolean => crawl.enqueued.has(key) || d.enqueued.has(key);
    const enqueue = (key: string, via: NodeType[]): void => {
      if (!isEnqueued(key)) {
        d.enqueued.add(key);
        d.entries.set(key, { key, depth: depth + 1, via: [...via] });
        return;
      }
      const pendingNew = d.entries.get(key);
      if (pendingNew) pendingNew.via = [...new Set([...pendingNew.via, ...via])].sort();
      else if (via.length && crawl.pendingEntry(key)) d.viaMerges.set(key, [...new Set([...(d.viaMerges.get(key) ?? []), ...via])].sort());
    };
    const addNode = (s: EntitySummary, type: NodeType, extraNames: string[] = []): boolean => {
      if (hasNode(type, s.id)) return true;
      const f = nodeFact(s, type, extraNames);
      if ('skip' in f) return false;
      d.facts.push(f);
      d.newNodes.add(`${type}|${s.id}`);
      return true;
    };

    // 1. Wikipedia titles → Wikidata items.
    const titles = batch.filter((e) => e.key.startsWith('wp:')).map((e) => e.key.slice(3));
    const info = await resolveTitles(client, wp, titles);

    // 2. The items, and the pathogen rule for taxa among them.
    const qOf = (e: FrontierEntry): string | undefined => (e.key.startsWith('wd:') ? e.key.slice(3) : info.get(e.key.slice(3))?.q);
    const qs = batch.map(qOf).filter((q): q is string => !!q);
    await store.load(qs);
    const ownPathogen = await store.pathogens(qs, pathogenClasses, config.pathogenLineageDepth);

    // 3. Expand each entry in order until the entity budget runs out.
    const expandedNow: { entry: FrontierEntry; s: EntitySummary; types: NodeType[]; title?: string }[] = [];
    for (const entry of batch) {
      if (entities() >= config.maxEntities) {
        d.budgetHit = true;
        break;
      }
      d.processed += 1;
      let title: string | undefined;
      if (entry.key.startsWith('wp:')) {
        const i = info.get(entry.key.slice(3))!;
        if (i.missing) {
          bump(d.skipped, 'page missing');
          continue;
        }
        if (!i.q) {
          bump(d.skipped, 'page without Wikidata item');
          continue;
        }
        title = i.title;
      }
      const q = qOf(entry)!;
      const s = store.get(q);
      if (crawl.expanded.has(s.id) || d.expanded.has(s.id)) {
        d.duplicates += 1;
        continue;
      }
      if (s.missing) {
        bump(d.skipped, 'item missing');
        continue;
      }
      const types = entityTypes(s, config.typeClasses, ownPathogen.get(q) ?? false, entry.via);
      if (!types.length) {
        bump(d.skipped, 'not medical');
        continue;
      }
      const extra = title && title !== s.label ? [title] : [];
      const added = types.filter((t) => addNode(s, t, extra));
      if (!added.length) {
        bump(d.skipped, s.label ? 'label has no letters or digits' : 'no English label');
        continue;
      }
      d.expanded.add(s.id);
      title ??= s.enwiki;
      if (title) d.enqueued.add(`wp:${title}`);
      expandedNow.push({ entry, s, types: added, title });
    }

    // 4. Claims → typed edges; targets go one level deeper.
    const uses = expandedNow.flatMap(({ s, types }) =>
      CLAIM_RULES.filter((r) => types.includes(r.subject)).flatMap((rule) => s.claims.filter((c) => c.property === rule.property).map((c) => ({ s, rule, target: c.target }))),
    );
    await store.load(uses.map((u) => u.target));
    const causePathogen = await store.pathogens(
      uses.filter((u) => u.rule.target === 'pathogen').map((u) => u.target),
      pathogenClasses,
      config.pathogenLineageDepth,
    );
    for (const { s, types } of expandedNow) {
      for (const rule of CLAIM_RULES) {
        if (!types.includes(rule.subject)) continue;
        for (const sk of s.claimSkips) if (sk.property === rule.property) bump(d.skipped, `${rule.property} ${sk.reason}`);
        for (const c of s.claims) {
          if (c.property !== rule.property) continue;
          const t = store.get(c.target);
          const tt = claimTargetType(rule, t, causePathogen.get(c.target) ?? false, config.typeClasses);
          if (typeof tt !== 'string') {
            bump(d.skipped, `${rule.property} ${tt.skip}`);
            continue;
          }
          if (t.id === s.id) {
            bump(d.skipped, `${rule.property} claim on itself`);
            continue;
          }
          if (!hasNode(tt, t.id) && entities() >= config.maxEntities) {
            bump(d.skipped, `${rule.property} entity budget`);
            continue;
          }
          addNode(t, tt);
          const subj: [NodeType, string] = [rule.subject, s.id];
          const obj: [NodeType, string] = [tt, t.id];
          const [from, to] = rule.reversed ? [obj, subj] : [subj, obj];
          d.facts.push({ k: 'edge', from, relation: rule.relation, to, ref: `${config.refBase}${s.id}#${rule.property}` });
          if (deeper) enqueue(`wd:${t.id}`, [tt]);
        }
      }
    }

    // 5. Article links → Wikipedia titles one level deeper.
    if (deeper) {
      const pages = [...new Set(expandedNow.map((x) => x.title).filter((t): t is string => !!t))].sort();
      for (let i = 0; i < pages.length; i += config.batchSize) {
        const links = await fetchLinks(client, wp, pages.slice(i, i + config.batchSize));
        for (const p of pages.slice(i, i + config.batchSize)) for (const l of links.get(p) ?? []) enqueue(`wp:${l}`, []);
      }
    }
    return d;
  }
}
