/**
 * Benchmarks: `fleming eval [--run DIR] [--models base,cot,rl1,rl2 | --checkpoint DIR ...]
 * [--endpoint URL --model NAME --api-key-env VAR] [--benchmarks a,b] [--samples k]`.
 * Library: `run(ctx, opts)`.
 *
 * Every model (the policy's stages Base → +CoT → +RL1 → +RL2, any checkpoint directory, any
 * OpenAI-compatible endpoint) answers the run's held-out synthetic test split (rods-test) and a
 * seeded draw of every public benchmark file the loaders read. Items whose prompt does not fit the
 * model's context are counted as too long, never dropped silently; a stage without a checkpoint is
 * reported as not run. Results per item go to eval/results.jsonl as they are made (a rerun decodes
 * nothing already there). Then: Table 3 and Table 4 (markdown + CSV, bootstrap intervals), the
 * plots, the verifiability of the reasoning (claims checked on the graph), and eval/report.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SkipReport, readJson, readJsonlAll, writeFileAtomic, writeJson, writeJsonlSync } from '../core/io';
import { savePlot, type SavedPlot } from '../core/plot';
import type { RunContext } from '../core/run';
import { KnowledgeGraph } from '../graph/graph';
import { selectBackend } from '../model/backend';
import { CURATED_BENCHMARKS, loadBenchmark } from '../rods/curated/registry';
import type { Item } from '../rods/item';
import { thoughtAnatomy } from './anatomy';
import { ClaimMatcher } from './claims';
import { CheckpointGenerator, Decoding, EndpointGenerator, EndpointSpec, Generator, type Sample } from './generators';
import type { CopyProbe } from '../base/copy';
import { plotsSection, renderReport } from './report';
import { type ClaimCount, ResultRow, ResultStore, protocolKey, resultKey } from './results';
import { accuracyByStageFigure, modelBarFigure, readRewardSeries, rewardFigure } from './plots';
import { ModelSummary, StageRow, SYNTHETIC, Table, strictScore, summarizeModel, table3, table4 } from './summary';

/** The policy's stages: id → label and checkpoint directory in the run. */
export const STAGE_MODELS: Record<string, { label: string; dir: string }> = {
  base: { label: 'Base', dir: 'coldstart/base' },
  cot: { label: '+CoT', dir: 'coldstart/sft' },
  rl1: { label: '+RL1', dir: 'rlvr/stage1' },
  rl2: { label: '+RL2', dir: 'rlvr/stage2' },
};

export interface EvalRunOptions {
  /** Stage ids (default: config eval.models, or none when checkpoints/endpoint are given). */
  models?: string[];
  /** Other checkpoint directories. */
  checkpoints?: string[];
  /** A model behind an OpenAI-compatible endpoint. */
  endpoint?: EndpointSpec;
  /** Benchmark names (default: config eval.benchmarks; [] = every file present). */
  benchmarks?: string[];
  /** Samples per item (default: config eval.samples). */
  samples?: number;
  /** The run's graph (default: loaded from graph/), for the claims check. */
  graph?: KnowledgeGraph;
  /** Benchmarks directory (default: config rods.benchmarksDir, then $FLEMING_BENCHMARKS). */
  benchmarksDir?: string;
  /** Endpoint client limits (tests). */
  endpointClient?: { timeoutMs?: number; maxRetries?: number };
}

/** One model of the evaluation. */
export interface ModelEntry {
  id: string;
  label: string;
  kind: 'stage' | 'checkpoint' | 'endpoint';
  /** Checkpoint directory, or the endpoint's base URL and model. */
  source: string;
  /** Why it was not evaluated (stage without a checkpoint). */
  notRun?: string;
}

/** A benchmark as evaluated: where it came from and how many items were drawn. */
export interface BenchmarkSet {
  name: string;
  file: string;
  /** Items in the file (after the loader's checks). */
  loaded: number;
  /** Items drawn for evaluation (the per-benchmark cap). */
  drawn: number;
  /** Dropped because they are in the training mix. */
  inTraining: number;
  skipped: number;
  items: Item[];
}

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
  plots: Record<string, SavedPlot>;
  seconds: number;
}

/** The benchmarks directory: an option, the config, then $FLEMING_BENCHMARKS (null when none). */
export function benchmarksDirOf(ctx: RunContext, explicit?: string): string | null {
  const d = explicit ?? ctx.config.rods.benchmarksDir ?? process.env.FLEMING_BENCHMARKS;
  return d ? path.resolve(d) : null;
}

