/**
 * What the whole graph proves, as cached sets per node: the single definition of truth shared by
 * the synthesiser (to reject ambiguous items) and the graph solver (to answer items).
 *
 * Direct edges are what a sampled subgraph shows; the closures below add what the rest of the
 * graph implies through `subclass_of`: a subtype inherits its parent's features; tests,
 * treatments and contraindications count across a disease's whole lineage (ancestors and
 * subtypes), erring towards calling an option right; a drug belongs to its class's ancestors;
 * a class's members share its mechanism. "The subgraph masks, the whole graph proves."
 */
import type { KnowledgeGraph } from '../../graph/graph';
import { GraphNode, NodeType, Relation, normalizeName } from '../../graph/schema';

const EMPTY: readonly string[] = [];
/** Most similar diseases kept per disease (distractor candidates come from these). */
export const SIMILAR_CAP = 64;

/** Direct adjacency for one relation: source → targets and target → sources, each list sorted. */
interface RelIndex {
  out: Map<string, string[]>;
  in: Map<string, string[]>;
}

export class GraphFacts {
  readonly graph: KnowledgeGraph;
  /** Node ids of each type, sorted. */
  readonly idsOfType = new Map<NodeType, string[]>();
  /** Normalised name or synonym → node ids (sorted). */
  readonly byName = new Map<string, string[]>();
  private readonly rel = new Map<Relation, RelIndex>();
  private readonly cache = new Map<string, Map<string, ReadonlySet<string>>>();
  private featureIndexCache: Map<string, string[]> | undefined;

  constructor(graph: KnowledgeGraph) {
    this.graph = graph;
    for (const n of graph.nodes) {
      let l = this.idsOfType.get(n.type);
      if (!l) this.idsOfType.set(n.type, (l = []));
      l.push(n.id);
      for (const s of [n.name, ...n.synonyms]) {
        const k = normalizeName(s);
        if (!k) continue;
        let ids = this.byName.get(k);
        if (!ids) this.byName.set(k, (ids = []));
        if (!ids.includes(n.id)) ids.push(n.id);
      }
    }
    for (const e of graph.edges) {
      let r = this.rel.get(e.relation);
      if (!r) this.rel.set(e.relation, (r = { out: new Map(), in: new Map() }));
      push(r.out, e.source, e.target);
      push(r.in, e.target, e.source);
    }
    for (const r of this.rel.values()) {
      for (const l of r.out.values()) l.sort();
      for (const l of r.in.values()) l.sort();
    }
  }

  node(id: string): GraphNode {
    return this.graph.node(id);
  }

  /** Targets of direct `relation` edges leaving `id` (sorted). */
  out(id: string, relation: Relation): readonly string[] {
    return this.rel.get(relation)?.out.get(id) ?? EMPTY;
  }

  /** Sources of direct `relation` edges entering `id` (sorted). */
  in(id: string, relation: Relation): readonly string[] {
    return this.rel.get(relation)?.in.get(id) ?? EMPTY;
  }

  /** Whether the graph has the edge source -relation-> target. */
  hasEdge(source: string, relation: Relation, target: string): boolean {
    return this.out(source, relation).includes(target);
  }

  /** Direct symptoms and findings of a disease (its own edges only). */
  directFeatures(d: string): string[] {
    return [...this.out(d, 'has_symptom'), ...this.out(d, 'has_finding')];
  }

  /** `id` and everything above it through subclass_of. */
  ancestors(id: string): ReadonlySet<string> {
    return this.memo('anc', id, () => closure(id, (x) => this.out(x, 'subclass_of')));
  }

  /** `id` and everything below it through subclass_of. */
  descendants(id: string): ReadonlySet<string> {
    return this.memo('desc', id, () => closure(id, (x) => this.in(x, 'subclass_of')));
  }

  /**
   * A disease's lineage: itself, its ancestors and its descendants. Tests, treatments and
   * contraindications of any of them count for it, so a question about "diabetes mellitus"
   * never offers a drug for one of its subtypes as a wrong option.
   */
  lineage(d: string): ReadonlySet<string> {
    return this.memo('lineage', d, () => new Set([...this.ancestors(d), ...this.descendants(d)]));
  }

  /** Features a disease has: its own and its ancestors' symptoms and findings, each with its ancestors. */
  features(d: string): ReadonlySet<string> {
    return this.memo('feat', d, () => {
      const s = new Set<string>();
      for (const a of this.ancestors(d)) for (const f of this.directFeatures(a)) for (const x of this.ancestors(f)) s.add(x);
      return s;
    });
  }

  /** Feature id → diseases whose `features` include it (sorted). */
  diseasesWithFeature(f: string): readonly string[] {
    if (!this.featureIndexCache) {
      const idx = new Map<string, string[]>();
      for (const d of this.idsOfType.get('disease') ?? EMPTY) for (const f2 of this.features(d)) push(idx, f2, d);
      this.featureIndexCache = idx;
    }
    return this.featureIndexCache.get(f) ?? EMPTY;
  }

