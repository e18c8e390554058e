/**
 * RODS synthesis, table of contents: graph → multiple-choice items.
 *   config      SynthConfig, defaults, the query each item carries, rejection reasons
 *   facts       what the whole graph proves (closures over subclass_of, classes, findings)
 *   sample      rare-biased anchor sampling, neighbourhoods, long-tail coverage
 *   mask        one draft builder per item type (clues, hidden answer, ranked distractors)
 *   surface     patients, lay words, findings through their tests, templates and stems
 *   synthesize  the loop: draft → distractors → proof → question → balanced letter
 *   solve       the graph solver / offline validator
 *   bench       items per second on a graph
 */
export * from './config';
export * from './facts';
export * from './sample';
export * from './mask';
export * from './surface';
export * from './synthesize';
export * from './solve';
export { benchSynthesis } from './bench';
