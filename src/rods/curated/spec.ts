/**
 * Benchmark specs: a small YAML (or JSON) file that names a question set's file or URL, its format
 * and how its fields map onto the item schema, so a benchmark needs no code:
 * ```yaml
 * name: jmed                              # Item.origin, the id prefix, the column of Table 3
 * file: "{benchmarks}/jmed/JMED.jsonl"    # relative to this spec's folder; {benchmarks}: the benchmarks directory
 * fields:
 *   question: question
 *   options: options                      # one field (a list or an object), or a list of fields
 *   answer: answer                        # ["U"]: a one-element list is read as its element
 *   answerFormat: letter                  # letter | index0 | index1 | text
 * language: zh
 * ```
 * The schema (zod) is the reference; readSpec() names every wrong field of a file at once.
 * A spec either maps `fields` or names a code `loader` (for formats that need code: PubMedQA's
 * object keyed by PMID with its abstract, MedMCQA's and MedXpertQA's options embedded in the
 * question, CMExam's options cell).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CODE_LOADER_NAMES } from './codeLoaders';

export const SPEC_FORMATS = ['jsonl', 'json', 'csv', 'tsv', 'parquet'] as const;
export type SpecFormat = (typeof SPEC_FORMATS)[number];
export const ANSWER_FORMATS = ['letter', 'index0', 'index1', 'text'] as const;
export type SpecAnswerFormat = (typeof ANSWER_FORMATS)[number];
/** The placeholder for the benchmarks directory in `file` ($FLEMING_BENCHMARKS or rods.benchmarksDir). */
export const BENCHMARKS_DIR = '{benchmarks}';
/** The share of rows a benchmark may skip when its spec does not say. */
export const DEFAULT_MAX_SKIP_SHARE = 0.1;

const field = z.string({ error: 'expected a field name (dotted for a nested field, e.g. data.question)' }).min(1);
const answerFormat = z.enum(ANSWER_FORMATS, { error: `expected one of ${ANSWER_FORMATS.join(', ')}` });

const fieldsSchema = z.strictObject({
  question: field,
  options: z.union([field, z.array(field).min(2).max(26)], { error: 'expected one field (holding a list or an object of options) or a list of 2 to 26 fields' }),
  optionText: field.optional(),
  optionKey: field.optional(),
  answer: field,
  answerFormat: answerFormat.default('letter'),
  answerCheck: z.strictObject({ field, format: answerFormat }).optional(),
  id: field.optional(),
  subject: field.optional(),
  meta: z.record(z.string(), field, { error: 'expected an object: meta name → field' }).optional(),
});

const specShape = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'expected a lower-case name (a-z, 0-9, . _ -), e.g. jmed' }),
  description: z.string().optional(),
  file: z.string().min(1).optional(),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lower-case hex digits' }).optional(),
  format: z.enum(SPEC_FORMATS, { error: `expected one of ${SPEC_FORMATS.join(', ')}` }).optional(),
  records: z.string().optional(),
  loader: z.enum(CODE_LOADER_NAMES, { error: `expected one of ${CODE_LOADER_NAMES.join(', ')}` }).optional(),
  fields: fieldsSchema.optional(),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'expected a BCP 47 language tag, e.g. en, zh, pt-BR' }).optional(),
  split: z.string().optional(),
  expectedCount: z.number().int().positive().optional(),
  maxSkipShare: z.number().min(0).max(1).default(DEFAULT_MAX_SKIP_SHARE),
  optional: z.boolean().default(false),
  license: z.string().optional(),
  homepage: z.string().optional(),
});

const specSchema = specShape.superRefine((s, ctx) => {
  const issue = (p: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
  if ((s.file === undefined) === (s.url === undefined)) issue(s.file ? ['url'] : ['file'], 'give exactly one of file and url');
  if ((s.loader === undefined) === (s.fields === undefined)) issue(['fields'], 'give exactly one of fields (a mapping) and loader (code)');
  if (s.records !== undefined && s.format !== undefined && s.format !== 'json') issue(['records'], 'records applies to format json only');
  if (s.sha256 !== undefined && s.url === undefined) issue(['sha256'], 'sha256 checks a download: give it with url');
  const f = s.fields;
  if (f && Array.isArray(f.options) && (f.optionText ?? f.optionKey) !== undefined)
    issue(['fields', f.optionText ? 'optionText' : 'optionKey'], 'applies when options is one field holding a list of objects');
});

/** A benchmark spec as written (see the module comment). */
export type SpecFile = z.infer<typeof specSchema>;
/** The field mapping of a spec. */
export type SpecFields = z.infer<typeof fieldsSchema>;

/** A checked spec, with where it was read from. */
export interface BenchmarkSpec extends SpecFile {
  /** The spec file ('' for a spec built in code). */
  specFile: string;
}

/** A spec file that does not parse or does not fit the schema; `problems` has one line per wrong field. */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid benchmark spec:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

function valueAt(v: unknown, p: readonly PropertyKey[]): unknown {
  return p.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), v);
}

