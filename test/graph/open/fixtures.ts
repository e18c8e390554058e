/** Small fixture copies of every source folder, written to a temp dir (with some malformed rows). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { tempDir } from '../../helpers/tmp';

const T = (rows: string[][]) => rows.map((r) => r.join('\t')).join('\n') + '\n';
const Q = (rows: string[][]) => rows.map((r) => r.map((c) => `"${c}"`).join('\t')).join('\n') + '\n';

export const FIXTURE: Record<string, string | Buffer> = {
  'disease-ontology/HumanDO.tsv': Q([
    ['id', 'label', 'subClassOf'],
    ['DOID:4', 'disease', ''],
    ['DOID:0050117', 'disease by infectious agent', 'disease'],
    ['DOID:9352', 'type 2 diabetes mellitus', 'diabetes mellitus'],
    ['DOID:9351', 'diabetes mellitus', 'disease'],
    ['DOID:399', 'tuberculosis', 'disease by infectious agent'],
    ['DOID:2841', 'asthma', 'disease'],
    ['DOID:1', 'orphan term', 'no such parent'], // parent label missing
    ['notanid', 'bad row', 'disease'], // malformed id
  ]),
  'disease-ontology/MESHinDO.tsv': Q([
    ['id', 'label', 'xrefs'],
    ['DOID:9352', 'type 2 diabetes mellitus', 'MESH:D003924'],
    ['DOID:2841', 'asthma', 'MESH:D001249'],
    ['DOID:424242', 'not in HumanDO', 'MESH:D000001'],
  ]),
  'disease-ontology/ICD10inDO.tsv': Q([
    ['id', 'label', 'xrefs'],
    ['DOID:9352', 'type 2 diabetes mellitus', 'ICD10CM:E11'],
    ['DOID:9351', 'diabetes mellitus', 'ICD10CM:E11'], // shared by two terms: not used for linking
  ]),
  'disease-ontology/allXREFinDO.tsv': Q([
    ['id', 'label', 'xref'],
    ['DOID:9352', 'type 2 diabetes mellitus', 'UMLS_CUI:C0011860'],
    ['DOID:399', 'tuberculosis', 'UMLS_CUI:C0041296'],
    ['DOID:2841', 'asthma', 'UMLS_CUI:C0004096'],
    ['DOID:2841', 'asthma', 'KEGG:H01'],
    ['DOID:2841', 'asthma', 'garbage'],
  ]),
  'disease-ontology/disease-symptom.tsv': T([
    ['disease_id', 'disease_label', 'symptom_id', 'symptom_label'],
    ['DOID:399', 'tuberculosis', 'SYMP:0000614', 'cough'],
    ['DOID:2841', 'asthma', 'SYMP:0000700', 'wheezing'],
    ['DOID:2841', 'asthma', 'SYMP:0000701', ''], // empty symptom
  ]),
  'disease-ontology/DO-subClassOf-anonymous.tsv': T([
    ['ID', 'LABEL', 'SubClass Of [ANON]'],
    ['DOID:399', 'tuberculosis', "'has material basis in' some 'Mycobacterium tuberculosis'|'has symptom' some fever|'disease has location' some lung|'transmitted by' some 'airborne transmission'"],
    ['DOID:9352', 'type 2 diabetes mellitus', "'has material basis in' some 'autosomal dominant inheritance'|'derives from' some 'beta cell'"],
  ]),
  'hsdn/symptoms-DO.tsv': T([
    ['symptom_name', 'disease_name', 'cooccurs', 'tfidf_score', 'disease_id', 'symptom_id', 'doid_code', 'doid_name'],
    ['Cough', 'Tuberculosis, Pulmonary', '30', '12.5', 'D014397', 'D003371', 'DOID:399', 'tuberculosis'],
    ['Fever', 'Tuberculosis, Pulmonary', '20', '8.5', 'D014397', 'D005334', 'DOID:399', 'tuberculosis'],
    ['Fever', 'Influenza, Human', '9', 'notanumber', 'D007251', 'D005334', 'DOID:8469', 'influenza'], // bad weight
  ]),
  'hsdn/combined_data.csv': [
    'disease,symptom,disease_umls,symptom_umls,weight',
    'Diabetes Mellitus Type 2,Polyuria,C0011860,C0032617,2',
    '"Asthma, Bronchial",Wheezing,C0004096,C0043144,1',
    'Asthma,Dyspnea,C0004096,C0013404,1',
    'Broken,Row,XX,C0013404,1', // not a CUI
    'Too,few,fields',
  ].join('\n') + '\n',
  'wikidata/diseases_info_en_nci.csv': [
    'diseaseLabel,disease,symptomsLabel,symptoms,symptomLabel_NCI,treatmentLabel,treatment,differentFromLabel,differentFrom,riskLabel,risk,causeLabel,cause,diagnosisLabel,diagnosis,icd9,icd10,umls,mesh,nci,link,description,alsoKnownAs',
    'tuberculosis,Q12204,"cough,fever","Q35805,Q38933",,"isoniazid,physical therapy","Q1,Q2", , , , ,"Mycobacterium tuberculosis,smoking","Q130971,Q662860","chest radiograph,physical examination,sputum culture","Q1,Q2,Q3", , ,C0041296,D014376, , , ,"TB,hydrothorax"',
    'Q123456,Q123456, , ,, , , , , , , , , , , , , , , , , , ',
  ].join('\n') + '\n',
  'wikidata/diseases_info_en_2023.csv': [
    'diseaseLabel,symptomsLabel,treatmentLabel,differentFromLabel,riskLabel,causeLabel,diagnosisLabel,icd9,icd10,umls,mesh,nci,article',
    'type 2 diabetes,"polyuria,polydipsia","metformin,sulfonylureas", , , ,"blood test,HbA1c measurement", ,E11,C0011860,D003924, ,',
  ].join('\n') + '\n',
  'wikidata/WikiDataDiseaseData.csv': [
    'disease_uri,disease_uriLabel,HealthSpecialtyLabel,TreatmentDrugsLabel,CauseLabel,SymptonsLabel',
    'http://www.wikidata.org/entity/Q12204,tuberculosis,pulmonology,rifampicin,,',
    'not-a-uri,x,,,,',
  ].join('\n') + '\n',
  'wikidata/WikiDataMedicineData.csv': [
    'medicine_uri,medicine_uriLabel,ConditionsTreatedLabel',
    'http://www.wikidata.org/entity/Q19484,metformin,type 2 diabetes',
    'http://www.wikidata.org/entity/Q5,something,',
  ].join('\n') + '\n',
  'drugcentral/identifiers.tsv': [
    'DRUG_ID\tDRUG_NAME\tID_TYPE\tIDENTIFIER',
    '1725\t"metformin"\t"DRUGBANK_ID"\t"DB00331"',
    '1725\t"metformin"\t"UMLSCUI"\t"C0025598"',
    '1725\t"metformin"\t"KEGG_DRUG"\t"D04966"',
    '1495\t"isoniazid"\t"DRUGBANK_ID"\t"DB00951"',
    '1495\t"isoniazid"\t"UMLSCUI"\t"not-a-cui"',
  ].join('\n') + '\n',
  'drugcentral/drug_indication.tsv': T([
    ['DRUG_ID', 'DRUG_NAME', 'INDICATION_FDB', 'UMLS_CUI', 'SNOMEDCT_CUI', 'DOID'],
    ['1725', 'metformin', 'Diabetes Mellitus Type 2', 'C0011860', '44054006', 'DOID:9352'],
    ['1495', 'isoniazid', 'Tuberculosis', 'C0041296', '56717001', 'DOID:399'],
    ['1495', 'isoniazid', '', 'C0041296', '', ''], // empty indication
  ]),
  'drugcentral/pharm_class.tsv': T([
    ['DRUG_ID', 'DRUG_NAME', 'TYPE', 'CLASS_SOURCE_ID', 'CLASS', 'SOURCE'],
    ['1725', 'metformin', 'EPC', 'N0000175565', 'Biguanide', 'FDA'],
    ['1725', 'metformin', 'PA', 'D007004', 'Hypoglycemic Agents', 'MeSH'],
    ['1725', 'metformin', 'MoA', 'N0000000001', 'Insulin Sensitizing', 'FDA'],
    ['1725', 'metformin', 'PE', 'N0000000002', 'Decreased Glucose Production', 'FDA'],
  ]),
  'pharmacotherapydb/indications.tsv': T([
    ['doid_id', 'drugbank_id', 'disease', 'drug', 'category', 'n_curators', 'n_resources'],
    ['DOID:9352', 'DB00331', 'type 2 diabetes mellitus', 'Metformin', 'DM', '3', '4'],
    ['DOID:2841', 'DB01001', 'asthma', 'Salbutamol', 'SYM', '3', '2'],
    ['DOID:2841', 'DB00331', 'asthma', 'Metformin', 'NOT', '3', '0'],
    ['DOID:2841', 'DB00331', 'asthma', 'Metformin', 'MAYBE', '1', '0'],
  ]),
  'sider4/indications.tsv': T([
    ['drugbank_id', 'drugbank_name', 'pubchem_id', 'stitch_id_flat', 'umls_cui_from_label', 'method', 'concept_name', 'meddra_type', 'umls_cui_from_meddra', 'meddra_name'],
    ['DB00331', 'Metformin', '4091', 'CID100004091', 'C0011860', 'NLP_indication', 'Diabetes', 'PT', 'C0011860', 'Diabetes'],
  ]),
  'sider4/meddra_all_se.tsv.gz': zlib.gzipSync(
    T([
      ['CID100004091', 'CID000004091', 'C0011991', 'LLT', 'C0011991', 'Diarrhoea'],
      ['CID100004091', 'CID000004091', 'C0011991', 'PT', 'C0011991', 'Diarrhoea'],
      ['CID100004091', 'CID000004091', 'C0027497', 'PT', 'C0027497', 'Nausea'],
      ['CID199999999', 'CID099999999', 'C0027497', 'PT', 'C0027497', 'Nausea'],
    ]),
  ),
};

/** Writes the fixture tree to a fresh temp dir and returns its path. */
export function writeFixture(overrides: Record<string, string | Buffer | null> = {}): string {
  const dir = tempDir('kg-open-');
  for (const [rel, content] of Object.entries({ ...FIXTURE, ...overrides })) {
    if (content === null) continue;
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}
