/**
 * RODS: the Reasoning-Oriented Data Strategy.   Command: `fleming rods [--run DIR]`
 * Settings: src/rods/config.ts (config `rods`), one commented default per field.
 *
 * graph → synthesis (rare-entity-biased subgraphs, masking, relation-preserving distractors)
 *       → curated public QA (optional, mixed at a ratio) → format filter, near-duplicates,
 *       anonymisation → label verification (graph solver or an LLM, k answers per item)
 *       → difficulty (graph features, reference pass rate, LLM judge) → train/validation/test split
 *       (whole anchor groups held out: src/rods/split.ts).
 * Option texts name entities the way the run's Base does (src/graph/world.ts): as the graph spells
 * them, or in mention form for a released Base, whose entity tokens are " " + that form.
 * Writes rods/items.jsonl, train.jsonl, validation.jsonl, test.jsonl, rejected.jsonl, review.jsonl,
 * stats.json, report.md and plots/. A finished stage is reused unless its inputs changed or --force is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunContext, stageDone, markStageDone } from '../core/run';
import { readJson, readJsonlAll, writeFileAtomic, writeJson, writeJsonl, SkipReport } from '../core/io';
import { pngSkipNote, savePlot, Figure } from '../core/plot';
import { markdownTable } from '../core/markdown';
import { LlmClient } from '../core/llm';
import type { EndpointConfig } from '../core/endpoint';
import type { KnowledgeGraph } from '../graph/graph';
import { loadRunGraph } from '../graph/stage';
import { DIFFICULTIES, Difficulty, Item, Split } from './item';
import { synthesize, longTailCoverage } from './synth/index';
import { solveItem } from './synth/solve';
import { loadAllBenchmarks } from './curated/index';
import { mixItems } from './curated/mix';
import { formatFilter, nearDuplicates, anonymize } from './filter/index';
import { verifyLabels, llmValidator, Validator } from './verify';
import { combineDifficulty, graphDifficulty, passRateDifficulty, pairwiseAgreement, llmDifficultyJudge } from './difficulty';
import { itemGraphFeatures, referenceAnswer } from './features';
import { groupOf, splitItems, splitDefaults } from './split';
import { mentionName, type TextStyle } from '../base/sentences';
import { runWorld } from '../graph/world';

export interface RejectedRow {
  stage: 'synthesis' | 'format' | 'near-duplicate' | 'anonymisation';
  reason: string;
  id?: string;
  type?: string;
  detail?: string;
}

export interface RodsResult {
  items: Item[];
  stats: RodsStats;
  reused: boolean;
}

export interface RodsStats {
  drafted: number;
  synthesized: number;
  curated: number;
  kept: number;
  train: number;
  validation: number;
  test: number;
  testLongTail: number;
  /** Per split: anchor groups, and how many of them are diseases. */
  anchors: Record<Split, { anchors: number; diseases: number }>;
  rejectedByReason: Record<string, number>;
  review: number;
  byType: Record<string, number>;
  byDifficulty: Record<string, number>;
  difficultyByType: Record<string, Record<string, number>>;
  letters: Record<string, number>;
  agreement: ReturnType<typeof pairwiseAgreement>;
  /** Long-tail anchors reached by rare-entity-biased sampling versus uniform sampling. */
  longTailCoverage: { alpha: number; threshold: number; biased: number; uniform: number; ratio: number };
}

function client(cfg: EndpointConfig, cacheDir: string): LlmClient {
  return new LlmClient({ baseUrl: cfg.baseUrl, model: cfg.model, apiKeyEnv: cfg.apiKeyEnv, maxConcurrency: cfg.maxConcurrency, cacheDir });
}

function count<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** Reads the items a previous run of this stage wrote (optionally one split). */
export async function loadRunItems(runDir: string, split?: Split): Promise<Item[]> {
  const file = path.join(runDir, 'rods', split ? `${split}.jsonl` : 'items.jsonl');
  if (!fs.existsSync(file)) throw new Error(`${file}: no items yet; run \`fleming rods --run ${runDir}\` first`);
  return readJsonlAll<Item>(file);
}

