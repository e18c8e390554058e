/**
 * RODS synthesis, table of contents: graph → multiple-choice items.
 *   config      SynthConfig, defaults, the query each item carries, rejection reasons
 *   facts       what the whole graph proves (closures over subclass_of, classes, findings)
 *   sample      rare-biased anchor sampling, neighbourhoods, long-tail coverage
 *   mask        the draft each item type builds (clues, hidden answer, ranked distractors)
 *   draftCase   builders of case vignettes: diagnosis, multi-hop (the disease never named)
 *   draftNamed  builders naming their anchor: test selection, treatment, mechanism, contraindication
 *   clues       which symptoms and findings a vignette shows, and their edges
 *   paths       own-edge paths that prove answers (tests, treatments, mechanisms)
 *   rank        distractor candidates by score, ties at random
 *   surface     patients, lay words, findings through their tests, templates and stems
 *   synthesize  the loop: draft → distractors → proof → question → balanced letter
 *   solve       the graph solver / offline validator
 *   bench       items per second on a graph
 */
export * from './config';
export * from './facts';
export * from './sample';
export * from './mask';
export { draftDiagnosis, draftMultiHop } from './draftCase';
export { draftContraindication, draftMechanism, draftTestSelection, draftTreatment } from './draftNamed';
export { chooseClues } from './clues';
export type { Buckets } from './rank';
export { RANK_TOP, rankByScore, takeTop, toBuckets } from './rank';
export * from './surface';
export * from './synthesize';
export * from './solve';
export { benchSynthesis } from './bench';
