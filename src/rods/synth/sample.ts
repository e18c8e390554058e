/**
 * Topological subgraph sampling biased to rare entities: an anchor is drawn with weight
 * (degree + 1)^-alpha among the nodes that can anchor an item type, then the neighbourhood that
 * type needs is read around it. `longTailCoverage` measures what the bias buys.
 */
import type { KnowledgeGraph } from '../../graph/graph';
import type { GraphEdge } from '../../graph/schema';
import { Rng } from '../../core/rng';
import { SYNTH_TYPES, SynthType } from './config';
import { GraphFacts, factsOf } from './facts';

type EdgeRef = Pick<GraphEdge, 'source' | 'relation' | 'target'>;

/** A sampled anchor with the nodes and edges its item type looks at. */
export interface Subgraph {
  type: SynthType;
  anchor: string;
  nodes: string[];
  edges: EdgeRef[];
}

/** Whether a node can anchor an item of this type (it has the relations the type masks). */
export function canAnchor(f: GraphFacts, type: SynthType, id: string): boolean {
  const t = f.node(id).type;
  if (type === 'mechanism') return t === 'drug' && (f.mechanisms(id).size > 0 || f.out(id, 'in_class').length > 0);
  if (t !== 'disease') return false;
  switch (type) {
    case 'diagnosis':
      return f.directFeatures(id).length > 0;
    case 'test_selection':
      return f.out(id, 'diagnosed_by').length > 0;
    case 'treatment':
      return directDrugs(f, id).length > 0;
    case 'contraindication':
      return contraDrugs(f, id).length > 0;
    case 'multi_hop':
      return f.directFeatures(id).length > 0 && (f.out(id, 'diagnosed_by').length > 0 || f.out(id, 'treated_by').length > 0);
  }
  return false;
}

/** Drugs that treat `d` through its own edges: treated_by a drug, or a member of a treated_by class. */
export function directDrugs(f: GraphFacts, d: string): readonly string[] {
  return f.cached('directDrugs', d, () => {
  const s = new Set<string>();
  for (const t of f.out(d, 'treated_by')) {
    if (f.node(t).type === 'drug') s.add(t);
    else for (const m of f.in(t, 'in_class')) s.add(m);
  }
  return [...s].sort();
  });
}

/** Drugs contraindicated in `d` through its own edges (directly or as a member of a contraindicated class). */
export function contraDrugs(f: GraphFacts, d: string): readonly string[] {
  return f.cached('contraDrugs', d, () => {
  const s = new Set<string>();
  for (const x of f.in(d, 'contraindicated_in')) {
    if (f.node(x).type === 'drug') s.add(x);
    else for (const m of f.in(x, 'in_class')) s.add(m);
  }
  return [...s].sort();
  });
}

/** Anchor weight: (degree + 1)^-alpha. */
export function anchorWeight(degree: number, alpha: number): number {
  return Math.pow(degree + 1, -alpha);
}

/** Draws anchors of one item type with the rare-entity bias, by binary search on cumulative weights. */
export class AnchorSampler {
  readonly anchors: string[];
  private readonly cum: Float64Array;

  constructor(graph: KnowledgeGraph, type: SynthType, alpha: number) {
    const f = factsOf(graph);
    const pool = type === 'mechanism' ? f.idsOfType.get('drug') ?? [] : f.idsOfType.get('disease') ?? [];
    this.anchors = pool.filter((id) => canAnchor(f, type, id));
    this.cum = new Float64Array(this.anchors.length);
    let acc = 0;
    this.anchors.forEach((id, i) => {
      acc += anchorWeight(graph.degree(id), alpha);
      this.cum[i] = acc;
    });
  }

  get size(): number {
    return this.anchors.length;
  }

  /** One anchor id; throws when no node can anchor this type. */
  draw(rng: Rng): string {
    const n = this.anchors.length;
    if (n === 0) throw new Error('AnchorSampler.draw: no eligible anchors');
    const u = rng.next() * this.cum[n - 1];
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return this.anchors[lo];
  }
}

/** The neighbourhood an item type reads around its anchor (sorted nodes; edges in reading order). */
export function neighbourhood(graph: KnowledgeGraph, type: SynthType, anchor: string): Subgraph {
  const f = factsOf(graph);
  const nodes = new Set<string>([anchor]);
  const edges: EdgeRef[] = [];
  const add = (source: string, relation: EdgeRef['relation'], target: string) => {
    edges.push({ source, relation, target });
    nodes.add(source);
    nodes.add(target);
  };
  const clues = () => {
    for (const s of f.out(anchor, 'has_symptom')) add(anchor, 'has_symptom', s);
    for (const x of f.out(anchor, 'has_finding')) {
      add(anchor, 'has_finding', x);
      for (const t of f.out(x, 'measured_by')) add(x, 'measured_by', t);
    }
  };
  const tests = () => {
    for (const t of f.out(anchor, 'diagnosed_by')) add(anchor, 'diagnosed_by', t);
  };
  const treats = () => {
    for (const t of f.out(anchor, 'treated_by')) {
      add(anchor, 'treated_by', t);
      for (const m of f.in(t, 'in_class')) add(m, 'in_class', t);
    }
  };
  if (type === 'diagnosis') clues();
  else if (type === 'test_selection') (tests(), clues());
  else if (type === 'treatment') treats();
  else if (type === 'contraindication')
    for (const x of f.in(anchor, 'contraindicated_in')) {
      add(x, 'contraindicated_in', anchor);
      for (const m of f.in(x, 'in_class')) add(m, 'in_class', x);
    }
  else if (type === 'mechanism') {
    for (const m of f.out(anchor, 'has_mechanism')) add(anchor, 'has_mechanism', m);
    for (const c of f.out(anchor, 'in_class')) {
      add(anchor, 'in_class', c);
      for (const m of f.out(c, 'has_mechanism')) add(c, 'has_mechanism', m);
    }
  } else if (type === 'multi_hop') {
    clues();
    tests();
    treats();
  }
  return { type, anchor, nodes: [...nodes].sort(), edges };
}

