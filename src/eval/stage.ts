/**
 * Benchmarks: `fleming eval [--run DIR] [--models base,cot,rl1,rl2 | --checkpoint DIR ...]
 * [--endpoint URL --model NAME --api-key-env VAR] [--benchmarks a,b] [--benchmark-spec FILE ...] [--samples k]`.
 * Library: `run(ctx, opts)`.
 * Settings: src/eval/config.ts (config `eval`), one commented default per field.
 *
 * Every model (the policy's stages Base → +CoT → +RL1 → +RL2, any checkpoint directory, any
 * OpenAI-compatible endpoint) answers the run's held-out synthetic test split (rods-test) and a
 * seeded draw of every public benchmark file the registry's specs read (and of any benchmark a
 * --benchmark-spec FILE or eval.benchmarkSpecsDir describes). Items whose prompt does not fit the
 * model's context are counted as too long, never dropped silently; a stage without a checkpoint is
 * reported as not run. Results per item go to eval/results.jsonl as they are made (a rerun decodes
 * nothing already there); an item whose endpoint request failed for good is listed in
 * eval/errors.jsonl and counted as an error (the rest go on; the next run asks it again). Then: Table 3 and Table 4 (markdown + CSV, bootstrap intervals), the
 * plots, the verifiability of the reasoning (claims checked on the graph), and eval/report.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBaseOrigin } from '../base/status';
import { readJson, writeFileIfChanged } from '../core/io';
import { pngSkipNote, savePlot, type SavedPlot } from '../core/plot';
import type { RunContext } from '../core/run';
import type { Rng } from '../core/rng';
import type { ClaimMatcher } from './claims';
import { Decoded, decodeModels } from './decode';
import type { Decoding } from './generators';
import { BenchmarkSet, EvalRunOptions, EvalSets, ModelEntry, loadEvalSets, loadMatcher, modelEntries } from './inputs';
import { plotsSection, renderReport } from './report';
import type { Item } from '../rods/item';
import { type ResultRow, answered, protocolKey } from './results';
import { accuracyByStageFigure, modelBarFigure, readRewardSeries, rewardFigure } from './plots';
import { ModelSummary, StageRow, SYNTHETIC, Table, strictScore, summarizeModel, table3, table4 } from './summary';

export { STAGE_MODELS, benchmarksDirOf, loadBenchmarkSets, modelEntries } from './inputs';
export type { BenchmarkSet, EvalRunOptions, ModelEntry } from './inputs';

export interface EvalResult {
  dir: string;
  models: ModelEntry[];
  summaries: ModelSummary[];
  benchmarks: BenchmarkSet[];
  table3: Table;
  table4: Table;
  /** Completions generated in this call (0 on a rerun with nothing new). */
  generated: number;
  /** Results reused from results.jsonl. */
  reused: number;
  /** Items whose request failed for good in this call (eval/errors.jsonl; asked again on the next run). */
  errors: number;
  plots: Record<string, SavedPlot>;
  seconds: number;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

type Boot = { resamples: number; level: number };

/** Step 4: per-model summaries (bootstrap intervals), Table 3 (models × sets) and Table 4 (the policy's stages), written as .md and .csv. */
function writeTables(ctx: RunContext, dir: string, models: readonly ModelEntry[], d: Decoded, columns: string[], rng: (purpose: string) => Rng, boot: Boot) {
  const { rows, copies } = d;
  const ran = models.filter((m) => !m.notRun);
  // one seeded stream per model and per table: an interval does not move with the models or benchmarks beside it
  const summaries = ran.map((m) => {
    const s = summarizeModel(m.id, m.label, rows, columns, rng(`eval:bootstrap:${m.id}`), boot);
    const copy = copies.get(m.id);
    return copy ? { ...s, copy } : s;
  });
  const byId = new Map(summaries.map((s) => [s.model, s]));
  const scoresOf = (model: string, b: string) => rows.filter((r) => r.model === model && r.benchmark === b && answered(r)).map(strictScore);
  const t3 = table3(summaries, columns, rng('eval:bootstrap:table3'), boot, scoresOf);
  const stageRows: StageRow[] = models.filter((m) => m.kind === 'stage').map((m) => ({ label: m.label, summary: byId.get(m.id) ?? null, missing: m.notRun }));
  const t4 = table4(stageRows, rng('eval:bootstrap:table4'), boot, (model) => new Map(rows.filter((r) => r.model === model && r.benchmark === SYNTHETIC && answered(r)).map((r) => [r.itemId, strictScore(r)])));
  writeFileIfChanged(path.join(dir, 'table3.md'), t3.markdown);
  writeFileIfChanged(path.join(dir, 'table3.csv'), t3.csv);
  writeFileIfChanged(path.join(dir, 'table4.md'), t4.markdown);
  writeFileIfChanged(path.join(dir, 'table4.csv'), t4.csv);
  return { summaries, stageRows, t3, t4 };
}

