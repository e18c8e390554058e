/**
 * One batch of the discovery agent: the steps that turn the head of the current BFS level into a
 * BatchDelta (facts, new frontier entries, skips). Nothing is committed here; the caller commits
 * the delta only when the whole batch succeeded.
 *   1. resolve the batch's Wikipedia titles to Wikidata items;
 *   2. load the items, and apply the pathogen rule to the taxa among them;
 *   3. expand each entry in order until the entity budget runs out;
 *   4. turn the claims of the expanded items into typed edges; targets go one level deeper;
 *   5. enqueue the article links of the expanded items one level deeper.
 */
import type { NodeType } from '../schema';
import { claimTargetType, entityTypes, nodeFact } from './claims';
import { AgentConfig, CLAIM_RULES, ClaimRule } from './config';
import { Crawl, bump, sortRecord } from './crawl';
import type { ApiClient } from './http';
import type { BatchRecord, Fact, FactSink, FrontierEntry } from './state';
import type { EntityStore, EntitySummary } from './wikidata';
import { ApiTarget, TitleInfo, fetchLinks, resolveTitles } from './wikipedia';

/** What every batch works with: the settings, the APIs, and the committed crawl and facts. */
export interface AgentRun {
  config: AgentConfig;
  client: ApiClient;
  wp: ApiTarget;
  store: EntityStore;
  sink: FactSink;
  crawl: Crawl;
  pathogenClasses: Set<string>;
}

