import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, SkipReport } from '../../../src/core/io';
import { GraphBuilder } from '../../../src/graph/graph';
import { loadDiseaseOntology, loadDrugCentral, loadHsdn, loadPharmacotherapyDb, loadSider4, loadWikidata } from '../../../src/graph/open';
import { writeFixture } from './fixtures';

function skipsOf(s: SkipReport, file: string): Record<string, number> {
  return Object.fromEntries(s.rows().filter((r) => r.file === file).map((r) => [r.reason, r.count]));
}

describe('loadDiseaseOntology', () => {
  it('loadDiseaseOntology(fixture) builds diseases, subclass_of, xrefs, symptoms, locations and pathogens, and counts bad rows', async () => {
    const dir = path.join(writeFixture(), 'disease-ontology');
    const b = new GraphBuilder();
    const s = new SkipReport();
    const c = await loadDiseaseOntology(dir, b, s);
    const g = b.build();
    const t2d = g.node('disease:type-2-diabetes-mellitus');
    expect(t2d.xrefs).toMatchObject({ doid: ['DOID:9352'], mesh: ['D003924'], umls: ['C0011860'] });
    expect(t2d.xrefs.icd10).toBeUndefined(); // E11 is shared by two DO terms
    expect(g.targets(t2d.id, 'subclass_of')).toEqual(['disease:diabetes-mellitus']);
    const tb = 'disease:tuberculosis';
    expect(g.targets(tb, 'caused_by')).toEqual(['pathogen:mycobacterium-tuberculosis']);
    expect(g.targets(tb, 'has_symptom').sort()).toEqual(['symptom:cough', 'symptom:fever']);
    expect(g.targets(tb, 'located_in')).toEqual(['anatomy:lung']);
    expect(g.node('symptom:cough').xrefs.symp).toEqual(['SYMP:0000614']);
    expect(g.nodes.every((n) => n.sources.includes('disease-ontology'))).toBe(true);

    expect(skipsOf(s, path.join(dir, 'HumanDO.tsv'))).toEqual({ 'id is not a DOID': 1, 'parent label not found in HumanDO.tsv': 1 });
    expect(skipsOf(s, path.join(dir, 'MESHinDO.tsv'))).toEqual({ 'DOID not in HumanDO.tsv': 1 });
    expect(skipsOf(s, path.join(dir, 'ICD10inDO.tsv'))).toEqual({ 'by design: xref shared by several DO terms, not used for linking': 2 });
    expect(skipsOf(s, path.join(dir, 'allXREFinDO.tsv'))).toEqual({ 'by design: xref prefix not used (KEGG)': 1, 'xref is not PREFIX:id': 1 });
    expect(skipsOf(s, path.join(dir, 'disease-symptom.tsv'))).toEqual({ 'empty symptom_label': 1 });
    const ax = skipsOf(s, path.join(dir, 'DO-subClassOf-anonymous.tsv'));
    expect(ax["by design: 'transmitted by' names a vector or route, not the causal agent"]).toBe(1);
    expect(ax["by design: 'has material basis in' target is not a pathogen (inheritance, cell, variant, ...)"]).toBe(1);
    expect(ax["by design: axiom relation not mapped ('derives from')"]).toBe(1);
    expect(c.rowsRead).toBe(8 + 3 + 2 + 5 + 3 + 2);
    expect(c.nodes).toBe(g.nodes.length);
    expect(c.edges).toBe(g.edges.length);
  });

  it('loadDiseaseOntology names the file and the column when a header lacks one', async () => {
    const root = writeFixture({ 'disease-ontology/HumanDO.tsv': '"id"\t"name"\t"subClassOf"\n"DOID:4"\t"disease"\t""\n' });
    const err = await loadDiseaseOntology(path.join(root, 'disease-ontology'), new GraphBuilder(), new SkipReport()).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err.message)).toContain('HumanDO.tsv');
    expect(String(err.message)).toContain('"label"');
  });

  it('loadDiseaseOntology with a strict SkipReport throws on the first malformed row, not on by-design skips', async () => {
    const root = writeFixture();
    const err = await loadDiseaseOntology(path.join(root, 'disease-ontology'), new GraphBuilder(), new SkipReport(true)).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.file).toBe(path.join(root, 'disease-ontology', 'HumanDO.tsv'));
    expect(err.reason).toBe('id is not a DOID');
    // Only by-design skips left: strict passes and still counts them.
    const clean = writeFixture({
      'disease-ontology/HumanDO.tsv': '"id"\t"label"\t"subClassOf"\n"DOID:4"\t"disease"\t""\n"DOID:399"\t"tuberculosis"\t"disease"\n"DOID:9352"\t"type 2 diabetes mellitus"\t"disease"\n',
      'disease-ontology/MESHinDO.tsv': '"id"\t"label"\t"xrefs"\n',
      'disease-ontology/ICD10inDO.tsv': '"id"\t"label"\t"xrefs"\n',
      'disease-ontology/allXREFinDO.tsv': '"id"\t"label"\t"xref"\n"DOID:399"\t"tuberculosis"\t"KEGG:H00342"\n',
      'disease-ontology/disease-symptom.tsv': 'disease_id\tdisease_label\tsymptom_id\tsymptom_label\n',
    });
    const strict = new SkipReport(true);
    await loadDiseaseOntology(path.join(clean, 'disease-ontology'), new GraphBuilder(), strict);
    expect(strict.rows().every((r) => r.reason.startsWith('by design: '))).toBe(true);
    expect(strict.total()).toBe(4);
  });
});