/** An item's option texts in `style`: as synthesized ('sentence'), or each in its mention form ('mention'). */
export function styleOptions(item: Item, style: TextStyle): Item {
  if (style === 'sentence') return item;
  return { ...item, options: Object.fromEntries(Object.entries(item.options).map(([l, x]) => [l, mentionName(x)])) };
}

/** Step 1: synthesis from the graph (rejected drafts recorded), option texts in the Base's style. */
function synthesisStep(ctx: RunContext, graph: KnowledgeGraph, rejected: RejectedRow[], style: TextStyle) {
  const cfg = ctx.config.rods;
  const t0 = Date.now();
  const syn = synthesize(graph, { n: cfg.items, options: cfg.options, alpha: cfg.alpha, mix: cfg.mix }, ctx.rng('rods:synthesis'));
  for (const r of syn.rejected) rejected.push({ stage: 'synthesis', reason: r.reason, type: r.type, detail: [r.anchor, r.variant, r.detail].filter(Boolean).join(' ') });
  ctx.log(`rods: synthesized ${syn.items.length} items from ${cfg.items} requested (${syn.rejected.length} drafts rejected) in ${((Date.now() - t0) / 1000).toFixed(1)} s${style === 'mention' ? "; options name entities in the released Base's mention form" : ''}`);
  return { ...syn, items: syn.items.map((it) => styleOptions(it, style)) };
}

/** Step 2: curated public QA mixed in at a ratio (optional: the mirrored benchmarks are test sets). */
async function curationStep(ctx: RunContext, dir: string, synthetic: Item[]): Promise<{ items: Item[]; curated: number }> {
  const cfg = ctx.config.rods;
  if (!cfg.curatedBenchmarks.length) return { items: synthetic, curated: 0 };
  const benchDir = cfg.benchmarksDir ?? process.env.FLEMING_BENCHMARKS;
  if (!benchDir) throw new Error('rods.curatedBenchmarks is set but no benchmarks directory: pass --set rods.benchmarksDir=DIR or FLEMING_BENCHMARKS=DIR (e.g. ../shared/data/benchmarks)');
  const skips = new SkipReport(ctx.config.strict);
  const { items: curated } = await loadAllBenchmarks(benchDir, skips, cfg.curatedBenchmarks);
  const mixed = mixItems(synthetic, curated, cfg.curatedRatio, ctx.rng('rods:mix'));
  writeJson(path.join(dir, 'curated-skipped.json'), skips.toJSON());
  ctx.log(`rods: mixed ${mixed.curated} curated and ${mixed.synthetic} synthetic items (ratio ${cfg.curatedRatio})`);
  return { items: mixed.items, curated: mixed.curated };
}

/** Step 3: the format filter, near-duplicate removal and anonymisation (rejections recorded). */
function filterStep(ctx: RunContext, items: Item[], rejected: RejectedRow[]): Item[] {
  const fmt = formatFilter(items);
  for (const r of fmt.rejected) rejected.push({ stage: 'format', reason: r.reason, id: r.item.id, type: r.item.type });
  const dup = nearDuplicates(fmt.kept, { threshold: ctx.config.rods.nearDupThreshold, seed: ctx.config.seed });
  for (const r of dup.rejected) rejected.push({ stage: 'near-duplicate', reason: r.reason.replace(/ of .*/, ''), id: r.item.id, type: r.item.type, detail: r.reason });
  const anon = anonymize(dup.kept);
  for (const r of anon.rejected) rejected.push({ stage: 'anonymisation', reason: r.reason, id: r.item.id, type: r.item.type });
  return anon.kept;
}

