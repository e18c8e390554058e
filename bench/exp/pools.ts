/** Shared by the lookup experiments: node names as they read in a sentence, grouped by type. */
import type { KnowledgeGraph } from '../../src/graph/graph';
import { mentionName } from '../../src/coldstart/pretrain/sentences';

/** Names per node type, and the types with at least `min` names (enough for four distinct options). */
export function namePools(graph: KnowledgeGraph, min = 8): { byType: Map<string, string[]>; types: string[] } {
  const byType = new Map<string, string[]>();
  for (const n of graph.nodes) byType.set(n.type, [...(byType.get(n.type) ?? []), mentionName(n.name)]);
  return { byType, types: [...byType.keys()].filter((t) => (byType.get(t) as string[]).length >= min) };
}
