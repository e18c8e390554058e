/**
 * A hand-built medical graph for synthesis tests: 16 diseases (with a diabetes subtype
 * hierarchy), symptoms (epigastric pain is a kind of abdominal pain), findings measured by
 * tests, drugs in classes (cardioselective beta blockers under beta blockers), mechanisms and
 * contraindications. Facts are textbook-level and only meant to exercise the code.
 */
import { GraphBuilder, KnowledgeGraph } from '../../../src/graph/graph';
import type { NodeType, Relation } from '../../../src/graph/schema';

interface DiseaseSpec {
  name: string;
  symptoms?: string[];
  /** [finding, measuring test, test type] */
  findings?: [string, string, NodeType][];
  diagnosedBy?: [string, NodeType][];
  /** drug or class names (classes are declared in CLASSES). */
  treatedBy?: string[];
  parent?: string;
  synonyms?: string[];
}

const DISEASES: DiseaseSpec[] = [
  {
    name: 'Acute pancreatitis',
    symptoms: ['Abdominal pain', 'Nausea', 'Vomiting'],
    findings: [
      ['Elevated serum lipase', 'Serum lipase', 'lab_test'],
      ['Elevated serum amylase', 'Serum amylase', 'lab_test'],
    ],
    diagnosedBy: [['CT abdomen', 'imaging']],
  },
  {
    name: 'Myocardial infarction',
    synonyms: ['Heart attack'],
    symptoms: ['Chest pain', 'Diaphoresis', 'Dyspnea', 'Nausea'],
    findings: [
      ['Elevated troponin', 'Troponin', 'lab_test'],
      ['ST elevation', 'Electrocardiogram', 'imaging'],
    ],
    diagnosedBy: [['Troponin', 'lab_test']],
    treatedBy: ['Aspirin', 'Alteplase'],
  },
  { name: 'Diabetes mellitus', symptoms: ['Polyuria', 'Polydipsia'], findings: [['Hyperglycemia', 'Blood glucose', 'lab_test']], diagnosedBy: [['Blood glucose', 'lab_test']], treatedBy: ['Insulin'] },
  {
    name: 'Type 2 diabetes mellitus',
    parent: 'Diabetes mellitus',
    symptoms: ['Fatigue', 'Blurred vision'],
    findings: [
      ['Hyperglycemia', 'Blood glucose', 'lab_test'],
      ['Elevated hemoglobin A1c', 'Hemoglobin A1c', 'lab_test'],
    ],
    diagnosedBy: [['Hemoglobin A1c', 'lab_test']],
    treatedBy: ['Metformin'],
  },
  { name: 'Type 1 diabetes mellitus', parent: 'Diabetes mellitus', symptoms: ['Weight loss', 'Polyuria'], findings: [['Ketonuria', 'Urinalysis', 'lab_test']], diagnosedBy: [['GAD antibody test', 'lab_test']], treatedBy: ['Insulin'] },
  { name: 'Hypertension', symptoms: ['Headache', 'Epistaxis'], findings: [['Elevated blood pressure', 'Sphygmomanometry', 'lab_test']], diagnosedBy: [['Sphygmomanometry', 'lab_test']], treatedBy: ['ACE inhibitors', 'Amlodipine', 'Hydrochlorothiazide'] },
  { name: 'Asthma', symptoms: ['Wheezing', 'Dyspnea', 'Cough'], findings: [['Reduced FEV1', 'Spirometry', 'lab_test']], diagnosedBy: [['Spirometry', 'lab_test']], treatedBy: ['Salbutamol', 'Budesonide'] },
  {
    name: 'Heart failure',
    symptoms: ['Dyspnea', 'Edema', 'Orthopnea', 'Fatigue'],
    findings: [
      ['Elevated BNP', 'BNP', 'lab_test'],
      ['Reduced ejection fraction', 'Echocardiography', 'imaging'],
    ],
    diagnosedBy: [['Echocardiography', 'imaging']],
    treatedBy: ['Furosemide', 'ACE inhibitors', 'Metoprolol'],
  },
  { name: 'Peptic ulcer disease', symptoms: ['Epigastric pain', 'Nausea', 'Melena'], findings: [['Positive urea breath test', 'Urea breath test', 'lab_test']], diagnosedBy: [['Upper endoscopy', 'imaging']], treatedBy: ['Omeprazole'] },
  { name: 'Community-acquired pneumonia', symptoms: ['Fever', 'Cough', 'Dyspnea'], findings: [['Lobar consolidation', 'Chest x-ray', 'imaging']], diagnosedBy: [['Chest x-ray', 'imaging']], treatedBy: ['Amoxicillin', 'Azithromycin'] },
  { name: 'Hypothyroidism', symptoms: ['Fatigue', 'Weight gain', 'Cold intolerance'], findings: [['Elevated TSH', 'TSH', 'lab_test']], diagnosedBy: [['TSH', 'lab_test']], treatedBy: ['Levothyroxine'] },
  { name: 'Hyperthyroidism', symptoms: ['Weight loss', 'Heat intolerance', 'Palpitations', 'Tremor'], findings: [['Low TSH', 'TSH', 'lab_test']], diagnosedBy: [['Free T4', 'lab_test']], treatedBy: ['Methimazole', 'Propranolol'] },
  { name: 'Gout', symptoms: ['Arthralgia', 'Joint swelling'], findings: [['Elevated serum uric acid', 'Serum uric acid', 'lab_test']], diagnosedBy: [['Synovial fluid analysis', 'lab_test']], treatedBy: ['Colchicine', 'Allopurinol', 'NSAIDs'] },
  { name: 'Iron deficiency anemia', symptoms: ['Fatigue', 'Pallor'], findings: [['Low serum ferritin', 'Serum ferritin', 'lab_test']], diagnosedBy: [['Serum ferritin', 'lab_test']], treatedBy: ['Ferrous sulfate'] },
  { name: 'Preeclampsia', symptoms: ['Headache', 'Edema'], findings: [['Elevated blood pressure', 'Sphygmomanometry', 'lab_test'], ['Proteinuria', 'Urinalysis', 'lab_test']], diagnosedBy: [['Urinalysis', 'lab_test']], treatedBy: ['Magnesium sulfate'] },
  { name: 'Benign prostatic hyperplasia', symptoms: ['Nocturia', 'Weak urinary stream'], findings: [['Enlarged prostate', 'Transrectal ultrasound', 'imaging']], diagnosedBy: [['Transrectal ultrasound', 'imaging']], treatedBy: ['Tamsulosin'] },
];

