/**
 * The graph solver: answers an item purely from the graph by checking which options satisfy
 * every clue of its query (meta.query). It is the offline validator of synthetic items, and
 * synthesis uses it to prove that each kept item has exactly one right option.
 */
import type { KnowledgeGraph } from '../../graph/graph';
import { normalizeName } from '../../graph/schema';
import type { Item } from '../item';
import type { SynthQuery } from './config';
import { GraphFacts, factsOf } from './facts';

/** The subjects a query talks about: the named one, or every disease that has all the clues. */
export function subjectsOf(f: GraphFacts, q: SynthQuery): string[] {
  if (q.given) return [q.given];
  return f.diseasesWithAll(q.clues ?? []);
}

/** Whether node `x` satisfies the query on the whole graph. */
export function satisfies(f: GraphFacts, q: SynthQuery, x: string, subjects: readonly string[] = q.ask === 'disease' ? [] : subjectsOf(f, q)): boolean {
  if (!f.graph.byId.has(x)) return false;
  if (q.ask === 'disease') {
    if (f.node(x).type !== 'disease') return false;
    const feats = f.features(x);
    return (q.clues ?? []).every((c) => feats.has(c));
  }
  for (const s of subjects) {
    if (q.ask === 'test' && f.tests(s).has(x)) return true;
    if (q.ask === 'treatment' && f.treatingAgents(s).has(x)) return true;
    if (q.ask === 'contraindicated' && f.contraindicated(s).has(x)) return true;
    if (q.ask === 'mechanism' && f.mechanisms(s).has(x)) return true;
    if (q.ask === 'class' && f.classes(s).has(x)) return true;
  }
  return false;
}

/** Letters (sorted) whose option ids satisfy the query. */
export function satisfyingLetters(f: GraphFacts, q: SynthQuery, optionIds: Record<string, string[]>): string[] {
  const subjects = q.ask === 'disease' ? [] : subjectsOf(f, q);
  return Object.keys(optionIds)
    .sort()
    .filter((l) => optionIds[l].some((id) => satisfies(f, q, id, subjects)));
}

export interface Solution {
  /** The single option that satisfies the query, or null when none or several do. */
  letter: string | null;
  /** Every option letter that satisfies the query (sorted). */
  candidates: string[];
}

/**
 * Answers a synthetic item from the graph. Options are resolved through meta.optionIds when
 * present, else by name or synonym (an option text naming several nodes counts if any fits).
 * Items without meta.query (curated items) get { letter: null, candidates: [] }.
 */
export function solveItem(graph: KnowledgeGraph, item: Item): Solution {
  const q = item.meta?.query as SynthQuery | undefined;
  if (!q || typeof q.ask !== 'string') return { letter: null, candidates: [] };
  const f = factsOf(graph);
  const given = item.meta?.optionIds as Record<string, string> | undefined;
  const ids: Record<string, string[]> = {};
  for (const [l, text] of Object.entries(item.options)) {
    const id = given?.[l];
    ids[l] = id && graph.byId.get(id)?.name === text ? [id] : f.byName.get(normalizeName(text)) ?? [];
  }
  const candidates = satisfyingLetters(f, q, ids);
  return { letter: candidates.length === 1 ? candidates[0] : null, candidates };
}
