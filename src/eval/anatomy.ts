/**
 * Where a chain of thought breaks. A +CoT completion on a synthetic item can fail at three links,
 * read from its `<think>` text with the claims matcher's name index (names and synonyms, whole
 * words, case-insensitive):
 *   reads    the thought names the item's subject (the drug or disease the question names, or for
 *            a diagnosis one of the clues it gives): the policy used the question;
 *   recalls  the thought names the right option's entity: the policy's knowledge produced it;
 *   picks    the answer letter is the option the thought names last: the policy mapped its own
 *            conclusion onto the options (an in-context lookup).
 * Accuracy is at most the product of the links, so the shares say which skill is missing.
 * Only synthetic items with a graph query and option ids have an anatomy; a completion without
 * `<think>` (the Base) has none.
 */
import type { Item } from '../rods/item';
import type { SynthQuery } from '../rods/synth/config';
import type { ClaimMatcher } from './claims';

/** One completion's links (see the file comment). */
export interface Anatomy {
  /** The subject is named in the thought (null: the item has no named subject or clue). */
  reads: boolean | null;
  /** The answer option's entity is named in the thought. */
  recalls: boolean;
  /** The letter of the option named last in the thought (null: it names no option). */
  named: string | null;
}

/** The anatomy of `completion` on `item`, or null (no thought, or not a synthetic item with a graph query). */
export function thoughtAnatomy(matcher: ClaimMatcher, item: Item, completion: string): Anatomy | null {
  const ids = item.meta?.optionIds as Record<string, string> | undefined;
  const q = item.meta?.query as SynthQuery | undefined;
  const think = /<think>([\s\S]*?)(?:<\/think>|$)/.exec(completion)?.[1];
  if (!ids || !q || think === undefined) return null;
  const mentioned = matcher.mentions(think);
  const subject = q.given ? [q.given] : (q.clues ?? []);
  let named: string | null = null;
  for (const m of mentioned) for (const l of Object.keys(ids).sort()) if (m.includes(ids[l])) named = l;
  return {
    reads: subject.length ? mentioned.some((m) => m.some((id) => subject.includes(id))) : null,
    recalls: mentioned.some((m) => m.includes(ids[item.answer])),
    named,
  };
}

/** Shares over a model's samples that have an anatomy. */
export interface AnatomySummary {
  /** Samples with an anatomy. */
  n: number;
  /** Share naming the subject (of the samples whose item has one). */
  reads: number | null;
  /** Share naming the answer's entity. */
  recalls: number | null;
  /** Share naming some option. */
  namesOption: number | null;
  /** Of the samples naming an option, the share whose letter is the option named last. */
  picks: number | null;
}

/** Summarises `samples` (each its anatomy, or null, and its strict letter). */
export function summarizeAnatomy(samples: readonly { anatomy?: Anatomy | null; strict: string | null }[]): AnatomySummary {
  const a = samples.filter((s): s is { anatomy: Anatomy; strict: string | null } => Boolean(s.anatomy));
  const share = (xs: readonly boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : null);
  const withSubject = a.filter((s) => s.anatomy.reads !== null);
  const naming = a.filter((s) => s.anatomy.named !== null);
  return {
    n: a.length,
    reads: share(withSubject.map((s) => s.anatomy.reads === true)),
    recalls: share(a.map((s) => s.anatomy.recalls)),
    namesOption: share(a.map((s) => s.anatomy.named !== null)),
    picks: share(naming.map((s) => s.strict === s.anatomy.named)),
  };
}
