/**
 * Drafts of case vignettes, where the question shows a disease's symptoms and findings and never
 * names it: diagnosis (the disease is the answer) and multi-hop (the hidden disease leads on to a
 * test, a drug or a mechanism).
 */
import type { Rng } from '../../core/rng';
import type { NodeType } from '../../graph/schema';
import type { SynthConfig, SynthQuery } from './config';
import type { GraphFacts } from './facts';
import { chooseClues, clueEdges, sharingClues } from './clues';
import type { DraftResult } from './draft';
import { EdgeRef, diseaseMechanismPaths, evidenceOf, ownTests, treatmentPaths } from './paths';
import { RANK_TOP, addScore, drugCandidates, rankByScore, takeTop, testCandidates, toBuckets } from './rank';
import { directDrugs } from './sample';
import { phraseClues, stem, vignette } from './surface';

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

/** Multi-hop: findings → hidden disease → test | drug | mechanism; the disease is never named. */
export function draftMultiHop(f: GraphFacts, d: string, cfg: SynthConfig, rng: Rng): DraftResult {
  const cc = chooseClues(f, d, cfg, rng);
  if (!cc) return { reject: 'too-few-clues' };
  const { clues, fits } = cc;
  if (cfg.uniqueHidden && (fits.length !== 1 || fits[0] !== d)) return { reject: 'ambiguous-clues', detail: fits.filter((x) => x !== d).join(',') };
  const possible = hopAnswers(f, d, clues);
  if (!possible.length) return { reject: f.out(d, 'diagnosed_by').length ? 'answer-in-clues' : 'no-answer' };
  const [variant, paths] = rng.pick(possible);
  const [answer, chain] = rng.pick(paths);
  const { known, ranked, optionType } = hopOptions(f, d, variant, answer, paths, rng);
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

/** The second hops a hidden disease offers, by variant (test, treatment, mechanism); tests the clues already show are left out. */
function hopAnswers(f: GraphFacts, d: string, clues: readonly string[]): [string, [string, EdgeRef[]][]][] {
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
  return options.filter((o) => o[1].length > 0);
}

/** The options of a multi-hop item: the type they share, the nodes known in the answer's role, the ranked distractors. */
function hopOptions(f: GraphFacts, d: string, variant: string, answer: string, paths: [string, EdgeRef[]][], rng: Rng): { known: Set<string>; ranked: string[]; optionType: NodeType } {
  if (variant === 'test') {
    const optionType = f.node(answer).type;
    return { optionType, known: ownTests(f, d), ranked: testCandidates(f, d, optionType, rng) };
  }
  if (variant === 'treatment') return { optionType: 'drug', known: new Set([...directDrugs(f, d), ...f.out(d, 'treated_by')]), ranked: drugCandidates(f, d, rng) };
  const known = new Set(paths.map((p) => p[0]));
  const b = f.cached('hopMechCand', d, () => {
    const m = new Map<string, number>();
    for (const [o, n] of f.similarDiseases(d)) for (const [mm] of diseaseMechanismPaths(f, o)) addScore(m, mm, n);
    return toBuckets(m);
  });
  return { optionType: 'mechanism', known, ranked: takeTop(b, RANK_TOP, rng) };
}
