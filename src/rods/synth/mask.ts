/**
 * Masking: one builder per item type turns an anchor's neighbourhood into a draft question —
 * the clues it shows, the node it hides (the answer), the query that proves it, the evidence
 * edges, and the distractor candidates ranked by how much of the answer's context they share.
 * The builders live in draftCase.ts (diagnosis, multi-hop) and draftNamed.ts (the others);
 * clues.ts, paths.ts and rank.ts hold what they share.
 */
import type { Rng } from '../../core/rng';
import type { NodeType } from '../../graph/schema';
import type { Evidence } from '../item';
import type { RejectReason, SynthConfig, SynthQuery, SynthType } from './config';
import { draftDiagnosis, draftMultiHop } from './draftCase';
import { draftContraindication, draftMechanism, draftTestSelection, draftTreatment } from './draftNamed';
import type { GraphFacts } from './facts';
import type { Patient, Register } from './surface';

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

/** The builder of each item type. */
export const DRAFTERS: Record<SynthType, (f: GraphFacts, anchor: string, cfg: SynthConfig, rng: Rng) => DraftResult> = {
  diagnosis: draftDiagnosis,
  test_selection: draftTestSelection,
  treatment: draftTreatment,
  mechanism: draftMechanism,
  contraindication: draftContraindication,
  multi_hop: draftMultiHop,
};