  /** Diseases whose features include every clue (sorted). */
  diseasesWithAll(clues: readonly string[]): string[] {
    if (clues.length === 0) return [...(this.idsOfType.get('disease') ?? EMPTY)];
    let best = this.diseasesWithFeature(clues[0]);
    for (const c of clues) {
      const l = this.diseasesWithFeature(c);
      if (l.length < best.length) best = l;
    }
    return best.filter((d) => clues.every((c) => this.features(d).has(c)));
  }

  /** Tests that confirm or support a disease: diagnosed_by of its lineage, and tests measuring their findings. */
  tests(d: string): ReadonlySet<string> {
    return this.memo('tests', d, () => {
      const s = new Set<string>();
      for (const a of this.lineage(d)) {
        for (const t of this.out(a, 'diagnosed_by')) s.add(t);
        for (const f of this.out(a, 'has_finding')) for (const t of this.out(f, 'measured_by')) s.add(t);
      }
      return s;
    });
  }

  /** Members of a class or of any of its subclasses, plus those classes themselves. */
  classMembers(c: string): ReadonlySet<string> {
    return this.memo('members', c, () => {
      const s = new Set<string>();
      for (const k of this.descendants(c)) {
        s.add(k);
        for (const d of this.in(k, 'in_class')) s.add(d);
      }
      return s;
    });
  }

  /** Drugs and classes that treat a disease's lineage, a class counting for all its members. */
  treatingAgents(d: string): ReadonlySet<string> {
    return this.memo('treat', d, () => {
      const s = new Set<string>();
      for (const a of this.lineage(d))
        for (const t of this.out(a, 'treated_by')) {
          s.add(t);
          if (this.node(t).type === 'drug_class') for (const m of this.classMembers(t)) s.add(m);
        }
      return s;
    });
  }

  /** Classes of a drug (with their ancestors), or a class's ancestors. */
  classes(x: string): ReadonlySet<string> {
    return this.memo('classes', x, () => {
      const s = new Set<string>();
      const direct = this.node(x).type === 'drug_class' ? [x] : this.out(x, 'in_class');
      for (const c of direct) for (const a of this.ancestors(c)) s.add(a);
      return s;
    });
  }

  /** Mechanisms of a drug or class: its own and its classes'. For a disease: those of its treating agents. */
  mechanisms(x: string): ReadonlySet<string> {
    return this.memo('mech', x, () => {
      const s = new Set<string>();
      const t = this.node(x).type;
      const agents = t === 'disease' ? [...this.treatingAgents(x)] : [x];
      for (const a of agents) {
        for (const m of this.out(a, 'has_mechanism')) s.add(m);
        for (const c of this.classes(a)) for (const m of this.out(c, 'has_mechanism')) s.add(m);
      }
      return s;
    });
  }

  /** Drugs and classes contraindicated in a disease's lineage, a class counting for its members. */
  contraindicated(d: string): ReadonlySet<string> {
    return this.memo('ci', d, () => {
      const s = new Set<string>();
      for (const a of this.lineage(d))
        for (const x of this.in(a, 'contraindicated_in')) {
          s.add(x);
          if (this.node(x).type === 'drug_class') for (const m of this.classMembers(x)) s.add(m);
        }
      return s;
    });
  }

  /**
   * Up to `SIMILAR_CAP` diseases sharing the most direct features with `d` (excluding `d`), as
   * [disease, shared count], most shared first (ties by id).
   */
  similarDiseases(d: string): readonly (readonly [string, number])[] {
    return this.cached('similar', d, () => {
      const m = new Map<string, number>();
      for (const f of this.directFeatures(d))
        for (const o of [...this.in(f, 'has_symptom'), ...this.in(f, 'has_finding')]) if (o !== d) m.set(o, (m.get(o) ?? 0) + 1);
      return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, SIMILAR_CAP);
    });
  }

  /** A per-graph cache for derived values (kind + id → value). */
  cached<T>(kind: string, id: string, f: () => T): T {
    let m = this.anyCache.get(kind);
    if (!m) this.anyCache.set(kind, (m = new Map()));
    if (m.has(id)) return m.get(id) as T;
    const v = f();
    m.set(id, v);
    return v;
  }
  private readonly anyCache = new Map<string, Map<string, unknown>>();

  private memo(kind: string, id: string, f: () => ReadonlySet<string>): ReadonlySet<string> {
    let m = this.cache.get(kind);
    if (!m) this.cache.set(kind, (m = new Map()));
    let v = m.get(id);
    if (!v) m.set(id, (v = f()));
    return v;
  }
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function closure(start: string, next: (x: string) => readonly string[]): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length) for (const y of next(stack.pop() as string)) if (!seen.has(y)) (seen.add(y), stack.push(y));
  return seen;
}

const factsCache = new WeakMap<KnowledgeGraph, GraphFacts>();

/** The (cached) facts of a graph; graphs are read-only, so one instance per graph suffices. */
export function factsOf(graph: KnowledgeGraph): GraphFacts {
  let f = factsCache.get(graph);
  if (!f) factsCache.set(graph, (f = new GraphFacts(graph)));
  return f;
}
