/**
 * DrugCentral loader (olegursu/drugtarget, DrugCentral 2016, CC BY 4.0).
 *
 *  - identifiers.tsv: drug cross-references (DrugBank, UMLS, MeSH, RxNorm, ChEMBL, PubChem, UNII)
 *    attached to every drug node; an id given to several DrugCentral drugs is not used.
 *  - drug_indication.tsv: drug → indication (UMLS CUI, DOID) → treated_by (disease → drug).
 *  - pharm_class.tsv: FDA Established Pharmacologic Class (EPC) and MeSH Pharmacological Action
 *    (PA) → in_class drug_class; FDA Mechanism of Action (MoA) → has_mechanism mechanism. FDA
 *    physiologic effects (PE), chemical/ingredient classes and ChEBI roles are not used (by design).
 *  - drug_target.tsv is not loaded: the schema has no protein-target node type.
 */
import * as path from 'node:path';
import { SkipReport } from '../../core/io';
import { GraphBuilder } from '../graph';
import { Xrefs } from '../schema';
import { LoaderCounts, LoaderOptions, Tally, dropSharedXrefs, normDoid, normDrugbank, normMesh, normUmls, rowsOf, unquote, usableName, xrefs } from './common';

export const SOURCE = 'drugcentral';
export const FILES = { identifiers: 'identifiers.tsv', indications: 'drug_indication.tsv', classes: 'pharm_class.tsv' } as const;

/** DrugCentral ID_TYPE → graph xref key; other id types are not used. */
export const ID_TYPES: Record<string, [string, (v: string) => string | undefined]> = {
  DRUGBANK_ID: ['drugbank', normDrugbank],
  UMLSCUI: ['umls', normUmls],
  MESH_DESCRIPTOR_UI: ['mesh', normMesh],
  MESH_SUPPLEMENTAL_RECORD_UI: ['mesh', normMesh],
  RXNORM: ['rxnorm', (v) => (/^\d+$/.test(v) ? v : undefined)],
  ChEMBL_ID: ['chembl', (v) => (/^CHEMBL\d+$/.test(v) ? v : undefined)],
  PUBCHEM_CID: ['pubchem', (v) => (/^\d+$/.test(v) ? v : undefined)],
  UNII: ['unii', (v) => (/^[A-Z0-9]{10}$/.test(v) ? v : undefined)],
};

/** The drug node of a DrugCentral DRUG_ID, created (with its xrefs) on first use under `name`. */
type DrugNodeOf = (drugId: string, name: string) => string;

/** Loads the DrugCentral folder into the builder. */
export async function loadDrugCentral(dir: string, b: GraphBuilder, skips: SkipReport, opts: LoaderOptions = {}): Promise<LoaderCounts> {
  const t = new Tally(b, SOURCE);
  const files = [FILES.identifiers, FILES.indications, FILES.classes].map((n) => path.join(dir, n));
  const [idFile, indFile, classFile] = files;

  const ids = await readIdentifiers(idFile, skips);
  opts.onProgress?.(SOURCE, 1, files.length);
  const drug = drugNodeOf(t, ids);
  await loadIndications(indFile, t, skips, drug);
  opts.onProgress?.(SOURCE, 2, files.length);
  await loadClasses(classFile, t, skips, drug);
  opts.onProgress?.(SOURCE, 3, files.length);
  return t.counts(skips, files);
}

/** Step 1: drug cross-references by DRUG_ID, less the ids several drugs share. */
async function readIdentifiers(file: string, skips: SkipReport): Promise<Map<string, Xrefs>> {
  const ids = new Map<string, Xrefs>();
  for await (const { row, line } of rowsOf(file, ['DRUG_ID', 'ID_TYPE', 'IDENTIFIER'], skips, { quoted: true })) {
    const drugId = unquote(row.DRUG_ID);
    const type = unquote(row.ID_TYPE);
    const value = unquote(row.IDENTIFIER);
    if (!/^\d+$/.test(drugId)) {
      skips.skip(file, line, 'DRUG_ID is not a number');
      continue;
    }
    const map = ID_TYPES[type];
    if (!map) {
      skips.skipByDesign(file, line, `identifier type not used (${type || 'empty'})`);
      continue;
    }
    const v = map[1](value);
    if (!v) {
      skips.skip(file, line, `malformed ${type}`);
      continue;
    }
    const x = ids.get(drugId) ?? {};
    x[map[0]] = [...new Set([...(x[map[0]] ?? []), v])];
    ids.set(drugId, x);
  }
  dropSharedXrefs(ids);
  return ids;
}