/** Step 5: accuracy by stage, both GRPO stages' reward curves, and the models on one benchmark, in eval/plots/. */
function writePlots(ctx: RunContext, dir: string, hasItems: boolean, stageRows: StageRow[], summaries: ModelSummary[], columns: string[]) {
  const plotsDir = path.join(dir, 'plots');
  const plots: Record<string, SavedPlot> = {};
  const stageSummaries = stageRows.flatMap((s) => (s.summary ? [s.summary] : []));
  if (hasItems) plots.accuracy_by_stage = savePlot(accuracyByStageFigure(stageSummaries), plotsDir, 'accuracy_by_stage');
  const series = [1, 2].flatMap((k) => readRewardSeries(`stage ${k}`, path.join(ctx.dir, 'rlvr', `stage${k}`, 'metrics.jsonl')) ?? []);
  plots.reward = savePlot(rewardFigure(series), plotsDir, 'reward');
  const barBench = ['medxpertqa', ...columns].find((b) => summaries.some((s) => s.benchmarks[b]?.n)) ?? null;
  if (barBench) plots.models = savePlot(modelBarFigure(summaries, barBench), plotsDir, 'models');
  for (const p of Object.values(plots)) {
    const why = pngSkipNote(p);
    if (why) ctx.log(`eval: PNGs not written: ${why}`);
  }
  return { plots, series };
}

/** Step 6: the first completions of each model on the held-out split, with their claims, in examples.jsonl. */
function writeExamples(ctx: RunContext, dir: string, models: readonly ModelEntry[], rows: readonly ResultRow[], matcher: ClaimMatcher | null) {
  const examples = models.filter((m) => !m.notRun).flatMap((m) =>
    rows
      .filter((r) => r.model === m.id && r.benchmark === SYNTHETIC && answered(r))
      .slice(0, ctx.config.eval.examples)
      .map((r) => ({ model: m.label, itemId: r.itemId, answer: r.answer, difficulty: r.difficulty, completion: r.samples[0].completion, strict: r.samples[0].strict, lenient: r.samples[0].lenient, claims: matcher ? matcher.verify(r.samples[0].completion).claims.map((c) => ({ text: c.text, supported: c.supported, sentence: c.sentence })) : [] })),
  );
  writeFileIfChanged(path.join(dir, 'examples.jsonl'), jsonLines(examples));
  return examples;
}

/** eval/errors.jsonl: the items whose request failed for good, with the error (removed when there are none). */
function writeErrors(ctx: RunContext, dir: string, rows: readonly ResultRow[]): number {
  const file = path.join(dir, 'errors.jsonl');
  const failed = rows.filter((r) => r.error).map((r) => ({ model: r.model, benchmark: r.benchmark, itemId: r.itemId, error: r.error }));
  if (!failed.length) {
    fs.rmSync(file, { force: true });
    return 0;
  }
  writeFileIfChanged(file, jsonLines(failed));
  ctx.log(`eval: ${failed.length} item${failed.length > 1 ? 's' : ''} failed at the endpoint and ${failed.length > 1 ? 'are' : 'is'} counted as errors (${file}); the next run asks ${failed.length > 1 ? 'them' : 'it'} again. First: ${failed[0].itemId}: ${failed[0].error}`);
  return failed.length;
}

/** One log line per model: held-out accuracy, parse failures, claims, the thoughts' anatomy, the copy probe, what fit. */
function logSummaries(ctx: RunContext, summaries: readonly ModelSummary[], columns: readonly string[]): void {
  for (const s of summaries) {
    const c = s.benchmarks[SYNTHETIC];
    const fit = columns.filter((b) => b !== SYNTHETIC).map((b) => `${b} ${s.benchmarks[b].n}/${s.benchmarks[b].total}`).join(', ');
    ctx.log(
      `eval: ${s.label}: ${c ? `${SYNTHETIC} strict ${pct(c.strict.mean)} (chance ${pct(c.chance)}; letters ${JSON.stringify(c.predicted)}) lenient ${pct(c.lenient.mean)} parse failure ${pct(c.parseFailure)} on ${c.n} items (${c.tooLong} too long${c.errors ? `, ${c.errors} errors` : ''}); claims ${c.claims.total ? `${pct(c.claims.share ?? 0)} supported of ${c.claims.total}` : 'none stated'}${c.anatomy.n ? `; thoughts read the question ${pct(c.anatomy.reads ?? 0)}, recall the answer ${pct(c.anatomy.recalls ?? 0)}, pick the letter they name ${pct(c.anatomy.picks ?? 0)}` : ''}` : ''}` +
        `${s.copy ? `; copy probe: 2nd copy ${s.copy.secondCopyNll.toFixed(2)} vs 1st ${s.copy.firstCopyNll.toFixed(2)}` : ''}` +
        `${fit ? `; fit: ${fit}` : ''}`,
    );
  }
}

