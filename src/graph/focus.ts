/**
 * A focused world: a smaller, closed part of a knowledge graph, so that a tiny model trained for a
 * fixed budget sees each fact many more times (graph.focus in the run config).
 *
 * The rule (deterministic in the run seed):
 * 1. Anchor diseases: the diseases that can anchor every disease-centred item type (at least one
 *    has_symptom or has_finding, one diagnosed_by and one treated_by edge), in a seeded shuffle
 *    (Rng(`${seed}:focus`)); the first N are kept.
 * 2. Their neighbourhood: every node one edge away from an anchor (symptoms, findings, tests,
 *    imaging, drugs and drug classes it is treated with, drugs contraindicated in it, anatomy,
 *    pathogens, parent and child diseases); the tests that measure the kept findings; the classes
 *    of kept drugs and the parents of kept classes (subclass_of, transitively); the mechanisms of
 *    kept drugs and classes.
 * 3. Edges: every edge of the graph whose two endpoints are both kept (the induced subgraph), so
 *    every kept edge's endpoints are kept and no fact between kept entities is lost.
 */
import { Rng } from '../core/rng';
import { KnowledgeGraph } from './graph';
import type { GraphEdge } from './schema';

export interface FocusConfig {
  /** Anchor diseases to keep; 0 = the whole graph (no focus). */
  diseases: number;
}

export interface FocusReport {
  rule: string;
  seed: string;
  anchors: string[];
  /** Eligible diseases (those that can anchor every disease-centred item type). */
  eligible: number;
  nodes: { kept: number; of: number };
  edges: { kept: number; of: number };
}

export const FOCUS_RULE =
  'anchor diseases = the first N of a seeded shuffle of the diseases with a symptom or finding, a diagnostic test and a treatment; ' +
  'kept nodes = anchors, their one-edge neighbours, the tests measuring kept findings, the classes (and parent classes) of kept drugs, ' +
  'the mechanisms of kept drugs and classes; kept edges = every edge between kept nodes';

/** The focused world of `graph` around `n` anchor diseases (the whole graph when n ≤ 0 or n ≥ eligible). */
export function focusGraph(graph: KnowledgeGraph, n: number, seed: number | string): { graph: KnowledgeGraph; report: FocusReport } {
  const out = (g: KnowledgeGraph, anchors: string[], eligible: number): { graph: KnowledgeGraph; report: FocusReport } => ({
    graph: g,
    report: { rule: FOCUS_RULE, seed: `${seed}:focus`, anchors, eligible, nodes: { kept: g.nodes.length, of: graph.nodes.length }, edges: { kept: g.edges.length, of: graph.edges.length } },
  });
  const out1 = new Map<string, GraphEdge[]>();
  const in1 = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) {
    (out1.get(e.source) ?? out1.set(e.source, []).get(e.source)!).push(e);
    (in1.get(e.target) ?? in1.set(e.target, []).get(e.target)!).push(e);
  }
  const outs = (id: string) => out1.get(id) ?? [];
  const ins = (id: string) => in1.get(id) ?? [];
  const has = (id: string, rel: string) => outs(id).some((e) => e.relation === rel);
  const eligible = graph
    .ofType('disease')
    .map((d) => d.id)
    .sort()
    .filter((d) => (has(d, 'has_symptom') || has(d, 'has_finding')) && has(d, 'diagnosed_by') && has(d, 'treated_by'));
  if (n <= 0 || n >= eligible.length) return out(graph, eligible, eligible.length);

  const anchors = new Rng(`${seed}:focus`).shuffle(eligible).slice(0, n).sort();
  const kept = new Set<string>(anchors);
  for (const a of anchors) {
    for (const e of outs(a)) kept.add(e.target);
    for (const e of ins(a)) kept.add(e.source);
  }
  const typeOf = (id: string) => graph.node(id).type;
  // Tests that measure kept findings.
  for (const id of [...kept]) if (typeOf(id) === 'finding') for (const e of outs(id)) if (e.relation === 'measured_by') kept.add(e.target);
  // Classes of kept drugs, then parent classes (transitively).
  for (const id of [...kept]) if (typeOf(id) === 'drug') for (const e of outs(id)) if (e.relation === 'in_class') kept.add(e.target);
  const stack = [...kept].filter((id) => typeOf(id) === 'drug_class');
  while (stack.length) {
    const c = stack.pop()!;
    for (const e of outs(c))
      if (e.relation === 'subclass_of' && !kept.has(e.target)) {
        kept.add(e.target);
        stack.push(e.target);
      }
  }
  // Mechanisms of kept drugs and classes.
  for (const id of [...kept]) if (typeOf(id) === 'drug' || typeOf(id) === 'drug_class') for (const e of outs(id)) if (e.relation === 'has_mechanism') kept.add(e.target);

  const nodes = graph.nodes.filter((x) => kept.has(x.id));
  const edges = graph.edges.filter((e) => kept.has(e.source) && kept.has(e.target));
  return out(new KnowledgeGraph(nodes, edges), anchors, eligible.length);
}
