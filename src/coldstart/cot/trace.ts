/**
 * The teacher's trace and the relations it states. A claim is one graph relation the trace
 * asserts ("Asthma presents with wheezing") or denies ("Asthma lacks fever"); the filters check
 * every claim against the graph, so a trace can only teach what the graph proves.
 *
 * Truth of a claim follows the same closures as the graph solver (src/rods/synth/facts.ts): a
 * disease has its ancestors' features, tests/treatments/contraindications count across its
 * lineage, a drug belongs to its classes' ancestors and shares their mechanisms. A positive claim
 * holds when the edge exists or is implied this way; a negative claim holds only when it is a TRUE
 * absence (neither the edge nor any implied form exists).
 */
import type { Rng } from '../../core/rng';
import type { KnowledgeGraph } from '../../graph/graph';
import type { Relation } from '../../graph/schema';
import type { Item } from '../../rods/item';
import { factsOf } from '../../rods/synth/facts';

/** One relation a trace states. `negated`: the trace says the relation does NOT hold. */
export interface Claim {
  source: string;
  relation: Relation;
  target: string;
  negated?: boolean;
}

/** A teacher's reasoning trace for one item. */
export interface Trace {
  /** `<think>…</think>\n<answer>X</answer>` (or whatever the teacher wrote, for a flawed trace). */
  completion: string;
  /** The reasoning sentences, in order (when the teacher knows them). */
  steps?: string[];
  /** Relations the trace states. */
  claims: Claim[];
  /** Letter in the last <answer> tag, null when there is none or it is not a single option letter. */
  answer: string | null;
  /**
   * Whether `claims` lists every relation the text states (true for the graph teacher). Free-text
   * traces (an LLM) have no claim list, and the evidence filter then falls back to text checks.
   */
  grounded?: boolean;
}

/** The three refinement strategies of the paper. */
export const STRATEGIES = ['backtracking', 'path-exploration', 'self-correction'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Per-call context: a seeded stream (the graph teacher's choices) and the pass@k sample index. */
export interface TeachContext {
  rng: Rng;
  /** Which of the k chains this call belongs to (part of an LLM cache key). */
  sample: number;
  /** Revision depth (0 for a draft). */
  depth?: number;
}

/** A CoT teacher: writes a first trace for an item, and revises a flawed one with a strategy. */
export interface Teacher {
  /** Recorded in each cot row ('graph', 'llm:gpt-oss-120b', ...). */
  readonly name: string;
  /** Why this teacher cannot teach the item (null when it can). */
  unsupported?(item: Item): string | null;
  draft(item: Item, ctx: TeachContext): Promise<Trace>;
  /** `feedback`: the filters' reasons the previous trace failed. */
  revise(item: Item, previous: Trace, feedback: readonly string[], strategy: Strategy, ctx: TeachContext): Promise<Trace>;
}

/** Whether the graph proves `source relation target`, directly or through the solver's closures. */
export function relationHolds(graph: KnowledgeGraph, source: string, relation: Relation, target: string): boolean {
  if (!graph.byId.has(source) || !graph.byId.has(target)) return false;
  const f = factsOf(graph);
  if (f.hasEdge(source, relation, target)) return true;
  const st = f.node(source).type;
  switch (relation) {
    case 'has_symptom':
    case 'has_finding':
      return st === 'disease' && f.features(source).has(target);
    case 'diagnosed_by':
      return st === 'disease' && f.tests(source).has(target);
    case 'treated_by':
      return st === 'disease' && f.treatingAgents(source).has(target);
    case 'contraindicated_in':
      return f.node(target).type === 'disease' && f.contraindicated(target).has(source);
    case 'in_class':
      return st === 'drug' && f.classes(source).has(target);
    case 'has_mechanism':
      return f.mechanisms(source).has(target);
    case 'subclass_of':
      return source !== target && f.ancestors(source).has(target);
    default:
      return false;
  }
}

/** Whether a claim is true on the graph (a negated claim: the relation is truly absent). Unknown nodes make it false. */
export function claimHolds(graph: KnowledgeGraph, c: Claim): boolean {
  if (!graph.byId.has(c.source) || !graph.byId.has(c.target)) return false;
  const h = relationHolds(graph, c.source, c.relation, c.target);
  return c.negated ? !h : h;
}

/** 'Asthma has_symptom Fever' / 'NOT Asthma has_symptom Fever' with node names (ids when unknown). */
export function claimText(graph: KnowledgeGraph, c: Claim): string {
  const n = (id: string) => graph.byId.get(id)?.name ?? id;
  return `${c.negated ? 'NOT ' : ''}${n(c.source)} ${c.relation} ${n(c.target)}`;
}

/**
 * The canonical completion: `<think>{reasoning}</think>\n<answer>{letter}</answer>`, the reasoning
 * trimmed; `lead` (a space, for a Base of mention-style text) goes before it.
 */
export function formatCompletion(reasoning: string, letter: string, lead = ''): string {
  return `<think>${lead}${reasoning.trim()}</think>\n<answer>${letter}</answer>`;
}
