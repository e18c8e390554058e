/**
 * The seed graph: hand-written medical facts, each with a public reference, compiled from
 * `data/seed/*.jsonl` (format in data/seed/README.md) through GraphBuilder as source 'seed'.
 *
 *   const { graph, skips, counts } = loadSeedGraph();          // strict: bad lines throw
 *   const { graph } = loadSeedGraph(dir, { strict: false });   // bad lines counted in `skips`
 *
 * Files, read in this order: entities.jsonl (tests with their type, synonyms of symptoms etc.),
 * conditions.jsonl (contraindication targets that are not diseases, e.g. pregnancy),
 * diseases.jsonl, drugs.jsonl. Every edge carries `refs` (https URLs): the fact's own refs when
 * it has them, otherwise its line's refs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport } from '../core/io';
import { GraphBuilder, KnowledgeGraph } from './graph';
import { NODE_TYPES, NodeType, Relation, Xrefs, isNodeType, normalizeName } from './schema';

/** Name of the source recorded on every seed node and edge. */
export const SEED_SOURCE = 'seed';

export interface SeedOptions {
  /** Throw an InputError at the first bad line (the default: the seed is our own data). */
  strict?: boolean;
}

export const defaults: Required<SeedOptions> = {
  strict: true,
};

export interface SeedCounts {
  diseases: number;
  drugs: number;
  conditions: number;
  nodesByType: Record<string, number>;
  edgesByRelation: Record<string, number>;
  /** Distinct reference URLs used by edges. */
  refs: number;
}

export interface SeedResult {
  graph: KnowledgeGraph;
  skips: SkipReport;
  counts: SeedCounts;
}

/** data/seed in the repository. */
export function seedDir(): string {
  return path.resolve(__dirname, '../../data/seed');
}

/** A fact as written: a target name, or an object with its own refs (findings add measured_by). */
type FactInput = string | { name: string; refs?: string[]; measured_by?: string | string[] };

interface Fact {
  name: string;
  refs?: string[];
  measuredBy?: string[];
}

interface Line {
  file: string;
  line: number;
  name: string;
  synonyms: string[];
  xrefs: Xrefs;
  refs: string[];
  facts: Map<string, Fact[]>;
  /** entities.jsonl only. */
  type?: NodeType;
}

/** Fields each file accepts: [metadata fields, fact fields]. */
const FIELDS: Record<string, { meta: string[]; facts: string[] }> = {
  'entities.jsonl': { meta: ['type', 'name', 'synonyms', 'xrefs', 'note', 'refs'], facts: ['subclass_of'] },
  'conditions.jsonl': { meta: ['name', 'synonyms', 'xrefs', 'note', 'refs'], facts: [] },
  'diseases.jsonl': {
    meta: ['name', 'synonyms', 'xrefs', 'note', 'refs', 'specialty', 'clinical_diagnosis'],
    facts: ['located_in', 'caused_by', 'has_symptom', 'has_finding', 'diagnosed_by', 'treated_by', 'subclass_of'],
  },
  'drugs.jsonl': {
    meta: ['name', 'synonyms', 'xrefs', 'note', 'refs'],
    facts: ['class', 'mechanism', 'contraindicated_in', 'side_effect'],
  },
};
const FILES = ['entities.jsonl', 'conditions.jsonl', 'diseases.jsonl', 'drugs.jsonl'];