/** class → [mechanism, parent class?] */
const CLASSES: Record<string, [string, string?]> = {
  'ACE inhibitors': ['Angiotensin-converting enzyme inhibition'],
  'Beta blockers': ['Beta-adrenergic receptor blockade'],
  'Cardioselective beta blockers': ['Beta-1 selective adrenergic blockade', 'Beta blockers'],
  'Calcium channel blockers': ['L-type calcium channel blockade'],
  'Thiazide diuretics': ['Sodium-chloride cotransporter inhibition'],
  'Loop diuretics': ['NKCC2 inhibition'],
  NSAIDs: ['Cyclooxygenase inhibition'],
  'Beta-2 agonists': ['Beta-2 adrenergic receptor agonism'],
  'Inhaled corticosteroids': ['Glucocorticoid receptor agonism'],
  'Proton pump inhibitors': ['H+/K+ ATPase inhibition'],
  Penicillins: ['Bacterial cell wall synthesis inhibition'],
  Macrolides: ['50S ribosomal subunit inhibition'],
  Biguanides: ['Decreased hepatic gluconeogenesis'],
  Thionamides: ['Thyroid peroxidase inhibition'],
  'Xanthine oxidase inhibitors': ['Xanthine oxidase inhibition'],
  'Alpha-1 blockers': ['Alpha-1 adrenergic receptor blockade'],
  Thrombolytics: ['Plasminogen activation'],
};

