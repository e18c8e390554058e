/**
 * Surface forms: patients (age and sex, kept plausible), symptoms in clinical words, node
 * synonyms or lay words, findings phrased through the test that measures them, and several
 * vignette templates and question stems per item type, so a model cannot key on one template.
 */
import type { Rng } from '../../core/rng';
import { GraphNode, normalizeName } from '../../graph/schema';
import type { GraphFacts } from './facts';

/** Lay words for common symptoms, keyed by normalised clinical name. */
export const LAY_SYNONYMS: Record<string, string[]> = {
  dyspnea: ['shortness of breath', 'trouble breathing'],
  dyspnoea: ['shortness of breath', 'trouble breathing'],
  'shortness of breath': ['trouble breathing', 'being out of breath'],
  fever: ['feeling feverish', 'running a temperature'],
  pyrexia: ['feeling feverish', 'running a temperature'],
  fatigue: ['tiredness', 'feeling worn out'],
  malaise: ['feeling generally unwell'],
  nausea: ['feeling sick to the stomach', 'queasiness'],
  vomiting: ['throwing up'],
  emesis: ['throwing up'],
  diarrhea: ['loose stools', 'frequent watery stools'],
  diarrhoea: ['loose stools', 'frequent watery stools'],
  constipation: ['difficulty passing stools'],
  'abdominal pain': ['stomach pain', 'belly pain'],
  'epigastric pain': ['pain in the upper stomach'],
  'chest pain': ['pain in the chest'],
  headache: ['a pounding head', 'head pain'],
  cough: ['a persistent cough'],
  hemoptysis: ['coughing up blood'],
  haemoptysis: ['coughing up blood'],
  hematemesis: ['vomiting blood'],
  melena: ['black, tarry stools'],
  hematuria: ['blood in the urine'],
  dysuria: ['pain when passing urine', 'burning on urination'],
  polyuria: ['passing a lot of urine', 'urinating frequently'],
  polydipsia: ['excessive thirst', 'being thirsty all the time'],
  'weight loss': ['losing weight without trying'],
  'weight gain': ['putting on weight'],
  pruritus: ['itching', 'itchy skin'],
  rash: ['a skin rash', 'spots on the skin'],
  syncope: ['fainting', 'passing out'],
  vertigo: ['the room spinning', 'dizziness'],
  dizziness: ['feeling light-headed'],
  palpitations: ['a racing heartbeat', 'a pounding heart'],
  diaphoresis: ['heavy sweating'],
  'night sweats': ['drenching sweats at night'],
  arthralgia: ['joint pain', 'aching joints'],
  myalgia: ['muscle aches', 'sore muscles'],
  edema: ['swelling', 'puffiness'],
  oedema: ['swelling', 'puffiness'],
  jaundice: ['yellowing of the skin and eyes'],
  anorexia: ['loss of appetite'],
  'loss of appetite': ['not feeling like eating'],
  insomnia: ['trouble sleeping'],
  photophobia: ['sensitivity to light'],
  dysphagia: ['difficulty swallowing'],
  odynophagia: ['pain on swallowing'],
  tinnitus: ['ringing in the ears'],
  epistaxis: ['nosebleeds'],
  orthopnea: ['breathlessness when lying flat'],
  paresthesia: ['tingling', 'pins and needles'],
  paraesthesia: ['tingling', 'pins and needles'],
  tremor: ['shaking'],
  wheezing: ['a whistling sound when breathing'],
  'sore throat': ['a scratchy throat'],
  pharyngitis: ['a sore throat'],
  rhinorrhea: ['a runny nose'],
  confusion: ['being muddled', 'not thinking clearly'],
  seizure: ['a fit'],
  seizures: ['fits'],
  amenorrhea: ['missed periods'],
  'back pain': ['an aching back'],
  'joint swelling': ['swollen joints'],
  chills: ['shivering'],
  'heat intolerance': ['always feeling too hot'],
  'cold intolerance': ['always feeling cold'],
};

/** Keyword rule for sex-specific conditions when the graph does not mark them. */
const FEMALE_WORDS = /\b(pregnan\w*|gestation\w*|obstetric\w*|placent\w*|eclampsia|preeclampsia|postpartum|puerper\w*|ovar\w*|uter\w*|endometri\w*|vagin\w*|vulv\w*|cervix|cervical cancer|menstru\w*|menorrh\w*|amenorrh\w*|dysmenorrh\w*|gyn\w*colog\w*|miscarriage|ectopic|hyperemesis)\b/;
const MALE_WORDS = /\b(prostat\w*|testic\w*|testis|testes|scrot\w*|erectile|penile|epididym\w*|orchitis)\b/;
const PREGNANCY_WORDS = /\b(pregnan\w*|gestation\w*|obstetric\w*|placent\w*|eclampsia|preeclampsia|postpartum|puerper\w*|ectopic|hyperemesis)\b/;
const CHILD_WORDS = /\b(pediatric|paediatric|childhood|infant\w*|neonat\w*|newborn|juvenile|kawasaki|croup|bronchiolitis|measles|chickenpox|varicella|mumps|rubella|pertussis|whooping)\b/;
const ELDERLY_WORDS = /\b(alzheimer\w*|dementia|parkinson\w*|osteoporosis|polymyalgia|macular degeneration|presbyopia|benign prostatic)\b/;

