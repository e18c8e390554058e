/**
 * Compiling shape-checked seed lines into a graph: diseases, drugs and conditions become nodes,
 * facts become edges to their targets (tests typed from entities.jsonl, drugs and diseases
 * found by name or synonym), and link errors go to the SkipReport.
 */
import * as path from 'node:path';
import type { SkipReport } from '../core/io';
import { GraphBuilder, KnowledgeGraph } from './graph';
import { NodeType, Relation, normalizeName } from './schema';
import type { Fact, Line } from './seedParse';

/** Fact keys → relation and target node type (tests resolve their type from entities.jsonl). */
const FACT_TARGETS: Record<string, { relation: Relation; type: NodeType | 'test' }> = {
  located_in: { relation: 'located_in', type: 'anatomy' },
  caused_by: { relation: 'caused_by', type: 'pathogen' },
  has_symptom: { relation: 'has_symptom', type: 'symptom' },
  has_finding: { relation: 'has_finding', type: 'finding' },
  diagnosed_by: { relation: 'diagnosed_by', type: 'test' },
  treated_by: { relation: 'treated_by', type: 'drug' },
  subclass_of: { relation: 'subclass_of', type: 'disease' },
  class: { relation: 'in_class', type: 'drug_class' },
  mechanism: { relation: 'has_mechanism', type: 'mechanism' },
  contraindicated_in: { relation: 'contraindicated_in', type: 'disease' },
  side_effect: { relation: 'side_effect', type: 'symptom' },
};

/**
 * Builds the graph from the lines of each file (keyed by file name): declares diseases, then
 * drugs, adds their facts, then the facts of the entities they use; entities and conditions
 * declared but never used are reported.
 */
export function compileSeed(lines: Record<string, Line[]>, skips: SkipReport, source: string): KnowledgeGraph {
  const c = new SeedCompiler(lines, skips, source);
  for (const l of lines['diseases.jsonl']) c.declare(l, 'disease', c.diseaseIds);
  for (const l of lines['drugs.jsonl']) c.declare(l, 'drug', c.drugIds);
  for (const [l, id] of c.diseaseIds) c.addFacts(l, id);
  for (const [l, id] of c.drugIds) c.addFacts(l, id);
  // Entity facts (subclass_of) for the entities that diseases and drugs use; unused declarations are errors.
  for (const l of lines['entities.jsonl']) if (c.usedDecl.has(l) && l.facts.size > 0) c.addFacts(l, c.target(l.type!, l.name));
  for (const l of [...lines['entities.jsonl'], ...lines['conditions.jsonl']])
    if (!c.usedDecl.has(l)) skips.skip(l.file, l.line, `"${l.name}" is declared but never used`);
  return c.b.build();
}

/** Name indexes of the lines, and the graph being built from them. */
class SeedCompiler {
  readonly b = new GraphBuilder();
  /** Entity declarations by `${type}|${normalised name or synonym}`. */
  private readonly entityByType = new Map<string, Line>();
  /** Normalised test name → lab_test | imaging. */
  private readonly testType = new Map<string, NodeType>();
  private readonly diseaseIdx: Map<string, Line>;
  private readonly drugIdx: Map<string, Line>;
  private readonly conditionLines: Set<Line>;
  /** Entity and condition lines some fact used. */
  readonly usedDecl = new Set<Line>();
  /** Node id → the diseases/drugs/conditions line that made it. */
  private readonly ownerOf = new Map<string, Line>();
  readonly diseaseIds = new Map<Line, string>();
  readonly drugIds = new Map<Line, string>();
  private readonly conditionIds = new Map<Line, string>();

  constructor(
    lines: Record<string, Line[]>,
    private readonly skips: SkipReport,
    private readonly source: string,
  ) {
    for (const l of lines['entities.jsonl'])
      for (const n of [l.name, ...l.synonyms]) {
        const k = `${l.type}|${normalizeName(n)}`;
        if (!this.entityByType.has(k)) this.entityByType.set(k, l);
        if ((l.type === 'lab_test' || l.type === 'imaging') && !this.testType.has(normalizeName(n))) this.testType.set(normalizeName(n), l.type);
      }
    this.diseaseIdx = nameIndex([...lines['diseases.jsonl'], ...lines['conditions.jsonl']]);
    this.drugIdx = nameIndex(lines['drugs.jsonl']);
    this.conditionLines = new Set(lines['conditions.jsonl']);
  }

  /** Counts a link error on line `l`; returns undefined so that callers can `return this.bad(…)`. */
  private bad(l: Line, reason: string): undefined {
    this.skips.skip(l.file, l.line, reason);
    return undefined;
  }

