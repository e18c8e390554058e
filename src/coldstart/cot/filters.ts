/**
 * Verifiable filters a teacher trace passes before SFT, each returning a reason when it fails:
 *   format    exactly `<think>…</think>\n<answer>X</answer>` and nothing else
 *   answer    the last <answer> tag holds a single valid option letter equal to the label
 *   claims    every relation the trace states holds in the graph (denials must be true absences)
 *   evidence  the trace states the discriminating evidence (grounded traces): 'full' — the item's
 *             proof edges, and a true denial ruling out each distractor; 'discriminating' — a
 *             stated relation of the answer that would be false of each distractor put in its
 *             place (or a true denial of it); free text: the answer is named
 *   length    within a character and token budget
 */
import type { KnowledgeGraph } from '../../graph/graph';
import { normalizeName } from '../../graph/schema';
import { answerProblem, formatProblem, optionLetters, strictAnswer } from '../../protocol/index';
import type { Item } from '../../rods/item';
import { Claim, Trace, claimHolds, claimText } from './trace';

export const FILTER_NAMES = ['format', 'answer', 'claims', 'evidence', 'length'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export interface FilterResult {
  name: FilterName;
  ok: boolean;
  /** Why it failed (absent when ok). */
  reason?: string;
}

export interface FilterOptions {
  /** Most characters in a completion. */
  maxChars: number;
  /** Most tokens in a completion (counted by countTokens). */
  maxTokens: number;
  /** Token counter; default: words and punctuation marks (a BPE tokenizer can be passed). */
  countTokens?: (text: string) => number;
  /** Check the discriminating evidence (grounded traces) / that the answer is named (free text). */
  requireEvidence: boolean;
  /** Relations that need not be stated for the evidence check (measured_by is a phrasing detail). */
  optionalRelations: string[];
  /** Grounded evidence: every proof edge and a denial per distractor ('full'), or claims that single the answer out ('discriminating'). */
  evidence: 'full' | 'discriminating';
}

export const defaults: FilterOptions = {
  maxChars: 1200, // a short trace: the policy's context is 256 tokens
  maxTokens: 260, // words + punctuation marks
  requireEvidence: true,
  optionalRelations: ['measured_by'],
  evidence: 'full', // proof edges + one denial per distractor
};

/** Words and punctuation marks: a tokenizer-free token estimate. */
export function approxTokens(text: string): number {
  return (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
}

/** Format: the protocol's formatProblem — `<think>{non-empty reasoning}</think>\n<answer>{one of the item's letters}</answer>`, no other tags, no text outside (one trailing `<|eos|>` allowed). */
export function checkFormat(completion: string, item: Pick<Item, 'options'>): FilterResult {
  const reason = formatProblem(completion, optionLetters(item));
  return reason === null ? { name: 'format', ok: true } : { name: 'format', ok: false, reason };
}

/** Answer: the protocol's strict answer (the last <answer> tag holds one of the item's letters) equals the item's label. */
export function checkAnswer(completion: string, item: Pick<Item, 'options' | 'answer'>): FilterResult {
  const letters = optionLetters(item);
  const problem = answerProblem(completion, letters);
  if (problem !== null) return { name: 'answer', ok: false, reason: problem };
  const s = strictAnswer(completion, letters);
  if (s !== item.answer) return { name: 'answer', ok: false, reason: `answer ${s} but the label is ${item.answer}` };
  return { name: 'answer', ok: true };
}

/** Claims: every stated relation holds in the graph; the reason names the false ones. */
export function checkClaims(claims: readonly Claim[], graph: KnowledgeGraph): FilterResult {
  const bad = claims.filter((c) => !claimHolds(graph, c));
  if (!bad.length) return { name: 'claims', ok: true };
  const shown = bad.slice(0, 3).map((c) => claimText(graph, c));
  return { name: 'claims', ok: false, reason: `false claim${bad.length > 1 ? 's' : ''}: ${shown.join('; ')}${bad.length > 3 ? ` (+${bad.length - 3})` : ''}` };
}

/** Length: at most maxChars characters and maxTokens tokens. */
export function checkLength(completion: string, options: Partial<FilterOptions> = {}): FilterResult {
  const o = { ...defaults, ...options };
  if (completion.length > o.maxChars) return { name: 'length', ok: false, reason: `${completion.length} chars > ${o.maxChars}` };
  const n = (o.countTokens ?? approxTokens)(completion);
  if (n > o.maxTokens) return { name: 'length', ok: false, reason: `${n} tokens > ${o.maxTokens}` };
  return { name: 'length', ok: true };
}

const key = (c: { source: string; relation: string; target: string }) => `${c.source}\u0000${c.relation}\u0000${c.target}`;

/**
 * Evidence. Grounded traces of synthetic items: every proof edge of the item (except
 * optionalRelations) is stated as a positive claim, and each distractor is ruled out by a true
 * denial that names it. Free-text traces (or items without evidence): the reasoning names the
 * right option's text.
 */
export function checkEvidence(item: Item, trace: Pick<Trace, 'completion' | 'claims' | 'grounded'>, graph: KnowledgeGraph | null, options: Partial<FilterOptions> = {}): FilterResult {
  const o = { ...defaults, ...options };
  if (!o.requireEvidence) return { name: 'evidence', ok: true };
  const fail = (reason: string): FilterResult => ({ name: 'evidence', ok: false, reason });
  const ids = item.meta?.optionIds as Record<string, string> | undefined;
  if (graph && trace.grounded && item.evidence && ids && o.evidence === 'discriminating') return discriminates(item, trace.claims, graph, ids);
  if (graph && trace.grounded && item.evidence && ids) {
    const stated = new Set(trace.claims.filter((c) => !c.negated).map(key));
    const missing = item.evidence.edges.filter((e) => !o.optionalRelations.includes(e.relation) && !stated.has(key(e)));
    if (missing.length) return fail(`proof not stated: ${missing.slice(0, 3).map((e) => claimText(graph, e)).join('; ')}`);
    const open: string[] = [];
    for (const [l, id] of Object.entries(ids).sort()) {
      if (l === item.answer) continue;
      const ruled = trace.claims.some((c) => c.negated && (c.source === id || c.target === id) && claimHolds(graph, c));
      if (!ruled) open.push(`${l} (${graph.byId.get(id)?.name ?? id})`);
    }
    if (open.length) return fail(`distractor not ruled out: ${open.join(', ')}`);
    return { name: 'evidence', ok: true };
  }
  const think = /<think>([\s\S]*?)<\/think>/.exec(trace.completion)?.[1] ?? trace.completion;
  const text = item.options[item.answer];
  if (text && !` ${normalizeName(think)} `.includes(` ${normalizeName(text)} `)) return fail(`the reasoning never names the answer (${text})`);
  return { name: 'evidence', ok: true };
}

/**
 * The 'discriminating' evidence check: some stated positive claim involves the answer's node, and
 * each distractor is ruled out by a true denial naming it or by a stated claim of the answer that
 * is false with the distractor in the answer's place ("Wilson's disease is treated with
 * trientine" rules out lorazepam when Wilson's disease is not treated with lorazepam).
 */
export function discriminates(item: Pick<Item, 'answer'>, claims: readonly Claim[], graph: KnowledgeGraph, optionIds: Record<string, string>): FilterResult {
  const a = optionIds[item.answer];
  const fail = (reason: string): FilterResult => ({ name: 'evidence', ok: false, reason });
  const about = claims.filter((c) => !c.negated && (c.source === a || c.target === a));
  if (!about.length) return fail(`no stated relation involves the answer (${graph.byId.get(a)?.name ?? a})`);
  const swap = (c: Claim, x: string): Claim => ({ ...c, source: c.source === a ? x : c.source, target: c.target === a ? x : c.target });
  const open: string[] = [];
  for (const [l, x] of Object.entries(optionIds).sort()) {
    if (l === item.answer) continue;
    const denied = claims.some((c) => c.negated && (c.source === x || c.target === x) && claimHolds(graph, c));
    if (!denied && !about.some((c) => !claimHolds(graph, swap(c, x)))) open.push(`${l} (${graph.byId.get(x)?.name ?? x})`);
  }
  return open.length ? fail(`distractor not ruled out: ${open.join(', ')}`) : { name: 'evidence', ok: true };
}

/** All filters' results for one trace, and the failures' reasons. */
export interface TraceCheck {
  ok: boolean;
  results: FilterResult[];
  /** 'name: reason' of each failed filter, in FILTER_NAMES order. */
  failures: string[];
  /** Names of the failed filters. */
  failed: FilterName[];
}

/** Runs every filter on a trace. */
export function checkTrace(item: Item, trace: Trace, graph: KnowledgeGraph | null, options: Partial<FilterOptions> = {}): TraceCheck {
  const results: FilterResult[] = [checkFormat(trace.completion, item), checkAnswer(trace.completion, item)];
  if (graph) results.push(checkClaims(trace.claims, graph));
  results.push(checkEvidence(item, trace, graph, options));
  results.push(checkLength(trace.completion, options));
  const bad = results.filter((r) => !r.ok);
  return { ok: bad.length === 0, results, failures: bad.map((r) => `${r.name}: ${r.reason}`), failed: bad.map((r) => r.name) };
}

/**
 * The completion-only filters (format, answer, length) for a stored cot row, where the claims are
 * no longer at hand; null when it passes, else the first reason.
 */
export function completionProblem(item: Pick<Item, 'options' | 'answer'>, completion: string, options: Partial<FilterOptions> = {}): string | null {
  for (const r of [checkFormat(completion, item), checkAnswer(completion, item), checkLength(completion, options)]) if (!r.ok) return `${r.name}: ${r.reason}`;
  return null;
}