/** Step 4: label verification, k answers per item (LLM validator or the graph solver); items failed every time go to review. */
async function verificationStep(ctx: RunContext, graph: KnowledgeGraph, items: Item[], llmCache: string) {
  const cfg = ctx.config.rods;
  const graphValidator: Validator = async (item) => solveItem(graph, item).letter;
  const validator: Validator = cfg.validator
    ? llmValidator(client(cfg.validator, llmCache))
    : async (item, i) => (item.origin === 'synthetic' ? graphValidator(item, i) : item.answer); // curated items have no graph query
  const verified = await verifyLabels(items, validator, { k: cfg.verifySamples });
  ctx.log(`rods: verification kept ${verified.kept.length}, sent ${verified.review.length} to review (${cfg.validator ? `LLM ${cfg.validator.model}` : 'graph solver'}, ${cfg.verifySamples} answers each)`);
  return verified;
}

/**
 * Step 5: difficulty from three signals (graph features, a reference model's pass rate, an
 * optional LLM judge), combined per item, with the signals' pairwise agreement.
 */
async function difficultyStep(ctx: RunContext, graph: KnowledgeGraph, items: Item[], verdicts: { id: string; passes: number }[], llmCache: string) {
  const cfg = ctx.config.rods;
  const judge = cfg.judge ? llmDifficultyJudge(client(cfg.judge, llmCache)) : undefined;
  const signals: Record<string, (Difficulty | null)[]> = { graph: [], passRate: [], judge: [] };
  const refRng = ctx.rng('rods:reference');
  // With an LLM validator, its k answers per item are a real reference model's empirical pass rate;
  // offline, a simulated reference model (features.ts) answers referenceSamples times.
  const llmPasses = new Map(cfg.validator ? verdicts.map((v) => [v.id, v.passes] as const) : []);
  const labelled: Item[] = [];
  for (const item of items) {
    const synthetic = item.origin === 'synthetic';
    const features = synthetic ? itemGraphFeatures(graph, item) : undefined;
    const g = features ? graphDifficulty(features) : null;
    let passes = 0;
    let samples = cfg.referenceSamples;
    if (llmPasses.has(item.id)) {
      passes = llmPasses.get(item.id) as number;
      samples = cfg.verifySamples;
    } else if (synthetic) for (let s = 0; s < samples; s++) if (referenceAnswer(graph, item, refRng) === item.answer) passes++;
    const p = synthetic || llmPasses.has(item.id) ? passRateDifficulty(passes, samples) : null;
    const j = judge ? await judge(item) : null;
    signals.graph.push(g);
    signals.passRate.push(p);
    signals.judge.push(j);
    const difficulty = combineDifficulty({ graph: g ?? undefined, passRate: p ?? undefined, judge: j ?? undefined }) ?? 'Moderate';
    labelled.push({ ...item, difficulty, meta: { ...(item.meta ?? {}), difficultySignals: { graph: g, passRate: p, judge: j, referencePassRate: synthetic || llmPasses.has(item.id) ? passes / samples : null, reference: llmPasses.has(item.id) ? `LLM ${cfg.validator?.model}` : 'simulated' }, graphFeatures: features } });
  }
  const agreement = pairwiseAgreement(judge ? signals : { graph: signals.graph, passRate: signals.passRate });
  return { labelled, agreement };
}

/** The stage's statistics (stats.json, report.md, plots). */
function rodsStats(ctx: RunContext, graph: KnowledgeGraph, counts: { synthesized: number; curated: number; review: number }, final: Item[], rejected: RejectedRow[], agreement: RodsStats['agreement']): RodsStats {
  const cfg = ctx.config.rods;
  const train = final.filter((i) => i.split === 'train');
  const test = final.filter((i) => i.split === 'test');
  const anchorsOf = (s: Split) => {
    const keys = new Set(final.filter((i) => i.split === s).map(groupOf));
    return { anchors: keys.size, diseases: [...keys].filter((k) => graph.byId.has(k) && graph.node(k).type === 'disease').length };
  };
  return {
    drafted: cfg.items,
    synthesized: counts.synthesized,
    curated: counts.curated,
    kept: final.length,
    train: train.length,
    validation: final.filter((i) => i.split === 'validation').length,
    test: test.length,
    testLongTail: test.filter((i) => i.meta?.longTail).length,
    anchors: { train: anchorsOf('train'), validation: anchorsOf('validation'), test: anchorsOf('test') },
    rejectedByReason: count(rejected, (r) => `${r.stage}: ${r.reason}`),
    review: counts.review,
    byType: count(final, (i) => i.type),
    byDifficulty: count(final, (i) => i.difficulty ?? 'none'),
    difficultyByType: Object.fromEntries(Object.entries(count(final, (i) => i.type)).map(([t]) => [t, count(final.filter((i) => i.type === t), (i) => i.difficulty ?? 'none')])),
    letters: count(final, (i) => i.answer),
    agreement,
    longTailCoverage: (() => {
      const c = longTailCoverage(graph, { alpha: cfg.alpha }, ctx.rng('rods:coverage'));
      return { alpha: cfg.alpha, threshold: c.threshold, biased: c.biased, uniform: c.uniform, ratio: c.ratio };
    })(),
  };
}

