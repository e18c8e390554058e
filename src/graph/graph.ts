/**
 * GraphBuilder links entities across sources and merges their edges; KnowledgeGraph is the
 * read-only result with adjacency and degree, loadable from and savable to a run directory.
 *
 * Linking: a node joins an existing node of the same type when they share any cross-reference
 * (UMLS CUI, MeSH, DOID, Wikidata, ...) or any normalised name or synonym. Merged nodes keep the
 * union of names, xrefs and sources; merged edges keep the union of the sources that assert them.
 */
import * as path from 'node:path';
import { readJsonlAll, writeJsonl } from '../core/io';
import { GraphEdge, GraphNode, NodeType, Relation, Xrefs, edgeAllowed, nodeId, normalizeName } from './schema';

export interface NodeInput {
  type: NodeType;
  name: string;
  synonyms?: string[];
  xrefs?: Xrefs;
  source: string;
}

/** Normalises a cross-reference value: DOID:n, UMLS Cnnnnnnn, MeSH Dnnnnnn, Wikidata Qn. */
export function normalizeXref(key: string, v: string): string {
  const t = v.trim();
  if (key === 'doid') return t.toUpperCase().replace(/^DOID_/, 'DOID:').replace(/^(\d+)$/, 'DOID:$1');
  if (key === 'umls' || key === 'mesh') return t.toUpperCase().replace(/^(UMLS|MESH)[:_]/, '');
  if (key === 'wikidata') return t.replace(/^.*\/(Q\d+)$/, '$1');
  return t;
}

export class GraphBuilder {
  readonly nodes = new Map<string, GraphNode>();
  private readonly edges = new Map<string, GraphEdge>();
  private readonly index = new Map<string, string>(); // `${type}|${key}|${value}` → node id
  /** Edges refused because an endpoint type does not fit the relation. */
  rejectedEdges = 0;

  /** Adds or merges a node; returns its id. */
  addNode(input: NodeInput): string {
    const name = input.name.trim().replace(/\s+/g, ' ');
    if (!normalizeName(name)) throw new Error(`node without a usable name from ${input.source}`);
    const keys = this.keysOf(input.type, name, input.synonyms ?? [], input.xrefs ?? {});
    let id: string | undefined;
    for (const k of keys) {
      id = this.index.get(k);
      if (id) break;
    }
    let node: GraphNode;
    if (id) {
      node = this.nodes.get(id)!;
      const names = new Set([node.name, ...node.synonyms]);
      for (const s of [name, ...(input.synonyms ?? [])]) {
        const t = s.trim().replace(/\s+/g, ' ');
        if (t && !names.has(t)) {
          node.synonyms.push(t);
          names.add(t);
        }
      }
      for (const [k, vs] of Object.entries(input.xrefs ?? {})) {
        if (!vs) continue;
        const cur = new Set(node.xrefs[k] ?? []);
        for (const v of vs) if (v.trim()) cur.add(normalizeXref(k, v));
        node.xrefs[k] = [...cur].sort();
      }
      if (!node.sources.includes(input.source)) node.sources.push(input.source);
    } else {
      id = nodeId(input.type, name);
      const xrefs: Xrefs = {};
      for (const [k, vs] of Object.entries(input.xrefs ?? {}))
        if (vs && vs.length) xrefs[k] = [...new Set(vs.filter((v) => v.trim()).map((v) => normalizeXref(k, v)))].sort();
      const synonyms = [...new Set((input.synonyms ?? []).map((s) => s.trim().replace(/\s+/g, ' ')))].filter(
        (s) => s && s !== name,
      );
      node = { id, type: input.type, name, synonyms, xrefs, sources: [input.source] };
      this.nodes.set(id, node);
    }
    for (const k of this.keysOf(node.type, node.name, node.synonyms, node.xrefs)) if (!this.index.has(k)) this.index.set(k, id);
    return id;
  }

  /** The id of an existing node of `type` with this xref or name, if any. */
  find(type: NodeType, by: { name?: string; xref?: [string, string] }): string | undefined {
    if (by.xref) {
      const [k, v] = by.xref;
      const hit = this.index.get(`${type}|${k}|${normalizeXref(k, v)}`);
      if (hit) return hit;
    }
    if (by.name) return this.index.get(`${type}|name|${normalizeName(by.name)}`);
    return undefined;
  }

