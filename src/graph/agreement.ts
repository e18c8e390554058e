/**
 * How far the open-data graph agrees with the hand-written seed graph.
 *
 *   const report = seedAgreement(seed, open);
 *   report.byRelation.treated_by   // { total, confirmed, endpointsOnly, notCovered, confirmedShare }
 *
 * Each seed node is linked to the open nodes of the same type that share a cross-reference
 * (DOID, UMLS, MeSH, Wikidata, ...) or a normalised name or synonym. Each seed edge is then
 * 'confirmed' (the open graph has the same relation between some linked pair), 'endpoints-only'
 * (both ends are linked but the open graph lacks the edge) or 'not-covered' (an end has no link).
 * Pure: reads both graphs, changes neither.
 */
import { KnowledgeGraph, normalizeXref } from './graph';
import { GraphEdge, GraphNode, NODE_TYPES, Relation, normalizeName } from './schema';

export type AgreementStatus = 'confirmed' | 'endpoints-only' | 'not-covered';

export interface AgreementOptions {
  /** Disagreement examples kept per relation (endpoints-only first, then not-covered). */
  examplesPerRelation: number;
}

export const defaults: AgreementOptions = {
  examplesPerRelation: 3,
};

export interface RelationAgreement {
  total: number;
  confirmed: number;
  endpointsOnly: number;
  notCovered: number;
  /** confirmed / total (0 when total is 0). */
  confirmedShare: number;
}

export interface NodeLinkage {
  seed: number;
  linked: number;
  /** linked / seed (0 when seed is 0). */
  share: number;
}

export interface AgreementExample {
  relation: Relation;
  status: Exclude<AgreementStatus, 'confirmed'>;
  /** Seed node names, for reading. */
  source: string;
  target: string;
  /** For not-covered: which ends have no open counterpart. */
  unlinked?: ('source' | 'target')[];
}

export interface AgreementReport {
  byRelation: Partial<Record<Relation, RelationAgreement>>;
  overall: RelationAgreement;
  nodeLinkage: Partial<Record<GraphNode['type'], NodeLinkage>>;
  examples: AgreementExample[];
}

/** Re-exported: the normaliser GraphBuilder links with. */
export { normalizeXref };

function linkKeys(n: GraphNode): string[] {
  const keys: string[] = [];
  for (const [k, vs] of Object.entries(n.xrefs)) for (const v of vs ?? []) if (v.trim()) keys.push(`${n.type}|${k}|${normalizeXref(k, v)}`);
  for (const name of [n.name, ...n.synonyms]) {
    const norm = normalizeName(name);
    if (norm) keys.push(`${n.type}|name|${norm}`);
  }
  return keys;
}

/**
 * For every seed node, the ids of the open nodes of the same type that share an xref or a
 * normalised name or synonym with it (sorted; empty when none).
 */
export function linkSeedNodes(seed: KnowledgeGraph, open: KnowledgeGraph): Map<string, string[]> {
  const index = new Map<string, Set<string>>();
  for (const n of open.nodes)
    for (const k of linkKeys(n)) {
      let s = index.get(k);
      if (!s) index.set(k, (s = new Set()));
      s.add(n.id);
    }
  const links = new Map<string, string[]>();
  for (const n of seed.nodes) {
    const hits = new Set<string>();
    for (const k of linkKeys(n)) for (const id of index.get(k) ?? []) hits.add(id);
    links.set(n.id, [...hits].sort());
  }
  return links;
}

/** The status of one seed edge given the node links. */
export function classifyEdge(e: GraphEdge, links: Map<string, string[]>, open: KnowledgeGraph): AgreementStatus {
  const from = links.get(e.source) ?? [];
  const to = links.get(e.target) ?? [];
  if (from.length === 0 || to.length === 0) return 'not-covered';
  const targets = new Set(to);
  for (const s of from) for (const oe of open.out.get(s) ?? []) if (oe.relation === e.relation && targets.has(oe.target)) return 'confirmed';
  return 'endpoints-only';
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** Agreement of every seed edge with the open graph, per relation, plus node linkage per type. */
export function seedAgreement(seed: KnowledgeGraph, open: KnowledgeGraph, opts: Partial<AgreementOptions> = {}): AgreementReport {
  const o = { ...defaults, ...opts };
  const links = linkSeedNodes(seed, open);
  const byRelation: Partial<Record<Relation, RelationAgreement>> = {};
  const overall: RelationAgreement = { total: 0, confirmed: 0, endpointsOnly: 0, notCovered: 0, confirmedShare: 0 };
  const pending = new Map<Relation, { endpointsOnly: AgreementExample[]; notCovered: AgreementExample[] }>();
  for (const e of seed.edges) {
    const status = classifyEdge(e, links, open);
    const r = (byRelation[e.relation] ??= { total: 0, confirmed: 0, endpointsOnly: 0, notCovered: 0, confirmedShare: 0 });
    for (const acc of [r, overall]) {
      acc.total += 1;
      if (status === 'confirmed') acc.confirmed += 1;
      else if (status === 'endpoints-only') acc.endpointsOnly += 1;
      else acc.notCovered += 1;
    }
    if (status === 'confirmed') continue;
    let p = pending.get(e.relation);
    if (!p) pending.set(e.relation, (p = { endpointsOnly: [], notCovered: [] }));
    const ex: AgreementExample = { relation: e.relation, status, source: seed.node(e.source).name, target: seed.node(e.target).name };
    if (status === 'not-covered') {
      ex.unlinked = [];
      if ((links.get(e.source) ?? []).length === 0) ex.unlinked.push('source');
      if ((links.get(e.target) ?? []).length === 0) ex.unlinked.push('target');
      if (p.notCovered.length < o.examplesPerRelation) p.notCovered.push(ex);
    } else if (p.endpointsOnly.length < o.examplesPerRelation) p.endpointsOnly.push(ex);
  }
  for (const r of Object.values(byRelation)) if (r) r.confirmedShare = share(r.confirmed, r.total);
  overall.confirmedShare = share(overall.confirmed, overall.total);

  const examples: AgreementExample[] = [];
  for (const rel of [...pending.keys()].sort()) {
    const p = pending.get(rel)!;
    examples.push(...[...p.endpointsOnly, ...p.notCovered].slice(0, o.examplesPerRelation));
  }

  const nodeLinkage: Partial<Record<GraphNode['type'], NodeLinkage>> = {};
  for (const t of NODE_TYPES) {
    const nodes = seed.ofType(t);
    if (nodes.length === 0) continue;
    const linked = nodes.filter((n) => (links.get(n.id) ?? []).length > 0).length;
    nodeLinkage[t] = { seed: nodes.length, linked, share: share(linked, nodes.length) };
  }
  const sortedRel = Object.fromEntries(Object.entries(byRelation).sort((a, b) => (a[0] < b[0] ? -1 : 1))) as typeof byRelation;
  return { byRelation: sortedRel, overall, nodeLinkage, examples };
}
