/**
 * PharmacotherapyDB loader (dhimmel/indications, catalog/, CC0): 1,388 physician-curated
 * drug–disease pairs. DM (disease modifying) and SYM (symptomatic) → treated_by (disease → drug);
 * NOT (non-indication) rows are skipped by design and counted.
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { LoaderCounts, LoaderOptions, Tally, normDoid, normDrugbank, rowsOf, usableName } from './common';

export const SOURCE = 'pharmacotherapydb';
export const FILES = { indications: 'indications.tsv' } as const;

/** Loads PharmacotherapyDB's indications into the builder. */
export async function loadPharmacotherapyDb(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const file = path.join(dir, FILES.indications);
  for await (const { row, line } of rowsOf(file, ['doid_id', 'drugbank_id', 'disease', 'drug', 'category'], skips)) {
    const doid = normDoid(row.doid_id);
    const db = normDrugbank(row.drugbank_id);
    const category = row.category.trim();
    if (!doid || !db) {
      skips.skip(file, line, 'doid_id is not a DOID or drugbank_id is not a DrugBank id');
      continue;
    }
    if (!usableName(row.disease) || !usableName(row.drug)) {
      skips.skip(file, line, 'empty disease or drug name');
      continue;
    }
    if (category === 'NOT') {
      skips.skipByDesign(file, line, 'NOT (non-indication)');
      continue;
    }
    if (category !== 'DM' && category !== 'SYM') {
      skips.skip(file, line, `unknown category ${JSON.stringify(category)}`);
      continue;
    }
    const d = t.node({ type: 'disease', name: row.disease.trim(), xrefs: { doid: [doid] } });
    const r = t.node({ type: 'drug', name: row.drug.trim(), xrefs: { drugbank: [db] } });
    t.edge(d, 'treated_by', r);
  }
  opts.onProgress?.(SOURCE, 1, 1);
  return t.counts(skips, [file]);
}