describe('loadHsdn', () => {
  it('loadHsdn(fixture) adds weighted has_symptom edges keyed by DOID/MeSH and UMLS, and counts bad rows', async () => {
    const dir = path.join(writeFixture(), 'hsdn');
    const b = new GraphBuilder();
    const s = new SkipReport();
    const c = await loadHsdn(dir, b, s);
    const g = b.build();
    const tb = g.node('disease:tuberculosis');
    expect(tb.xrefs).toMatchObject({ doid: ['DOID:399'], mesh: ['D014397'] });
    expect(tb.synonyms).toContain('Tuberculosis, Pulmonary');
    const e = g.edges.find((x) => x.source === tb.id && x.target === 'symptom:cough');
    expect(e?.weight).toBe(12.5);
    const asthma = g.nodes.filter((n) => n.xrefs.umls?.includes('C0004096'));
    expect(asthma).toHaveLength(1); // "Asthma, Bronchial" and "Asthma" share the CUI
    expect(g.targets(asthma[0].id, 'has_symptom').sort()).toEqual(['symptom:dyspnea', 'symptom:wheezing']);
    expect(skipsOf(s, path.join(dir, 'symptoms-DO.tsv'))).toEqual({ 'tfidf_score is not a number': 1 });
    expect(skipsOf(s, path.join(dir, 'combined_data.csv'))).toEqual({ 'disease_umls or symptom_umls is not a UMLS CUI': 1, 'wrong field count': 1 });
    expect(c).toMatchObject({ rowsRead: 8, rowsSkipped: 3 });
  });
});

describe('loadWikidata', () => {
  it('loadWikidata(fixture) maps P780/P2176/P923/P828 by the documented rules and counts what it leaves out', async () => {
    const dir = path.join(writeFixture(), 'wikidata');
    const b = new GraphBuilder();
    const s = new SkipReport();
    await loadWikidata(dir, b, s);
    const g = b.build();
    const tb = g.node('disease:tuberculosis');
    expect(tb.xrefs).toMatchObject({ wikidata: ['Q12204'], umls: ['C0041296'], mesh: ['D014376'] });
    expect(tb.synonyms).not.toContain('hydrothorax'); // aliases are not used
    expect(g.targets(tb.id, 'treated_by').sort()).toEqual(['drug:isoniazid', 'drug:rifampicin']);
    expect(g.targets(tb.id, 'caused_by')).toEqual(['pathogen:mycobacterium-tuberculosis']);
    expect(g.targets(tb.id, 'diagnosed_by').sort()).toEqual(['imaging:chest-radiograph', 'lab_test:sputum-culture']);
    expect(g.node('symptom:cough').xrefs.wikidata).toBeUndefined(); // multi-item lists: ids are not paired
    const t2d = g.node('disease:type-2-diabetes');
    expect(g.targets(t2d.id, 'treated_by').sort()).toEqual(['drug:metformin', 'drug_class:sulfonylureas']);
    expect(g.targets(t2d.id, 'diagnosed_by').sort()).toEqual(['lab_test:blood-test', 'lab_test:hba1c-measurement']);
    expect(g.node('drug:metformin').xrefs.wikidata).toEqual(['Q19484']);
    const nci = skipsOf(s, path.join(dir, 'diseases_info_en_nci.csv'));
    expect(nci).toEqual({
      'disease without an English label': 1,
      'by design: treatment is a procedure or lifestyle measure, not a drug': 1,
      'by design: cause is not pathogen-like (keyword rule)': 1,
      'by design: examination is neither a lab test nor imaging (keyword rule)': 1,
    });
    expect(skipsOf(s, path.join(dir, 'WikiDataDiseaseData.csv'))).toEqual({ 'disease_uri is not a Wikidata entity': 1 });
    expect(skipsOf(s, path.join(dir, 'WikiDataMedicineData.csv'))).toEqual({ 'by design: no condition treated listed': 1 });
  });
});