/** drug → [class?, own mechanism?] */
const DRUGS: Record<string, [string?, string?]> = {
  Aspirin: [undefined, 'Irreversible COX-1 inhibition'],
  Alteplase: ['Thrombolytics'],
  Insulin: [undefined, 'Insulin receptor activation'],
  Metformin: ['Biguanides'],
  Lisinopril: ['ACE inhibitors'],
  Enalapril: ['ACE inhibitors'],
  Propranolol: ['Beta blockers'],
  Metoprolol: ['Cardioselective beta blockers'],
  Amlodipine: ['Calcium channel blockers'],
  Verapamil: ['Calcium channel blockers'],
  Hydrochlorothiazide: ['Thiazide diuretics'],
  Furosemide: ['Loop diuretics'],
  Ibuprofen: ['NSAIDs'],
  Naproxen: ['NSAIDs'],
  Salbutamol: ['Beta-2 agonists'],
  Budesonide: ['Inhaled corticosteroids'],
  Omeprazole: ['Proton pump inhibitors'],
  Amoxicillin: ['Penicillins'],
  Azithromycin: ['Macrolides'],
  Levothyroxine: [undefined, 'Thyroid hormone receptor agonism'],
  Methimazole: ['Thionamides'],
  Colchicine: [undefined, 'Microtubule polymerization inhibition'],
  Allopurinol: ['Xanthine oxidase inhibitors'],
  'Ferrous sulfate': [undefined, 'Iron repletion'],
  'Magnesium sulfate': [undefined, 'NMDA receptor antagonism'],
  Tamsulosin: ['Alpha-1 blockers'],
};

/** [drug or class, disease] */
const CONTRAINDICATIONS: [string, string][] = [
  ['Beta blockers', 'Asthma'],
  ['NSAIDs', 'Peptic ulcer disease'],
  ['NSAIDs', 'Heart failure'],
  ['Verapamil', 'Heart failure'],
  ['Hydrochlorothiazide', 'Gout'],
  ['ACE inhibitors', 'Preeclampsia'],
  ['Metformin', 'Heart failure'],
];

/** Builds the fixture graph. */
export function fixtureGraph(): KnowledgeGraph {
  const b = new GraphBuilder();
  const src = 'fixture';
  const id = new Map<string, string>();
  const node = (type: NodeType, name: string, synonyms?: string[]) => {
    const k = `${type}|${name}`;
    let v = id.get(k);
    if (!v) id.set(k, (v = b.addNode({ type, name, synonyms, source: src })));
    return v;
  };
  const edge = (s: string, r: Relation, t: string) => {
    if (!b.addEdge(s, r, t, src)) throw new Error(`fixture edge refused: ${s} ${r} ${t}`);
  };
  for (const [c, [mech, parent]] of Object.entries(CLASSES)) {
    edge(node('drug_class', c), 'has_mechanism', node('mechanism', mech));
    if (parent) edge(node('drug_class', c), 'subclass_of', node('drug_class', parent));
  }
  for (const [d, [cls, mech]] of Object.entries(DRUGS)) {
    const x = node('drug', d);
    if (cls) edge(x, 'in_class', node('drug_class', cls));
    if (mech) edge(x, 'has_mechanism', node('mechanism', mech));
  }
  const agent = (name: string) => (name in CLASSES ? node('drug_class', name) : node('drug', name));
  for (const d of DISEASES) {
    const x = node('disease', d.name, d.synonyms);
    for (const s of d.symptoms ?? []) edge(x, 'has_symptom', node('symptom', s));
    for (const [f, t, tt] of d.findings ?? []) {
      edge(x, 'has_finding', node('finding', f));
      edge(node('finding', f), 'measured_by', node(tt, t));
    }
    for (const [t, tt] of d.diagnosedBy ?? []) edge(x, 'diagnosed_by', node(tt, t));
    for (const t of d.treatedBy ?? []) edge(x, 'treated_by', agent(t));
  }
  for (const d of DISEASES) if (d.parent) edge(node('disease', d.name), 'subclass_of', node('disease', d.parent));
  edge(node('symptom', 'Epigastric pain'), 'subclass_of', node('symptom', 'Abdominal pain'));
  for (const [a, d] of CONTRAINDICATIONS) edge(agent(a), 'contraindicated_in', node('disease', d));
  return b.build();
}