/** One drug node per DRUG_ID, carrying its identifiers and its DrugCentral id. */
function drugNodeOf(t: Tally, ids: Map<string, Xrefs>): DrugNodeOf {
  const drugNode = new Map<string, string>();
  return (drugId, name) => {
    let id = drugNode.get(drugId);
    if (!id) {
      id = t.node({ type: 'drug', name, xrefs: { ...(ids.get(drugId) ?? {}), drugcentral: [drugId] } });
      drugNode.set(drugId, id);
    }
    return id;
  };
}

/** Step 2: indications → treated_by (disease → drug), the disease keyed by DOID and UMLS CUI. */
async function loadIndications(file: string, t: Tally, skips: SkipReport, drug: DrugNodeOf): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['DRUG_ID', 'DRUG_NAME', 'INDICATION_FDB', 'UMLS_CUI', 'DOID'], skips)) {
    const drugId = row.DRUG_ID.trim();
    const ind = row.INDICATION_FDB.trim();
    if (!/^\d+$/.test(drugId) || !usableName(row.DRUG_NAME)) {
      skips.skip(file, line, 'missing DRUG_ID or DRUG_NAME');
      continue;
    }
    if (!usableName(ind)) {
      skips.skip(file, line, 'empty INDICATION_FDB');
      continue;
    }
    const umls = normUmls(row.UMLS_CUI);
    const doid = normDoid(row.DOID);
    if (row.UMLS_CUI.trim() && !umls) {
      skips.skip(file, line, 'UMLS_CUI is malformed');
      continue;
    }
    const d = t.node({ type: 'disease', name: ind, xrefs: xrefs({ doid: [doid], umls: [umls] }) });
    t.edge(d, 'treated_by', drug(drugId, row.DRUG_NAME.trim()));
  }
}

/** Step 3: EPC and PA classes → in_class drug_class; MoA → has_mechanism; other class types skipped. */
async function loadClasses(file: string, t: Tally, skips: SkipReport, drug: DrugNodeOf): Promise<void> {
  for await (const { row, line } of rowsOf(file, ['DRUG_ID', 'DRUG_NAME', 'TYPE', 'CLASS_SOURCE_ID', 'CLASS', 'SOURCE'], skips)) {
    const drugId = row.DRUG_ID.trim();
    const cls = row.CLASS.trim();
    const type = row.TYPE.trim();
    if (!/^\d+$/.test(drugId) || !usableName(row.DRUG_NAME)) {
      skips.skip(file, line, 'missing DRUG_ID or DRUG_NAME');
      continue;
    }
    if (!usableName(cls)) {
      skips.skip(file, line, 'empty CLASS');
      continue;
    }
    const code = row.CLASS_SOURCE_ID.trim();
    if (type === 'EPC' || type === 'PA') {
      const x: Xrefs = type === 'PA' ? xrefs({ mesh: [normMesh(code)] }) : xrefs({ nui: [code || undefined] });
      t.edge(drug(drugId, row.DRUG_NAME.trim()), 'in_class', t.node({ type: 'drug_class', name: cls, xrefs: x }));
    } else if (type === 'MoA') {
      t.edge(drug(drugId, row.DRUG_NAME.trim()), 'has_mechanism', t.node({ type: 'mechanism', name: cls, xrefs: xrefs({ nui: [code || undefined] }) }));
    } else {
      skips.skipByDesign(file, line, `class type not used (${type || 'empty'})`);
    }
  }
}
