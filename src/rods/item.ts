/**
 * The item record of DESIGN.md: one multiple-choice question, synthetic (from the graph) or
 * curated (from a public benchmark), with its split, type, difficulty and evidence subgraph.
 */
import type { GraphEdge } from '../graph/schema';

export const ITEM_TYPES = [
  'diagnosis', // findings (symptoms, labs, imaging) → disease
  'test_selection', // disease → the test that confirms it
  'treatment', // disease → drug
  'mechanism', // drug → mechanism or class
  'contraindication', // condition → the drug to avoid (or the reverse)
  'multi_hop', // chains such as findings → disease → test / treatment
  'curated', // a public benchmark item (its own subject)
] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export const DIFFICULTIES = ['Easy', 'Moderate', 'Difficult'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** 'validation' and 'test' hold out whole anchor groups (src/rods/split.ts): stages tune on validation, the evaluation reads test. */
export type Split = 'train' | 'validation' | 'test';

export interface Evidence {
  /** Node ids of the subgraph the item was made from. */
  nodes: string[];
  /** The edges that prove the answer. */
  edges: Pick<GraphEdge, 'source' | 'relation' | 'target'>[];
}

export interface Item {
  id: string;
  /** 'synthetic' for graph items; the benchmark name (e.g. 'medqa') for curated ones. */
  origin: string;
  question: string;
  /** Option letter → text, letters A, B, C, ... in order. */
  options: Record<string, string>;
  /** The right option's letter. */
  answer: string;
  type: ItemType;
  difficulty?: Difficulty;
  split?: Split;
  evidence?: Evidence;
  /** Reasoning hops from the clues to the answer (synthetic items). */
  hops?: number;
  /** Source-specific fields kept for reference (subject, year, original id, ...). */
  meta?: Record<string, unknown>;
}

/**
 * Option letters, A–Z: an item has 2 to 26 options (JMED has 21, A–U). Synthetic items take the
 * first `rods.options` (≤ 10) of them, so their bytes do not depend on how far the list goes.
 */
export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