/** Rows as JSON Lines text. */
const jsonLines = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');

/** The fields of summary.json that say how this call went (not what the results are). */
const CALL_FIELDS = ['generated', 'reused', 'errors', 'seconds'];

/**
 * Step 7: report.md, then summary.json (last: it says the report is whole). A call that
 * generated nothing and found the same summary apart from CALL_FIELDS keeps both files as they
 * are, so a rerun of a finished eval changes nothing (and runs on a read-only copy).
 */
function writeSummary(ctx: RunContext, dir: string, summary: Record<string, unknown>, report: () => string): void {
  const summaryFile = path.join(dir, 'summary.json');
  const reportFile = path.join(dir, 'report.md');
  const strip = (x: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(x).filter(([k]) => !CALL_FIELDS.includes(k))));
  const prev = fs.existsSync(summaryFile) && fs.existsSync(reportFile) ? readJson<Record<string, unknown>>(summaryFile) : null;
  if (summary.generated === 0 && summary.errors === 0 && prev && strip(prev) === strip(JSON.parse(JSON.stringify(summary)))) {
    ctx.log(`eval: nothing new (every result was in results.jsonl); ${reportFile} and summary.json kept as they were`);
    return;
  }
  writeFileIfChanged(reportFile, report());
  writeFileIfChanged(summaryFile, JSON.stringify(summary, null, 2) + '\n');
}

/** Items per held-out split (null: the run has no RODS items). */
function splitCounts(items: readonly Item[] | null): { validation: number; test: number } | null {
  return items ? { validation: items.filter((it) => it.split === 'validation').length, test: items.filter((it) => it.split === 'test').length } : null;
}

/** The stage (see the file comment). */
export async function run(ctx: RunContext, opts: EvalRunOptions = {}): Promise<EvalResult> {
  const t0 = Date.now();
  const cfg = ctx.config.eval;
  const dir = ctx.stageDir('eval');
  const samples = opts.samples ?? cfg.samples;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`eval: samples must be a positive integer, got ${samples}`);
  const decoding: Decoding = { samples, temperature: cfg.temperature, maxNewTokens: cfg.maxNewTokens, batchSize: cfg.batchSize, seed: ctx.config.seed };
  const boot = { resamples: cfg.bootstrap, level: cfg.ciLevel };

  const sets: EvalSets = await loadEvalSets(ctx, opts);
  const { columns } = sets;
  const matcher = await loadMatcher(ctx, opts.graph);
  const models = modelEntries(ctx, opts);
  for (const m of models.filter((x) => x.notRun)) ctx.log(`eval: ${m.label}: ${m.notRun}`);
  const decoded = await decodeModels(ctx, opts, models, sets.evalSets, matcher, decoding, dir);
  const { generated, reused } = decoded;

  const { summaries, stageRows, t3, t4 } = writeTables(ctx, dir, models, decoded, columns, (purpose) => ctx.rng(purpose), boot);
  const { plots, series } = writePlots(ctx, dir, sets.items !== null, stageRows, summaries, columns);
  const examples = writeExamples(ctx, dir, models, decoded.rows, matcher);
  const errors = writeErrors(ctx, dir, decoded.rows);
  const seconds = (Date.now() - t0) / 1000;
  const { note, skips } = sets;
  const inRun = (p: string) => (path.isAbsolute(p) && !path.relative(ctx.dir, p).startsWith('..') ? path.relative(ctx.dir, p) : p); // a copied run keeps its summary
  const summary = { protocol: { ...decoding, protocol: protocolKey(decoding), answer: 'strict: last <answer>X</answer>; lenient: MMLU-Pro cascade' }, models: models.map((m) => ({ ...m, source: inRun(m.source) })), benchmarks: sets.sets.map(({ items: _i, ...s }) => s), benchmarkNote: note, loaderSkips: skips.toJSON(), summaries, generated, reused, errors, seconds: Math.round(seconds * 10) / 10 };
  const configFile = path.join(ctx.dir, 'config.json');
  const report = () => renderReport({ runDir: ctx.dir, models, summaries, columns, sets: sets.sets, note, t3, t4, plots: plotsSection(plots, dir), examples, decoding, seconds, generated, reused, errors, rewardSeries: series.length, config: fs.existsSync(configFile) ? readJson(configFile) : ctx.config, splits: splitCounts(sets.items), base: runBaseOrigin(ctx.dir) });
  writeSummary(ctx, dir, summary, report);
  logSummaries(ctx, summaries, columns);
  ctx.log(`eval: ${generated} completions generated, ${reused} reused, ${errors} failed; ${seconds.toFixed(1)} s; report ${path.join(dir, 'report.md')}`);
  return { dir, models, summaries, benchmarks: sets.sets, table3: t3, table4: t4, generated, reused, errors, plots, seconds };
}