/** Levenshtein distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

function knownKeys(p: readonly PropertyKey[]): string[] {
  if (p.length === 0) return Object.keys(specShape.shape);
  return p.length === 1 && p[0] === 'fields' ? Object.keys(fieldsSchema.shape) : [];
}

/** One line per issue: where (dotted path), what is wrong, what was given. */
function problemsOf(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '(top level)';
    if (i.code === 'unrecognized_keys')
      return i.keys
        .map((k) => {
          const near = knownKeys(i.path).find((c) => c.toLowerCase() === k.toLowerCase() || distance(c, k) <= 2);
          return `${i.path.length ? `${where}.` : ''}${k}: unknown key${near ? ` (did you mean ${near}?)` : ''}`;
        })
        .join('\n  - ');
    const got = valueAt(input, i.path);
    const shown = got === undefined ? (i.code === 'invalid_type' ? ' (missing)' : '') : ` (got ${JSON.stringify(got)?.slice(0, 80)})`;
    return `${where}: ${i.message}${shown}`;
  });
}

/** Checks a parsed spec object; `file` names it in errors (and anchors relative paths). */
export function parseSpec(value: unknown, file: string): BenchmarkSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SpecError(file, ['expected a mapping of keys (name, file, format, fields, ...)']);
  const r = specSchema.safeParse(value);
  if (!r.success) throw new SpecError(file, problemsOf(r.error, value));
  return { ...r.data, specFile: file };
}

/** Reads and checks a spec file (.yaml, .yml or .json). */
export function readSpec(file: string): BenchmarkSpec {
  if (!fs.existsSync(file)) throw new Error(`${file}: benchmark spec not found`);
  let value: unknown;
  try {
    value = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as Error & { linePos?: { line: number; col: number }[] };
    const at = err.linePos?.[0];
    throw new SpecError(at ? `${file}:${at.line}` : file, [`not YAML or JSON: ${err.message.split('\n')[0]}`]);
  }
  return parseSpec(value, file);
}

/** The spec files (.yaml, .yml, .json) of a directory, sorted by name. */
export function specFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: benchmark specs directory not found`);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The file format: the spec's, else from the extension (.jsonl/.ndjson, .json, .csv, .tsv, .parquet; .gz allowed on text). */
export function formatOf(spec: Pick<BenchmarkSpec, 'format' | 'file' | 'url' | 'specFile'>): SpecFormat {
  if (spec.format) return spec.format;
  const name = (spec.file ?? new URL(spec.url as string).pathname).replace(/\.gz$/i, '').toLowerCase();
  const ext = path.extname(name);
  const byExt: Record<string, SpecFormat> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'json', '.csv': 'csv', '.tsv': 'tsv', '.parquet': 'parquet' };
  if (byExt[ext]) return byExt[ext];
  throw new SpecError(spec.specFile || name, [`format: cannot tell the format from "${path.basename(name)}": give format (${SPEC_FORMATS.join(', ')})`]);
}

/** The local path a spec's `file` names: {benchmarks}/… under the benchmarks directory, relative paths under the spec's folder. */
export function specFilePath(spec: Pick<BenchmarkSpec, 'file' | 'specFile' | 'name'>, benchmarksDir: string | null): string {
  const f = spec.file as string;
  if (f === BENCHMARKS_DIR || f.startsWith(`${BENCHMARKS_DIR}/`)) {
    if (!benchmarksDir) throw new Error(`benchmark '${spec.name}' (${spec.specFile || 'built in'}): file ${f} is under the benchmarks directory, and none is set (FLEMING_BENCHMARKS=DIR or --set rods.benchmarksDir=DIR, e.g. ../shared/data/benchmarks)`);
    return path.join(benchmarksDir, f.slice(BENCHMARKS_DIR.length + 1));
  }
  return path.resolve(spec.specFile ? path.dirname(spec.specFile) : process.cwd(), f);
}