  /** Adds the node for a declared line (disease, drug) into `ids`, unless it merged into another line's node. */
  declare(l: Line, type: NodeType, ids: Map<Line, string>): void {
    const id = this.b.addNode({ type, name: l.name, synonyms: l.synonyms, xrefs: l.xrefs, source: this.source });
    const prev = this.ownerOf.get(id);
    if (prev && prev !== l) {
      this.skips.skip(l.file, l.line, `name or synonym links "${l.name}" to "${prev.name}" (${path.basename(prev.file)}:${prev.line})`);
      return;
    }
    this.ownerOf.set(id, l);
    ids.set(l, id);
  }

  /** Adds (or finds) a target node of `type` named `name`, using its entities.jsonl declaration if any. */
  target(type: NodeType, name: string): string {
    const decl = this.entityByType.get(`${type}|${normalizeName(name)}`);
    if (decl) {
      this.usedDecl.add(decl);
      return this.b.addNode({ type, name: decl.name, synonyms: decl.synonyms, xrefs: decl.xrefs, source: this.source });
    }
    return this.b.addNode({ type, name, source: this.source });
  }

  /** The disease node of a conditions.jsonl line, added on first use. */
  private conditionOf(l: Line): string {
    let id = this.conditionIds.get(l);
    if (!id) {
      id = this.b.addNode({ type: 'disease', name: l.name, synonyms: l.synonyms, xrefs: l.xrefs, source: this.source });
      this.conditionIds.set(l, id);
    }
    return id;
  }

  /** Adds the edges of every fact of line `l` from node `sourceId` (findings also get measured_by edges). */
  addFacts(l: Line, sourceId: string): void {
    for (const [key, facts] of l.facts) {
      const spec = FACT_TARGETS[key];
      for (const f of facts) {
        const refs = f.refs ?? l.refs;
        const tid = this.factTarget(l, key, f);
        if (!tid) continue;
        if (!this.b.addEdge(sourceId, spec.relation, tid, this.source, { refs })) this.bad(l, `${key} "${f.name}" does not fit the schema`);
        if (key === 'has_finding') this.addMeasuredBy(l, f, tid, refs);
      }
    }
  }

  /** The node a fact points to, or undefined after reporting why it has none (or when its disease line was left out). */
  private factTarget(l: Line, key: string, f: Fact): string | undefined {
    const spec = FACT_TARGETS[key];
    if (spec.type === 'test') {
      const t = this.testType.get(normalizeName(f.name));
      if (!t) return this.bad(l, `unknown test "${f.name}" (declare it in entities.jsonl as lab_test or imaging)`);
      return this.target(t, f.name);
    }
    if (spec.type === 'drug') {
      const d = this.drugIdx.get(normalizeName(f.name));
      const tid = d ? this.drugIds.get(d) : undefined;
      if (!tid) return this.bad(l, `unknown drug "${f.name}" (add it to drugs.jsonl)`);
      return tid;
    }
    if (spec.type === 'disease' && l.type === undefined) {
      const d = this.diseaseIdx.get(normalizeName(f.name));
      if (!d) return this.bad(l, `unknown disease or condition "${f.name}" (add it to diseases.jsonl or conditions.jsonl)`);
      const tid = this.conditionLines.has(d) ? this.conditionOf(d) : this.diseaseIds.get(d);
      if (this.conditionLines.has(d)) this.usedDecl.add(d);
      return tid;
    }
    if (key === 'subclass_of' && l.type !== undefined) return this.target(l.type, f.name);
    return this.target(spec.type, f.name);
  }

  /** The measured_by edges of a finding `tid` to the tests named in its fact. */
  private addMeasuredBy(l: Line, f: Fact, tid: string, refs: string[]): void {
    for (const m of f.measuredBy ?? []) {
      const t = this.testType.get(normalizeName(m));
      if (!t) {
        this.bad(l, `unknown test "${m}" measuring "${f.name}" (declare it in entities.jsonl as lab_test or imaging)`);
        continue;
      }
      this.b.addEdge(tid, 'measured_by', this.target(t, m), this.source, { refs });
    }
  }
}

/** Lines by normalised name and synonym (the first line wins). */
function nameIndex(ls: Line[]): Map<string, Line> {
  const m = new Map<string, Line>();
  for (const l of ls) for (const n of [l.name, ...l.synonyms]) if (!m.has(normalizeName(n))) m.set(normalizeName(n), l);
  return m;
}
