/**
 * Drafts of questions that name their anchor: test selection (disease → confirming test),
 * treatment (disease → drug), mechanism (drug → mechanism or class) and contraindication
 * (condition → the drug to avoid).
 */
import type { Rng } from '../../core/rng';
import type { SynthConfig } from './config';
import type { GraphFacts } from './facts';
import type { DraftResult, RenderInput, Rendered } from './draft';
import { EdgeRef, evidenceOf, indicationsOf, mechanismPaths, ownTests, treatmentPaths } from './paths';
import { Buckets, RANK_TOP, addScore, drugCandidates, rankByScore, takeTop, testCandidates, toBuckets } from './rank';
import { contraDrugs, directDrugs } from './sample';
import { Patient, Register, joinAnd, nodeText, phraseClues, stem, upperFirst } from './surface';

/** A node's name in the register of the question (lay questions use a synonym). */
function name(f: GraphFacts, id: string, register: Register, rng: Rng): string {
  return nodeText(f.node(id), register === 'lay' ? 'synonym' : register, rng);
}

/** The patient as the question introduces them: [article, "<age>-year-old <noun>"]. */
function who(p: Patient): [string, string] {
  const w = `${p.age}-year-old ${p.noun}`;
  return [/^(8|1[18]-)/.test(w) ? 'an' : 'a', w];
}

/** Test selection: named disease → the test that confirms it. */
export function draftTestSelection(f: GraphFacts, d: string, _cfg: SynthConfig, rng: Rng): DraftResult {
  const tests = f.out(d, 'diagnosed_by');
  if (!tests.length) return { reject: 'no-answer' };
  const t = rng.pick(tests);
  const type = f.node(t).type;
  const sx = f.out(d, 'has_symptom');
  return {
    type: 'test_selection',
    variant: type,
    anchor: d,
    query: { ask: 'test', given: d },
    answer: t,
    known: ownTests(f, d),
    ranked: testCandidates(f, d, type, rng),
    optionType: type,
    evidence: evidenceOf([{ source: d, relation: 'diagnosed_by', target: t }]),
    hops: 1,
    mentions: [d],
    render: ({ patient, register }, r) => {
      const dn = name(f, d, register, r);
      const [a, w] = who(patient);
      const k = r.int(sx.length ? 3 : 2);
      let ctx: string;
      let texts: string[] = [];
      if (k === 0) ctx = `${upperFirst(a)} ${w} is suspected of having ${dn}.`;
      else if (k === 1) ctx = `A clinician suspects ${dn} in ${a} ${w}.`;
      else {
        const shown = r.sample(sx, Math.min(2, sx.length));
        texts = phraseClues(f, shown, register, r).clues.symptoms;
        ctx = `${upperFirst(a)} ${w} presents with ${joinAnd(texts)}, and ${dn} is suspected.`;
      }
      const [s, st] = stem('test', r);
      return { question: `${ctx} ${st}`, template: `test_selection.t${k}.s${s}`, clueTexts: [] };
    },
  };
}

/** Treatment: named disease → a drug that treats it. */
export function draftTreatment(f: GraphFacts, d: string, _cfg: SynthConfig, rng: Rng): DraftResult {
  const paths = treatmentPaths(f, d);
  if (!paths.length) return { reject: 'no-answer' };
  const [x, edges] = rng.pick(paths);
  return {
    type: 'treatment',
    variant: edges.length > 1 ? 'via-class' : 'direct',
    anchor: d,
    query: { ask: 'treatment', given: d },
    answer: x,
    known: new Set([...directDrugs(f, d), ...f.out(d, 'treated_by')]),
    ranked: drugCandidates(f, d, rng),
    optionType: 'drug',
    evidence: evidenceOf(edges),
    hops: edges.length,
    mentions: [d],
    render: ({ patient, register }, r) => {
      const dn = name(f, d, register, r);
      const [a, w] = who(patient);
      const k = r.int(3);
      const ctx =
        k === 0
          ? `${upperFirst(a)} ${w} is diagnosed with ${dn}.`
          : k === 1
            ? `${upperFirst(a)} ${w} with newly diagnosed ${dn} is seen for management.`
            : `${upperFirst(a)} ${w} has ${dn}.`;
      const [s, st] = stem('treatment', r);
      return { question: `${ctx} ${st}`, template: `treatment.t${k}.s${s}`, clueTexts: [] };
    },
  };
}