/** Whether `s` is an absolute http(s) URL. */
export function isRefUrl(s: unknown): s is string {
  if (typeof s !== 'string' || !/^https?:\/\/\S+$/.test(s)) return false;
  try {
    return new URL(s).hostname.includes('.');
  } catch {
    return false;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function nonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x.trim() !== '' && normalizeName(x) !== '';
}

/** Validates one line's shape; returns the parsed line or throws a reason string. */
function parseLine(file: string, lineNo: number, v: unknown): Line {
  if (!isObject(v)) throw 'line is not a JSON object';
  const spec = FIELDS[file];
  for (const k of Object.keys(v)) if (!spec.meta.includes(k) && !spec.facts.includes(k)) throw `unknown field "${k}"`;
  if (!nonEmptyString(v.name)) throw 'missing or empty "name"';
  const stringList = (key: string): string[] => {
    const x = v[key];
    if (x === undefined) return [];
    if (!Array.isArray(x)) throw `"${key}" must be a list`;
    if (x.length === 0) throw `empty list "${key}"`;
    for (const s of x) if (!nonEmptyString(s)) throw `"${key}" holds a non-string or empty entry`;
    return x as string[];
  };
  const refList = (x: unknown, where: string): string[] => {
    if (!Array.isArray(x)) throw `${where} must be a list`;
    if (x.length === 0) throw `empty list ${where}`;
    for (const r of x) if (!isRefUrl(r)) throw `${where} holds a non-URL reference ${JSON.stringify(r)}`;
    return x as string[];
  };
  const out: Line = { file, line: lineNo, name: v.name.trim(), synonyms: stringList('synonyms'), xrefs: {}, refs: [], facts: new Map() };
  if (v.xrefs !== undefined) {
    if (!isObject(v.xrefs) || Object.keys(v.xrefs).length === 0) throw '"xrefs" must be a non-empty object';
    for (const [k, ids] of Object.entries(v.xrefs)) {
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((s) => nonEmptyString(s))) throw `xrefs.${k} must be a non-empty list of ids`;
      out.xrefs[k] = ids as string[];
    }
  }
  if (v.note !== undefined && !nonEmptyString(v.note)) throw '"note" must be a non-empty string';
  if (v.specialty !== undefined && !nonEmptyString(v.specialty)) throw '"specialty" must be a non-empty string';
  if (v.clinical_diagnosis !== undefined && v.clinical_diagnosis !== true) throw '"clinical_diagnosis" may only be true';
  if (v.refs !== undefined) out.refs = refList(v.refs, '"refs"');
  if (file === 'entities.jsonl') {
    if (!isNodeType(v.type) || v.type === 'disease' || v.type === 'drug')
      throw `"type" must be one of ${NODE_TYPES.filter((t) => t !== 'disease' && t !== 'drug').join(', ')}`;
    out.type = v.type;
  }
  let unreferenced = false;
  for (const key of spec.facts) {
    const x = v[key];
    if (x === undefined) continue;
    if (!Array.isArray(x)) throw `"${key}" must be a list`;
    if (x.length === 0) throw `empty list "${key}"`;
    const facts: Fact[] = [];
    for (const item of x as FactInput[]) {
      let fact: Fact;
      if (typeof item === 'string') {
        if (!nonEmptyString(item)) throw `"${key}" holds an empty name`;
        fact = { name: item.trim() };
      } else if (isObject(item)) {
        const allowed = key === 'has_finding' ? ['name', 'refs', 'measured_by'] : ['name', 'refs'];
        for (const k of Object.keys(item)) if (!allowed.includes(k)) throw `unknown field "${k}" in a "${key}" entry`;
        if (!nonEmptyString(item.name)) throw `a "${key}" entry lacks a name`;
        fact = { name: item.name.trim() };
        if (item.refs !== undefined) fact.refs = refList(item.refs, `"${key}" entry "${item.name}" refs`);
        if (item.measured_by !== undefined) {
          const m = typeof item.measured_by === 'string' ? [item.measured_by] : item.measured_by;
          if (!Array.isArray(m) || m.length === 0 || !m.every((s) => nonEmptyString(s)))
            throw `finding "${item.name}" has an empty or invalid measured_by`;
          fact.measuredBy = m.map((s) => s.trim());
        }
      } else throw `"${key}" holds an entry that is neither a name nor an object`;
      if (key === 'has_finding' && !fact.measuredBy) throw `finding "${fact.name}" has no measured_by`;
      if (!fact.refs && out.refs.length === 0) unreferenced = true;
      facts.push(fact);
    }
    out.facts.set(key, facts);
  }
  if (unreferenced) throw 'a fact has no reference (no line "refs" and no fact "refs")';
  if (file === 'drugs.jsonl' && !out.facts.has('class')) throw 'drug without "class"';
  if (file === 'conditions.jsonl' && out.refs.length === 0) throw 'condition without "refs"';
  return out;
}

