/**
 * From per-item results to the paper's tables (pure functions of the rows and a seeded rng):
 *   Table 3  one row per model, one column per benchmark (+ the held-out synthetic test split),
 *            and the macro average over the columns every model could answer;
 *   Table 4  Base, +CoT, +RL1, +RL2 on the held-out synthetic items: accuracy, ΔAvg against the
 *            previous stage (paired bootstrap), by difficulty, on the long tail, with the lenient
 *            accuracy, the parse-failure rate and the share of supported claims.
 * Each accuracy carries a percentile-bootstrap interval. Accuracy counts the items that fit the
 * model's context and were answered; the items that did not fit, and those whose request failed
 * for good (errors: only endpoints, so Table 3), are reported beside it (never silently dropped).
 * Table 3's CSV gains error columns at the end only when some cell has errors.
 */
import type { Rng } from '../core/rng';
import { markdownTable } from '../core/markdown';
import { DIFFICULTIES } from '../rods/item';
import { BootstrapOptions, Interval, bootstrapDiff, bootstrapMacro, bootstrapMean } from './bootstrap';
import { AnatomySummary, summarizeAnatomy } from './anatomy';
import type { CopyProbe } from '../base/copy';
import { answered, type ResultRow } from './results';

/** The held-out synthetic test split's benchmark name. */
export const SYNTHETIC = 'rods-test';

/** Per-item scores of decoded rows. */
export const strictScore = (r: ResultRow) => mean(r.samples.map((s) => (s.strict === r.answer ? 1 : 0)));
export const lenientScore = (r: ResultRow) => mean(r.samples.map((s) => (s.lenient === r.answer ? 1 : 0)));
export const passScore = (r: ResultRow) => (r.samples.some((s) => s.strict === r.answer) ? 1 : 0);
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** One model on one benchmark (or slice). */
export interface Cell {
  /** Items selected. */
  total: number;
  /** Items decoded and answered (they fit the context, their request did not fail). */
  n: number;
  tooLong: number;
  /** Items whose request failed for good (asked again on the next run). */
  errors: number;
  /** Samples per item. */
  k: number;
  /** Strict accuracy (mean over samples), with its interval. */
  strict: Interval;
  lenient: Interval;
  /** pass@k (strict) when k > 1. */
  passAtK?: Interval;
  /** Samples without a strict answer, as a share. */
  parseFailure: number;
  /** Mean of 1/options: a random guesser's accuracy. */
  chance: number;
  claims: { total: number; supported: number; share: number | null };
  /** Where the thoughts break (src/eval/anatomy.ts); n = 0 without thoughts or graph queries. */
  anatomy: AnatomySummary;
  meanTokens: number;
  /** Strict letters predicted, over all samples ('none' = parse failure): a constant guesser shows here. */
  predicted: Record<string, number>;
}