/** Writes stats.json, report.md and the plots. */
function writeReport(ctx: RunContext, dir: string, stats: RodsStats): void {
  writeJson(path.join(dir, 'stats.json'), stats);
  writeFileAtomic(path.join(dir, 'report.md'), rodsMarkdown(stats));
  for (const [name, fig] of Object.entries(rodsFigures(stats))) {
    const saved = savePlot(fig, path.join(dir, 'plots'), name);
    const why = pngSkipNote(saved);
    if (why) ctx.log(`rods: PNGs not written: ${why}`);
  }
}

/** Step 6: the split (whole anchor groups held out: test, with a long-tail slice, then validation from the rest); items.jsonl and one file per split. */
async function splitStep(ctx: RunContext, dir: string, graph: KnowledgeGraph, labelled: Item[]): Promise<Item[]> {
  const cfg = ctx.config.rods;
  const final = splitItems(labelled, graph, { ...splitDefaults, testShare: cfg.testShare, validationShare: cfg.validationShare }, ctx.rng('rods:split'));
  await writeJsonl(path.join(dir, 'items.jsonl'), final);
  for (const s of ['train', 'validation', 'test'] as const) await writeJsonl(path.join(dir, `${s}.jsonl`), final.filter((i) => i.split === s));
  return final;
}

/** The stage (see the file comment): synthesis, curation, filters, verification, difficulty, split, report. */
export async function run(ctx: RunContext, opts: { force?: boolean; graph?: KnowledgeGraph } = {}): Promise<RodsResult> {
  const cfg = ctx.config.rods;
  const dir = ctx.stageDir('rods');
  const doneFile = path.join(dir, 'done.json');
  // where the benchmarks live is not what this stage computes (a moved directory does not redo it)
  const style = runWorld(ctx.config).style;
  // the option style only when it is not the default, so a run pretrained from scratch keeps its fingerprint
  const fingerprint = { rods: { ...cfg, benchmarksDir: undefined }, seed: ctx.config.seed, graph: ctx.config.graph.kg, ...(style === 'mention' ? { style } : {}) };
  if (!opts.force && stageDone(doneFile, fingerprint)) {
    ctx.log(`rods: reusing ${dir} (already built with these settings; --force rebuilds)`);
    return { items: await readJsonlAll<Item>(path.join(dir, 'items.jsonl')), stats: readJson<RodsStats>(path.join(dir, 'stats.json')), reused: true };
  }
  const graph = opts.graph ?? (await loadRunGraph(ctx.dir));
  const rejected: RejectedRow[] = [];
  const llmCache = path.join(ctx.dir, 'cache', 'llm');
  const syn = synthesisStep(ctx, graph, rejected, style);
  const mixed = await curationStep(ctx, dir, syn.items);
  const filtered = filterStep(ctx, mixed.items, rejected);
  const verified = await verificationStep(ctx, graph, filtered, llmCache);
  const { labelled, agreement } = await difficultyStep(ctx, graph, verified.kept, verified.verdicts, llmCache);

  const final = await splitStep(ctx, dir, graph, labelled);
  await writeJsonl(path.join(dir, 'rejected.jsonl'), rejected);
  await writeJsonl(path.join(dir, 'review.jsonl'), verified.review.map((r) => ({ reason: r.reason, item: r.item })));
  const stats = rodsStats(ctx, graph, { synthesized: syn.items.length, curated: mixed.curated, review: verified.review.length }, final, rejected, agreement);
  writeReport(ctx, dir, stats);
  markStageDone(doneFile, fingerprint);
  const a = (s: Split) => `${stats.anchors[s].anchors} anchors, ${stats.anchors[s].diseases} of them diseases`;
  ctx.log(
    `rods: ${final.length} items: ${stats.train} train (${a('train')}), ${stats.validation} validation (${a('validation')}), ${stats.test} test (${a('test')}; ${stats.testLongTail} items long-tail); ` +
      `difficulty ${JSON.stringify(stats.byDifficulty)}`,
  );
  return { items: final, stats, reused: false };
}

