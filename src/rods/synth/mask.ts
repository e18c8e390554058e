/**
 * Masking: one builder per item type turns an anchor's neighbourhood into a draft question —
 * the clues it shows, the node it hides (the answer), the query that proves it, the evidence
 * edges, and the distractor candidates ranked by how much of the answer's context they share.
 */
import type { Rng } from '../../core/rng';
import type { GraphEdge, NodeType } from '../../graph/schema';
import type { Evidence } from '../item';
import type { RejectReason, SynthConfig, SynthQuery, SynthType } from './config';
import type { GraphFacts } from './facts';
import { contraDrugs, directDrugs } from './sample';
import { Patient, Register, joinAnd, nodeText, phraseClues, stem, upperFirst, vignette } from './surface';

type EdgeRef = Pick<GraphEdge, 'source' | 'relation' | 'target'>;

/** What the renderer needs to write the question. */
export interface RenderInput {
  patient: Patient;
  register: Register;
}

export interface Rendered {
  question: string;
  /** Template and stem ids, for meta. */
  template: string;
  /** Each presented clue as written, up to the case of its first letter (aligned with the query's clues). */
  clueTexts: string[];
}

/** A masked subgraph waiting for distractors. */
export interface Draft {
  type: SynthType;
  variant: string;
  anchor: string;
  query: SynthQuery;
  /** The hidden node: the right option. */
  answer: string;
  /** Nodes the sampled subgraph shows in the answer's role (never offered as distractors). */
  known: ReadonlySet<string>;
  /** Distractor candidates, best first. */
  ranked: string[];
  /** Node type the options share. */
  optionType: NodeType;
  evidence: Evidence;
  hops: number;
  /** Multi-hop: the disease the question must not name. */
  hidden?: string;
  /** Other nodes the question names (for sex/age plausibility). */
  mentions: string[];
  render(input: RenderInput, rng: Rng): Rendered;
}

export type DraftResult = Draft | { reject: RejectReason; variant?: string; detail?: string };

/** Candidates grouped by score: [score, ids (sorted)], highest score first. */
export type Buckets = readonly (readonly [number, readonly string[]])[];

/** Distractor candidates kept per draft (the best-scored, ties at random). */
export const RANK_TOP = 48;

/** Groups candidate → score into buckets, highest score first. */
export function toBuckets(scores: ReadonlyMap<string, number>): Buckets {
  const by = new Map<number, string[]>();
  for (const [id, s] of scores) {
    const l = by.get(s);
    if (l) l.push(id);
    else by.set(s, [id]);
  }
  return [...by].sort((a, b) => b[0] - a[0]).map(([s, ids]) => [s, ids.sort()] as const);
}

/** The best `m` candidates: whole buckets in order, each shuffled, the last one sampled. */
export function takeTop(buckets: Buckets, m: number, rng: Rng): string[] {
  const out: string[] = [];
  for (const [, ids] of buckets) {
    const need = m - out.length;
    if (need <= 0) break;
    const k = Math.min(need, ids.length);
    const swapped = new Map<number, number>(); // partial Fisher–Yates without copying the bucket
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(ids.length - i);
      const vj = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      out.push(ids[vj]);
    }
  }
  return out;
}

/** Orders candidate → score by score (descending), ties broken at random, keeping the best `m`. */
export function rankByScore(scores: ReadonlyMap<string, number>, rng: Rng, m = RANK_TOP): string[] {
  return takeTop(toBuckets(scores), m, rng);
}

function bump(m: Map<string, number>, id: string, by: number): void {
  m.set(id, (m.get(id) ?? 0) + by);
}

function evidenceOf(edges: EdgeRef[]): Evidence {
  const nodes = new Set<string>();
  for (const e of edges) (nodes.add(e.source), nodes.add(e.target));
  return { nodes: [...nodes].sort(), edges };
}

function clueEdges(f: GraphFacts, d: string, clues: readonly string[]): EdgeRef[] {
  const out: EdgeRef[] = [];
  for (const c of clues) {
    out.push({ source: d, relation: f.node(c).type === 'finding' ? 'has_finding' : 'has_symptom', target: c });
    for (const t of f.out(c, 'measured_by')) out.push({ source: c, relation: 'measured_by', target: t });
  }
  return out;
}

/**
 * Chooses clues among a disease's own symptoms/findings: a random set of minClues..maxClues,
 * then more discriminating ones (up to maxClues) while other diseases still fit them all.
 * Symptoms are listed before findings. Returns null when the disease has too few.
 */
export function chooseClues(f: GraphFacts, d: string, cfg: SynthConfig, rng: Rng): { clues: string[]; fits: string[] } | null {
  const feats = f.directFeatures(d);
  if (feats.length < cfg.minClues) return null;
  const order = rng.shuffle(feats);
  const hi = Math.min(cfg.maxClues, feats.length);
  const k = cfg.minClues + rng.int(hi - cfg.minClues + 1);
  const chosen = order.slice(0, k);
  let fits = f.diseasesWithAll(chosen);
  for (let i = k; i < order.length && fits.length > 1 && chosen.length < cfg.maxClues; i++) {
    const c = order[i];
    const next = fits.filter((x) => f.features(x).has(c));
    if (next.length < fits.length) {
      chosen.push(c);
      fits = next;
    }
  }
  const rank = (id: string) => (f.node(id).type === 'finding' ? 1 : 0);
  chosen.sort((a, b) => rank(a) - rank(b));
  return { clues: chosen, fits };
}