/** The models to evaluate, with stages lacking a checkpoint marked not run. */
export function modelEntries(ctx: RunContext, opts: EvalRunOptions): ModelEntry[] {
  const explicitOthers = (opts.checkpoints?.length ?? 0) > 0 || opts.endpoint !== undefined;
  const stageIds = opts.models ?? (explicitOthers ? [] : ctx.config.eval.models);
  const out: ModelEntry[] = [];
  for (const id of stageIds) {
    const s = STAGE_MODELS[id];
    if (!s) throw new Error(`eval: unknown model "${id}" (stages: ${Object.keys(STAGE_MODELS).join(', ')}; other checkpoints: --checkpoint DIR)`);
    const dir = path.join(ctx.dir, s.dir);
    const ok = fs.existsSync(path.join(dir, 'model.safetensors')) && fs.existsSync(path.join(dir, 'tokenizer.json'));
    out.push({ id, label: s.label, kind: 'stage', source: dir, ...(ok ? {} : { notRun: `not run (${s.dir} has no checkpoint)` }) });
  }
  for (const c of opts.checkpoints ?? []) {
    const dir = path.resolve(c);
    const id = `ckpt:${path.basename(dir)}`;
    if (out.some((m) => m.id === id)) throw new Error(`eval: two checkpoints named ${path.basename(dir)}; rename one directory`);
    out.push({ id, label: path.basename(dir), kind: 'checkpoint', source: dir });
  }
  if (opts.endpoint) out.push({ id: `api:${opts.endpoint.model}`, label: opts.endpoint.model, kind: 'endpoint', source: `${opts.endpoint.baseUrl} (${opts.endpoint.model})` });
  return out;
}