/** What one batch found, while it runs; committed only when the whole batch succeeded. */
export interface BatchDelta {
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

/** The journal record of a finished batch. */
export function toRecord(d: BatchDelta): BatchRecord {
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

/** The batch's items: Wikipedia page info by title, and the pathogen rule's answer by Q-id. */
interface BatchItems {
  info: Map<string, TitleInfo>;
  ownPathogen: Map<string, boolean>;
}

/** An entry expanded in this batch: its item, the node types it was added under, its article. */
interface Expanded {
  entry: FrontierEntry;
  s: EntitySummary;
  types: NodeType[];
  title?: string;
}

/** A batch in progress: its delta, read together with the committed crawl and facts. */
class BatchWork {
  readonly d: BatchDelta = {
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
  /** Whether what this batch finds may still be enqueued (one level deeper is within maxDepth). */
  readonly deeper: boolean;

  constructor(
    readonly run: AgentRun,
    readonly depth: number,
  ) {
    this.deeper = depth + 1 <= run.config.maxDepth;
  }

  /** Entities committed plus those added by this batch. */
  entities(): number {
    return this.run.sink.nodeIds.size + this.d.newNodes.size;
  }

  /** Whether a (type, Q-id) node exists, committed or added by this batch. */
  hasNode(type: NodeType, q: string): boolean {
    return this.run.sink.hasNode(type, q) || this.d.newNodes.has(`${type}|${q}`);
  }

  /** Counts a skip reason; returns undefined so that callers can `return w.skip(…)`. */
  skip(reason: string): undefined {
    bump(this.d.skipped, reason);
    return undefined;
  }

  /** Enqueues a key one level deeper, or merges `via` into the entry already pending for it. */
  enqueue(key: string, via: NodeType[]): void {
    if (!this.run.crawl.enqueued.has(key) && !this.d.enqueued.has(key)) {
      this.d.enqueued.add(key);
      this.d.entries.set(key, { key, depth: this.depth + 1, via: [...via] });
      return;
    }
    const pendingNew = this.d.entries.get(key);
    if (pendingNew) pendingNew.via = [...new Set([...pendingNew.via, ...via])].sort();
    else if (via.length && this.run.crawl.pendingEntry(key)) this.d.viaMerges.set(key, [...new Set([...(this.d.viaMerges.get(key) ?? []), ...via])].sort());
  }

  /** Adds the node fact of an item under `type` unless the node exists; false when the item cannot be a node. */
  addNode(s: EntitySummary, type: NodeType, extraNames: string[] = []): boolean {
    if (this.hasNode(type, s.id)) return true;
    const f = nodeFact(s, type, extraNames);
    if ('skip' in f) return false;
    this.d.facts.push(f);
    this.d.newNodes.add(`${type}|${s.id}`);
    return true;
  }
}

/** Runs one batch (the steps in the file comment) and returns what it found, uncommitted. */
export async function processBatch(run: AgentRun, batch: FrontierEntry[]): Promise<BatchDelta> {
  const w = new BatchWork(run, batch[0].depth);
  const items = await loadItems(run, batch);
  const expanded = expandEntries(w, batch, items);
  await addClaimEdges(w, expanded);
  if (w.deeper) await enqueueLinks(w, expanded);
  return w.d;
}

/** The Q-id of an entry: its own for `wd:` keys, the item of its resolved title for `wp:` keys. */
function itemOf(e: FrontierEntry, info: Map<string, TitleInfo>): string | undefined {
  return e.key.startsWith('wd:') ? e.key.slice(3) : info.get(e.key.slice(3))?.q;
}

/** Steps 1–2: resolves the batch's titles to items, loads the items and applies the pathogen rule. */
async function loadItems(run: AgentRun, batch: FrontierEntry[]): Promise<BatchItems> {
  const titles = batch.filter((e) => e.key.startsWith('wp:')).map((e) => e.key.slice(3));
  const info = await resolveTitles(run.client, run.wp, titles);
  const qs = batch.map((e) => itemOf(e, info)).filter((q): q is string => !!q);
  await run.store.load(qs);
  const ownPathogen = await run.store.pathogens(qs, run.pathogenClasses, run.config.pathogenLineageDepth);
  return { info, ownPathogen };
}

/** Step 3: expands the entries in order until the entity budget runs out. */
function expandEntries(w: BatchWork, batch: FrontierEntry[], items: BatchItems): Expanded[] {
  const expanded: Expanded[] = [];
  for (const entry of batch) {
    if (w.entities() >= w.run.config.maxEntities) {
      w.d.budgetHit = true;
      break;
    }
    w.d.processed += 1;
    const x = expandEntry(w, entry, items);
    if (x) expanded.push(x);
  }
  return expanded;
}

/** Adds the nodes of one entry's item under its types, or counts why the entry was skipped. */
function expandEntry(w: BatchWork, entry: FrontierEntry, { info, ownPathogen }: BatchItems): Expanded | undefined {
  let title: string | undefined;
  if (entry.key.startsWith('wp:')) {
    const i = info.get(entry.key.slice(3))!;
    if (i.missing) return w.skip('page missing');
    if (!i.q) return w.skip('page without Wikidata item');
    title = i.title;
  }
  const q = itemOf(entry, info)!;
  const s = w.run.store.get(q);
  if (w.run.crawl.expanded.has(s.id) || w.d.expanded.has(s.id)) {
    w.d.duplicates += 1;
    return undefined;
  }
  if (s.missing) return w.skip('item missing');
  const types = entityTypes(s, w.run.config.typeClasses, ownPathogen.get(q) ?? false, entry.via);
  if (!types.length) return w.skip('not medical');
  const extra = title && title !== s.label ? [title] : [];
  const added = types.filter((t) => w.addNode(s, t, extra));
  if (!added.length) return w.skip(s.label ? 'label has no letters or digits' : 'no English label');
  w.d.expanded.add(s.id);
  title ??= s.enwiki;
  if (title) w.d.enqueued.add(`wp:${title}`);
  return { entry, s, types: added, title };
}

/** Step 4: loads the claim targets of the expanded items, then turns each mapped claim into an edge. */
async function addClaimEdges(w: BatchWork, expanded: Expanded[]): Promise<void> {
  const { store, config, pathogenClasses } = w.run;
  const uses = expanded.flatMap(({ s, types }) =>
    CLAIM_RULES.filter((r) => types.includes(r.subject)).flatMap((rule) => s.claims.filter((c) => c.property === rule.property).map((c) => ({ s, rule, target: c.target }))),
  );
  await store.load(uses.map((u) => u.target));
  const causePathogen = await store.pathogens(
    uses.filter((u) => u.rule.target === 'pathogen').map((u) => u.target),
    pathogenClasses,
    config.pathogenLineageDepth,
  );
  for (const { s, types } of expanded) {
    for (const rule of CLAIM_RULES) {
      if (!types.includes(rule.subject)) continue;
      for (const sk of s.claimSkips) if (sk.property === rule.property) w.skip(`${rule.property} ${sk.reason}`);
      for (const c of s.claims) if (c.property === rule.property) addClaimEdge(w, s, rule, c.target, causePathogen.get(c.target) ?? false);
    }
  }
}

/** One claim of an item under a rule: an edge to its typed target (enqueued one level deeper), or a counted skip. */
function addClaimEdge(w: BatchWork, s: EntitySummary, rule: ClaimRule, target: string, isPathogen: boolean): void {
  const { store, config } = w.run;
  const t = store.get(target);
  const tt = claimTargetType(rule, t, isPathogen, config.typeClasses);
  if (typeof tt !== 'string') return w.skip(`${rule.property} ${tt.skip}`);
  if (t.id === s.id) return w.skip(`${rule.property} claim on itself`);
  if (!w.hasNode(tt, t.id) && w.entities() >= config.maxEntities) return w.skip(`${rule.property} entity budget`);
  w.addNode(t, tt);
  const subj: [NodeType, string] = [rule.subject, s.id];
  const obj: [NodeType, string] = [tt, t.id];
  const [from, to] = rule.reversed ? [obj, subj] : [subj, obj];
  w.d.facts.push({ k: 'edge', from, relation: rule.relation, to, ref: `${config.refBase}${s.id}#${rule.property}` });
  if (w.deeper) w.enqueue(`wd:${t.id}`, [tt]);
}

/** Step 5: enqueues the article links of the expanded items, fetched `batchSize` pages at a time. */
async function enqueueLinks(w: BatchWork, expanded: Expanded[]): Promise<void> {
  const { client, wp, config } = w.run;
  const pages = [...new Set(expanded.map((x) => x.title).filter((t): t is string => !!t))].sort();
  for (let i = 0; i < pages.length; i += config.batchSize) {
    const links = await fetchLinks(client, wp, pages.slice(i, i + config.batchSize));
    for (const p of pages.slice(i, i + config.batchSize)) for (const l of links.get(p) ?? []) w.enqueue(`wp:${l}`, []);
  }
}