/** Diseases sharing the presented clues through their own edges: clue count per disease. */
function sharingClues(f: GraphFacts, clues: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of clues) for (const d of [...f.in(c, 'has_symptom'), ...f.in(c, 'has_finding')]) bump(m, d, 1);
  return m;
}

/** Tests that confirm `d` or measure its findings, through its own edges. */
function ownTests(f: GraphFacts, d: string): Set<string> {
  const s = new Set<string>(f.out(d, 'diagnosed_by'));
  for (const x of f.out(d, 'has_finding')) for (const t of f.out(x, 'measured_by')) s.add(t);
  return s;
}

/** Test candidates from diseases that resemble `d`, scored by resemblance. */
function testCandidates(f: GraphFacts, d: string, type: NodeType, rng: Rng): string[] {
  const b = f.cached(`testCand|${type}`, d, () => {
    const m = new Map<string, number>();
    for (const [o, n] of f.similarDiseases(d)) for (const t of ownTests(f, o)) if (f.node(t).type === type) bump(m, t, n);
    return toBuckets(m);
  });
  return takeTop(b, RANK_TOP, rng);
}

/** Drug candidates: drugs for resembling diseases, plus drugs contraindicated in `d` (a classic trap). */
function drugCandidates(f: GraphFacts, d: string, rng: Rng): string[] {
  const b = f.cached('drugCand', d, () => {
    const m = new Map<string, number>();
    for (const [o, n] of f.similarDiseases(d)) for (const x of directDrugs(f, o)) bump(m, x, n);
    for (const x of contraDrugs(f, d)) bump(m, x, 2);
    return toBuckets(m);
  });
  return takeTop(b, RANK_TOP, rng);
}

/** Drugs that treat `g`'s own indications (diseases treating with g or its classes). */
function indicationsOf(f: GraphFacts, g: string): string[] {
  const s = new Set<string>(f.in(g, 'treated_by'));
  for (const c of f.out(g, 'in_class')) for (const d of f.in(c, 'treated_by')) s.add(d);
  return [...s].sort();
}

/** Own mechanism paths of a drug or class: [mechanism, edges]. */
function mechanismPaths(f: GraphFacts, x: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const m of f.out(x, 'has_mechanism')) out.push([m, [{ source: x, relation: 'has_mechanism', target: m }]]);
  for (const c of f.out(x, 'in_class'))
    for (const m of f.out(c, 'has_mechanism'))
      out.push([m, [{ source: x, relation: 'in_class', target: c }, { source: c, relation: 'has_mechanism', target: m }]]);
  return out;
}

/** Own treatment paths of a disease: [drug, edges] (direct, or through a treated_by class). */
function treatmentPaths(f: GraphFacts, d: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const t of f.out(d, 'treated_by')) {
    const e: EdgeRef = { source: d, relation: 'treated_by', target: t };
    if (f.node(t).type === 'drug') out.push([t, [e]]);
    else for (const x of f.in(t, 'in_class')) out.push([x, [e, { source: x, relation: 'in_class', target: t }]]);
  }
  return out;
}

/** Mechanism paths from a disease through its treatments. */
function diseaseMechanismPaths(f: GraphFacts, d: string): [string, EdgeRef[]][] {
  const out: [string, EdgeRef[]][] = [];
  for (const t of f.out(d, 'treated_by')) {
    const e: EdgeRef = { source: d, relation: 'treated_by', target: t };
    for (const [m, p] of mechanismPaths(f, t)) out.push([m, [e, ...p]]);
    if (f.node(t).type === 'drug_class')
      for (const x of f.in(t, 'in_class'))
        for (const m of f.out(x, 'has_mechanism'))
          out.push([m, [e, { source: x, relation: 'in_class', target: t }, { source: x, relation: 'has_mechanism', target: m }]]);
  }
  return out;
}

function name(f: GraphFacts, id: string, register: Register, rng: Rng): string {
  return nodeText(f.node(id), register === 'lay' ? 'synonym' : register, rng);
}

function who(p: Patient): [string, string] {
  const w = `${p.age}-year-old ${p.noun}`;
  return [/^(8|1[18]-)/.test(w) ? 'an' : 'a', w];
}

