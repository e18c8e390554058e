/**
 * Human Symptoms–Disease Network loader (HSDN, Zhou et al. 2014, CC BY 4.0).
 *
 *  - symptoms-DO.tsv (dhimmel/hsdn): HSDN disease–symptom pairs with MeSH ids for both ends,
 *    mapped to DOIDs → has_symptom, weight = the pair's TF-IDF score. Loaded first: its DOIDs
 *    and MeSH ids link HSDN diseases to the Disease Ontology.
 *  - combined_data.csv (Natasha-R): disease–symptom pairs keyed by UMLS CUIs (HSDN + DBpedia +
 *    Columbia hospital records, combined) → has_symptom, weight = the file's `weight` column (1–3
 *    in the mirror; it looks like the number of the combined sets listing the pair, which the file
 *    does not document). When both files give a weight to the same
 *    edge the builder keeps the larger.
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { LoaderCounts, LoaderOptions, Tally, normDoid, normMesh, normUmls, rowsOf, usableName, xrefs } from './common';

export const SOURCE = 'hsdn';
export const FILES = { mapped: 'symptoms-DO.tsv', combined: 'combined_data.csv' } as const;

/** Loads the HSDN folder into the builder. */
export async function loadHsdn(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const files = [path.join(dir, FILES.mapped), path.join(dir, FILES.combined)];

  {
    const file = files[0];
    const cols = ['symptom_name', 'disease_name', 'tfidf_score', 'disease_id', 'symptom_id', 'doid_code', 'doid_name'];
    for await (const { row, line } of rowsOf(file, cols, skips)) {
      const doid = normDoid(row.doid_code);
      const dMesh = normMesh(row.disease_id);
      const sMesh = normMesh(row.symptom_id);
      const w = Number(row.tfidf_score);
      if (!usableName(row.symptom_name) || !(usableName(row.doid_name) || usableName(row.disease_name))) {
        skips.skip(file, line, 'empty disease or symptom name');
        continue;
      }
      if (!doid && !dMesh) {
        skips.skip(file, line, 'disease has neither a DOID nor a MeSH id');
        continue;
      }
      if (row.tfidf_score.trim() === '' || !Number.isFinite(w)) {
        skips.skip(file, line, 'tfidf_score is not a number');
        continue;
      }
      const names = [row.doid_name, row.disease_name].filter(usableName).map((s) => s.trim());
      const d = t.node({ type: 'disease', name: names[0], synonyms: names.slice(1), xrefs: xrefs({ doid: [doid], mesh: [dMesh] }) });
      const s = t.node({ type: 'symptom', name: row.symptom_name.trim(), xrefs: xrefs({ mesh: [sMesh] }) });
      t.edge(d, 'has_symptom', s, { weight: w });
    }
    opts.onProgress?.(SOURCE, 1, 2);
  }

  {
    const file = files[1];
    for await (const { row, line } of rowsOf(file, ['disease', 'symptom', 'disease_umls', 'symptom_umls', 'weight'], skips)) {
      const du = normUmls(row.disease_umls);
      const su = normUmls(row.symptom_umls);
      const w = Number(row.weight);
      if (!usableName(row.disease) || !usableName(row.symptom)) {
        skips.skip(file, line, 'empty disease or symptom name');
        continue;
      }
      if (!du || !su) {
        skips.skip(file, line, 'disease_umls or symptom_umls is not a UMLS CUI');
        continue;
      }
      if (row.weight.trim() === '' || !Number.isFinite(w)) {
        skips.skip(file, line, 'weight is not a number');
        continue;
      }
      const d = t.node({ type: 'disease', name: row.disease.trim(), xrefs: { umls: [du] } });
      const s = t.node({ type: 'symptom', name: row.symptom.trim(), xrefs: { umls: [su] } });
      t.edge(d, 'has_symptom', s, { weight: w });
    }
    opts.onProgress?.(SOURCE, 2, 2);
  }
  return t.counts(skips, files);
}