/** Difficulty by item type (stacked bars) and rejections by reason. */
export function rodsFigures(stats: RodsStats): Record<string, Figure> {
  const types = Object.keys(stats.difficultyByType);
  return {
    difficulty: {
      data: DIFFICULTIES.map((d) => ({ type: 'bar', name: d, x: types, y: types.map((t) => stats.difficultyByType[t][d] ?? 0) })),
      layout: { barmode: 'stack', title: { text: 'Difficulty by item type' }, yaxis: { title: { text: 'items' } } },
    },
    rejections: {
      data: [{ type: 'bar', orientation: 'h', y: Object.keys(stats.rejectedByReason), x: Object.values(stats.rejectedByReason) }],
      layout: { title: { text: 'Rejected drafts and items by reason' }, margin: { l: 320 }, xaxis: { title: { text: 'count' } } },
    },
  };
}

export function rodsMarkdown(s: RodsStats): string {
  return [
    '# RODS items',
    '',
    `${s.kept} items kept (${s.synthesized} synthesized from ${s.drafted} requested, ${s.curated} curated); ${s.train} train, ${s.validation ?? 0} validation, ${s.test} test (${s.testLongTail} long-tail); ${s.review} sent to review.`,
    '',
    ...(s.anchors
      ? [
          'Whole anchor groups are held out: validation (settings are chosen on it) and test (the final evaluation) share no anchor with train or with each other.',
          '',
          markdownTable(['split', 'items', 'anchors', 'anchor diseases'], (['train', 'validation', 'test'] as const).map((x) => [x, s[x], s.anchors[x].anchors, s.anchors[x].diseases])),
          '',
        ]
      : []),
    `Rare-entity sampling (alpha ${s.longTailCoverage.alpha}) reaches ${(100 * s.longTailCoverage.biased).toFixed(1)}% of long-tail anchors (degree ≤ ${s.longTailCoverage.threshold}) against ${(100 * s.longTailCoverage.uniform).toFixed(1)}% for uniform sampling: ×${s.longTailCoverage.ratio.toFixed(2)}.`,
    '',
    '## Items by type and difficulty',
    markdownTable(['type', ...DIFFICULTIES, 'total'], Object.entries(s.difficultyByType).map(([t, d]) => [t, ...DIFFICULTIES.map((x) => d[x] ?? 0), s.byType[t]])),
    '',
    '## Answer letters',
    markdownTable(Object.keys(s.letters), [Object.values(s.letters)]),
    '',
    '## Rejected, by stage and reason',
    markdownTable(['stage: reason', 'count'], Object.entries(s.rejectedByReason)),
    '',
    '## Agreement between difficulty signals',
    markdownTable(['a', 'b', 'n', 'agreement', "Cohen's kappa"], s.agreement.map((a) => [a.a, a.b, a.n, a.agreement === null ? 'n/a' : a.agreement.toFixed(3), a.kappa === null ? 'n/a' : a.kappa.toFixed(3)])),
    '',
  ].join('\n');
}
