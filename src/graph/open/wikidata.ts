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

/** A value that is not an English label (an unlabeled item id or a blank-node URI). */
function unlabeled(v: string): boolean {
  return /^Q\d+$/.test(v) || /^https?:\/\//.test(v);
}

interface InfoRow {
  file: string;
  line: number;
  key: string;
  label: string;
  qid?: string;
  xrefs: Xrefs;
  symptoms: { name: string; qid?: string }[];
  treatments: { name: string; qid?: string }[];
  causes: { name: string; qid?: string }[];
  exams: { name: string; qid?: string }[];
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

  // 1. read both disease tables, then drop ids shared by differently-named diseases
  const rows: InfoRow[] = [];
  for (const file of [nciFile, en2023File]) {
    const isNci = file === nciFile;
    const required = isNci ? [...INFO_COLUMNS, 'disease', 'symptoms', 'treatment', 'cause', 'diagnosis'] : INFO_COLUMNS;
    for await (const { row, line } of rowsOf(file, required, skips)) {
      const label = row.diseaseLabel.trim();
      if (!usableName(label) || unlabeled(label)) {
        skips.skip(file, line, 'disease without an English label');
        continue;
      }
      const qid = isNci ? normQid(row.disease) : undefined;
      if (isNci && !qid) {
        skips.skip(file, line, 'disease is not a Wikidata Q-id');
        continue;
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
      rows.push({
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
      });
    }
    opts.onProgress?.(SOURCE, isNci ? 1 : 2, files.length);
  }
  const byKey = new Map<string, Xrefs>();
  for (const r of rows) {
    const cur = byKey.get(r.key) ?? {};
    for (const [k, vs] of Object.entries(r.xrefs)) cur[k] = [...new Set([...(cur[k] ?? []), ...(vs ?? [])])];
    byKey.set(r.key, cur);
  }
  dropSharedXrefs(byKey);

  // 2. nodes and edges
  const seen = new Set<string>(); // (disease, kind, value) already counted as a skip
  const skipOnce = (file: string, line: number, dKey: string, value: string, reason: string) => {
    const k = `${dKey}\u0000${reason}\u0000${value}`;
    if (seen.has(k)) return;
    seen.add(k);
    skips.skipByDesign(file, line, reason);
  };
  const addFacts = (
    file: string,
    line: number,
    d: string,
    facts: { symptoms: { name: string; qid?: string }[]; treatments: { name: string; qid?: string }[]; causes: { name: string; qid?: string }[]; exams: { name: string; qid?: string }[] },
  ) => {
    for (const s of facts.symptoms) {
      if (unlabeled(s.name) || !usableName(s.name)) skipOnce(file, line, d, s.name, 'symptom without an English label');
      else t.edge(d, 'has_symptom', t.node({ type: 'symptom', name: s.name, xrefs: s.qid ? { wikidata: [s.qid] } : {} }));
    }
    for (const tr of facts.treatments) {
      if (unlabeled(tr.name) || !usableName(tr.name)) {
        skipOnce(file, line, d, tr.name, 'treatment without an English label');
        continue;
      }
      const kind = treatmentType(tr.name);
      if (kind === 'non-drug') skipOnce(file, line, d, tr.name, 'treatment is a procedure or lifestyle measure, not a drug');
      else t.edge(d, 'treated_by', t.node({ type: kind, name: tr.name, xrefs: tr.qid ? { wikidata: [tr.qid] } : {} }));
    }
    for (const c of facts.causes) {
      if (unlabeled(c.name) || !usableName(c.name)) skipOnce(file, line, d, c.name, 'cause without an English label');
      else if (!isPathogenLike(c.name)) skipOnce(file, line, d, c.name, 'cause is not pathogen-like (keyword rule)');
      else t.edge(d, 'caused_by', t.node({ type: 'pathogen', name: c.name, xrefs: c.qid ? { wikidata: [c.qid] } : {} }));
    }
    for (const e of facts.exams) {
      if (unlabeled(e.name) || !usableName(e.name)) {
        skipOnce(file, line, d, e.name, 'examination without an English label');
        continue;
      }
      const kind = examinationType(e.name);
      if (!kind) skipOnce(file, line, d, e.name, 'examination is neither a lab test nor imaging (keyword rule)');
      else t.edge(d, 'diagnosed_by', t.node({ type: kind, name: e.name, xrefs: e.qid ? { wikidata: [e.qid] } : {} }));
    }
  };

  for (const r of rows) {
    const x: Xrefs = { ...(byKey.get(r.key) ?? {}) };
    if (r.qid) x.wikidata = [r.qid];
    const d = t.node({ type: 'disease', name: r.label, xrefs: x });
    addFacts(r.file, r.line, d, r);
  }

  // 3. the 2020 disease export: one combination per row
  for await (const { row, line } of rowsOf(diseasesFile, ['disease_uri', 'disease_uriLabel', 'TreatmentDrugsLabel', 'CauseLabel', 'SymptonsLabel'], skips)) {
    const qid = normQid(row.disease_uri);
    const label = row.disease_uriLabel.trim();
    if (!qid) {
      skips.skip(diseasesFile, line, 'disease_uri is not a Wikidata entity');
      continue;
    }
    if (!usableName(label) || unlabeled(label)) {
      skips.skip(diseasesFile, line, 'disease without an English label');
      continue;
    }
    const d = t.node({ type: 'disease', name: label, xrefs: { wikidata: [qid] } });
    const one = (v: string) => (v.trim() ? [{ name: v.trim() }] : []);
    addFacts(diseasesFile, line, d, { symptoms: one(row.SymptonsLabel), treatments: one(row.TreatmentDrugsLabel), causes: one(row.CauseLabel), exams: [] });
  }
  opts.onProgress?.(SOURCE, 3, files.length);

  // 4. medicines → conditions treated
  for await (const { row, line } of rowsOf(medicinesFile, ['medicine_uri', 'medicine_uriLabel', 'ConditionsTreatedLabel'], skips)) {
    const qid = normQid(row.medicine_uri);
    const name = row.medicine_uriLabel.trim();
    const cond = row.ConditionsTreatedLabel.trim();
    if (!qid) {
      skips.skip(medicinesFile, line, 'medicine_uri is not a Wikidata entity');
      continue;
    }
    if (!usableName(name) || unlabeled(name)) {
      skips.skip(medicinesFile, line, 'medicine without an English label');
      continue;
    }
    if (!cond) {
      skips.skipByDesign(medicinesFile, line, 'no condition treated listed');
      continue;
    }
    if (!usableName(cond) || unlabeled(cond)) {
      skips.skipByDesign(medicinesFile, line, 'condition without an English label');
      continue;
    }
    const drug = t.node({ type: 'drug', name, xrefs: { wikidata: [qid] } });
    t.edge(t.node({ type: 'disease', name: cond }), 'treated_by', drug);
  }
  opts.onProgress?.(SOURCE, 4, files.length);
  return t.counts(skips, files);
}
