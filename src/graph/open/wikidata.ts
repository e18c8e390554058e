/**
 * Wikidata loader (CC0). Four exports of Wikidata disease and medicine items:
 *
 *  - diseases_info_en_nci.csv (paulaonta/InfoExtractor): diseases with their Q-ids, the Q-ids of
 *    their symptoms, drugs, causes and examinations, ICD-9/10, UMLS, MeSH, NCI ids and aliases.
 *  - diseases_info_en_2023.csv (same project): the same fields for 15,698 diseases, labels only.
 *  - WikiDataDiseaseData.csv (sharmasharad795/Medi_Knowledge_Graph): one (disease, specialty,
 *    drug, cause, symptom) combination per row.
 *  - WikiDataMedicineData.csv (same project): medicine → condition treated.
 *
 * Mapping: symptoms (P780) → has_symptom; drug or therapy used for treatment (P2176) → treated_by
 * a drug or drug_class (treatmentType; procedures and lifestyle measures are skipped);
 * medical examinations (P923) → diagnosed_by a lab_test or imaging (examinationType; clinical
 * examination, history, questionnaires, scores are skipped); has cause (P828) → caused_by only
 * where the cause is pathogen-like (isPathogenLike; others are skipped). Every skip is counted.
 *
 * Linking: xrefs UMLS / MeSH / ICD-9 / ICD-10 / NCI / Wikidata. An id listed for several
 * differently-named diseases of these files is dropped (it would merge distinct diseases).
 * Aliases (alsoKnownAs) are not used: they are noisy (tuberculosis lists "hydrothorax") and the
 * builder links entities by synonym, so one bad alias would merge two diseases.
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { Xrefs, normalizeName } from '../schema';
import {
  LoaderCounts,
  LoaderOptions,
  Tally,
  dropSharedXrefs,
  examinationType,
  isPathogenLike,
  normMesh,
  normQid,
  normUmls,
  rowsOf,
  splitList,
  treatmentType,
  usableName,
} from './common';

export const SOURCE = 'wikidata';
export const FILES = {
  nci: 'diseases_info_en_nci.csv',
  en2023: 'diseases_info_en_2023.csv',
  diseases: 'WikiDataDiseaseData.csv',
  medicines: 'WikiDataMedicineData.csv',
} as const;

const INFO_COLUMNS = ['diseaseLabel', 'symptomsLabel', 'treatmentLabel', 'causeLabel', 'diagnosisLabel', 'icd9', 'icd10', 'umls', 'mesh', 'nci'];

/** The nci table's columns: the info columns plus the Q-id of the disease and of each list. */
const NCI_COLUMNS = [...INFO_COLUMNS, 'disease', 'symptoms', 'treatment', 'cause', 'diagnosis'];

/** A value that is not an English label (an unlabeled item id or a blank-node URI). */
function unlabeled(v: string): boolean {
  return /^Q\d+$/.test(v) || /^https?:\/\//.test(v);
}

/** A linked item named by its English label, with its Q-id when known. */
interface Fact {
  name: string;
  qid?: string;
}

/** A disease's symptoms (P780), treatments (P2176), causes (P828) and examinations (P923). */
interface Facts {
  symptoms: Fact[];
  treatments: Fact[];
  causes: Fact[];
  exams: Fact[];
}

/** One disease row of the two info tables. */
interface InfoRow extends Facts {
  file: string;
  line: number;
  key: string;
  label: string;
  qid?: string;
  xrefs: Xrefs;
}

/**
 * Pairs a label list with its Q-id list. The export sorts labels and ids separately (labels
 * alphabetically, ids as strings), so positions do not correspond: an id is attached only when
 * the list has a single item.
 */
export function withIds(labels: string, ids: string | undefined): { name: string; qid?: string }[] {
  const ls = splitList(labels);
  const qs = ids === undefined ? [] : splitList(ids);
  return ls.map((name) => ({ name, qid: ls.length === 1 && qs.length === 1 ? normQid(qs[0]) : undefined }));
}

function idList(cell: string | undefined, norm: (v: string) => string | undefined = (v) => v): string[] {
  return splitList(cell)
    .map((v) => norm(v))
    .filter((v): v is string => !!v);
}

