/**
 * The seed graph: hand-written medical facts, each with a public reference, compiled from
 * `data/seed/*.jsonl` (format in data/seed/README.md) through GraphBuilder as source 'seed'.
 *
 *   const { graph, skips, counts } = loadSeedGraph();          // strict: bad lines throw
 *   const { graph } = loadSeedGraph(dir, { strict: false });   // bad lines counted in `skips`
 *
 * Files, read in this order: entities.jsonl (tests with their type, synonyms of symptoms etc.),
 * conditions.jsonl (contraindication targets that are not diseases, e.g. pregnancy),
 * diseases.jsonl, drugs.jsonl. Every edge carries `refs` (https URLs): the fact's own refs when
 * it has them, otherwise its line's refs. Lines are read and shape-checked in seedParse.ts and
 * linked into the graph in seedCompile.ts.
 */
import * as path from 'node:path';
import { SkipReport } from '../core/io';
import type { KnowledgeGraph } from './graph';
import { compileSeed } from './seedCompile';
import { Line, SEED_FILES, readSeedFile } from './seedParse';

/** Name of the source recorded on every seed node and edge. */
export const SEED_SOURCE = 'seed';

export interface SeedOptions {
  /** Throw an InputError at the first bad line (the default: the seed is our own data). */
  strict?: boolean;
}

export const defaults: Required<SeedOptions> = {
  strict: true,
};

export interface SeedCounts {
  diseases: number;
  drugs: number;
  conditions: number;
  nodesByType: Record<string, number>;
  edgesByRelation: Record<string, number>;
  /** Distinct reference URLs used by edges. */
  refs: number;
}

export interface SeedResult {
  graph: KnowledgeGraph;
  skips: SkipReport;
  counts: SeedCounts;
}

/** data/seed in the repository. */
export function seedDir(): string {
  return path.resolve(__dirname, '../../data/seed');
}

/**
 * Compiles the seed JSONL files in `dir` into a KnowledgeGraph. Shape errors (unknown field,
 * missing name, empty list, fact without reference, non-URL reference, duplicate name) and link
 * errors (unknown test, drug, disease or condition; an entity or condition declared but never
 * used; two lines merging into one node) raise an InputError naming file and line when strict,
 * or are counted in `skips` and left out otherwise.
 */
export function loadSeedGraph(dir: string = seedDir(), opts: SeedOptions = {}): SeedResult {
  const o = { ...defaults, ...opts };
  const skips = new SkipReport(o.strict);
  const lines: Record<string, Line[]> = {};
  for (const f of SEED_FILES) lines[f] = readSeedFile(dir, f, skips);
  const graph = compileSeed(lines, skips, SEED_SOURCE);
  return { graph, skips, counts: seedCounts(graph) };
}

/** Node counts per type, edge counts per relation and distinct references of a seed graph. */
export function seedCounts(graph: KnowledgeGraph): SeedCounts {
  const nodesByType: Record<string, number> = {};
  for (const n of graph.nodes) nodesByType[n.type] = (nodesByType[n.type] ?? 0) + 1;
  const edgesByRelation: Record<string, number> = {};
  const refs = new Set<string>();
  for (const e of graph.edges) {
    edgesByRelation[e.relation] = (edgesByRelation[e.relation] ?? 0) + 1;
    for (const r of e.refs ?? []) refs.add(r);
  }
  const sorted = (r: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  const conditions = graph.nodes.filter((n) => n.type === 'disease' && (graph.out.get(n.id) ?? []).length === 0).length;
  return {
    diseases: (nodesByType.disease ?? 0) - conditions,
    drugs: nodesByType.drug ?? 0,
    conditions,
    nodesByType: sorted(nodesByType),
    edgesByRelation: sorted(edgesByRelation),
    refs: refs.size,
  };
}