describe('loadDrugCentral', () => {
  it('loadDrugCentral(fixture) adds drug xrefs, indications, classes and mechanisms', async () => {
    const dir = path.join(writeFixture(), 'drugcentral');
    const b = new GraphBuilder();
    const s = new SkipReport();
    await loadDrugCentral(dir, b, s);
    const g = b.build();
    const m = g.node('drug:metformin');
    expect(m.xrefs).toMatchObject({ drugbank: ['DB00331'], umls: ['C0025598'], drugcentral: ['1725'] });
    expect(g.targets(m.id, 'in_class').sort()).toEqual(['drug_class:biguanide', 'drug_class:hypoglycemic-agents']);
    expect(g.targets(m.id, 'has_mechanism')).toEqual(['mechanism:insulin-sensitizing']);
    expect(g.sourcesOf(m.id, 'treated_by')).toEqual(['disease:diabetes-mellitus-type-2']);
    expect(g.node('disease:diabetes-mellitus-type-2').xrefs).toMatchObject({ doid: ['DOID:9352'], umls: ['C0011860'] });
    expect(skipsOf(s, path.join(dir, 'identifiers.tsv'))).toEqual({ 'by design: identifier type not used (KEGG_DRUG)': 1, 'malformed UMLSCUI': 1 });
    expect(skipsOf(s, path.join(dir, 'drug_indication.tsv'))).toEqual({ 'empty INDICATION_FDB': 1 });
    expect(skipsOf(s, path.join(dir, 'pharm_class.tsv'))).toEqual({ 'by design: class type not used (PE)': 1 });
  });
});

describe('loadPharmacotherapyDb', () => {
  it('loadPharmacotherapyDb(fixture) keeps DM and SYM, counts NOT as by design and unknown categories as malformed', async () => {
    const dir = path.join(writeFixture(), 'pharmacotherapydb');
    const b = new GraphBuilder();
    const s = new SkipReport();
    const c = await loadPharmacotherapyDb(dir, b, s);
    const g = b.build();
    expect(g.edges.map((e) => `${e.source} ${e.relation} ${e.target}`).sort()).toEqual([
      'disease:asthma treated_by drug:salbutamol',
      'disease:type-2-diabetes-mellitus treated_by drug:metformin',
    ]);
    expect(skipsOf(s, path.join(dir, 'indications.tsv'))).toEqual({ 'by design: NOT (non-indication)': 1, 'unknown category "MAYBE"': 1 });
    expect(c).toEqual({ nodes: 4, edges: 2, rowsRead: 4, rowsSkipped: 2 });
  });
});

describe('loadSider4', () => {
  it('loadSider4(fixture) adds side_effect edges from preferred terms, tagged sider4', async () => {
    const dir = path.join(writeFixture(), 'sider4');
    const b = new GraphBuilder();
    const s = new SkipReport();
    await loadSider4(dir, b, s);
    const g = b.build();
    expect(g.targets('drug:metformin', 'side_effect').sort()).toEqual(['symptom:diarrhoea', 'symptom:nausea']);
    expect(g.edges.every((e) => e.sources.join() === 'sider4')).toBe(true);
    expect(skipsOf(s, path.join(dir, 'meddra_all_se.tsv.gz'))).toEqual({
      'by design: lowest-level term (LLT) row; its preferred term is used': 1,
      'by design: STITCH compound not mapped to DrugBank': 1,
    });
    expect(fs.existsSync(path.join(dir, 'meddra_all_se.tsv.gz'))).toBe(true);
  });
});
