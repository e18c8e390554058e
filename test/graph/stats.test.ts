import { describe, expect, it } from 'vitest';
import { KnowledgeGraph } from '../../src/graph/graph';
import { GraphEdge, GraphNode, NodeType } from '../../src/graph/schema';
import { graphStats, median } from '../../src/graph/stats';

const node = (id: string, type: NodeType, sources: string[]): GraphNode => ({ id, type, name: id.split(':')[1], synonyms: [], xrefs: {}, sources });
const edge = (source: string, relation: GraphEdge['relation'], target: string, sources: string[]): GraphEdge => ({ source, relation, target, sources });

/**
 * Hand-built graph:      flu ──has_symptom──> fever <──has_symptom── covid
 *                        flu ──has_symptom──> cough
 *                        flu ──treated_by──> oseltamivir
 * degrees: flu 3, fever 2, covid 1, cough 1, oseltamivir 1, lonely 0   (6 nodes, 4 edges)
 */
function tiny(): KnowledgeGraph {
  return new KnowledgeGraph(
    [
      node('disease:flu', 'disease', ['a', 'b']),
      node('disease:covid', 'disease', ['a']),
      node('symptom:fever', 'symptom', ['a', 'b']),
      node('symptom:cough', 'symptom', ['b']),
      node('drug:oseltamivir', 'drug', ['b']),
      node('anatomy:lonely', 'anatomy', ['a']),
    ],
    [
      edge('disease:flu', 'has_symptom', 'symptom:fever', ['a', 'b']),
      edge('disease:covid', 'has_symptom', 'symptom:fever', ['a']),
      edge('disease:flu', 'has_symptom', 'symptom:cough', ['b']),
      edge('disease:flu', 'treated_by', 'drug:oseltamivir', ['b']),
    ],
  );
}

describe('graphStats', () => {
  it('graphStats(tiny) counts types, relations and sources (zeros kept)', () => {
    const s = graphStats(tiny());
    expect(s.nodes).toBe(6);
    expect(s.edges).toBe(4);
    expect(s.byType).toEqual({ disease: 2, symptom: 2, finding: 0, lab_test: 0, imaging: 0, drug: 1, drug_class: 0, mechanism: 0, anatomy: 1, pathogen: 0 });
    expect(s.byRelation.has_symptom).toBe(3);
    expect(s.byRelation.treated_by).toBe(1);
    expect(s.byRelation.side_effect).toBe(0);
    expect(s.bySource).toEqual({ nodes: { a: 4, b: 4 }, edges: { a: 2, b: 3 } });
    expect(s.multiSourceEdges).toBe(1);
  });

  it('graphStats(tiny) gives the degree distribution, long tail and hubs worked out by hand', () => {
    const s = graphStats(tiny());
    // degrees sorted: 0 1 1 1 2 3 → mean 8/6, median (1+1)/2 = 1, max 3
    expect(s.degree.mean).toBeCloseTo(8 / 6, 12);
    expect(s.degree.median).toBe(1);
    expect(s.degree.max).toBe(3);
    expect(s.degree.histogram).toEqual([
      { degree: 0, count: 1 },
      { degree: 1, count: 3 },
      { degree: 2, count: 1 },
      { degree: 3, count: 1 },
    ]);
    // long tail: degree ≤ 2 → 5 of 6 nodes
    expect(s.longTail).toEqual({ threshold: 2, count: 5, share: 5 / 6 });
    expect(graphStats(tiny(), { longTailThreshold: 0 }).longTail).toEqual({ threshold: 0, count: 1, share: 1 / 6 });
    // hubs: by degree, ties by id
    expect(s.topHubs.map((h) => `${h.id}:${h.degree}`)).toEqual([
      'disease:flu:3',
      'symptom:fever:2',
      'disease:covid:1',
      'drug:oseltamivir:1',
      'symptom:cough:1',
      'anatomy:lonely:0',
    ]);
    expect(graphStats(tiny(), { topHubs: 2 }).topHubs).toHaveLength(2);
  });

  it('graphStats is deterministic and handles the empty graph', () => {
    expect(JSON.stringify(graphStats(tiny()))).toBe(JSON.stringify(graphStats(tiny())));
    const e = graphStats(new KnowledgeGraph([], []));
    expect(e.degree).toEqual({ mean: 0, median: 0, max: 0, histogram: [] });
    expect(e.longTail.share).toBe(0);
    expect(median([1, 2, 3])).toBe(2);
    expect(median([1, 2, 3, 10])).toBe(2.5);
  });
});