export interface Patient {
  age: number;
  /** null = sex left unsaid (a sex-specific term appears and the graph does not mark its sex). */
  sex: 'female' | 'male' | null;
  /** "woman", "man", "girl", "boy", "child" or "patient". */
  noun: string;
  /** Subject pronoun, capitalised: She / He / The patient. */
  they: string;
}

/**
 * Samples a plausible patient for the nodes an item mentions. A node marked in `sexOf` fixes
 * the sex; an unmarked node whose name matches a sex-specific keyword makes the phrasing neutral.
 */
export function samplePatient(nodes: readonly GraphNode[], sexOf: Record<string, 'female' | 'male'>, rng: Rng): Patient {
  let marked: 'female' | 'male' | undefined;
  let neutral = false;
  let child = false;
  let pregnancy = false;
  let elderly = false;
  for (const n of nodes) {
    const mark = sexOf[n.id];
    if (mark) marked = mark;
    const text = normalizeName(n.name);
    if (!mark && (FEMALE_WORDS.test(text) || MALE_WORDS.test(text))) neutral = true;
    if (PREGNANCY_WORDS.test(text)) pregnancy = true;
    if (CHILD_WORDS.test(text)) child = true;
    if (ELDERLY_WORDS.test(text)) elderly = true;
  }
  const age = child ? 2 + rng.int(11) : pregnancy ? 19 + rng.int(22) : elderly ? 62 + rng.int(25) : 18 + rng.int(66);
  const sex: Patient['sex'] = marked ?? (neutral ? null : rng.next() < 0.5 ? 'female' : 'male');
  const noun = sex === null ? (child ? 'child' : 'patient') : child ? (sex === 'female' ? 'girl' : 'boy') : sex === 'female' ? 'woman' : 'man';
  const they = sex === 'female' ? 'She' : sex === 'male' ? 'He' : 'The patient';
  return { age, sex, noun, they };
}

export type Register = 'clinical' | 'synonym' | 'lay';

/** A usable display synonym: letters, not too long, not a code. */
function displayable(s: string): boolean {
  return s.length >= 3 && s.length <= 60 && /[a-z]/.test(s) && !/[_:|]/.test(s) && !/\d{3,}/.test(s);
}

/** Lower-cases the first letter unless the word looks like an acronym. */
export function lowerFirst(s: string): string {
  return s.length > 1 && s[1] === s[1].toUpperCase() && /[A-Z]/.test(s[1]) ? s : s.charAt(0).toLowerCase() + s.slice(1);
}

export function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A node's name, one of its synonyms, or (for symptoms) a lay word, by register. */
export function nodeText(node: GraphNode, register: Register, rng: Rng): string {
  if (register === 'lay') {
    for (const s of [node.name, ...node.synonyms]) {
      const lay = LAY_SYNONYMS[normalizeName(s)];
      if (lay) return rng.pick(lay);
    }
  }
  if (register !== 'clinical') {
    const syn = node.synonyms.filter(displayable);
    if (syn.length && rng.next() < 0.6) return lowerFirst(rng.pick(syn));
  }
  return lowerFirst(node.name);
}

const UP = /^(elevated|increased|high|raised)\s+(.+)$/;
const DOWN = /^(decreased|low|reduced|diminished)\s+(.+)$/;
const SIGN = /^(positive|negative|prolonged|shortened|abnormal)\s+(.+)$/;

