/**
 * Pure rules from Wikidata summaries to graph facts: the node types of an item, the node fact of
 * an item under a type, and the type a claim gives its target.
 */
import { NODE_TYPES, NodeType, normalizeName } from '../schema';
import { ClaimRule, examinationType } from './config';
import type { Fact } from './state';
import type { EntitySummary } from './wikidata';

/**
 * Node types of an item: the types of its P31 / P279 classes (`typeClasses`), 'pathogen' when
 * the pathogen rule holds, and the types of the claims it was reached through (`via`). Sorted in
 * NODE_TYPES order; empty means the item is not medical.
 */
export function entityTypes(s: EntitySummary, typeClasses: Readonly<Record<string, NodeType>>, pathogen: boolean, via: readonly NodeType[]): NodeType[] {
  const set = new Set<NodeType>(via);
  for (const c of [...s.instanceOf, ...s.subclassOf]) {
    const t = typeClasses[c];
    if (t) set.add(t);
  }
  if (pathogen) set.add('pathogen');
  return NODE_TYPES.filter((t) => set.has(t));
}

/** The node fact for an item under `type`, or the reason it cannot be one. */
export function nodeFact(s: EntitySummary, type: NodeType, extraNames: readonly string[] = []): Fact | { skip: string } {
  if (s.missing) return { skip: 'item missing' };
  if (!s.label) return { skip: 'no English label' };
  if (!normalizeName(s.label)) return { skip: 'label has no letters or digits' };
  const seen = new Set([normalizeName(s.label)]);
  const synonyms: string[] = [];
  for (const n of [...s.aliases, ...extraNames]) {
    const k = normalizeName(n);
    if (k && !seen.has(k)) {
      seen.add(k);
      synonyms.push(n);
    }
  }
  const xrefs: Record<string, string[]> = {};
  for (const k of Object.keys(s.xrefs).sort()) xrefs[k] = [...(s.xrefs[k] ?? [])];
  return { k: 'node', q: s.id, type, name: s.label, synonyms, xrefs };
}

/**
 * The node type a claim gives its target, or why the claim is left out: P923 targets are split
 * by `examinationType`; P828 targets must pass the pathogen rule; P279 targets that are
 * themselves a root type class (e.g. "disease") are left out.
 */
export function claimTargetType(
  rule: ClaimRule,
  target: EntitySummary,
  isPathogen: boolean,
  typeClasses: Readonly<Record<string, NodeType>>,
): NodeType | { skip: string } {
  if (rule.relation === 'subclass_of' && typeClasses[target.id]) return { skip: 'subclass of a root class' };
  if (target.missing) return { skip: 'claim target missing' };
  if (!target.label || !normalizeName(target.label)) return { skip: 'claim target without English label' };
  if (rule.target === 'examination') return examinationType(target.label) ?? { skip: 'examination neither lab test nor imaging' };
  if (rule.target === 'pathogen') return isPathogen ? 'pathogen' : { skip: 'cause not a pathogen' };
  return rule.target;
}
