/**
 * Options of RODS synthesis (graph → multiple-choice items), and the structured query each
 * synthetic item carries in `meta.query` so the graph solver can answer it.
 */
import type { ItemType } from '../item';

/** The item types synthesis produces (every ItemType except 'curated'). */
export const SYNTH_TYPES = ['diagnosis', 'test_selection', 'treatment', 'mechanism', 'contraindication', 'multi_hop'] as const;
export type SynthType = (typeof SYNTH_TYPES)[number] & ItemType;

export interface SynthConfig {
  /** Items to produce. */
  n: number;
  /** Relative weight of each item type; missing or 0 = not produced. */
  mix: Partial<Record<SynthType, number>>;
  /** Options per item (2..10). */
  options: number;
  /** Rare-entity bias: anchor weight = (degree + 1)^-alpha; 0 = uniform. */
  alpha: number;
  /** Fewest symptoms/findings presented in a diagnosis or multi-hop vignette. */
  minClues: number;
  /** Most symptoms/findings presented. */
  maxClues: number;
  /** Multi-hop items require the clues to single out the hidden disease in the whole graph. */
  uniqueHidden: boolean;
  /** Fill missing distractors with random nodes of the answer's type when too few related ones exist. */
  fillRandom: boolean;
  /** Drop items whose question and options repeat an earlier item exactly. */
  dedupe: boolean;
  /** Tries per requested item before giving that slot up (recorded as 'exhausted'). */
  attemptsPerItem: number;
  /** Share of vignettes written in lay words (the rest clinical or with node synonyms). */
  layShare: number;
  /** Node id → 'female' | 'male' for sex-specific diseases; unmarked ones fall back to a keyword rule. */
  sexOf: Record<string, 'female' | 'male'>;
}

export const defaults: SynthConfig = {
  n: 1000, // items to produce
  mix: { diagnosis: 3, test_selection: 1, treatment: 2, mechanism: 1, contraindication: 1, multi_hop: 2 }, // type weights
  options: 4, // options per item, 2..10
  alpha: 0.75, // anchor weight (degree+1)^-alpha; 0 = uniform
  minClues: 2, // fewest clues in a vignette
  maxClues: 5, // most clues in a vignette
  uniqueHidden: true, // multi-hop clues must identify the hidden disease
  fillRandom: true, // pad distractors with random same-type nodes
  dedupe: true, // drop exact repeats (question + options)
  attemptsPerItem: 25, // tries per requested item
  layShare: 0.3, // share of lay-phrased vignettes
  sexOf: {}, // node id → sex for sex-specific diseases
};

/** What the answer must satisfy, evaluated on the graph by `solveItem`. */
export interface SynthQuery {
  /**
   * disease: the option's features include every clue. test / treatment / contraindicated: the
   * option is a test for, a drug for, or a drug contraindicated in a subject disease. mechanism:
   * a mechanism of the subject drug (or, for a disease subject, of a drug that treats it).
   * class: a class of the subject drug.
   */
  ask: 'disease' | 'test' | 'treatment' | 'mechanism' | 'class' | 'contraindicated';
  /** The named subject (drug or disease); absent when the subject is a disease given by its clues. */
  given?: string;
  /** Symptom/finding ids the (hidden or answer) disease must have. */
  clues?: string[];
}

/** A candidate that did not become an item. */
export interface Rejection {
  reason: RejectReason;
  type: SynthType;
  anchor: string;
  variant?: string;
  /** The offending node(s) or a short note. */
  detail?: string;
}

export type RejectReason =
  | 'too-few-clues' // the anchor has fewer symptoms/findings than minClues
  | 'ambiguous-clues' // the clues fit more than one hidden disease (multi-hop)
  | 'no-answer' // the anchor has no usable answer for this type/variant
  | 'answer-in-clues' // the only answers would be given away by the clues
  | 'too-few-distractors' // not enough same-type candidates
  | 'ambiguous-distractor' // the whole graph proves a distractor right as well
  | 'answer-unproven' // the graph does not prove the chosen answer (should not happen)
  | 'answer-in-question' // the answer (or hidden disease) is named in the question
  | 'duplicate-option' // two options read the same
  | 'duplicate' // same question and options as an earlier item
  | 'exhausted'; // a slot ran out of attempts

/** Validates a config, filling gaps from defaults. */
export function resolveConfig(partial: Partial<SynthConfig> = {}): SynthConfig {
  const c: SynthConfig = { ...defaults, ...partial, mix: partial.mix ?? defaults.mix, sexOf: partial.sexOf ?? defaults.sexOf };
  if (!Number.isInteger(c.options) || c.options < 2 || c.options > 10) throw new Error(`synth: options must be an integer in 2..10, got ${c.options}`);
  if (!Number.isInteger(c.n) || c.n < 0) throw new Error(`synth: n must be a non-negative integer, got ${c.n}`);
  if (!(c.alpha >= 0)) throw new Error(`synth: alpha must be ≥ 0, got ${c.alpha}`);
  if (c.minClues < 1 || c.maxClues < c.minClues) throw new Error(`synth: need 1 ≤ minClues ≤ maxClues, got ${c.minClues}, ${c.maxClues}`);
  for (const [t, w] of Object.entries(c.mix)) {
    if (!(SYNTH_TYPES as readonly string[]).includes(t)) throw new Error(`synth: unknown item type in mix: ${t}`);
    if (!(typeof w === 'number' && w >= 0)) throw new Error(`synth: mix weight for ${t} must be ≥ 0`);
  }
  return c;
}
