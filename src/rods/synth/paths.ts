/**
 * Own-edge paths of the graph that prove a drafted answer (tests of a disease, its treatments,
 * the mechanisms of drugs and classes), and the evidence they make.
 */
import type { GraphEdge } from '../../graph/schema';
import type { Evidence } from '../item';
import type { GraphFacts } from './facts';

/** An edge as evidence names it. */
export type EdgeRef = Pick<GraphEdge, 'source' | 'relation' | 'target'>;

/** The evidence of a draft: its edges, and the nodes they touch (sorted). */
export function evidenceOf(edges: EdgeRef[]): Evidence {
  const nodes = new Set<string>();
  for (const e of edges) (nodes.add(e.source), nodes.add(e.target));
  return { nodes: [...nodes].sort(), edges };
}

/** Tests that confirm `d` or measure its findings, through its own edges. */
export function ownTests(f: GraphFacts, d: string): Set<string> {
  const s = new Set<string>(f.out(d, 'diagnosed_by'));
  for (const x of f.out(d, 'has_finding')) for (const t of f.out(x, 'measured_by')) s.add(t);
  return s;
}

/** Drugs that treat `g`'s own indications (diseases treating with g or its classes). */
export function indicationsOf(f: GraphFacts, g: string): string[] {
  const s = new Set<string>(f.in(g, 'treated_by'));
  for (const c of f.out(g, 'in_class')) for (const d of f.in(c, 'treated_by')) s.add(d);
  return [...s].sort();
}

/** Own mechanism paths of a drug or class: [mechanism, edges]. */
export function mechanismPaths(f: GraphFacts, x: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const m of f.out(x, 'has_mechanism')) out.push([m, [{ source: x, relation: 'has_mechanism', target: m }]]);
  for (const c of f.out(x, 'in_class'))
    for (const m of f.out(c, 'has_mechanism'))
      out.push([m, [{ source: x, relation: 'in_class', target: c }, { source: c, relation: 'has_mechanism', target: m }]]);
  return out;
}

/** Own treatment paths of a disease: [drug, edges] (direct, or through a treated_by class). */
export function treatmentPaths(f: GraphFacts, d: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const t of f.out(d, 'treated_by')) {
    const e: EdgeRef = { source: d, relation: 'treated_by', target: t };
    if (f.node(t).type === 'drug') out.push([t, [e]]);
    else for (const x of f.in(t, 'in_class')) out.push([x, [e, { source: x, relation: 'in_class', target: t }]]);
  }
  return out;
}

/** Mechanism paths from a disease through its treatments. */
export function diseaseMechanismPaths(f: GraphFacts, d: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const t of f.out(d, 'treated_by')) {
    const e: EdgeRef = { source: d, relation: 'treated_by', target: t };
    for (const [m, p] of mechanismPaths(f, t)) out.push([m, [e, ...p]]);
    if (f.node(t).type === 'drug_class')
      for (const x of f.in(t, 'in_class'))
        for (const m of f.out(x, 'has_mechanism'))
          out.push([m, [e, { source: x, relation: 'in_class', target: t }, { source: x, relation: 'has_mechanism', target: m }]]);
  }
  return out;
}