/** Mechanism: named drug → its mechanism (variant 'mechanism') or its class (variant 'class'). */
export function draftMechanism(f: GraphFacts, g: string, _cfg: SynthConfig, rng: Rng): DraftResult {
  const mpaths = mechanismPaths(f, g);
  const classes = f.out(g, 'in_class');
  const variants = [...(mpaths.length ? ['mechanism'] : []), ...(classes.length ? ['class'] : [])];
  if (!variants.length) return { reject: 'no-answer' };
  const variant = rng.pick(variants);
  const buckets = mechanismCandidates(f, g, variant);
  let answer: string;
  let edges: EdgeRef[];
  let known: Set<string>;
  if (variant === 'mechanism') {
    [answer, edges] = rng.pick(mpaths);
    known = new Set(mpaths.map((p) => p[0]));
  } else {
    answer = rng.pick(classes);
    edges = [{ source: g, relation: 'in_class', target: answer }];
    known = new Set(classes);
  }
  return {
    type: 'mechanism',
    variant,
    anchor: g,
    query: { ask: variant === 'mechanism' ? 'mechanism' : 'class', given: g },
    answer,
    known,
    ranked: takeTop(buckets, RANK_TOP, rng),
    optionType: variant === 'mechanism' ? 'mechanism' : 'drug_class',
    evidence: evidenceOf(edges),
    hops: edges.length,
    mentions: [g],
    render: ({ patient, register }, r) => {
      const gn = name(f, g, register, r);
      const [a, w] = who(patient);
      const k = r.int(3);
      const ctx = k === 0 ? `${upperFirst(a)} ${w} is started on ${gn}.` : k === 1 ? `Consider the drug ${gn}.` : `${upperFirst(gn)} is commonly prescribed.`;
      const [s, st] = stem(variant, r);
      return { question: `${ctx} ${st}`, template: `mechanism.${variant}.t${k}.s${s}`, clueTexts: [] };
    },
  };
}

/** Candidates for a mechanism item: mechanisms / classes of drugs sharing an indication with g. */
function mechanismCandidates(f: GraphFacts, g: string, variant: string): Buckets {
  return f.cached(`mechCand|${variant}`, g, () => {
    const peers = new Map<string, number>();
    for (const d of indicationsOf(f, g)) for (const x of directDrugs(f, d)) if (x !== g) addScore(peers, x, 1);
    const m = new Map<string, number>();
    for (const [x, n] of peers) {
      if (variant === 'mechanism') for (const [mm] of mechanismPaths(f, x)) addScore(m, mm, n);
      else for (const c of f.out(x, 'in_class')) addScore(m, c, n);
    }
    return toBuckets(m);
  });
}

/** Contraindication: patient with a condition → the drug to avoid (optionally among drugs for a second condition). */
export function draftContraindication(f: GraphFacts, d: string, _cfg: SynthConfig, rng: Rng): DraftResult {
  const paths: [string, EdgeRef[]][] = [];
  for (const x of f.in(d, 'contraindicated_in')) {
    const e: EdgeRef = { source: x, relation: 'contraindicated_in', target: d };
    if (f.node(x).type === 'drug') paths.push([x, [e]]);
    else for (const m of f.in(x, 'in_class')) paths.push([m, [{ source: m, relation: 'in_class', target: x }, e]]);
  }
  if (!paths.length) return { reject: 'no-answer' };
  const [x, edges] = rng.pick(paths);
  const known = new Set<string>([...contraDrugs(f, d), ...f.in(d, 'contraindicated_in')]);
  const m = new Map<string, number>();
  for (const y of directDrugs(f, d)) addScore(m, y, 2);
  const indications = indicationsOf(f, x).filter((i) => i !== d && !f.ancestors(d).has(i));
  let context: string | undefined;
  if (indications.length && rng.next() < 0.6) {
    context = rng.pick(indications);
    for (const y of directDrugs(f, context)) addScore(m, y, 3);
  }
  const ctxId = context;
  return {
    type: 'contraindication',
    variant: ctxId ? 'comorbid' : 'plain',
    anchor: d,
    query: { ask: 'contraindicated', given: d },
    answer: x,
    known,
    ranked: rankByScore(m, rng),
    optionType: 'drug',
    evidence: evidenceOf(edges),
    hops: edges.length,
    mentions: ctxId ? [d, ctxId] : [d],
    render: contraindicationRenderer(f, d, ctxId),
  };
}

/** Writes a contraindication question: a patient with `d`, and with the comorbid condition `ctxId` when there is one. */
function contraindicationRenderer(f: GraphFacts, d: string, ctxId: string | undefined): (input: RenderInput, r: Rng) => Rendered {
  return ({ patient, register }, r) => {
    const dn = name(f, d, register, r);
    const [a, w] = who(patient);
    const [s, st] = stem('contraindicated', r);
    if (ctxId) {
      const cn = name(f, ctxId, register, r);
      const k = r.int(2);
      const ctx =
        k === 0
          ? `${upperFirst(a)} ${w} with a history of ${dn} is diagnosed with ${cn} and needs treatment.`
          : `${upperFirst(a)} ${w} who has ${dn} now requires therapy for ${cn}.`;
      return { question: `${ctx} ${st}`, template: `contraindication.c${k}.s${s}`, clueTexts: [] };
    }
    const k = r.int(3);
    const ctx =
      k === 0
        ? `${upperFirst(a)} ${w} has a history of ${dn}.`
        : k === 1
          ? `${upperFirst(a)} ${w} with ${dn} needs a new prescription.`
          : `A patient is known to have ${dn}.`;
    return { question: `${ctx} ${st}`, template: `contraindication.p${k}.s${s}`, clueTexts: [] };
  };
}
