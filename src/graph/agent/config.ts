/**
 * Configuration of the knowledge-graph discovery agent and the documented rules that turn
 * Wikidata claims into typed graph facts: which classes make an item medical (and of which node
 * type), which properties become which relations, which cross-reference properties are kept, the
 * pathogen rule for `caused_by`, and the keyword rule that splits medical examinations into
 * `lab_test` and `imaging`.
 *
 * Q-ids written here were either checked against the offline Wikidata exports in
 * `shared/data/kg-sources/wikidata` (marked "mirror") or are long-standing, widely used items
 * (marked "well known"); every table is overridable through `AgentConfig`.
 */
import type { NodeType, Relation } from '../schema';

export interface AgentConfig {
  /** Wikipedia article titles to start from (normalised by the API: case of the first letter, '_'). */
  seeds: string[];
  /** MediaWiki Action API of the Wikipedia to walk. */
  wikipediaApi: string;
  /** Wikibase Action API of Wikidata. */
  wikidataApi: string;
  /** Descriptive User-Agent (Wikimedia policy: name the tool and give a way to contact its operator). */
  userAgent: string;
  /** Seeds are depth 0; links and claim targets of depth d are enqueued at d + 1 while d + 1 <= maxDepth. */
  maxDepth: number;
  /** Stop once this many (type, Q-id) entities are in the graph. */
  maxEntities: number;
  /** Upper bound on network requests per run (0 = no bound); the run stops cleanly when reached. */
  maxRequests: number;
  /** Requests per second (all hosts together; requests are serial). */
  requestsPerSecond: number;
  /** `maxlag` sent with every request (seconds of replication lag tolerated; 5 is the Wikimedia advice). */
  maxlag: number;
  /** Retries per request on 429, 5xx, maxlag errors, network errors and unreadable bodies. */
  maxRetries: number;
  /** Exponential backoff: wait retryBaseMs * 2^attempt (capped), or Retry-After when larger. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Directory of the response cache (gzip JSON keyed by URL); null = no cache. */
  cacheDir: string | null;
  /** Resumable state (JSON, written atomically after each batch) plus `<stateFile>.facts.jsonl`; null = none. */
  stateFile: string | null;
  /** Resume from stateFile when it exists (false: start over and overwrite it). */
  resume: boolean;
  /** Titles per Wikipedia query and ids per wbgetentities call (the APIs allow 50). */
  batchSize: number;
  /** How many parent-taxon (P171) steps the pathogen rule climbs. */
  pathogenLineageDepth: number;
  /** Source name written on every node and edge. */
  source: string;
  /** Edge references are `${refBase}<Q-id>#<P-id>` (the statement the edge came from). */
  refBase: string;
  /** Class Q-id → node type, read from an item's P31 (instance of) and P279 (subclass of) values. */
  typeClasses: Record<string, NodeType>;
  /** Taxa / classes whose descendants count as pathogens (see `isPathogen` in wikidata.ts). */
  pathogenClasses: string[];
}

/** Item-valued property → relation. `target` 'examination' is split by `examinationType`. */
export interface ClaimRule {
  property: string;
  subject: NodeType;
  relation: Relation;
  target: NodeType | 'examination';
  /** The graph edge points the other way (drug P2175 disease → disease treated_by drug). */
  reversed?: boolean;
}

/** The claims the agent maps; every other property is ignored (not counted as skipped). */
export const CLAIM_RULES: readonly ClaimRule[] = [
  { property: 'P780', subject: 'disease', relation: 'has_symptom', target: 'symptom' }, // symptoms and signs
  { property: 'P2176', subject: 'disease', relation: 'treated_by', target: 'drug' }, // drug or therapy used for treatment
  { property: 'P923', subject: 'disease', relation: 'diagnosed_by', target: 'examination' }, // medical examinations
  { property: 'P828', subject: 'disease', relation: 'caused_by', target: 'pathogen' }, // has cause (pathogens only)
  { property: 'P279', subject: 'disease', relation: 'subclass_of', target: 'disease' }, // subclass of
  { property: 'P927', subject: 'disease', relation: 'located_in', target: 'anatomy' }, // anatomical location
  { property: 'P2175', subject: 'drug', relation: 'treated_by', target: 'disease', reversed: true }, // medical condition treated
];