  /** Adds an edge or merges its source into an existing one; false when the types do not fit. */
  addEdge(source: string, relation: Relation, target: string, from: string, extra: { weight?: number; refs?: string[] } = {}): boolean {
    const s = this.nodes.get(source);
    const t = this.nodes.get(target);
    if (!s || !t) throw new Error(`addEdge: unknown node ${!s ? source : target}`);
    if (source === target || !edgeAllowed(relation, s.type, t.type)) {
      this.rejectedEdges += 1;
      return false;
    }
    const key = `${source}\u0000${relation}\u0000${target}`;
    const cur = this.edges.get(key);
    if (cur) {
      if (!cur.sources.includes(from)) cur.sources.push(from);
      if (extra.weight !== undefined) cur.weight = Math.max(cur.weight ?? -Infinity, extra.weight);
      if (extra.refs) cur.refs = [...new Set([...(cur.refs ?? []), ...extra.refs])];
    } else {
      const e: GraphEdge = { source, relation, target, sources: [from] };
      if (extra.weight !== undefined) e.weight = extra.weight;
      if (extra.refs) e.refs = [...extra.refs];
      this.edges.set(key, e);
    }
    return true;
  }

  private keysOf(type: NodeType, name: string, synonyms: string[], xrefs: Xrefs): string[] {
    const keys: string[] = [];
    for (const [k, vs] of Object.entries(xrefs)) for (const v of vs ?? []) if (v.trim()) keys.push(`${type}|${k}|${normalizeXref(k, v)}`);
    for (const n of [name, ...synonyms]) {
      const norm = normalizeName(n);
      if (norm) keys.push(`${type}|name|${norm}`);
    }
    return keys;
  }

  /** The finished graph, nodes and edges in a canonical (sorted) order. */
  build(): KnowledgeGraph {
    const nodes = [...this.nodes.values()].map((n) => ({ ...n, sources: [...n.sources].sort() }));
    const edges = [...this.edges.values()].map((e) => ({ ...e, sources: [...e.sources].sort() }));
    return new KnowledgeGraph(nodes, edges);
  }
}

export class KnowledgeGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly byId = new Map<string, GraphNode>();
  readonly out = new Map<string, GraphEdge[]>();
  readonly in = new Map<string, GraphEdge[]>();

  constructor(nodes: GraphNode[], edges: GraphEdge[]) {
    this.nodes = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.edges = [...edges].sort((a, b) =>
      a.source !== b.source ? (a.source < b.source ? -1 : 1) : a.relation !== b.relation ? (a.relation < b.relation ? -1 : 1) : a.target < b.target ? -1 : a.target > b.target ? 1 : 0,
    );
    for (const n of this.nodes) this.byId.set(n.id, n);
    for (const e of this.edges) {
      if (!this.byId.has(e.source) || !this.byId.has(e.target)) throw new Error(`edge ${e.source} -${e.relation}-> ${e.target} names a missing node`);
      let o = this.out.get(e.source);
      if (!o) this.out.set(e.source, (o = []));
      o.push(e);
      let i = this.in.get(e.target);
      if (!i) this.in.set(e.target, (i = []));
      i.push(e);
    }
  }

  node(id: string): GraphNode {
    const n = this.byId.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  /** Total degree (in + out). */
  degree(id: string): number {
    return (this.out.get(id)?.length ?? 0) + (this.in.get(id)?.length ?? 0);
  }

  /** Targets of `relation` edges leaving `id`. */
  targets(id: string, relation: Relation): string[] {
    return (this.out.get(id) ?? []).filter((e) => e.relation === relation).map((e) => e.target);
  }

  /** Sources of `relation` edges entering `id`. */
  sourcesOf(id: string, relation: Relation): string[] {
    return (this.in.get(id) ?? []).filter((e) => e.relation === relation).map((e) => e.source);
  }

  ofType(type: NodeType): GraphNode[] {
    return this.nodes.filter((n) => n.type === type);
  }

  async save(dir: string): Promise<void> {
    await writeJsonl(path.join(dir, 'nodes.jsonl'), this.nodes);
    await writeJsonl(path.join(dir, 'edges.jsonl'), this.edges);
  }

  static async load(dir: string): Promise<KnowledgeGraph> {
    const nodes = await readJsonlAll<GraphNode>(path.join(dir, 'nodes.jsonl'));
    const edges = await readJsonlAll<GraphEdge>(path.join(dir, 'edges.jsonl'));
    return new KnowledgeGraph(nodes, edges);
  }
}