/** Loads the Wikidata folder into the builder. */
export async function loadWikidata(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const files = Object.values(FILES).map((n) => path.join(dir, n));
  const [nciFile, en2023File, diseasesFile, medicinesFile] = files;
  const progress = (done: number) => opts.onProgress?.(SOURCE, done, files.length);

  // 1. read both disease tables, then drop ids shared by differently-named diseases
  const rows: InfoRow[] = [];
  for (const [file, isNci] of [
    [nciFile, true],
    [en2023File, false],
  ] as const) {
    for await (const { row, line } of rowsOf(file, isNci ? NCI_COLUMNS : INFO_COLUMNS, skips)) {
      const r = infoRow(file, line, row, isNci, skips);
      if (r) rows.push(r);
    }
    progress(isNci ? 1 : 2);
  }
  const byKey = unsharedXrefs(rows);

  // 2. nodes and edges
  const facts = new FactWriter(t, skips);
  addInfoRows(rows, byKey, t, facts);
  // 3. the 2020 disease export: one combination per row
  await loadDiseaseCombos(diseasesFile, t, skips, facts);
  progress(3);
  // 4. medicines → conditions treated
  await loadMedicines(medicinesFile, t, skips);
  progress(4);
  return t.counts(skips, files);
}

/** One info-table row as an InfoRow (Q-ids only from the nci table), or undefined after counting why not. */
function infoRow(file: string, line: number, row: Record<string, string>, isNci: boolean, skips: SkipReport): InfoRow | undefined {
  const label = row.diseaseLabel.trim();
  if (!usableName(label) || unlabeled(label)) {
    skips.skip(file, line, 'disease without an English label');
    return undefined;
  }
  const qid = isNci ? normQid(row.disease) : undefined;
  if (isNci && !qid) {
    skips.skip(file, line, 'disease is not a Wikidata Q-id');
    return undefined;
  }
  const x: Xrefs = {};
  const put = (k: string, vs: string[]) => {
    if (vs.length) x[k] = vs;
  };
  put('umls', idList(row.umls, normUmls));
  put('mesh', idList(row.mesh, normMesh));
  put('icd10', idList(row.icd10));
  put('icd9', idList(row.icd9));
  put('nci', idList(row.nci));
  return {
    file,
    line,
    key: normalizeName(label),
    label,
    qid,
    xrefs: x,
    symptoms: withIds(row.symptomsLabel, isNci ? row.symptoms : undefined),
    treatments: withIds(row.treatmentLabel, isNci ? row.treatment : undefined),
    causes: withIds(row.causeLabel, isNci ? row.cause : undefined),
    exams: withIds(row.diagnosisLabel, isNci ? row.diagnosis : undefined),
  };
}

/** Xrefs merged per disease name, less the ids that several differently-named diseases share. */
function unsharedXrefs(rows: InfoRow[]): Map<string, Xrefs> {
  const byKey = new Map<string, Xrefs>();
  for (const r of rows) {
    const cur = byKey.get(r.key) ?? {};
    for (const [k, vs] of Object.entries(r.xrefs)) cur[k] = [...new Set([...(cur[k] ?? []), ...(vs ?? [])])];
    byKey.set(r.key, cur);
  }
  dropSharedXrefs(byKey);
  return byKey;
}

/** Step 2: one disease node per info row (its name's unshared xrefs and its Q-id), then its facts. */
function addInfoRows(rows: InfoRow[], byKey: Map<string, Xrefs>, t: Tally, facts: FactWriter): void {
  for (const r of rows) {
    const x: Xrefs = { ...(byKey.get(r.key) ?? {}) };
    if (r.qid) x.wikidata = [r.qid];
    const d = t.node({ type: 'disease', name: r.label, xrefs: x });
    facts.add(r.file, r.line, d, r);
  }
}

/** Step 3: the 2020 disease export, one (disease, drug, cause, symptom) combination per row. */
async function loadDiseaseCombos(file: string, t: Tally, skips: SkipReport, facts: FactWriter): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['disease_uri', 'disease_uriLabel', 'TreatmentDrugsLabel', 'CauseLabel', 'SymptonsLabel'], skips)) {
    const qid = normQid(row.disease_uri);
    const label = row.disease_uriLabel.trim();
    if (!qid) {
      skips.skip(file, line, 'disease_uri is not a Wikidata entity');
      continue;
    }
    if (!usableName(label) || unlabeled(label)) {
      skips.skip(file, line, 'disease without an English label');
      continue;
    }
    const d = t.node({ type: 'disease', name: label, xrefs: { wikidata: [qid] } });
    const one = (v: string) => (v.trim() ? [{ name: v.trim() }] : []);
    facts.add(file, line, d, { symptoms: one(row.SymptonsLabel), treatments: one(row.TreatmentDrugsLabel), causes: one(row.CauseLabel), exams: [] });
  }
}

