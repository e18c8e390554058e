/**
 * Disease Ontology loader (DiseaseOntology/HumanDiseaseOntology, DOreports/, CC0).
 *
 *  - HumanDO.tsv: one disease per DOID; `subClassOf` names the parent by label → subclass_of.
 *  - MESHinDO.tsv, ICD10inDO.tsv, allXREFinDO.tsv: cross-references (UMLS CUI, MeSH, ICD-10/9,
 *    NCI, OMIM, Orphanet, GARD, SNOMED CT, EFO). An id attached to several DO terms does not
 *    identify one disease, so it is not used (counted 'by design').
 *  - disease-symptom.tsv: disease → SYMP symptom → has_symptom.
 *  - DO-subClassOf-anonymous.tsv: logical axioms "'rel' some target": 'has symptom' → has_symptom;
 *    'disease has location' / 'located in' → located_in (anatomy); 'has material basis in' a
 *    pathogen-like target (see isPathogenLike) → caused_by (pathogen). 'transmitted by' names a
 *    vector or a route of transmission, not the causal agent, so it is skipped by design, as are
 *    the other relations (derives from, inheritance patterns, cell types, ...).
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { Xrefs } from '../schema';
import { LoaderCounts, LoaderOptions, Tally, dropSharedXrefs, isPathogenLike, normDoid, rowsOf, unquote, usableName } from './common';

export const SOURCE = 'disease-ontology';
export const FILES = {
  diseases: 'HumanDO.tsv',
  mesh: 'MESHinDO.tsv',
  icd10: 'ICD10inDO.tsv',
  allXrefs: 'allXREFinDO.tsv',
  symptoms: 'disease-symptom.tsv',
  axioms: 'DO-subClassOf-anonymous.tsv',
} as const;

/** DO xref prefix → xref key in the graph; prefixes not listed are not used (by design). */
export const XREF_PREFIXES: Record<string, string> = {
  UMLS_CUI: 'umls',
  MESH: 'mesh',
  ICD10CM: 'icd10',
  ICD9CM: 'icd9',
  NCI: 'nci',
  MIM: 'omim',
  ORDO: 'orphanet',
  GARD: 'gard',
  EFO: 'efo',
  SNOMEDCT: 'snomedct',
};

/** Splits a DO xref like "MESH:D006394" or "SNOMEDCT_US_2025_09_01:1234" into [key, value]. */
export function parseDoXref(x: string): [string, string] | undefined {
  const m = /^([A-Za-z0-9_]+):(.+)$/.exec(unquote(x));
  if (!m) return undefined;
  const prefix = m[1].startsWith('SNOMEDCT') ? 'SNOMEDCT' : m[1].toUpperCase();
  const key = XREF_PREFIXES[prefix];
  if (!key) return undefined;
  let v = m[2].trim();
  if (key === 'umls') v = v.toUpperCase();
  if (key === 'mesh') v = v.toUpperCase();
  return [key, v];
}

/** One "'relation' some target" clause pulled from a DO anonymous superclass expression. */
export interface DoAxiom {
  relation: string;
  target: string;
}

/**
 * Parses the "SubClass Of [ANON]" cell: clauses separated by '|', each "'rel' some 'target'" or
 * "'rel' some target". Nested expressions yield their simple inner clauses; targets that are
 * themselves class expressions ("(... and ...)") are left out. " <genus>" qualifiers are dropped.
 */
export function parseAxioms(cell: string): DoAxiom[] {
  const out: DoAxiom[] = [];
  const re = /'([^']+)' some (?:'([^']+)'|([A-Za-z0-9_][A-Za-z0-9_.-]*))/g;
  for (const m of cell.matchAll(re)) {
    const target = (m[2] ?? m[3]).replace(/\s*<[^>]*>\s*/g, ' ').trim();
    if (target) out.push({ relation: m[1], target });
  }
  return out;
}

/** Where a row came from, for skip reports. */
interface RowAt {
  file: string;
  line: number;
}

/** HumanDO.tsv as read: labels and parent labels by DOID, DOIDs by label, DOIDs in file order. */
interface DoTerms {
  label: Map<string, string>; // DOID → label
  parents: Map<string, ({ parent: string } & RowAt)[]>;
  byLabel: Map<string, string>; // label → DOID
  order: string[];
}

/** Resolves a DOID to its disease node, creating one from a fallback label for unknown DOIDs. */
type DiseaseNodeOf = (doid: string, fallbackName: string) => string | undefined;