function stripTest(s: string): string {
  return normalizeName(s).replace(/\b(test|testing|level|levels|assay|measurement|concentration)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * A finding phrased through the test that measures it, e.g. finding "elevated serum lipase"
 * measured by "serum lipase" → "Serum lipase is elevated"; otherwise "<Test> shows <finding>".
 */
export function phraseFinding(finding: GraphNode, test: GraphNode | undefined, rng: Rng): string {
  const fname = normalizeName(finding.name);
  if (!test) return `${upperFirst(lowerFirst(finding.name))} is noted`;
  const tname = test.name.replace(/\s+(test|testing)$/i, '');
  const m = UP.exec(fname) ?? DOWN.exec(fname) ?? SIGN.exec(fname);
  if (m) {
    const rest = stripTest(m[2]);
    const t = stripTest(tname);
    if (rest && t && (rest === t || t.includes(rest) || rest.includes(t))) {
      const word = UP.test(fname) ? rng.pick(['elevated', 'raised', 'high']) : DOWN.test(fname) ? rng.pick(['low', 'decreased', 'reduced']) : m[1];
      return `${upperFirst(lowerFirst(tname))} is ${word}`;
    }
  }
  const verb = rng.pick(['shows', 'reveals', 'demonstrates']);
  // the full test name here: "Genetic testing demonstrates …", not "Genetic demonstrates …"
  return `${upperFirst(lowerFirst(test.name))} ${verb} ${lowerFirst(finding.name)}`;
}

/** "a, b and c". */
export function joinAnd(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** Presented clues, already phrased: symptoms (noun phrases) and findings (sentences). */
export interface Clues {
  symptoms: string[];
  findings: string[];
}

/** A vignette: who the patient is and what they present with. Returns [templateId, text]. */
export function vignette(p: Patient, c: Clues, rng: Rng): [string, string] {
  const who = `${p.age}-year-old ${p.noun}`;
  const a = /^[aeiou]|^8|^1[18]-/.test(who) ? 'An' : 'A';
  const sx = joinAnd(c.symptoms);
  const fx = c.findings.length ? `${c.findings.join('. ')}.` : '';
  const fxList = c.findings.length ? `${rng.pick(['Workup shows', 'Investigations show', 'Studies reveal'])}: ${c.findings.map(lowerFirst).join('; ')}.` : '';
  const setting = rng.pick(['clinic', 'emergency department', 'primary care office']);
  const dur = rng.pick(['2 days', '5 days', '2 weeks', '3 weeks', 'a month', 'several months']);
  const t = rng.int(5);
  if (!c.symptoms.length) {
    const text = [`${a} ${who} is evaluated${t % 2 ? ` in the ${setting}` : ''}.`, t % 2 ? fx : fxList].join(' ');
    return [`v${t % 2}-nosx`, text];
  }
  switch (t) {
    case 0:
      return ['v0', `${a} ${who} presents with ${sx}.${fx ? ' ' + fx : ''}`];
    case 1:
      return ['v1', `${a} ${who} comes to the ${setting} because of ${sx} for ${dur}.${fxList ? ' ' + fxList : ''}`];
    case 2:
      return ['v2', `Over the ${dur === 'a month' ? 'past month' : `past ${dur}`}, ${a.toLowerCase()} ${who} has developed ${sx}.${fx ? ' ' + fx : ''}`];
    case 3:
      return ['v3', fx ? `${fx} These results are from ${a.toLowerCase()} ${who} who reports ${sx}.` : `${a} ${who} reports ${sx}.`];
    default:
      return ['v4', `Patient: ${p.age}-year-old ${p.noun === 'patient' ? 'adult' : p.noun}. Complaints: ${c.symptoms.join('; ')}.${fxList ? ' ' + fxList : ''}`];
  }
}

/** Question stems per item kind; the chosen index is recorded as meta.stem. */
export const STEMS: Record<string, string[]> = {
  diagnosis: [
    'What is the most likely diagnosis?',
    'Which of the following is the most likely diagnosis?',
    'Which condition best explains these findings?',
    'Which diagnosis is most consistent with this presentation?',
  ],
  test: [
    'Which test would best confirm the diagnosis?',
    'Which investigation is most appropriate to confirm this diagnosis?',
    'Which of the following is used to establish the diagnosis?',
  ],
  treatment: [
    'Which of the following drugs is used to treat this condition?',
    'Which medication is an appropriate treatment?',
    'Which of the following is an appropriate pharmacological treatment?',
  ],
  mechanism: ['What is its mechanism of action?', 'Through which mechanism does it act?', 'How does this drug exert its effect?'],
  class: ['To which drug class does it belong?', 'It is a member of which class of drugs?', 'Which drug class does it belong to?'],
  contraindicated: [
    'Which of the following drugs must be avoided?',
    'Which of these drugs is contraindicated?',
    'Which medication would be inappropriate for this patient?',
  ],
  'hop-test': [
    'Which test would best confirm the most likely diagnosis?',
    'Which investigation best confirms the underlying condition?',
    'To confirm the most likely diagnosis, which test is most appropriate?',
  ],
  'hop-treatment': [
    'Which drug is an appropriate treatment for the most likely condition?',
    'Which medication is used to treat the underlying condition?',
    'Once the most likely diagnosis is confirmed, which drug is appropriate?',
  ],
  'hop-mechanism': [
    'A drug used to treat the most likely condition acts by which mechanism?',
    'Which mechanism of action belongs to a drug that treats the underlying condition?',
    'The most likely condition is treated with a drug that works through which mechanism?',
  ],
};

/** Picks a stem: [index, text]. */
export function stem(kind: string, rng: Rng): [number, string] {
  const l = STEMS[kind];
  const i = rng.int(l.length);
  return [i, l[i]];
}

/** The phrased clue list for a set of symptom/finding ids. Returns the texts aligned with `ids`. */
export function phraseClues(f: GraphFacts, ids: readonly string[], register: Register, rng: Rng): { clues: Clues; texts: string[] } {
  const clues: Clues = { symptoms: [], findings: [] };
  const texts: string[] = [];
  for (const id of ids) {
    const n = f.node(id);
    if (n.type === 'finding') {
      const tests = f.out(id, 'measured_by');
      const t = tests.length ? f.node(rng.pick(tests)) : undefined;
      const s = phraseFinding(n, t, rng);
      clues.findings.push(s);
      texts.push(s);
    } else {
      const s = nodeText(n, register, rng);
      clues.symptoms.push(s);
      texts.push(s);
    }
  }
  return { clues, texts };
}
