/**
 * A draft: a masked subgraph waiting for distractors (what each builder of mask.ts returns), and
 * what its renderer needs and gives.
 */
import type { Rng } from '../../core/rng';
import type { NodeType } from '../../graph/schema';
import type { Evidence } from '../item';
import type { RejectReason, SynthQuery, SynthType } from './config';
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