/** Loads the Disease Ontology folder into the builder. */
export async function loadDiseaseOntology(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const f = (name: string) => path.join(dir, name);
  const files = Object.values(FILES).map(f);
  const progress = (i: number) => opts.onProgress?.(SOURCE, i, files.length);

  const terms = await readDiseases(f(FILES.diseases), skips);
  progress(1);
  const { xr, xrefLine } = await readXrefs(f, terms, skips, progress);
  reportSharedXrefs(xr, xrefLine, skips);
  const nodeOf = addDiseaseNodes(t, terms, xr);
  addSubclassEdges(t, terms, nodeOf, skips);
  const diseaseNode = diseaseNodeOf(t, nodeOf);
  await loadSymptoms(f(FILES.symptoms), t, skips, diseaseNode);
  progress(5);
  await loadAxioms(f(FILES.axioms), t, skips, diseaseNode);
  progress(6);
  return t.counts(skips, files);
}

/** Step 1: reads diseases and their parent labels from HumanDO.tsv (first label per DOID wins). */
async function readDiseases(file: string, skips: SkipReport): Promise<DoTerms> {
  const terms: DoTerms = { label: new Map(), parents: new Map(), byLabel: new Map(), order: [] };
  for await (const { row, line } of rowsOf(file, ['id', 'label', 'subClassOf'], skips, { quoted: true })) {
    const doid = normDoid(row.id);
    const name = unquote(row.label);
    if (!doid) {
      skips.skip(file, line, 'id is not a DOID');
      continue;
    }
    if (!usableName(name)) {
      skips.skip(file, line, 'empty label');
      continue;
    }
    if (!terms.label.has(doid)) {
      terms.label.set(doid, name);
      terms.order.push(doid);
      if (!terms.byLabel.has(name)) terms.byLabel.set(name, doid);
    }
    const parent = unquote(row.subClassOf);
    if (parent) {
      const list = terms.parents.get(doid) ?? [];
      list.push({ parent, file, line });
      terms.parents.set(doid, list);
    }
  }
  return terms;
}

/** Step 2: reads the three cross-reference files (progress 2, 3, 4), remembering each xref's first row. */
async function readXrefs(
  f: (name: string) => string,
  terms: DoTerms,
  skips: SkipReport,
  progress: (i: number) => void,
): Promise<{ xr: Map<string, Xrefs>; xrefLine: Map<string, RowAt> }> {
  const xr = new Map<string, Xrefs>();
  const xrefLine = new Map<string, RowAt>();
  for (const [name, col, done] of [
    [FILES.mesh, 'xrefs', 2],
    [FILES.icd10, 'xrefs', 3],
    [FILES.allXrefs, 'xref', 4],
  ] as const) {
    const file = f(name);
    for await (const { row, line } of rowsOf(file, ['id', col], skips, { quoted: true })) {
      const doid = normDoid(row.id);
      if (!doid) {
        skips.skip(file, line, 'id is not a DOID');
        continue;
      }
      if (!terms.label.has(doid)) {
        skips.skip(file, line, 'DOID not in HumanDO.tsv');
        continue;
      }
      const raw = unquote(row[col]);
      if (!raw) {
        skips.skip(file, line, 'empty xref');
        continue;
      }
      const kv = parseDoXref(raw);
      if (!kv) {
        if (/^[A-Za-z0-9_]+:.+$/.test(raw)) skips.skipByDesign(file, line, `xref prefix not used (${raw.split(':')[0]})`);
        else skips.skip(file, line, 'xref is not PREFIX:id');
        continue;
      }
      addXref(xr, xrefLine, doid, kv, { file, line });
    }
    progress(done);
  }
  return { xr, xrefLine };
}

/** Adds one (key, value) xref to a DOID, once, and notes the row it first came from. */
function addXref(xr: Map<string, Xrefs>, xrefLine: Map<string, RowAt>, doid: string, [key, value]: [string, string], at: RowAt): void {
  const cur = xr.get(doid) ?? {};
  const vs = cur[key] ?? [];
  if (!vs.includes(value)) vs.push(value);
  cur[key] = vs;
  xr.set(doid, cur);
  const k = `${doid}|${key}|${value}`;
  if (!xrefLine.has(k)) xrefLine.set(k, at);
}

/** The `DOID|key|value` strings of a DOID's xrefs. */
function xrefKeys(doid: string, x: Xrefs): string[] {
  return Object.entries(x).flatMap(([k, vs]) => (vs ?? []).map((v) => `${doid}|${k}|${v}`));
}

/** Drops xrefs shared by several DO terms, counting each dropped one (by design) at its first row. */
function reportSharedXrefs(xr: Map<string, Xrefs>, xrefLine: Map<string, RowAt>, skips: SkipReport): void {
  const before = new Map([...xr].map(([d, x]) => [d, xrefKeys(d, x)]));
  dropSharedXrefs(xr);
  for (const [d, keys] of before) {
    const kept = new Set(xrefKeys(d, xr.get(d) ?? {}));
    for (const k of keys)
      if (!kept.has(k)) {
        const at = xrefLine.get(k)!;
        skips.skipByDesign(at.file, at.line, 'xref shared by several DO terms, not used for linking');
      }
  }
}