/** Diagnosis: symptoms/findings → disease. */
export function draftDiagnosis(f: GraphFacts, d: string, cfg: SynthConfig, rng: Rng): DraftResult {
  const cc = chooseClues(f, d, cfg, rng);
  if (!cc) return { reject: 'too-few-clues' };
  const { clues } = cc;
  const share = sharingClues(f, clues);
  const known = new Set<string>([d]);
  for (const [o, n] of share) if (n === clues.length) known.add(o);
  share.delete(d);
  return {
    type: 'diagnosis',
    variant: 'disease',
    anchor: d,
    query: { ask: 'disease', clues },
    answer: d,
    known,
    ranked: rankByScore(share, rng),
    optionType: 'disease',
    evidence: evidenceOf(clueEdges(f, d, clues)),
    hops: 1,
    mentions: clues,
    render: ({ patient, register }, r) => {
      const { clues: c, texts } = phraseClues(f, clues, register, r);
      const [v, text] = vignette(patient, c, r);
      const [s, st] = stem('diagnosis', r);
      return { question: `${text} ${st}`, template: `diagnosis.${v}.s${s}`, clueTexts: texts };
    },
  };
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
  // Candidates: mechanisms / classes of drugs sharing an indication with g.
  const buckets = f.cached(`mechCand|${variant}`, g, () => {
    const peers = new Map<string, number>();
    for (const d of indicationsOf(f, g)) for (const x of directDrugs(f, d)) if (x !== g) bump(peers, x, 1);
    const m = new Map<string, number>();
    for (const [x, n] of peers) {
      if (variant === 'mechanism') for (const [mm] of mechanismPaths(f, x)) bump(m, mm, n);
      else for (const c of f.out(x, 'in_class')) bump(m, c, n);
    }
    return toBuckets(m);
  });
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
  for (const y of directDrugs(f, d)) bump(m, y, 2);
  const indications = indicationsOf(f, x).filter((i) => i !== d && !f.ancestors(d).has(i));
  let context: string | undefined;
  if (indications.length && rng.next() < 0.6) {
    context = rng.pick(indications);
    for (const y of directDrugs(f, context)) bump(m, y, 3);
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
    render: ({ patient, register }, r) => {
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
    },
  };
}

/** Multi-hop: findings → hidden disease → test | drug | mechanism; the disease is never named. */
export function draftMultiHop(f: GraphFacts, d: string, cfg: SynthConfig, rng: Rng): DraftResult {
  const cc = chooseClues(f, d, cfg, rng);
  if (!cc) return { reject: 'too-few-clues' };
  const { clues, fits } = cc;
  if (cfg.uniqueHidden && (fits.length !== 1 || fits[0] !== d)) return { reject: 'ambiguous-clues', detail: fits.filter((x) => x !== d).join(',') };
  const shownTests = new Set<string>();
  for (const c of clues) for (const t of f.out(c, 'measured_by')) shownTests.add(t);
  const testPaths: [string, EdgeRef[]][] = f
    .out(d, 'diagnosed_by')
    .filter((t) => !shownTests.has(t))
    .map((t) => [t, [{ source: d, relation: 'diagnosed_by', target: t }]]);
  const options: [string, [string, EdgeRef[]][]][] = [
    ['test', testPaths],
    ['treatment', treatmentPaths(f, d)],
    ['mechanism', diseaseMechanismPaths(f, d)],
  ];
  const possible = options.filter((o) => o[1].length > 0);
  if (!possible.length) return { reject: f.out(d, 'diagnosed_by').length ? 'answer-in-clues' : 'no-answer' };
  const [variant, paths] = rng.pick(possible);
  const [answer, chain] = rng.pick(paths);
  let known: Set<string>;
  let ranked: string[];
  let optionType: NodeType;
  if (variant === 'test') {
    optionType = f.node(answer).type;
    known = ownTests(f, d);
    ranked = testCandidates(f, d, optionType, rng);
  } else if (variant === 'treatment') {
    optionType = 'drug';
    known = new Set([...directDrugs(f, d), ...f.out(d, 'treated_by')]);
    ranked = drugCandidates(f, d, rng);
  } else {
    optionType = 'mechanism';
    known = new Set(paths.map((p) => p[0]));
    const b = f.cached('hopMechCand', d, () => {
      const m = new Map<string, number>();
      for (const [o, n] of f.similarDiseases(d)) for (const [mm] of diseaseMechanismPaths(f, o)) bump(m, mm, n);
      return toBuckets(m);
    });
    ranked = takeTop(b, RANK_TOP, rng);
  }
  const edges = [...clueEdges(f, d, clues), ...chain];
  return {
    type: 'multi_hop',
    variant,
    anchor: d,
    query: { ask: variant as SynthQuery['ask'], clues },
    answer,
    known,
    ranked,
    optionType,
    evidence: evidenceOf(edges),
    hops: 1 + chain.length,
    hidden: d,
    mentions: clues,
    render: ({ patient, register }, r) => {
      const { clues: c, texts } = phraseClues(f, clues, register, r);
      const [v, text] = vignette(patient, c, r);
      const [s, st] = stem(`hop-${variant}`, r);
      return { question: `${text} ${st}`, template: `multi_hop.${variant}.${v}.s${s}`, clueTexts: texts };
    },
  };
}

/** The builder of each item type. */
export const DRAFTERS: Record<SynthType, (f: GraphFacts, anchor: string, cfg: SynthConfig, rng: Rng) => DraftResult> = {
  diagnosis: draftDiagnosis,
  test_selection: draftTestSelection,
  treatment: draftTreatment,
  mechanism: draftMechanism,
  contraindication: draftContraindication,
  multi_hop: draftMultiHop,
};
