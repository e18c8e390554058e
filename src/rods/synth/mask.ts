/**
 * Masking: one builder per item type turns an anchor's neighbourhood into a draft question —
 * the clues it shows, the node it hides (the answer), the query that proves it, the evidence
 * edges, and the distractor candidates ranked by how much of the answer's context they share.
 * The builders live in draftCase.ts (diagnosis, multi-hop) and draftNamed.ts (the others);
 * clues.ts, paths.ts and rank.ts hold what they share.
 */
import type { Rng } from '../../core/rng';
import type { SynthConfig, SynthType } from './config';
import type { DraftResult } from './draft';
import { draftDiagnosis, draftMultiHop } from './draftCase';
import { draftContraindication, draftMechanism, draftTestSelection, draftTreatment } from './draftNamed';
import type { GraphFacts } from './facts';

export type { Draft, DraftResult, RenderInput, Rendered } from './draft';

/** The builder of each item type. */
export const DRAFTERS: Record<SynthType, (f: GraphFacts, anchor: string, cfg: SynthConfig, rng: Rng) => DraftResult> = {
  diagnosis: draftDiagnosis,
  test_selection: draftTestSelection,
  treatment: draftTreatment,
  mechanism: draftMechanism,
  contraindication: draftContraindication,
  multi_hop: draftMultiHop,
};
