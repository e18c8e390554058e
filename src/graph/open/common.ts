/**
 * Shared pieces of the open-source loaders: identifier normalisation (DOID:nnn, UMLS Cnnnnnnn,
 * MeSH Dnnnnnn, Wikidata Qnnn), header checks, list splitting, a per-loader tally, and the
 * documented keyword rules that decide pathogen-likeness, lab test versus imaging, and drug
 * versus drug class.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { InputError, SkipReport } from '../../core/io';
import { readDelimited, DelimitedOptions, DelimitedRow } from '../../core/table';
import type { GraphBuilder, NodeInput } from '../graph';
import type { Relation, Xrefs } from '../schema';
import { normalizeName } from '../schema';

/** Options every loader takes. */
export interface LoaderOptions {
  /** Called after each file with (stage, files done, files in this loader). */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** What one loader contributed. */
export interface LoaderCounts {
  /** Distinct graph nodes this loader asserted (created or merged into). */
  nodes: number;
  /** Distinct edges this loader asserted (new or merged with another source's). */
  edges: number;
  rowsRead: number;
  /** Rows skipped as malformed plus rows left out by design (both are in the SkipReport). */
  rowsSkipped: number;
}

/** `DOID:nnn` or undefined. Accepts DOID:n, DOID_n, bare digits and quoted forms. */
export function normDoid(v: string | undefined): string | undefined {
  const m = /^\s*"?(?:DOID[:_])?(\d+)"?\s*$/i.exec(v ?? '');
  return m ? `DOID:${m[1]}` : undefined;
}

/** UMLS CUI `Cnnnnnnn` or undefined (prefixes like UMLS_CUI: are dropped). */
export function normUmls(v: string | undefined): string | undefined {
  const m = /^\s*"?(?:UMLS(?:_CUI)?[:_])?(C\d{7})"?\s*$/i.exec(v ?? '');
  return m ? m[1].toUpperCase() : undefined;
}

/** MeSH descriptor/supplementary id `Dnnnnnn` / `Cnnnnnn` (MESH: prefix dropped) or undefined. */
export function normMesh(v: string | undefined): string | undefined {
  const m = /^\s*"?(?:MESH[:_])?([DC]\d{6,9})"?\s*$/i.exec(v ?? '');
  return m ? m[1].toUpperCase() : undefined;
}

/** Wikidata item `Qnnn` from a bare id or an entity URI, or undefined. */
export function normQid(v: string | undefined): string | undefined {
  const m = /^\s*(?:https?:\/\/www\.wikidata\.org\/entity\/)?(Q\d+)\s*$/.exec(v ?? '');
  return m ? m[1] : undefined;
}

/** DrugBank id `DBnnnnn` or undefined. */
export function normDrugbank(v: string | undefined): string | undefined {
  const m = /^\s*"?(DB\d{5})"?\s*$/.exec(v ?? '');
  return m ? m[1] : undefined;
}

/** Removes surrounding double quotes and whitespace. */
export function unquote(s: string | undefined): string {
  return (s ?? '').trim().replace(/^"(.*)"$/, '$1').trim();
}

/**
 * Splits a Wikidata-export list cell. Items are joined by ',' with no space, while commas inside
 * a label are followed by a space ("acute gastritis, with hemorrhage"), so only ',' not followed
 * by a space separates. Blank and single-space cells give [].
 */
export function splitList(cell: string | undefined): string[] {
  const t = (cell ?? '').trim();
  if (!t) return [];
  return t
    .split(/,(?! )/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** Reads the header row of a delimited file (first line; gzip aware). */
export function readHeader(file: string, delimiter: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  let text: string;
  if (file.endsWith('.gz')) {
    text = zlib.gunzipSync(fs.readFileSync(file)).subarray(0, 65536).toString('utf8');
  } else {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(65536);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  }
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  return first.split(delimiter).map((h) => unquote(h));
}

/** Throws an InputError naming the file and the first missing column when the header lacks one. */
export function requireColumns(file: string, required: readonly string[], delimiter: string): void {
  const header = readHeader(file, delimiter);
  for (const col of required)
    if (!header.includes(col)) throw new InputError(file, 1, `missing required column "${col}" (header has: ${header.join(', ')})`);
}

/**
 * Checks the header, then streams the rows (CSV quoted; TSV quoted when `quoted`). Rows with the
 * wrong field count are counted by readDelimited in the SkipReport.
 */
export async function* rowsOf(
  file: string,
  required: readonly string[],
  skips: SkipReport,
  opts: Omit<DelimitedOptions, 'skips'> = {},
): AsyncGenerator<DelimitedRow> {
  const delimiter = opts.delimiter ?? (file.replace(/\.gz$/, '').endsWith('.csv') ? ',' : '\t');
  if (!opts.columns) requireColumns(file, required, delimiter);
  yield* readDelimited(file, { ...opts, skips });
}

/**
 * Wraps a GraphBuilder for one source: every node and edge goes in under that source's name, and
 * the distinct nodes/edges it touched are counted.
 */
export class Tally {
  private readonly nodeIds = new Set<string>();
  private readonly edgeKeys = new Set<string>();

  constructor(
    readonly b: GraphBuilder,
    readonly source: string,
  ) {}

  node(input: Omit<NodeInput, 'source'>): string {
    const id = this.b.addNode({ ...input, source: this.source });
    this.nodeIds.add(id);
    return id;
  }

  /** Adds the edge; false when the builder refused it (endpoint types do not fit, or a self-loop). */
  edge(from: string, relation: Relation, to: string, extra: { weight?: number } = {}): boolean {
    const ok = this.b.addEdge(from, relation, to, this.source, extra);
    if (ok) this.edgeKeys.add(`${from}\u0000${relation}\u0000${to}`);
    return ok;
  }

  counts(skips: SkipReport, files: readonly string[]): LoaderCounts {
    const read = skips.readCounts();
    const rowsRead = files.reduce((s, f) => s + (read[f] ?? 0), 0);
    const set = new Set(files);
    const rowsSkipped = skips.rows().reduce((s, r) => s + (set.has(r.file) ? r.count : 0), 0);
    return { nodes: this.nodeIds.size, edges: this.edgeKeys.size, rowsRead, rowsSkipped };
  }
}

/** Whether a name has letters or digits (GraphBuilder refuses names that do not). */
export function usableName(name: string | undefined): name is string {
  return !!name && normalizeName(name) !== '';
}

/** Builds an Xrefs object from possibly-undefined values, dropping empty keys. */
export function xrefs(entries: Record<string, (string | undefined)[]>): Xrefs {
  const out: Xrefs = {};
  for (const [k, vs] of Object.entries(entries)) {
    const clean = [...new Set(vs.filter((v): v is string => !!v))];
    if (clean.length) out[k] = clean;
  }
  return out;
}

/**
 * Keeps only the xref values that point at a single entity of a source: an id shared by several
 * entities (e.g. one MeSH id on two DO terms, one ICD-10 bucket on many Wikidata diseases) would
 * make the GraphBuilder merge distinct entities, so it is dropped for linking. Returns the number
 * of (entity, value) pairs dropped.
 */
export function dropSharedXrefs(entities: Map<string, Xrefs>): number {
  const owners = new Map<string, Set<string>>();
  for (const [key, xs] of entities)
    for (const [k, vs] of Object.entries(xs))
      for (const v of vs ?? []) {
        const kv = `${k}|${v}`;
        let s = owners.get(kv);
        if (!s) owners.set(kv, (s = new Set()));
        s.add(key);
      }
  let dropped = 0;
  for (const [key, xs] of entities) {
    for (const [k, vs] of Object.entries(xs)) {
      const keep = (vs ?? []).filter((v) => owners.get(`${k}|${v}`)!.size === 1);
      dropped += (vs ?? []).length - keep.length;
      if (keep.length) xs[k] = keep;
      else delete xs[k];
    }
    entities.set(key, xs);
  }
  return dropped;
}

// ---------------------------------------------------------------------------------------------
// Documented keyword rules
// ---------------------------------------------------------------------------------------------

const PATHOGEN_WORDS =
  /(virus|viridae|virales|bacteri|bacill|coccus|cocci\b|mycobacter|fungi\b|fungus|prion|\bhiv\b|plasmodium|protozo|helminth)/i;
const NOT_AN_AGENT = /(syndrome|disease|disorder|infection|deficiency|factor|toxin|poisoning|inheritance|\bcells?\b)/i;
const DISEASE_SUFFIX = /(itis|osis|iasis|oma)\b/i;
const LATIN_ENDING = /(us|um|a|ae|i|ii|is|es|ensis|ans|ens|ella|ter|ia|on|ax|ix|ex|yx)$/;

/**
 * Pathogen rule (Wikidata P828 "has cause" targets and DO 'has material basis in' targets):
 * a label names a pathogen when it
 *  1. contains a pathogen word (virus, -viridae, bacteri-, bacill-, -coccus, fungus/fungi, prion,
 *     HIV, Plasmodium, protozo-, helminth), or
 *  2. is a capitalised Latin taxon name: one capitalised genus word, optionally followed by
 *     lower-case epithets ("Borrelia burgdorferi", "Brucella", "Trypanosoma brucei gambiense",
 *     "Aspergillus <genus>"), with a Latin ending on the last word;
 * and in both cases it does not contain a disease/anatomy word (syndrome, disease, disorder,
 * infection, deficiency, factor, toxin, poisoning, inheritance, cell); rule 2 also refuses
 * disease suffixes (-itis, -osis, -iasis, -oma), so "Indian childhood cirrhosis" is not a taxon.
 * Everything else (smoking, mutation, alcoholism, 'autosomal recessive inheritance') is not.
 */
export function isPathogenLike(label: string): boolean {
  const t = label.replace(/\s*<[^>]*>\s*/g, ' ').trim();
  if (!t || NOT_AN_AGENT.test(t)) return false;
  if (PATHOGEN_WORDS.test(t)) return true;
  if (DISEASE_SUFFIX.test(t)) return false;
  const words = t.split(/\s+/);
  if (!/^[A-Z][a-z]{2,}$/.test(words[0])) return false;
  if (!words.slice(1).every((w) => /^[a-z][a-z-]*$/.test(w))) return false;
  if (words.length > 4) return false;
  return LATIN_ENDING.test(words[words.length - 1]);
}

const IMAGING_WORDS =
  /(imaging|tomograph|radiograph|radiology|x-ray|ultrasonograph|ultrasound|sonograph|echocardiogra|magnetic resonance|\bmri\b|\bct\b|\bpet\b|scintigra|angiograph|mammograph|doppler|endoscop|colonoscop|sigmoidoscop|rectoscop|bronchoscop|laryngoscop|gastroduodenoscop|gastrointestinal series|neuroimaging)/i;
const LAB_WORDS =
  /(blood|serum|plasma|urin|stool|fecal|faecal|sputum|swab|culture|biopsy|histolog|histopatholog|cytolog|microscop|polymerase chain reaction|\bpcr\b|elisa|immuno|blot|stain|serolog|agglutination|complement fixation|neutralization|\bprnt\b|fta-abs|reagin|venereal disease research|wassermann|widal|sabin|elek|ascoli|schumm|rapid antigen|amplification|sequencing|genetic test|chromatograph|radioimmuno|assay|count\b|measurement|level\b|analysis|function tests|lumbar puncture|breath test|sweat test|oncotype|hematology|haematology|film\b|spirometr|electrocardiogra|electroencephalogra|electromyogra|sleep study)/i;

/**
 * Lab-test-or-imaging rule for Wikidata P923 "medical examination" values:
 *  - imaging when the label names a picture of the body: imaging, tomography, radiograph, X-ray,
 *    ultrasound/sonography, echocardiography, MRI/magnetic resonance, CT, PET, scintigraphy,
 *    angiography, mammography, Doppler, or an endoscopy (colonoscopy, bronchoscopy, ...);
 *  - lab_test when it names analysis of a specimen or a recorded physiological measurement:
 *    blood/serum/urine/stool/sputum tests, cultures, biopsies, histology, microscopy, PCR, ELISA,
 *    blots, stains, serology and named serological tests, assays, counts, measurements, lumbar
 *    puncture, breath/sweat tests, spirometry, ECG/EEG/EMG, sleep study;
 *  - otherwise (physical examination, medical history, questionnaires, clinical scores and
 *    classifications, bedside manoeuvres) neither: the pair is skipped and counted.
 * Imaging is tested first ("magnetic resonance angiography" is imaging).
 */
export function examinationType(label: string): 'imaging' | 'lab_test' | undefined {
  if (IMAGING_WORDS.test(label)) return 'imaging';
  if (LAB_WORDS.test(label)) return 'lab_test';
  return undefined;
}

const NON_DRUG_TREATMENT = /(therapy|surgery|ectomy|otomy|transplant|diet\b|exercise|rest\b|physiotherapy|counsel|psychotherap|radiation|vaccination)/i;
const CLASS_WORDS = /\b(drugs?|agents?|antibiotics?|inhibitors?|blockers?|antagonists?|agonists?|compounds|medications?|analogues?|derivatives)$/i;

/**
 * Drug-or-class rule for Wikidata P2176 values: a label is a drug_class when it ends in a class
 * word (drug(s), agent(s), antibiotic(s), inhibitor(s), blocker(s), antagonist(s), agonist(s),
 * compounds, medication(s), analogue(s), derivatives) or is a plural (ends in 's' after a letter
 * other than s/u/i, e.g. "macrolides"); 'non-drug' when it names a procedure or lifestyle
 * measure (therapy, surgery, -ectomy, transplant, diet, exercise, ...), which is skipped;
 * otherwise a single drug.
 */
export function treatmentType(label: string): 'drug' | 'drug_class' | 'non-drug' {
  if (NON_DRUG_TREATMENT.test(label)) return 'non-drug';
  if (CLASS_WORDS.test(label)) return 'drug_class';
  if (/^[a-z][a-z -]*[^siu\s]s$/.test(label) && !/\s(sodium|potassium|calcium)$/.test(label)) return 'drug_class';
  return 'drug';
}