/** External-identifier property → xref key of the graph schema. */
export const XREF_PROPERTIES: Readonly<Record<string, string>> = {
  P2892: 'umls', // UMLS CUI
  P486: 'mesh', // MeSH descriptor ID
  P699: 'doid', // Disease Ontology ID
  P494: 'icd10', // ICD-10
};

export const P_INSTANCE_OF = 'P31';
export const P_SUBCLASS_OF = 'P279';
export const P_PARENT_TAXON = 'P171';

export const defaults: AgentConfig = {
  seeds: ['Tuberculosis', 'Type 2 diabetes'],
  wikipediaApi: 'https://en.wikipedia.org/w/api.php',
  wikidataApi: 'https://www.wikidata.org/w/api.php',
  userAgent: 'FlemingWorkbenchKGAgent/0.1 (knowledge-graph discovery for a Fleming-R1 reproduction; set userAgent to add your contact)',
  maxDepth: 2,
  maxEntities: 100_000,
  maxRequests: 0,
  requestsPerSecond: 3,
  maxlag: 5,
  maxRetries: 6,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  timeoutMs: 30_000,
  cacheDir: '.cache/wikipedia-agent',
  stateFile: null,
  resume: true,
  batchSize: 50,
  pathogenLineageDepth: 15,
  source: 'wikipedia-agent',
  refBase: 'https://www.wikidata.org/wiki/',
  typeClasses: {
    Q12136: 'disease', // disease (well known)
    Q18123741: 'disease', // infectious disease (well known)
    Q929833: 'disease', // rare disease (well known)
    Q112193867: 'disease', // class of disease (well known)
    Q169872: 'symptom', // symptom (well known)
    Q1441305: 'symptom', // medical sign (well known)
    Q12140: 'drug', // medication (mirror)
    Q8386: 'drug', // drug (well known)
    Q35456: 'drug', // essential medicine (well known)
    Q28885102: 'drug', // pharmaceutical product (well known)
    Q4936952: 'anatomy', // anatomical structure (well known)
    Q712378: 'anatomy', // organ (well known)
    Q931309: 'imaging', // medical imaging (mirror)
  },
  pathogenClasses: [
    'Q10876', // Bacteria (mirror)
    'Q808', // virus (mirror)
    'Q764', // Fungi (well known)
    'Q10253316', // parasite (mirror)
  ],
};

const IMAGING_WORDS =
  /\b(imaging|tomograph\w*|radiograph\w*|radiolog\w*|x-?rays?|ultrasound|ultrason\w*|sonograph\w*|echocardiograph\w*|magnetic resonance|mri|ct|scintigraph\w*|angiograph\w*|mammograph\w*|fluoroscop\w*|elastograph\w*|positron emission|pet)\b/;
const LAB_WORDS =
  /\b(laboratory|assay|count|culture|serum|plasma|blood|urine|urinalysis|pcr|polymerase chain reaction|elisa|immunoassay|biopsy|smear|swab|microscop\w*|antibod\w*|antigen|titer|titre|serolog\w*|stain|staining|cytolog\w*|histolog\w*|histopatholog\w*|sequencing|genetic testing|karyotyp\w*|hemoglobin|haemoglobin|glucose|creatinine|enzyme)\b/;

/**
 * The keyword rule for P923 (medical examinations): a label naming a radiological modality is
 * `imaging`; else a label naming a specimen, assay or laboratory technique is `lab_test`; else
 * null (physical examinations, clinical scores and criteria are left out).
 */
export function examinationType(label: string): 'lab_test' | 'imaging' | null {
  const s = label.toLowerCase();
  if (IMAGING_WORDS.test(s)) return 'imaging';
  if (LAB_WORDS.test(s)) return 'lab_test';
  return null;
}
