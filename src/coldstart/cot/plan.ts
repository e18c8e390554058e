/** What the graph teacher believes about an item while it drafts and revises a trace, and what its helpers may ask of it. */
import type { Rng } from '../../core/rng';
import type { KnowledgeGraph } from '../../graph/graph';
import type { Relation } from '../../graph/schema';
import type { Item } from '../../rods/item';
import type { SynthQuery } from '../../rods/synth/config';
import type { GraphFacts } from '../../rods/synth/facts';
import type { Claim } from './trace';

/** What the teacher currently believes about an item (kept per trace for revisions). */
export interface Plan {
  /** Clue ids it reasons from (a subset of the query's, in query order). */
  used: string[];
  /** The chain's linking hop is missed: the right option looks unsupported. */
  hopDropped: boolean;
  /** Committed hypothesis (an option id), or null to choose. */
  hypothesis: string | null;
  /** The hypothesis is held against the evidence (it states false relations to keep it). */
  anchored: boolean;
  /** Multi-hop: the disease it identified. */
  subject: string | null;
  /** Options ruled out by exploration. */
  excluded: string[];
  formatSlip: boolean;
  /** Reflective sentences from revisions, with the claims they state. */
  notes: { text: string; claims: Claim[] }[];
}

/** A deep copy of a plan (lists and notes copied). */
export const clonePlan = (p: Plan): Plan => ({ ...p, used: [...p.used], excluded: [...p.excluded], notes: p.notes.map((n) => ({ text: n.text, claims: [...n.claims] })) });

/** The plan of a trace the teacher did not write: every clue used, nothing decided. */
export function freshPlan(clues: readonly string[]): Plan {
  return { used: [...clues], hopDropped: false, hypothesis: null, anchored: false, subject: null, excluded: [], formatSlip: false, notes: [] };
}

/** Subject and hypothesis of a plan as the teacher resolves them, and the options that fit. */
export interface PlanView {
  subject: string | null;
  hypothesis: string | null;
  consistent: string[];
}

/**
 * The graph teacher as its drafting, revision and rendering helpers (slips.ts, revisions.ts,
 * traceStyles.ts) see it: GraphTeacher implements it, so the helpers need not import the class.
 */
export interface TeacherParts {
  readonly graph: KnowledgeGraph;
  readonly f: GraphFacts;
  readonly options: { dropBase: number; dropSlope: number; anchorBase: number; anchorSlope: number; hopSlope: number; formatSlip: number };
  query(item: Item): SynthQuery;
  optionIds(item: Item): Record<string, string>;
  nm(id: string): string;
  cap(text: string): string;
  chain(item: Item): Claim[];
  featureRelation(c: string): Relation;
  link(ask: SynthQuery['ask'], subject: string, x: string, negated?: boolean): Claim;
  fits(item: Item, p: Plan, subject: string | null, x: string): boolean;
  linkArgs(ask: SynthQuery['ask'], s: string, x: string): [string, Relation, string];
  refutation(item: Item, p: Plan, x: string, rng: Rng, subject?: string | null): Claim | null;
  holds(item: Item, x: string): boolean;
  resolve(item: Item, p: Plan, rng: Rng): PlanView;
  sentence(c: Claim, rng: Rng): string;
  groupSentence(claims: Claim[], rng: Rng): string[];
  corpusSentence(c: Claim, rng: Rng): string;
}
