/**
 * SIDER 4.1 loader (dhimmel/SIDER4; CC BY-NC-SA 4.0: NON-COMMERCIAL). Only loaded when asked
 * (includeSider); every node and edge it asserts carries the source name 'sider4', and a build
 * that includes it is marked non-commercial.
 *
 *  - indications.tsv: maps STITCH compound ids to DrugBank ids and drug names.
 *  - meddra_all_se.tsv.gz (no header: STITCH flat, STITCH stereo, UMLS from label, MedDRA type,
 *    UMLS from MedDRA, side-effect name): preferred-term (PT) rows → side_effect (drug → symptom),
 *    the symptom keyed by its MedDRA UMLS CUI. LLT rows repeat PTs and are skipped by design.
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { LoaderCounts, LoaderOptions, Tally, normDrugbank, normUmls, rowsOf, usableName } from './common';

export const SOURCE = 'sider4';
export const FILES = { drugs: 'indications.tsv', sideEffects: 'meddra_all_se.tsv.gz' } as const;
export const SE_COLUMNS = ['stitch_flat', 'stitch_stereo', 'umls_from_label', 'meddra_type', 'umls_from_meddra', 'side_effect_name'];

/** Loads SIDER side effects into the builder (non-commercial licence). */
export async function loadSider4(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const files = [path.join(dir, FILES.drugs), path.join(dir, FILES.sideEffects)];
  const stitch = new Map<string, { drugbank: string; name: string }>();
  for await (const { row, line } of rowsOf(files[0], ['drugbank_id', 'drugbank_name', 'stitch_id_flat'], skips)) {
    const db = normDrugbank(row.drugbank_id);
    if (!db || !usableName(row.drugbank_name) || !/^CID\d+$/.test(row.stitch_id_flat.trim())) {
      skips.skip(files[0], line, 'missing DrugBank id, drug name or STITCH id');
      continue;
    }
    if (!stitch.has(row.stitch_id_flat.trim())) stitch.set(row.stitch_id_flat.trim(), { drugbank: db, name: row.drugbank_name.trim() });
  }
  opts.onProgress?.(SOURCE, 1, 2);
  const drugNode = new Map<string, string>();
  const symptomNode = new Map<string, string>();
  for await (const { row, line } of rowsOf(files[1], [], skips, { columns: SE_COLUMNS, delimiter: '\t' })) {
    if (row.meddra_type !== 'PT') {
      skips.skipByDesign(files[1], line, 'lowest-level term (LLT) row; its preferred term is used');
      continue;
    }
    const cui = normUmls(row.umls_from_meddra);
    if (!cui || !usableName(row.side_effect_name)) {
      skips.skip(files[1], line, 'malformed UMLS CUI or empty side-effect name');
      continue;
    }
    const drug = stitch.get(row.stitch_flat.trim());
    if (!drug) {
      skips.skipByDesign(files[1], line, 'STITCH compound not mapped to DrugBank');
      continue;
    }
    let d = drugNode.get(drug.drugbank);
    if (!d) drugNode.set(drug.drugbank, (d = t.node({ type: 'drug', name: drug.name, xrefs: { drugbank: [drug.drugbank] } })));
    let s = symptomNode.get(cui);
    if (!s) symptomNode.set(cui, (s = t.node({ type: 'symptom', name: row.side_effect_name.trim(), xrefs: { umls: [cui] } })));
    t.edge(d, 'side_effect', s);
  }
  opts.onProgress?.(SOURCE, 2, 2);
  return t.counts(skips, files);
}