/** Draws one anchor of `type` with the bias and returns its neighbourhood. */
export function sampleSubgraph(graph: KnowledgeGraph, type: SynthType, alpha: number, rng: Rng): Subgraph {
  return neighbourhood(graph, type, new AnchorSampler(graph, type, alpha).draw(rng));
}

export interface CoverageOptions {
  /** Subgraphs drawn per arm. */
  samples: number;
  /** Bias of the biased arm (the other arm uses 0). */
  alpha: number;
  /** Long tail = entities whose degree is ≤ this quantile of degrees in their anchor pool (used when `threshold` is absent). */
  quantile: number;
  /** Explicit degree threshold for the long tail. */
  threshold?: number;
  /** Item types drawn in turn. */
  types: readonly SynthType[];
  /**
   * 'anchors': entities = nodes able to anchor the types; reached = drawn as an anchor.
   * 'subgraph': entities = all nodes; reached = inside a sampled neighbourhood.
   */
  scope: 'anchors' | 'subgraph';
}

export const coverageDefaults: CoverageOptions = {
  samples: 200, // subgraphs per arm
  alpha: 1, // bias of the biased arm
  quantile: 0.25, // long tail = bottom quarter by degree
  types: SYNTH_TYPES, // anchor types drawn in turn
  scope: 'anchors', // count anchors drawn (or 'subgraph': every node read)
};

export interface Coverage {
  /** The degree threshold (the largest one when thresholds are per anchor type). */
  threshold: number;
  /** Number of long-tail entities. */
  longTail: number;
  /** Fraction of long-tail entities reached with the bias. */
  biased: number;
  /** Fraction reached with uniform anchors (alpha = 0). */
  uniform: number;
  /** biased / uniform (Infinity when uniform reached none). */
  ratio: number;
  /**
   * The same three figures in expectation (exact, no sampling noise; 'anchors' scope only):
   * mean over tail entities of 1 − Π_types (1 − p)^draws, p being the entity's anchor probability.
   */
  expected?: { biased: number; uniform: number; ratio: number };
}

/**
 * Fraction of long-tail entities (degree ≤ threshold) reached by `samples` sampled subgraphs,
 * with the rare-entity bias and with uniform anchors (both arms driven by the same random draws).
 */
export function longTailCoverage(graph: KnowledgeGraph, options: Partial<CoverageOptions>, rng: Rng): Coverage {
  const o: CoverageOptions = { ...coverageDefaults, ...options };
  // The long tail: per anchor type (the bias acts within each type's pool), or over all nodes.
  const pools = o.scope === 'anchors' ? o.types.map((t) => new AnchorSampler(graph, t, 0).anchors) : [graph.nodes.map((n) => n.id)];
  const tail = new Set<string>();
  let threshold = 0;
  for (const pool of pools) {
    const degrees = pool.map((id) => graph.degree(id)).sort((a, b) => a - b);
    const th = o.threshold ?? (degrees.length ? degrees[Math.min(degrees.length - 1, Math.floor(o.quantile * (degrees.length - 1)))] : 0);
    threshold = Math.max(threshold, th);
    for (const id of pool) if (graph.degree(id) <= th) tail.add(id);
  }
  const arm = (alpha: number, r: Rng): number => {
    const arms = o.types.map((type) => ({ type, sampler: new AnchorSampler(graph, type, alpha) })).filter((a) => a.sampler.size > 0);
    if (arms.length === 0 || tail.size === 0) return 0;
    const reached = new Set<string>();
    for (let i = 0; i < o.samples; i++) {
      const a = arms[i % arms.length];
      const anchor = a.sampler.draw(r);
      if (o.scope === 'anchors') {
        if (tail.has(anchor)) reached.add(anchor);
      } else for (const id of neighbourhood(graph, a.type, anchor).nodes) if (tail.has(id)) reached.add(id);
    }
    return reached.size / tail.size;
  };
  const seed = rng.nextUint32(); // common random numbers: both arms see the same uniform draws
  const biased = arm(o.alpha, new Rng(seed));
  const uniform = arm(0, new Rng(seed));
  const out: Coverage = { threshold, longTail: tail.size, biased, uniform, ratio: ratioOf(biased, uniform) };
  if (o.scope === 'anchors') {
    const expect = (alpha: number): number => {
      const arms = o.types.map((type) => new AnchorSampler(graph, type, alpha)).filter((a) => a.size > 0);
      if (arms.length === 0 || tail.size === 0) return 0;
      const miss = new Map<string, number>(); // probability of never being drawn
      arms.forEach((a, k) => {
        const draws = Math.floor(o.samples / arms.length) + (k < o.samples % arms.length ? 1 : 0);
        const total = a.anchors.reduce((acc, id) => acc + anchorWeight(graph.degree(id), alpha), 0);
        for (const id of a.anchors) if (tail.has(id)) miss.set(id, (miss.get(id) ?? 1) * Math.pow(1 - anchorWeight(graph.degree(id), alpha) / total, draws));
      });
      let sum = 0;
      for (const id of tail) sum += 1 - (miss.get(id) ?? 1);
      return sum / tail.size;
    };
    const b = expect(o.alpha);
    const u = expect(0);
    out.expected = { biased: b, uniform: u, ratio: ratioOf(b, u) };
  }
  return out;
}

function ratioOf(biased: number, uniform: number): number {
  return uniform > 0 ? biased / uniform : biased > 0 ? Infinity : 1;
}