/** The benchmark sets: a seeded draw of at most `cap` items of each, minus items in the training split. */
export async function loadBenchmarkSets(ctx: RunContext, dir: string | null, names: readonly string[], cap: number, trainIds: Set<string>): Promise<{ sets: BenchmarkSet[]; skips: SkipReport; note: string | null }> {
  const skips = new SkipReport();
  if (!dir) return { sets: [], skips, note: 'no benchmarks directory (set FLEMING_BENCHMARKS or --set rods.benchmarksDir=DIR): public benchmarks not evaluated' };
  if (!fs.existsSync(dir)) return { sets: [], skips, note: `benchmarks directory ${dir} not found: public benchmarks not evaluated` };
  const chosen = names.length ? [...names] : Object.keys(CURATED_BENCHMARKS).filter((n) => fs.existsSync(path.join(dir, CURATED_BENCHMARKS[n].relPath)));
  const sets: BenchmarkSet[] = [];
  for (const name of chosen) {
    const before = skips.total();
    const all = await loadBenchmark(name, dir, skips);
    const fresh = all.filter((it) => !trainIds.has(it.id));
    const idx = cap > 0 && fresh.length > cap ? ctx.rng(`eval:draw:${name}`).sample([...fresh.keys()], cap).sort((a, b) => a - b) : [...fresh.keys()];
    sets.push({ name, file: path.join(dir, CURATED_BENCHMARKS[name].relPath), loaded: all.length, drawn: idx.length, inTraining: all.length - fresh.length, skipped: skips.total() - before, items: idx.map((i) => fresh[i]) });
  }
  return { sets, skips, note: null };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
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

  // 1. Items: the held-out synthetic split and the benchmark draws.
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  const items = fs.existsSync(itemsFile) ? await readJsonlAll<Item>(itemsFile) : null;
  if (!items) ctx.log(`eval: ${itemsFile} not found: the held-out synthetic split is not evaluated (run \`fleming rods\` first)`);
  const testAll = (items ?? []).filter((it) => it.split === 'test');
  const test = cfg.testItems > 0 ? testAll.slice(0, cfg.testItems) : testAll;
  const trainIds = new Set((items ?? []).filter((it) => it.split === 'train').map((it) => it.id));
  const bdir = benchmarksDirOf(ctx, opts.benchmarksDir);
  const { sets, skips, note } = await loadBenchmarkSets(ctx, bdir, opts.benchmarks ?? cfg.benchmarks, cfg.benchmarkItems, trainIds);
  if (note) ctx.log(`eval: ${note}`);
  for (const s of sets) ctx.log(`eval: ${s.name}: ${s.loaded} items (${s.skipped} rows skipped by the loader${s.inTraining ? `, ${s.inTraining} in the training mix` : ''}) → ${s.drawn} drawn`);
  const evalSets: { name: string; items: Item[] }[] = [...(items ? [{ name: SYNTHETIC, items: test }] : []), ...sets.map((s) => ({ name: s.name, items: s.items }))];
  const columns = evalSets.map((s) => s.name);

  // 2. The graph, for the claims in the reasoning.
  const graphDir = path.join(ctx.dir, 'graph');
  const graph = opts.graph ?? (fs.existsSync(path.join(graphDir, 'nodes.jsonl')) ? await KnowledgeGraph.load(graphDir) : null);
  if (!graph) ctx.log('eval: no graph in the run: the claims in the reasoning are not checked');
  const matcher = graph ? new ClaimMatcher(graph) : null;

  // 3. Models, each on every set; cached rows are reused.
  const models = modelEntries(ctx, opts);
  for (const m of models.filter((x) => x.notRun)) ctx.log(`eval: ${m.label}: ${m.notRun}`);
  const store = new ResultStore(path.join(dir, 'results.jsonl'));
  const protocol = protocolKey(decoding);
  const rows: ResultRow[] = [];
  const copies = new Map<string, CopyProbe>();
  let generated = 0;
  let reused = 0;
  for (const m of models.filter((x) => !x.notRun)) {
    if (m.kind !== 'endpoint' && (!tf.engine().backendName || (ctx.config.backend && tf.getBackend() !== ctx.config.backend))) {
      const b = await selectBackend(ctx.config.backend || undefined);
      ctx.log(`eval: backend ${b.name} (${b.reason})`);
    }
    const gen: Generator =
      m.kind === 'endpoint'
        ? new EndpointGenerator(opts.endpoint as EndpointSpec, { cacheDir: path.join(dir, 'llm-cache'), ...opts.endpointClient })
        : new CheckpointGenerator(m.source, m.id);
    const d: Decoding = m.kind === 'endpoint' ? { ...decoding, maxNewTokens: cfg.endpointMaxTokens } : decoding;
    try {
      if (gen instanceof CheckpointGenerator) copies.set(m.id, await gen.copyProbe(ctx.rng('eval:copy')));
      for (const set of evalSets) {
        const todo: { item: Item; key: string }[] = [];
        for (const item of set.items) {
          const key = resultKey(gen.fingerprint, protocol, set.name, item);
          const have = store.get(key);
          if (have) {
            // claims are re-read with the current matcher (it may have changed since the row was made)
            rows.push({ ...have, model: m.id, samples: have.samples.map((s) => readThought(matcher, item, s, s.claims)) });
            reused++;
          } else todo.push({ item, key });
        }
        const base = (item: Item, key: string) => ({
          key, model: m.id, benchmark: set.name, itemId: item.id, type: item.type, difficulty: item.difficulty ?? 'unlabelled',
          longTail: Boolean(item.meta?.longTail), answer: item.answer, options: Object.keys(item.options).length, promptTokens: gen.promptTokens(item),
        });
        const fitting = todo.filter(({ item, key }) => {
          if (gen.fits(item, d.maxNewTokens)) return true;
          const row: ResultRow = { ...base(item, key), tooLong: true, samples: [] };
          store.put(row);
          rows.push(row);
          return false;
        });
        if (!fitting.length) continue;
        const bar = ctx.progress(`eval: ${m.label} on ${set.name}`, fitting.length);
        const chunk = Math.max(1, d.batchSize) * (m.kind === 'endpoint' ? 4 : 1);
        for (let i = 0; i < fitting.length; i += chunk) {
          const part = fitting.slice(i, i + chunk);
          const out = await gen.run(part.map((p) => p.item), d);
          part.forEach(({ item, key }, j) => {
            const row: ResultRow = { ...base(item, key), tooLong: false, samples: out[j].map((s) => readThought(matcher, item, s, { total: 0, supported: 0 })) };
            store.put(row);
            rows.push(row);
          });
          bar.update(Math.min(fitting.length, i + chunk));
        }
        bar.done();
      }
      generated += gen.generated;
    } finally {
      gen.dispose();
    }
  }

  // 4. Summaries, tables, plots, report.
  const ran = models.filter((m) => !m.notRun);
  const rng = ctx.rng('eval:bootstrap');
  const summaries = ran.map((m) => {
    const s = summarizeModel(m.id, m.label, rows, columns, rng, boot);
    const copy = copies.get(m.id);
    return copy ? { ...s, copy } : s;
  });
  const byId = new Map(summaries.map((s) => [s.model, s]));
  const scoresOf = (model: string, b: string) => rows.filter((r) => r.model === model && r.benchmark === b && !r.tooLong).map(strictScore);
  const t3 = table3(summaries, columns, rng, boot, scoresOf);
  const stageRows: StageRow[] = models.filter((m) => m.kind === 'stage').map((m) => ({ label: m.label, summary: byId.get(m.id) ?? null, missing: m.notRun }));
  const t4 = table4(stageRows, rng, boot, (model) => new Map(rows.filter((r) => r.model === model && r.benchmark === SYNTHETIC && !r.tooLong).map((r) => [r.itemId, strictScore(r)])));
  writeFileAtomic(path.join(dir, 'table3.md'), t3.markdown);
  writeFileAtomic(path.join(dir, 'table3.csv'), t3.csv);
  writeFileAtomic(path.join(dir, 'table4.md'), t4.markdown);
  writeFileAtomic(path.join(dir, 'table4.csv'), t4.csv);

  const plotsDir = path.join(dir, 'plots');
  const plots: Record<string, SavedPlot> = {};
  const stageSummaries = stageRows.flatMap((s) => (s.summary ? [s.summary] : []));
  if (items) plots.accuracy_by_stage = savePlot(accuracyByStageFigure(stageSummaries), plotsDir, 'accuracy_by_stage');
  const series = [1, 2].flatMap((k) => readRewardSeries(`stage ${k}`, path.join(ctx.dir, 'rlvr', `stage${k}`, 'metrics.jsonl')) ?? []);
  plots.reward = savePlot(rewardFigure(series), plotsDir, 'reward');
  const barBench = ['medxpertqa', ...columns].find((b) => summaries.some((s) => s.benchmarks[b]?.n)) ?? null;
  if (barBench) plots.models = savePlot(modelBarFigure(summaries, barBench), plotsDir, 'models');
  for (const [name, p] of Object.entries(plots)) if (p.pngSkipped) ctx.log(`eval: ${name}.png not written: ${p.pngSkipped}`);

  const examples = ran.flatMap((m) =>
    rows
      .filter((r) => r.model === m.id && r.benchmark === SYNTHETIC && !r.tooLong)
      .slice(0, cfg.examples)
      .map((r) => ({ model: m.label, itemId: r.itemId, answer: r.answer, difficulty: r.difficulty, completion: r.samples[0].completion, strict: r.samples[0].strict, lenient: r.samples[0].lenient, claims: matcher ? matcher.verify(r.samples[0].completion).claims.map((c) => ({ text: c.text, supported: c.supported, sentence: c.sentence })) : [] })),
  );
  writeJsonlSync(path.join(dir, 'examples.jsonl'), examples);
  const seconds = (Date.now() - t0) / 1000;
  const summary = { protocol: { ...decoding, protocol, answer: 'strict: last <answer>X</answer>; lenient: MMLU-Pro cascade' }, models, benchmarks: sets.map(({ items: _i, ...s }) => s), benchmarkNote: note, loaderSkips: skips.toJSON(), summaries, generated, reused, seconds: Math.round(seconds * 10) / 10 };
  writeJson(path.join(dir, 'summary.json'), summary);
  const configFile = path.join(ctx.dir, 'config.json');
  writeFileAtomic(
    path.join(dir, 'report.md'),
    renderReport({ runDir: ctx.dir, models, summaries, columns, sets, note, t3, t4, plots: plotsSection(plots, dir), examples, decoding, seconds, generated, reused, rewardSeries: series.length, config: fs.existsSync(configFile) ? readJson(configFile) : ctx.config }),
  );
  for (const s of summaries) {
    const c = s.benchmarks[SYNTHETIC];
    const fit = columns.filter((b) => b !== SYNTHETIC).map((b) => `${b} ${s.benchmarks[b].n}/${s.benchmarks[b].total}`).join(', ');
    ctx.log(
      `eval: ${s.label}: ${c ? `${SYNTHETIC} strict ${pct(c.strict.mean)} (chance ${pct(c.chance)}; letters ${JSON.stringify(c.predicted)}) lenient ${pct(c.lenient.mean)} parse failure ${pct(c.parseFailure)} on ${c.n} items (${c.tooLong} too long); claims ${c.claims.total ? `${pct(c.claims.share ?? 0)} supported of ${c.claims.total}` : 'none stated'}${c.anatomy.n ? `; thoughts read the question ${pct(c.anatomy.reads ?? 0)}, recall the answer ${pct(c.anatomy.recalls ?? 0)}, pick the letter they name ${pct(c.anatomy.picks ?? 0)}` : ''}` : ''}` +
        `${s.copy ? `; copy probe: 2nd copy ${s.copy.secondCopyNll.toFixed(2)} vs 1st ${s.copy.firstCopyNll.toFixed(2)}` : ''}` +
        `${fit ? `; fit: ${fit}` : ''}`,
    );
  }
  ctx.log(`eval: ${generated} completions generated, ${reused} reused; ${seconds.toFixed(1)} s; report ${path.join(dir, 'report.md')}`);
  return { dir, models, summaries, benchmarks: sets, table3: t3, table4: t4, generated, reused, plots, seconds };
}

/** A sample with its claims and anatomy read by the graph's matcher (without a graph: `claims` as given, no anatomy). */
function readThought(matcher: ClaimMatcher | null, item: Item, s: Sample, claims: ClaimCount): ResultRow['samples'][number] {
  return matcher ? { ...s, claims: countClaims(matcher, s.completion), anatomy: thoughtAnatomy(matcher, item, s.completion) } : { ...s, claims, anatomy: null };
}

function countClaims(m: ClaimMatcher, completion: string): { total: number; supported: number } {
  const v = m.verify(completion);
  return { total: v.total, supported: v.supported };
}