/** Step 3a: one disease node per DOID, in file order, with its xrefs and DOID. */
function addDiseaseNodes(t: Tally, terms: DoTerms, xr: Map<string, Xrefs>): Map<string, string> {
  const nodeOf = new Map<string, string>();
  for (const doid of terms.order) nodeOf.set(doid, t.node({ type: 'disease', name: terms.label.get(doid)!, xrefs: { ...xr.get(doid), doid: [doid] } }));
  return nodeOf;
}

/** Step 3b: subclass_of edges to parents found by label. */
function addSubclassEdges(t: Tally, terms: DoTerms, nodeOf: Map<string, string>, skips: SkipReport): void {
  for (const doid of terms.order)
    for (const p of terms.parents.get(doid) ?? []) {
      const pid = terms.byLabel.get(p.parent);
      if (!pid) {
        skips.skip(p.file, p.line, 'parent label not found in HumanDO.tsv');
        continue;
      }
      if (!t.edge(nodeOf.get(doid)!, 'subclass_of', nodeOf.get(pid)!)) skips.skip(p.file, p.line, 'subclass_of refused (same node after linking)');
    }
}

/** The disease node of a DOID; an unknown DOID gets a node named by the fallback label, if usable. */
function diseaseNodeOf(t: Tally, nodeOf: Map<string, string>): DiseaseNodeOf {
  return (doid, fallbackName) => {
    const known = nodeOf.get(doid);
    if (known) return known;
    if (!usableName(fallbackName)) return undefined;
    const id = t.node({ type: 'disease', name: fallbackName, xrefs: { doid: [doid] } });
    nodeOf.set(doid, id);
    return id;
  };
}

/** Step 4: disease-symptom pairs → has_symptom (SYMP ids kept as xrefs). */
async function loadSymptoms(file: string, t: Tally, skips: SkipReport, diseaseNode: DiseaseNodeOf): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['disease_id', 'disease_label', 'symptom_id', 'symptom_label'], skips)) {
    const doid = normDoid(row.disease_id);
    const sname = unquote(row.symptom_label);
    if (!doid) {
      skips.skip(file, line, 'disease_id is not a DOID');
      continue;
    }
    if (!usableName(sname)) {
      skips.skip(file, line, 'empty symptom_label');
      continue;
    }
    const d = diseaseNode(doid, unquote(row.disease_label));
    if (!d) {
      skips.skip(file, line, 'unknown DOID without a label');
      continue;
    }
    const symp = /^SYMP:\d+$/.test(unquote(row.symptom_id)) ? [unquote(row.symptom_id)] : [];
    const s = t.node({ type: 'symptom', name: sname, xrefs: symp.length ? { symp } : {} });
    t.edge(d, 'has_symptom', s);
  }
}

/** Step 5: logical axioms, each simple clause mapped by addAxiom. */
async function loadAxioms(file: string, t: Tally, skips: SkipReport, diseaseNode: DiseaseNodeOf): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['ID', 'LABEL', 'SubClass Of [ANON]'], skips)) {
    const doid = normDoid(row.ID);
    if (!doid) {
      skips.skip(file, line, 'ID is not a DOID');
      continue;
    }
    const d = diseaseNode(doid, unquote(row.LABEL));
    if (!d) {
      skips.skip(file, line, 'unknown DOID without a label');
      continue;
    }
    const axioms = parseAxioms(row['SubClass Of [ANON]'] ?? '');
    if (!axioms.length) skips.skipByDesign(file, line, 'no simple "\'relation\' some target" clause');
    for (const a of axioms) addAxiom(t, skips, { file, line }, d, a);
  }
}

/** Maps one axiom clause of disease node `d` to an edge, or counts why not. */
function addAxiom(t: Tally, skips: SkipReport, { file, line }: RowAt, d: string, a: DoAxiom): void {
  if (!usableName(a.target)) {
    skips.skip(file, line, 'axiom target without a name');
    return;
  }
  if (a.relation === 'has symptom') {
    t.edge(d, 'has_symptom', t.node({ type: 'symptom', name: a.target }));
  } else if (a.relation === 'disease has location' || a.relation === 'located in') {
    t.edge(d, 'located_in', t.node({ type: 'anatomy', name: a.target }));
  } else if (a.relation === 'has material basis in') {
    if (isPathogenLike(a.target)) t.edge(d, 'caused_by', t.node({ type: 'pathogen', name: a.target }));
    else skips.skipByDesign(file, line, "'has material basis in' target is not a pathogen (inheritance, cell, variant, ...)");
  } else if (a.relation === 'transmitted by') {
    skips.skipByDesign(file, line, "'transmitted by' names a vector or route, not the causal agent");
  } else {
    skips.skipByDesign(file, line, `axiom relation not mapped ('${a.relation}')`);
  }
}