export function cell(rows: readonly ResultRow[], rng: Rng, o: Partial<BootstrapOptions>): Cell {
  const done = rows.filter(answered);
  const samples = done.flatMap((r) => r.samples);
  const k = done.length ? Math.max(...done.map((r) => r.samples.length)) : 1;
  const claims = samples.reduce((a, s) => ({ total: a.total + s.claims.total, supported: a.supported + s.claims.supported }), { total: 0, supported: 0 });
  const c: Cell = {
    total: rows.length,
    n: done.length,
    tooLong: rows.filter((r) => r.tooLong).length,
    errors: rows.filter((r) => r.error).length,
    k,
    strict: bootstrapMean(done.map(strictScore), rng, o),
    lenient: bootstrapMean(done.map(lenientScore), rng, o),
    parseFailure: samples.length ? samples.filter((s) => s.strict === null).length / samples.length : 0,
    chance: mean(done.map((r) => 1 / r.options)),
    claims: { ...claims, share: claims.total ? claims.supported / claims.total : null },
    anatomy: summarizeAnatomy(samples),
    meanTokens: mean(samples.map((s) => s.tokens)),
    predicted: {},
  };
  for (const s of samples) c.predicted[s.strict ?? 'none'] = (c.predicted[s.strict ?? 'none'] ?? 0) + 1;
  c.predicted = Object.fromEntries(Object.entries(c.predicted).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  if (k > 1) c.passAtK = bootstrapMean(done.map(passScore), rng, o);
  return c;
}

/** A model's cells: per benchmark, and on the synthetic split per type, difficulty and long tail. */
export interface ModelSummary {
  model: string;
  label: string;
  benchmarks: Record<string, Cell>;
  byType: Record<string, Cell>;
  byDifficulty: Record<string, Cell>;
  longTail: Cell | null;
  /** Copy probe of a checkpoint (src/base/copy.ts); absent for endpoint models. */
  copy?: CopyProbe;
}

export function summarizeModel(model: string, label: string, rows: readonly ResultRow[], benchmarks: readonly string[], rng: Rng, o: Partial<BootstrapOptions>): ModelSummary {
  const mine = rows.filter((r) => r.model === model);
  const of = (b: string) => mine.filter((r) => r.benchmark === b);
  const syn = of(SYNTHETIC);
  const groups = (key: (r: ResultRow) => string) => {
    const keys = [...new Set(syn.map(key))].sort();
    return Object.fromEntries(keys.map((k) => [k, cell(syn.filter((r) => key(r) === k), rng, o)]));
  };
  const tail = syn.filter((r) => r.longTail);
  // the held-out split's cells first, so their intervals do not depend on which other benchmarks were read
  const synthetic = benchmarks.includes(SYNTHETIC) ? cell(syn, rng, o) : null;
  const byType = groups((r) => r.type);
  const byDifficulty = groups((r) => r.difficulty);
  const longTail = tail.length ? cell(tail, rng, o) : null;
  return {
    model,
    label,
    benchmarks: Object.fromEntries(benchmarks.map((b) => [b, b === SYNTHETIC && synthetic ? synthetic : cell(of(b), rng, o)])),
    byType,
    byDifficulty,
    longTail,
  };
}

/** `41.7 [33.3, 50.0]` in percent; `—` when nothing was decoded. */
export function fmtInterval(i: Interval | undefined): string {
  if (!i || !i.n || Number.isNaN(i.mean)) return '—';
  const p = (x: number) => (100 * x).toFixed(1);
  return `${p(i.mean)} [${p(i.lo)}, ${p(i.hi)}]`;
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

/** A CSV line (RFC 4180 quoting). */
function csvLine(xs: readonly (string | number | null | undefined)[]): string {
  return xs.map((x) => (x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x)) ? '' : /[",\n]/.test(String(x)) ? `"${String(x).replace(/"/g, '""')}"` : String(x))).join(',');
}
const r4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : NaN);

export interface Table {
  markdown: string;
  csv: string;
  /** Plain rows (notebooks: arquero). */
  rows: Record<string, string | number | null>[];
}

/**
 * Table 3. `benchmarks`: the columns in order. The macro average covers the columns where every
 * model decoded at least one item (so rows stay comparable); the footnote names them.
 */
export function table3(models: readonly ModelSummary[], benchmarks: readonly string[], rng: Rng, o: Partial<BootstrapOptions>, scores: (model: string, b: string) => number[]): Table {
  const shared = benchmarks.filter((b) => models.length > 0 && models.every((m) => m.benchmarks[b]?.n > 0));
  const md: (string | number)[][] = [];
  const rows: Table['rows'] = [];
  const withErrors = models.some((m) => benchmarks.some((b) => m.benchmarks[b].errors > 0));
  const csv = [csvLine(['model', ...benchmarks.flatMap((b) => [`${b}`, `${b}_lo`, `${b}_hi`, `${b}_n`, `${b}_too_long`]), 'avg', 'avg_lo', 'avg_hi', ...(withErrors ? benchmarks.map((b) => `${b}_errors`) : [])])];
  for (const m of models) {
    const avg = bootstrapMacro(shared.map((b) => scores(m.model, b)), rng, o);
    const errors = (c: Cell) => (c.errors ? `; ${c.errors} error${c.errors > 1 ? 's' : ''}` : '');
    md.push([m.label, ...benchmarks.map((b) => { const c = m.benchmarks[b]; return c.n ? `${fmtInterval(c.strict)} (${c.n}${c.tooLong ? `; ${c.tooLong} too long` : ''}${errors(c)})` : `— (0 of ${c.total} ${c.errors ? 'answered' : 'fit'}${errors(c)})`; }), fmtInterval(avg)]);
    csv.push(csvLine([m.label, ...benchmarks.flatMap((b) => { const c = m.benchmarks[b]; return [r4(c.strict.mean), r4(c.strict.lo), r4(c.strict.hi), c.n, c.tooLong]; }), r4(avg.mean), r4(avg.lo), r4(avg.hi), ...(withErrors ? benchmarks.map((b) => m.benchmarks[b].errors) : [])]));
    const row: Table['rows'][number] = { model: m.label };
    for (const b of benchmarks) {
      row[b] = m.benchmarks[b].n ? r4(m.benchmarks[b].strict.mean) : null;
      row[`${b} n`] = m.benchmarks[b].n;
    }
    row.avg = avg.n ? r4(avg.mean) : null;
    rows.push(row);
  }
  const note = `Strict accuracy in % [${100 * (o.level ?? 0.95)}% bootstrap CI] (items decoded; items whose prompt did not fit the model's context${withErrors ? '; items whose request failed, left out of the accuracy and asked again on the next run' : ''}). ` +
    `Avg: macro average over ${shared.length ? shared.join(', ') : 'no column (no benchmark was answered by every model)'}.`;
  return { markdown: `${markdownTable(['model', ...benchmarks, 'Avg'], md)}\n\n${note}\n`, csv: csv.join('\n') + '\n', rows };
}

/** A stage row of Table 4 (null summary: the stage has no checkpoint). */
export interface StageRow {
  label: string;
  summary: ModelSummary | null;
  /** Why the stage is absent ("not run: rlvr/stage1 has no checkpoint"). */
  missing?: string;
}

/** A difference in points with its interval: "+7.7 [0.7, 15.0]", or "—". */
function fmtDelta(x: Interval | null): string {
  return x ? `${x.mean >= 0 ? '+' : ''}${(100 * x.mean).toFixed(1)} [${(100 * x.lo).toFixed(1)}, ${(100 * x.hi).toFixed(1)}]` : '—';
}

/** Table 4 on the synthetic test split; ΔAvg is against the previous stage that ran (paired on shared items). */
export function table4(stages: readonly StageRow[], rng: Rng, o: Partial<BootstrapOptions>, itemScores: (model: string) => Map<string, number>): Table {
  const header = ['stage', 'Avg', 'ΔAvg', ...DIFFICULTIES, 'long tail', 'lenient', 'parse failure', 'supported claims', 'items'];
  const md: string[][] = [];
  const rows: Table['rows'] = [];
  const csv = [csvLine(['stage', 'avg', 'avg_lo', 'avg_hi', 'delta', 'delta_lo', 'delta_hi', ...DIFFICULTIES.flatMap((d) => [d, `${d}_lo`, `${d}_hi`, `${d}_n`]), 'long_tail', 'long_tail_n', 'lenient', 'parse_failure', 'claims', 'claims_supported', 'items', 'too_long'])];
  // the paired-bootstrap difference of model b over model a on the items both decoded (null when none)
  const paired = (a: string, b: string): { diff: Interval; items: number } | null => {
    const [x, y] = [itemScores(a), itemScores(b)];
    const ids = [...y.keys()].filter((id) => x.has(id)).sort();
    return ids.length ? { diff: bootstrapDiff(ids.map((id) => x.get(id) as number), ids.map((id) => y.get(id) as number), rng, o), items: ids.length } : null;
  };
  let prev: ModelSummary | null = null;
  for (const s of stages) {
    if (!s.summary) {
      md.push([s.label, s.missing ?? 'not run', ...header.slice(2).map(() => '')]);
      csv.push(csvLine([s.label]));
      rows.push({ stage: s.label, avg: null, delta: null, ...Object.fromEntries(DIFFICULTIES.map((k) => [k, null])), longTail: null, lenient: null, parseFailure: null, supportedClaims: null, claims: null, items: null, status: s.missing ?? 'not run' });
      continue;
    }
    const m = s.summary;
    const c = m.benchmarks[SYNTHETIC];
    const delta = prev ? paired(prev.model, m.model)?.diff ?? null : null;
    md.push([
      s.label,
      fmtInterval(c.strict),
      fmtDelta(delta),
      ...DIFFICULTIES.map((k) => (m.byDifficulty[k] ? `${fmtInterval(m.byDifficulty[k].strict)} (${m.byDifficulty[k].n})` : '—')),
      m.longTail ? `${fmtInterval(m.longTail.strict)} (${m.longTail.n})` : '—',
      fmtInterval(c.lenient),
      pct(c.n ? c.parseFailure : null),
      c.claims.total ? `${pct(c.claims.share)} of ${c.claims.total}` : '— (none stated)',
      `${c.n}${c.tooLong ? ` (+${c.tooLong} too long)` : ''}`,
    ]);
    csv.push(csvLine([
      s.label, r4(c.strict.mean), r4(c.strict.lo), r4(c.strict.hi), delta ? r4(delta.mean) : null, delta ? r4(delta.lo) : null, delta ? r4(delta.hi) : null,
      ...DIFFICULTIES.flatMap((k) => { const x = m.byDifficulty[k]; return x ? [r4(x.strict.mean), r4(x.strict.lo), r4(x.strict.hi), x.n] : [null, null, null, 0]; }),
      m.longTail ? r4(m.longTail.strict.mean) : null, m.longTail?.n ?? 0, r4(c.lenient.mean), r4(c.parseFailure), c.claims.total, c.claims.supported, c.n, c.tooLong,
    ]));
    const row: Table['rows'][number] = { stage: s.label, avg: c.n ? r4(c.strict.mean) : null, delta: delta ? r4(delta.mean) : null };
    for (const k of DIFFICULTIES) row[k] = m.byDifficulty[k]?.n ? r4(m.byDifficulty[k].strict.mean) : null;
    Object.assign(row, { longTail: m.longTail ? r4(m.longTail.strict.mean) : null, lenient: r4(c.lenient.mean), parseFailure: r4(c.parseFailure), supportedClaims: c.claims.share === null ? null : r4(c.claims.share), claims: c.claims.total, items: c.n, status: 'ran' });
    rows.push(row);
    prev = m;
  }
  // the whole method's gain: the last stage that ran against the first, paired on the same items (after the rows, so their draws do not change)
  const ran = stages.filter((s) => s.summary);
  let overall = '';
  if (ran.length >= 3) {
    const [first, last] = [ran[0], ran[ran.length - 1]];
    const x = paired((first.summary as ModelSummary).model, (last.summary as ModelSummary).model);
    if (x) overall = ` ${last.label} − ${first.label}: ${fmtDelta(x.diff)} (paired bootstrap, ${x.items} items).`;
  }
  const note = `Held-out synthetic test split (${SYNTHETIC}); strict accuracy in % [${100 * (o.level ?? 0.95)}% bootstrap CI] (items). ` +
    'ΔAvg: against the previous stage that ran, paired bootstrap on the items both decoded. Supported claims: relations stated in <think> that hold on the graph (src/eval/claims.ts).' + overall;
  return { markdown: `${markdownTable(header, md)}\n\n${note}\n`, csv: csv.join('\n') + '\n', rows };
}