/** Step 4: medicines → the conditions they treat (treated_by, disease → drug). */
async function loadMedicines(file: string, t: Tally, skips: SkipReport): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['medicine_uri', 'medicine_uriLabel', 'ConditionsTreatedLabel'], skips)) {
    const qid = normQid(row.medicine_uri);
    const name = row.medicine_uriLabel.trim();
    const cond = row.ConditionsTreatedLabel.trim();
    if (!qid) {
      skips.skip(file, line, 'medicine_uri is not a Wikidata entity');
      continue;
    }
    if (!usableName(name) || unlabeled(name)) {
      skips.skip(file, line, 'medicine without an English label');
      continue;
    }
    if (!cond) {
      skips.skipByDesign(file, line, 'no condition treated listed');
      continue;
    }
    if (!usableName(cond) || unlabeled(cond)) {
      skips.skipByDesign(file, line, 'condition without an English label');
      continue;
    }
    const drug = t.node({ type: 'drug', name, xrefs: { wikidata: [qid] } });
    t.edge(t.node({ type: 'disease', name: cond }), 'treated_by', drug);
  }
}

/** The xrefs of a linked item: its Q-id, if known. */
function qidXrefs(f: Fact): Xrefs {
  return f.qid ? { wikidata: [f.qid] } : {};
}

/**
 * Turns a disease's facts into edges by the documented rules, counting each by-design skip once
 * per (disease, reason, value) across all files.
 */
class FactWriter {
  private readonly seen = new Set<string>();

  constructor(
    private readonly t: Tally,
    private readonly skips: SkipReport,
  ) {}

  /** Adds symptoms, then treatments, causes and examinations of disease node `d`. */
  add(file: string, line: number, d: string, facts: Facts): void {
    for (const s of facts.symptoms) this.symptom(file, line, d, s);
    for (const tr of facts.treatments) this.treatment(file, line, d, tr);
    for (const c of facts.causes) this.cause(file, line, d, c);
    for (const e of facts.exams) this.exam(file, line, d, e);
  }

  /** Counts a by-design skip unless this (disease, reason, value) was counted already. */
  private skipOnce(file: string, line: number, dKey: string, value: string, reason: string): void {
    const k = `${dKey}\u0000${reason}\u0000${value}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.skips.skipByDesign(file, line, reason);
  }

  /** P780 → has_symptom. */
  private symptom(file: string, line: number, d: string, s: Fact): void {
    if (unlabeled(s.name) || !usableName(s.name)) this.skipOnce(file, line, d, s.name, 'symptom without an English label');
    else this.t.edge(d, 'has_symptom', this.t.node({ type: 'symptom', name: s.name, xrefs: qidXrefs(s) }));
  }

  /** P2176 → treated_by a drug or drug_class (treatmentType); procedures are skipped. */
  private treatment(file: string, line: number, d: string, tr: Fact): void {
    if (unlabeled(tr.name) || !usableName(tr.name)) {
      this.skipOnce(file, line, d, tr.name, 'treatment without an English label');
      return;
    }
    const kind = treatmentType(tr.name);
    if (kind === 'non-drug') this.skipOnce(file, line, d, tr.name, 'treatment is a procedure or lifestyle measure, not a drug');
    else this.t.edge(d, 'treated_by', this.t.node({ type: kind, name: tr.name, xrefs: qidXrefs(tr) }));
  }

  /** P828 → caused_by, only for pathogen-like causes (isPathogenLike). */
  private cause(file: string, line: number, d: string, c: Fact): void {
    if (unlabeled(c.name) || !usableName(c.name)) this.skipOnce(file, line, d, c.name, 'cause without an English label');
    else if (!isPathogenLike(c.name)) this.skipOnce(file, line, d, c.name, 'cause is not pathogen-like (keyword rule)');
    else this.t.edge(d, 'caused_by', this.t.node({ type: 'pathogen', name: c.name, xrefs: qidXrefs(c) }));
  }

  /** P923 → diagnosed_by a lab_test or imaging (examinationType); other examinations are skipped. */
  private exam(file: string, line: number, d: string, e: Fact): void {
    if (unlabeled(e.name) || !usableName(e.name)) {
      this.skipOnce(file, line, d, e.name, 'examination without an English label');
      return;
    }
    const kind = examinationType(e.name);
    if (!kind) this.skipOnce(file, line, d, e.name, 'examination is neither a lab test nor imaging (keyword rule)');
    else this.t.edge(d, 'diagnosed_by', this.t.node({ type: kind, name: e.name, xrefs: qidXrefs(e) }));
  }
}
