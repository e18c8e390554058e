/**
 * Sentences from the knowledge graph: every edge rendered in several phrasing families per
 * relation, with node names or their synonyms. One family per relation is held out: it is never
 * part of the training corpus and serves the fact-recall probe ("A typical symptom of X is ___").
 */
import type { Rng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import type { GraphEdge, GraphNode, Relation } from '../graph/schema';

/** Phrasing families of one relation: `{s}` is the edge's source, `{t}` its target. */
export interface Phrasings {
  /** Families used for training (family 0 is the schema's own sentence template). */
  train: readonly string[];
  /** The held-out family: never trained on; ends with `{t}.` so its prefix is a recall prompt. */
  heldOut: string;
}

/** Four training families and one held-out family per relation. */
export const PHRASINGS: Record<Relation, Phrasings> = {
  has_symptom: {
    train: ['{s} presents with {t}.', 'Patients with {s} often have {t}.', '{t} is seen in {s}.', '{t} is a common symptom of {s}.'],
    heldOut: 'A typical symptom of {s} is {t}.',
  },
  has_finding: {
    train: ['{s} shows {t}.', 'In {s}, the workup often reveals {t}.', '{t} is a finding in {s}.', 'Patients with {s} may have {t}.'],
    heldOut: 'A characteristic finding of {s} is {t}.',
  },
  measured_by: {
    train: ['{s} is detected by {t}.', '{t} can reveal {s}.', 'To look for {s}, clinicians order {t}.', '{s} is measured with {t}.'],
    heldOut: 'The test that shows {s} is {t}.',
  },
  diagnosed_by: {
    train: ['{s} is diagnosed with {t}.', '{t} confirms the diagnosis of {s}.', 'To diagnose {s}, clinicians use {t}.', '{t} is a key test for {s}.'],
    heldOut: 'The diagnosis of {s} is made by {t}.',
  },
  treated_by: {
    train: ['{s} is treated with {t}.', '{t} is used to treat {s}.', 'Patients with {s} may receive {t}.', '{t} is a treatment for {s}.'],
    heldOut: 'A drug used for {s} is {t}.',
  },
  contraindicated_in: {
    train: ['{s} is contraindicated in {t}.', '{s} should be avoided in {t}.', 'Patients with {t} should not take {s}.', '{t} is a contraindication to {s}.'],
    heldOut: '{s} must not be given to patients with {t}.',
  },
  in_class: {
    train: ['{s} belongs to the class {t}.', '{s} is one of the {t}.', '{t} include {s}.', '{s} is classified among the {t}.'],
    heldOut: 'The drug class of {s} is {t}.',
  },
  has_mechanism: {
    train: ['{s} acts by {t}.', 'The mechanism of {s} is {t}.', '{t} explains the action of {s}.', '{s} works through {t}.'],
    heldOut: '{s} produces its effect by {t}.',
  },
  subclass_of: {
    train: ['{s} is a kind of {t}.', '{s} is a type of {t}.', '{t} includes {s}.', 'One form of {t} is {s}.'],
    heldOut: '{s} is a subtype of {t}.',
  },
  located_in: {
    train: ['{s} affects the {t}.', '{s} involves the {t}.', 'The {t} is affected in {s}.', '{s} is a disorder of the {t}.'],
    heldOut: 'The organ affected by {s} is the {t}.',
  },
  caused_by: {
    train: ['{s} is caused by {t}.', '{t} causes {s}.', 'Infection with {t} leads to {s}.', '{s} results from infection with {t}.'],
    heldOut: 'The cause of {s} is {t}.',
  },
  side_effect: {
    train: ['{s} can cause {t}.', '{t} is a side effect of {s}.', 'Patients taking {s} may develop {t}.', '{s} is associated with {t}.'],
    heldOut: 'A known side effect of {s} is {t}.',
  },
};

/**
 * A name as it reads inside a sentence: a leading capitalised word ("Acute pancreatitis") is
 * lower-cased, acronyms and mixed case ("CT abdomen", "ACE inhibitors") are kept.
 */
export function mentionName(name: string): string {
  const first = name.split(/[\s-]/)[0];
  return /^[A-Z][a-z]+$/.test(first) ? name[0].toLowerCase() + name.slice(1) : name;
}

/**
 * How a sentence is written. 'sentence': capitalised, as prose ("Hypoglycemia presents with
 * sweating."). 'mention': lower-case start and a leading space (" hypoglycemia presents with
 * sweating."), so that every mention of a name is the same text wherever it stands (the start of a
 * sentence, a question, an option line): with one added token per name (the Base's tokenizer),
 * the same token.
 */
export type TextStyle = 'sentence' | 'mention';

/** Fills a template with two mentions, written in `style` (default: capitalised prose). */
export function fillTemplate(template: string, s: string, t: string, style: TextStyle = 'sentence'): string {
  const text = template.replace('{s}', mentionName(s)).replace('{t}', mentionName(t));
  return style === 'mention' ? ` ${text}` : text[0].toUpperCase() + text.slice(1);
}

/** The canonical name, or (with probability `synonymRate`) one of the synonyms. */
export function pickName(node: GraphNode, rng: Rng, synonymRate: number): string {
  if (node.synonyms.length > 0 && rng.next() < synonymRate) return rng.pick(node.synonyms);
  return node.name;
}

export interface CorpusOptions {
  /** Training families rendered per edge (distinct while ≤ 4). */
  phrasingsPerEdge: number;
  /** Chance that a mention uses a synonym. */
  synonymRate: number;
  /**
   * 'entity': the sentences about one source entity stay together (a short "article" per
   * disease or drug, articles and their sentences in random order), so predicting a sentence's
   * subject means copying it from the context; 'shuffled': every sentence in random order.
   */
  order?: 'entity' | 'shuffled';
  /** How sentences are written (fillTemplate); default 'sentence'. */
  style?: TextStyle;
}

export const corpusDefaults: CorpusOptions = {
  phrasingsPerEdge: 2, // sentences per edge
  synonymRate: 0.25, // synonym mentions
  order: 'shuffled', // sentence order within a pass
};

/**
 * One pass of training sentences: every edge (graph order) in `phrasingsPerEdge` training
 * families drawn without replacement (then cycling), names or synonyms drawn per mention; the
 * sentences are returned shuffled, or grouped by source entity (order 'entity'). Never uses a
 * held-out family.
 */
export function renderCorpus(graph: KnowledgeGraph, rng: Rng, options: Partial<CorpusOptions> = {}): string[] {
  const o = { ...corpusDefaults, ...options };
  const out: string[] = [];
  const bySource = new Map<string, string[]>();
  for (const e of graph.edges) {
    const fam = PHRASINGS[e.relation].train;
    const order = rng.shuffle(fam.map((_, i) => i));
    const s = graph.node(e.source);
    const t = graph.node(e.target);
    const group = bySource.get(e.source) ?? (bySource.set(e.source, []).get(e.source) as string[]);
    for (let k = 0; k < o.phrasingsPerEdge; k++) {
      const sentence = fillTemplate(fam[order[k % fam.length]], pickName(s, rng, o.synonymRate), pickName(t, rng, o.synonymRate), o.style);
      out.push(sentence);
      group.push(sentence);
    }
  }
  if ((o.order ?? 'shuffled') === 'shuffled') return rng.shuffle(out);
  return rng.shuffle([...bySource.values()]).flatMap((g) => rng.shuffle(g));
}

/** A held-out recall prompt: `prefix` (the sentence up to the target) and the completion after it. */
export interface RecallPrompt {
  prefix: string;
  /** ` {target}.`: what follows the prefix. */
  completion: string;
}

/**
 * A recall prompt for `edge` with `targetName` as the target (canonical source name), in
 * `phrasing`: the held-out family (default) or training family i (one ending with " {t}.",
 * such as family 0, to measure recall on a phrasing the model has seen).
 */
export function recallPrompt(graph: KnowledgeGraph, edge: Pick<GraphEdge, 'source' | 'relation'>, targetName: string, phrasing: 'heldOut' | number = 'heldOut', style: TextStyle = 'sentence'): RecallPrompt {
  const p = PHRASINGS[edge.relation];
  const tpl = phrasing === 'heldOut' ? p.heldOut : p.train[phrasing];
  if (tpl === undefined) throw new Error(`${edge.relation} has no training phrasing ${phrasing}`);
  if (!tpl.endsWith(' {t}.') || tpl.indexOf('{t}') !== tpl.length - 4) throw new Error(`recall phrasing of ${edge.relation} must end with " {t}.": ${tpl}`);
  const source = graph.node(edge.source).name;
  const full = fillTemplate(tpl, source, targetName, style);
  const prefix = fillTemplate(tpl.slice(0, tpl.length - 5), source, '', style);
  return { prefix, completion: full.slice(prefix.length) };
}

/** The held-out family's recall prompt (see recallPrompt). */
export function heldOutPrompt(graph: KnowledgeGraph, edge: Pick<GraphEdge, 'source' | 'relation'>, targetName: string): RecallPrompt {
  return recallPrompt(graph, edge, targetName, 'heldOut');
}

/**
 * The first training family of `relation` that names the `known` side first and ends with the
 * other side (`{s} is treated with {t}.` for a known source; `{t} is seen in {s}.` for a known
 * target), or null when no family does. CoT traces state a claim with it, so that writing the
 * sentence up to the unknown side is a prompt the pretrained model has completed before.
 */
export function recallTemplate(relation: Relation, known: 'source' | 'target'): string | null {
  const [first, last] = known === 'source' ? ['{s}', '{t}'] : ['{t}', '{s}'];
  const ok = (tpl: string) => tpl.endsWith(` ${last}.`) && tpl.indexOf(last) === tpl.length - last.length - 1 && tpl.includes(first) && tpl.indexOf(first) < tpl.indexOf(last);
  return PHRASINGS[relation].train.find(ok) ?? null;
}

/** One claim as a training-corpus sentence with the known side first (see recallTemplate); null when no family fits. */
export function corpusSentence(relation: Relation, source: string, target: string, known: 'source' | 'target', style: TextStyle = 'sentence'): string | null {
  const tpl = recallTemplate(relation, known);
  return tpl === null ? null : fillTemplate(tpl, source, target, style);
}
