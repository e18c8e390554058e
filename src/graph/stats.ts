/**
 * Summary statistics of a knowledge graph: counts per node type, relation and source, edges
 * asserted by several sources, the degree distribution, the long tail and the hubs. Pure and
 * deterministic (every list is sorted), so stats.json diffs cleanly between runs.
 */
import { KnowledgeGraph } from './graph';
import { NODE_TYPES, NodeType, RELATION_NAMES, Relation } from './schema';

export const defaults = {
  /** A node is in the long tail when its degree (in + out) is at most this. */
  longTailThreshold: 2,
  /** How many hubs to list. */
  topHubs: 10,
};

export interface GraphStats {
  nodes: number;
  edges: number;
  /** Every node type, zero included, in schema order. */
  byType: Record<NodeType, number>;
  /** Every relation, zero included, in schema order. */
  byRelation: Record<Relation, number>;
  /** Nodes and edges asserted by each source (an item asserted by two sources counts for both). */
  bySource: { nodes: Record<string, number>; edges: Record<string, number> };
  /** Edges asserted by two or more sources. */
  multiSourceEdges: number;
  degree: { mean: number; median: number; max: number; histogram: { degree: number; count: number }[] };
  /** Nodes with degree ≤ threshold, as a share of all nodes. */
  longTail: { threshold: number; count: number; share: number };
  /** The highest-degree nodes, ties broken by id. */
  topHubs: { id: string; name: string; type: NodeType; degree: number }[];
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** The median of an ascending list (mean of the two middle values for an even length; 0 when empty). */
export function median(sorted: readonly number[]): number {
  if (!sorted.length) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Computes GraphStats for `g` (see the interface for each field). */
export function graphStats(g: KnowledgeGraph, opts: Partial<typeof defaults> = {}): GraphStats {
  const o = { ...defaults, ...opts };
  const byType = Object.fromEntries(NODE_TYPES.map((t) => [t, 0])) as Record<NodeType, number>;
  const byRelation = Object.fromEntries(RELATION_NAMES.map((r) => [r, 0])) as Record<Relation, number>;
  const srcNodes = new Map<string, number>();
  const srcEdges = new Map<string, number>();
  for (const n of g.nodes) {
    byType[n.type] += 1;
    for (const s of new Set(n.sources)) srcNodes.set(s, (srcNodes.get(s) ?? 0) + 1);
  }
  let multiSourceEdges = 0;
  for (const e of g.edges) {
    byRelation[e.relation] += 1;
    const sources = new Set(e.sources);
    if (sources.size >= 2) multiSourceEdges += 1;
    for (const s of sources) srcEdges.set(s, (srcEdges.get(s) ?? 0) + 1);
  }

  const degrees = g.nodes.map((n) => g.degree(n.id));
  const sorted = [...degrees].sort((a, b) => a - b);
  const hist = new Map<number, number>();
  for (const d of sorted) hist.set(d, (hist.get(d) ?? 0) + 1);
  const total = degrees.reduce((s, d) => s + d, 0);
  const tail = degrees.filter((d) => d <= o.longTailThreshold).length;
  const hubs = g.nodes
    .map((n, i) => ({ id: n.id, name: n.name, type: n.type, degree: degrees[i] }))
    .sort((a, b) => b.degree - a.degree || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, o.topHubs);

  return {
    nodes: g.nodes.length,
    edges: g.edges.length,
    byType,
    byRelation,
    bySource: { nodes: sortedRecord(srcNodes), edges: sortedRecord(srcEdges) },
    multiSourceEdges,
    degree: {
      mean: g.nodes.length ? total / g.nodes.length : 0,
      median: median(sorted),
      max: sorted.length ? sorted[sorted.length - 1] : 0,
      histogram: [...hist].map(([degree, count]) => ({ degree, count })),
    },
    longTail: { threshold: o.longTailThreshold, count: tail, share: g.nodes.length ? tail / g.nodes.length : 0 },
    topHubs: hubs,
  };
}
