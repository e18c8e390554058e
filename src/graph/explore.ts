/**
 * Helpers for looking at the graph: the neighbourhood of an entity, drawn as a plotly figure with
 * a deterministic radial layout, and the rare (low-degree) entities that RODS sampling favours.
 */
import type { Figure } from '../core/plot';
import type { KnowledgeGraph } from './graph';
import type { GraphEdge, NodeType } from './schema';

export interface Subgraph {
  center: string;
  nodes: string[];
  edges: GraphEdge[];
}

/** The centre and its direct neighbours (in and out), at most `maxNeighbours`, sorted by relation then name. */
export function neighbourhood(g: KnowledgeGraph, center: string, maxNeighbours = 24): Subgraph {
  g.node(center);
  const edges = [...(g.out.get(center) ?? []), ...(g.in.get(center) ?? [])]
    .sort((a, b) => (a.relation + g.node(a.source === center ? a.target : a.source).name).localeCompare(b.relation + g.node(b.source === center ? b.target : b.source).name))
    .slice(0, maxNeighbours);
  const nodes = [center, ...new Set(edges.map((e) => (e.source === center ? e.target : e.source)))];
  return { center, nodes, edges };
}

const TYPE_COLOURS: Record<NodeType, string> = {
  disease: '#d62728',
  symptom: '#1f77b4',
  finding: '#17becf',
  lab_test: '#2ca02c',
  imaging: '#bcbd22',
  drug: '#9467bd',
  drug_class: '#8c564b',
  mechanism: '#e377c2',
  anatomy: '#7f7f7f',
  pathogen: '#ff7f0e',
};

/** A node-link drawing of a subgraph: centre in the middle, neighbours on a circle, labelled edges. */
export function subgraphFigure(g: KnowledgeGraph, sub: Subgraph, title?: string): Figure {
  const pos = new Map<string, [number, number]>();
  pos.set(sub.center, [0, 0]);
  const others = sub.nodes.filter((n) => n !== sub.center);
  others.forEach((id, i) => {
    const a = (2 * Math.PI * i) / Math.max(others.length, 1);
    pos.set(id, [Math.cos(a), Math.sin(a)]);
  });
  const edgeX: (number | null)[] = [];
  const edgeY: (number | null)[] = [];
  const labelX: number[] = [];
  const labelY: number[] = [];
  const labels: string[] = [];
  for (const e of sub.edges) {
    const [x0, y0] = pos.get(e.source) as [number, number];
    const [x1, y1] = pos.get(e.target) as [number, number];
    edgeX.push(x0, x1, null);
    edgeY.push(y0, y1, null);
    labelX.push((x0 + x1) / 2);
    labelY.push((y0 + y1) / 2);
    labels.push(e.relation);
  }
  const byType = new Map<NodeType, string[]>();
  for (const id of sub.nodes) {
    const t = g.node(id).type;
    byType.set(t, [...(byType.get(t) ?? []), id]);
  }
  return {
    data: [
      { type: 'scatter', mode: 'lines', x: edgeX, y: edgeY, line: { color: '#bbb', width: 1 }, hoverinfo: 'none', showlegend: false },
      { type: 'scatter', mode: 'text', x: labelX, y: labelY, text: labels, textfont: { size: 9, color: '#888' }, hoverinfo: 'none', showlegend: false },
      ...[...byType].map(([t, ids]) => ({
        type: 'scatter',
        mode: 'markers+text',
        name: t,
        x: ids.map((id) => (pos.get(id) as [number, number])[0]),
        y: ids.map((id) => (pos.get(id) as [number, number])[1]),
        text: ids.map((id) => g.node(id).name),
        textposition: 'top center',
        textfont: { size: 10 },
        marker: { size: ids.includes(sub.center) ? 18 : 11, color: TYPE_COLOURS[t] },
      })),
    ],
    layout: {
      title: { text: title ?? `Neighbourhood of ${g.node(sub.center).name}` },
      xaxis: { visible: false, range: [-1.5, 1.5] },
      yaxis: { visible: false, range: [-1.3, 1.3] },
      height: 640,
    },
  };
}

export interface RareEntity {
  id: string;
  name: string;
  degree: number;
  /** Relative sampling weight (degree + 1)^-alpha, normalised so the mean weight of the type is 1. */
  weight: number;
}

/**
 * The `k` rarest entities of a type (lowest degree first, ties by id) with the sampling weight the
 * rare-entity bias gives them relative to an average entity of that type.
 */
export function rareEntities(g: KnowledgeGraph, type: NodeType, k = 10, alpha = 1): RareEntity[] {
  const nodes = g.ofType(type);
  if (nodes.length === 0) return [];
  const raw = nodes.map((n) => ({ id: n.id, name: n.name, degree: g.degree(n.id), w: Math.pow(g.degree(n.id) + 1, -alpha) }));
  const mean = raw.reduce((s, r) => s + r.w, 0) / raw.length;
  return raw
    .sort((a, b) => a.degree - b.degree || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((r) => ({ id: r.id, name: r.name, degree: r.degree, weight: r.w / mean }));
}