/** Reads and shape-checks one seed file; bad lines go to `skips` (which throws when strict). */
function readSeedFile(dir: string, file: string, skips: SkipReport): Line[] {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) {
    if (file === 'diseases.jsonl' || file === 'drugs.jsonl') throw new Error(`${full}: no such file`);
    return [];
  }
  const out: Line[] = [];
  const seen = new Map<string, number>();
  fs.readFileSync(full, 'utf8')
    .split(/\r?\n/)
    .forEach((text, i) => {
      if (text.trim() === '') return;
      skips.read(full);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        skips.skip(full, i + 1, `invalid JSON (${(e as Error).message})`);
        return;
      }
      let line: Line;
      try {
        line = parseLine(file, i + 1, value);
      } catch (reason) {
        if (typeof reason !== 'string') throw reason;
        skips.skip(full, i + 1, reason);
        return;
      }
      const key = `${line.type ?? ''}|${normalizeName(line.name)}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        skips.skip(full, i + 1, `duplicate name "${line.name}" (first on line ${prev})`);
        return;
      }
      seen.set(key, i + 1);
      line.file = full;
      out.push(line);
    });
  return out;
}

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
 * Compiles the seed JSONL files in `dir` into a KnowledgeGraph. Shape errors (unknown field,
 * missing name, empty list, fact without reference, non-URL reference, duplicate name) and link
 * errors (unknown test, drug, disease or condition; an entity or condition declared but never
 * used; two lines merging into one node) raise an InputError naming file and line when strict,
 * or are counted in `skips` and left out otherwise.
 */
export function loadSeedGraph(dir: string = seedDir(), opts: SeedOptions = {}): SeedResult {
  const o = { ...defaults, ...opts };
  const skips = new SkipReport(o.strict);
  const lines: Record<string, Line[]> = {};
  for (const f of FILES) lines[f] = readSeedFile(dir, f, skips);

  // Name indexes for cross-file links (normalised names and synonyms).
  const index = (ls: Line[]): Map<string, Line> => {
    const m = new Map<string, Line>();
    for (const l of ls) for (const n of [l.name, ...l.synonyms]) if (!m.has(normalizeName(n))) m.set(normalizeName(n), l);
    return m;
  };
  const entityByType = new Map<string, Line>(); // `${type}|${norm}`
  const testType = new Map<string, NodeType>(); // norm test name → lab_test | imaging
  for (const l of lines['entities.jsonl'])
    for (const n of [l.name, ...l.synonyms]) {
      const k = `${l.type}|${normalizeName(n)}`;
      if (!entityByType.has(k)) entityByType.set(k, l);
      if ((l.type === 'lab_test' || l.type === 'imaging') && !testType.has(normalizeName(n))) testType.set(normalizeName(n), l.type);
    }
  const diseaseIdx = index([...lines['diseases.jsonl'], ...lines['conditions.jsonl']]);
  const drugIdx = index(lines['drugs.jsonl']);

  const b = new GraphBuilder();
  const usedDecl = new Set<Line>();
  const ownerOf = new Map<string, Line>(); // node id → the diseases/drugs/conditions line that made it

  /** Adds the node for a declared line (disease, drug, condition) and checks it did not merge into another line's node. */
  const declare = (l: Line, type: NodeType): string | undefined => {
    const id = b.addNode({ type, name: l.name, synonyms: l.synonyms, xrefs: l.xrefs, source: SEED_SOURCE });
    const prev = ownerOf.get(id);
    if (prev && prev !== l) {
      skips.skip(l.file, l.line, `name or synonym links "${l.name}" to "${prev.name}" (${path.basename(prev.file)}:${prev.line})`);
      return undefined;
    }
    ownerOf.set(id, l);
    return id;
  };
  /** Adds (or finds) a target node of `type` named `name`, using its entities.jsonl declaration if any. */
  const target = (type: NodeType, name: string): string => {
    const decl = entityByType.get(`${type}|${normalizeName(name)}`);
    if (decl) {
      usedDecl.add(decl);
      return b.addNode({ type, name: decl.name, synonyms: decl.synonyms, xrefs: decl.xrefs, source: SEED_SOURCE });
    }
    return b.addNode({ type, name, source: SEED_SOURCE });
  };

  const diseaseIds = new Map<Line, string>();
  const drugIds = new Map<Line, string>();
  for (const l of lines['diseases.jsonl']) {
    const id = declare(l, 'disease');
    if (id) diseaseIds.set(l, id);
  }
  for (const l of lines['drugs.jsonl']) {
    const id = declare(l, 'drug');
    if (id) drugIds.set(l, id);
  }
  const conditionIds = new Map<Line, string>();
  const conditionOf = (l: Line): string => {
    let id = conditionIds.get(l);
    if (!id) {
      id = b.addNode({ type: 'disease', name: l.name, synonyms: l.synonyms, xrefs: l.xrefs, source: SEED_SOURCE });
      conditionIds.set(l, id);
    }
    return id;
  };
  const conditionLines = new Set(lines['conditions.jsonl']);

  const addFacts = (l: Line, sourceId: string): void => {
    for (const [key, facts] of l.facts) {
      const spec = FACT_TARGETS[key];
      for (const f of facts) {
        const refs = f.refs ?? l.refs;
        const bad = (reason: string): void => skips.skip(l.file, l.line, reason);
        let tid: string | undefined;
        if (spec.type === 'test') {
          const t = testType.get(normalizeName(f.name));
          if (!t) {
            bad(`unknown test "${f.name}" (declare it in entities.jsonl as lab_test or imaging)`);
            continue;
          }
          tid = target(t, f.name);
        } else if (spec.type === 'drug') {
          const d = drugIdx.get(normalizeName(f.name));
          tid = d ? drugIds.get(d) : undefined;
          if (!tid) {
            bad(`unknown drug "${f.name}" (add it to drugs.jsonl)`);
            continue;
          }
        } else if (spec.type === 'disease' && l.type === undefined) {
          const d = diseaseIdx.get(normalizeName(f.name));
          if (!d) {
            bad(`unknown disease or condition "${f.name}" (add it to diseases.jsonl or conditions.jsonl)`);
            continue;
          }
          tid = conditionLines.has(d) ? conditionOf(d) : diseaseIds.get(d);
          if (conditionLines.has(d)) usedDecl.add(d);
          if (!tid) continue;
        } else if (key === 'subclass_of' && l.type !== undefined) {
          tid = target(l.type, f.name);
        } else {
          tid = target(spec.type, f.name);
        }
        if (!b.addEdge(sourceId, spec.relation, tid, SEED_SOURCE, { refs })) bad(`${key} "${f.name}" does not fit the schema`);
        if (key === 'has_finding')
          for (const m of f.measuredBy ?? []) {
            const t = testType.get(normalizeName(m));
            if (!t) {
              bad(`unknown test "${m}" measuring "${f.name}" (declare it in entities.jsonl as lab_test or imaging)`);
              continue;
            }
            b.addEdge(tid, 'measured_by', target(t, m), SEED_SOURCE, { refs });
          }
      }
    }
  };
  for (const [l, id] of diseaseIds) addFacts(l, id);
  for (const [l, id] of drugIds) addFacts(l, id);
  // Entity facts (subclass_of) for the entities that diseases and drugs use; unused declarations are errors.
  for (const l of lines['entities.jsonl']) if (usedDecl.has(l) && l.facts.size > 0) addFacts(l, target(l.type!, l.name));
  for (const l of [...lines['entities.jsonl'], ...lines['conditions.jsonl']])
    if (!usedDecl.has(l)) skips.skip(l.file, l.line, `"${l.name}" is declared but never used`);

  const graph = b.build();
  return { graph, skips, counts: seedCounts(graph) };
}

/** Node counts per type, edge counts per relation and distinct references of a seed graph. */
export function seedCounts(graph: KnowledgeGraph): SeedCounts {
  const nodesByType: Record<string, number> = {};
  for (const n of graph.nodes) nodesByType[n.type] = (nodesByType[n.type] ?? 0) + 1;
  const edgesByRelation: Record<string, number> = {};
  const refs = new Set<string>();
  for (const e of graph.edges) {
    edgesByRelation[e.relation] = (edgesByRelation[e.relation] ?? 0) + 1;
    for (const r of e.refs ?? []) refs.add(r);
  }
  const sorted = (r: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  const conditions = graph.nodes.filter((n) => n.type === 'disease' && (graph.out.get(n.id) ?? []).length === 0).length;
  return {
    diseases: (nodesByType.disease ?? 0) - conditions,
    drugs: nodesByType.drug ?? 0,
    conditions,
    nodesByType: sorted(nodesByType),
    edgesByRelation: sorted(edgesByRelation),
    refs: refs.size,
  };
}
