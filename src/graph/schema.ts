/**
 * The knowledge graph's typed schema: node types, relation types with their allowed endpoint
 * types, the node and edge records of DESIGN.md, and name normalisation used to link entities.
 */

export const NODE_TYPES = [
  'disease',
  'symptom', // symptom or clinical sign
  'finding', // a test result, e.g. "elevated serum lipase"; measured_by a lab_test or imaging
  'lab_test',
  'imaging',
  'drug',
  'drug_class',
  'mechanism',
  'anatomy',
  'pathogen',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Each relation with the node types allowed at its ends and a sentence template. */
export const RELATIONS = {
  has_symptom: { from: ['disease'], to: ['symptom'], text: '{s} presents with {t}' },
  has_finding: { from: ['disease'], to: ['finding'], text: '{s} shows {t}' },
  measured_by: { from: ['finding'], to: ['lab_test', 'imaging'], text: '{s} is detected by {t}' },
  diagnosed_by: { from: ['disease'], to: ['lab_test', 'imaging'], text: '{s} is diagnosed with {t}' },
  treated_by: { from: ['disease'], to: ['drug', 'drug_class'], text: '{s} is treated with {t}' },
  contraindicated_in: { from: ['drug', 'drug_class'], to: ['disease'], text: '{s} is contraindicated in {t}' },
  in_class: { from: ['drug'], to: ['drug_class'], text: '{s} belongs to the class {t}' },
  has_mechanism: { from: ['drug', 'drug_class'], to: ['mechanism'], text: '{s} acts by {t}' },
  subclass_of: {
    from: ['disease', 'drug_class', 'anatomy', 'symptom'],
    to: ['disease', 'drug_class', 'anatomy', 'symptom'],
    text: '{s} is a kind of {t}',
  },
  located_in: { from: ['disease'], to: ['anatomy'], text: '{s} affects the {t}' },
  caused_by: { from: ['disease'], to: ['pathogen'], text: '{s} is caused by {t}' },
  side_effect: { from: ['drug'], to: ['symptom'], text: '{s} can cause {t}' },
} as const satisfies Record<string, { from: readonly NodeType[]; to: readonly NodeType[]; text: string }>;
export type Relation = keyof typeof RELATIONS;
export const RELATION_NAMES = Object.keys(RELATIONS) as Relation[];

/** Cross-references used to link the same entity across sources. */
export interface Xrefs {
  umls?: string[];
  mesh?: string[];
  doid?: string[];
  wikidata?: string[];
  icd10?: string[];
  drugbank?: string[];
  rxnorm?: string[];
  [key: string]: string[] | undefined;
}

export interface GraphNode {
  /** Stable id: `${type}:${slug}`. */
  id: string;
  type: NodeType;
  name: string;
  synonyms: string[];
  xrefs: Xrefs;
  /** Names of the sources that assert this entity, e.g. ["disease-ontology", "hsdn"]. */
  sources: string[];
}

export interface GraphEdge {
  source: string;
  relation: Relation;
  target: string;
  /** Every source that asserts this edge. */
  sources: string[];
  /** Source-specific strength (e.g. HSDN co-occurrence TF-IDF), when one exists. */
  weight?: number;
  /** Public references for hand-written facts (the seed graph). */
  refs?: string[];
}

/** Lower-case, accents removed, punctuation to spaces, whitespace collapsed. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]s\b/g, 's')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** `${type}:${slug}` with the slug made of the normalised name's words joined by '-'. */
export function nodeId(type: NodeType, name: string): string {
  const slug = normalizeName(name).replace(/ /g, '-');
  if (!slug) throw new Error(`nodeId: name ${JSON.stringify(name)} has no letters or digits`);
  return `${type}:${slug}`;
}

export function isNodeType(x: unknown): x is NodeType {
  return typeof x === 'string' && (NODE_TYPES as readonly string[]).includes(x);
}

export function isRelation(x: unknown): x is Relation {
  return typeof x === 'string' && x in RELATIONS;
}

/** Whether an edge's endpoint types are allowed by its relation. */
export function edgeAllowed(relation: Relation, from: NodeType, to: NodeType): boolean {
  const r = RELATIONS[relation];
  return (r.from as readonly NodeType[]).includes(from) && (r.to as readonly NodeType[]).includes(to);
}
