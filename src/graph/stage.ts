/**
 * Stage 1 of RODS: the knowledge graph.   Command: `fleming graph [--kg seed|open] [--sources DIR]`
 * Settings: src/graph/config.ts (config `graph`), one commented default per field.
 *
 * Builds the graph (the hand-written seed in data/seed, or the open-source build), focuses it when
 * the run's world needs it (src/graph/world.ts: the released Base's world, a from-scratch focus, or
 * the whole open graph), then writes graph/nodes.jsonl, edges.jsonl, world.json, stats.json,
 * skipped.json, report.md and plots/ (focus.json for a focus). With the open sources at hand it
 * also measures how far the seed agrees with them (agreement.json/.md).
 * A finished stage is not rebuilt unless its inputs changed or --force is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunContext, stageDone, markStageDone } from '../core/run';
import { writeFileAtomic, writeJson } from '../core/io';
import { pngSkipNote, savePlot, Figure } from '../core/plot';
import { markdownTable } from '../core/markdown';
import { KnowledgeGraph } from './graph';
import { loadSeedGraph } from './seed';
import { buildOpenGraph } from './open/index';
import { graphStats, GraphStats } from './stats';
import { seedAgreement, AgreementReport, RelationAgreement, NodeLinkage } from './agreement';
import { resolveSourcesDir } from './sources';
import { focusGraph, FocusReport } from './focus';
import { runWorld, type RunWorld } from './world';

export interface GraphStageResult {
  graph: KnowledgeGraph;
  stats: GraphStats;
  skipped: number;
  reused: boolean;
}

/** Reads the graph a previous run of this stage wrote. */
export async function loadRunGraph(runDir: string): Promise<KnowledgeGraph> {
  const dir = path.join(runDir, 'graph');
  if (!fs.existsSync(path.join(dir, 'nodes.jsonl'))) throw new Error(`${dir}: no graph here yet; run \`fleming graph --run ${runDir}\` first`);
  return KnowledgeGraph.load(dir);
}

/** A built graph with what its sources skipped, and (open graph) per-source counts. */
interface Built {
  graph: KnowledgeGraph;
  skipsJson: unknown;
  skippedCount: number;
  extra: Record<string, unknown>;
}

/** The hand-written seed graph (data/seed), compiled strictly. */
function buildSeed(ctx: RunContext): Built {
  ctx.log('graph: compiling the seed graph (data/seed)');
  const seed = loadSeedGraph(undefined, { strict: true });
  return { graph: seed.graph, skipsJson: seed.skips.toJSON(), skippedCount: seed.skips.total(), extra: {} };
}

/** The open graph from the sources directory, with a progress bar per source and the seed's agreement with it. */
async function buildOpen(ctx: RunContext, dir: string, sourcesDir: string): Promise<Built> {
  const cfg = ctx.config.graph;
  ctx.log(`graph: building the open graph from ${sourcesDir}${cfg.includeSider ? ' (with SIDER: non-commercial)' : ''}`);
  let bar: ReturnType<RunContext['progress']> | undefined;
  let barStage = '';
  const open = await buildOpenGraph({
    sourcesDir,
    includeSider: cfg.includeSider,
    strict: cfg.strict || ctx.config.strict,
    onProgress: (stage, done, total) => {
      if (stage !== barStage) {
        bar?.done();
        bar = ctx.progress(`graph: ${stage}`, total);
        barStage = stage;
      }
      bar?.update(done);
    },
  });
  bar?.done();
  // How far the hand-written seed agrees with the open sources where they overlap.
  const seed = loadSeedGraph(undefined, { strict: true }).graph;
  const agreement = seedAgreement(seed, open.graph);
  writeJson(path.join(dir, 'agreement.json'), agreement);
  writeFileAtomic(path.join(dir, 'agreement.md'), agreementMarkdown(agreement));
  return { graph: open.graph, skipsJson: open.skips.toJSON(), skippedCount: open.skips.total(), extra: { perSource: open.perSource, nonCommercial: open.nonCommercial } };
}

/** A focused world: N anchor diseases and their neighbourhood (the shuffle seeded by `seed`); every later stage loads this graph. */
function applyFocus(ctx: RunContext, dir: string, graph: KnowledgeGraph, focus: { diseases: number; seed: number }): { graph: KnowledgeGraph; focus: FocusReport } {
  const f = focusGraph(graph, focus.diseases, focus.seed);
  writeJson(path.join(dir, 'focus.json'), f.report);
  const r = f.report;
  ctx.log(`graph: focused on ${r.anchors.length} of ${r.eligible} eligible diseases: ${r.nodes.kept} of ${r.nodes.of} entities, ${r.edges.kept} of ${r.edges.of} edges`);
  return { graph: f.graph, focus: r };
}

/** nodes/edges, stats.json, skipped.json, report.md and the plots. */
async function writeGraph(ctx: RunContext, dir: string, built: Built, focus: FocusReport | undefined, world: RunWorld, seconds: number) {
  const { graph, skipsJson, extra } = built;
  await graph.save(dir);
  const stats = graphStats(graph);
  writeJson(path.join(dir, 'stats.json'), { ...stats, ...extra, ...(focus ? { focus: { ...focus, anchors: focus.anchors.length } } : {}), buildSeconds: Math.round(seconds * 10) / 10 });
  writeJson(path.join(dir, 'skipped.json'), skipsJson);
  writeFileAtomic(path.join(dir, 'report.md'), statsMarkdown(stats, ctx.config.graph.kg, skipsJson, focus, world.why));
  for (const [name, fig] of Object.entries(graphFigures(stats))) {
    const saved = savePlot(fig, path.join(dir, 'plots'), name);
    const why = pngSkipNote(saved);
    if (why) ctx.log(`graph: PNGs not written: ${why}`);
  }
  return stats;
}

/** world.json: the run's world and why (read by people; later stages decide again with runWorld()). */
function writeWorld(dir: string, world: RunWorld): void {
  writeJson(path.join(dir, 'world.json'), { route: world.route, focus: world.focus, release: world.release?.dir ?? null, style: world.style, why: world.why });
}

/** The stage (see the file comment): the run's world, then build (seed or open), focus, write. */
export async function run(ctx: RunContext, opts: { force?: boolean } = {}): Promise<GraphStageResult> {
  const cfg = ctx.config.graph;
  const dir = ctx.stageDir('graph');
  const world = runWorld(ctx.config);
  ctx.log(`graph: world: ${world.why}`);
  const fingerprint = {
    kg: cfg.kg,
    includeSider: cfg.includeSider,
    strict: cfg.strict,
    sourcesDir: cfg.kg === 'open' ? resolveSourcesDir(cfg.sourcesDir) : undefined,
    ...(world.focus ? { focus: world.focus.diseases, seed: world.focus.seed } : {}),
  };
  const doneFile = path.join(dir, 'done.json');
  if (!opts.force && stageDone(doneFile, fingerprint)) {
    ctx.log(`graph: reusing ${dir} (already built with these settings; --force rebuilds)`);
    writeWorld(dir, world);
    const graph = await KnowledgeGraph.load(dir);
    return { graph, stats: graphStats(graph), skipped: 0, reused: true };
  }
  const t0 = Date.now();
  const built = cfg.kg === 'seed' ? buildSeed(ctx) : await buildOpen(ctx, dir, fingerprint.sourcesDir as string);
  let focus: FocusReport | undefined;
  fs.rmSync(path.join(dir, 'focus.json'), { force: true });
  if (world.focus) ({ graph: built.graph, focus } = applyFocus(ctx, dir, built.graph, world.focus));
  const seconds = (Date.now() - t0) / 1000;
  writeWorld(dir, world);
  const stats = await writeGraph(ctx, dir, built, focus, world, seconds);
  markStageDone(doneFile, fingerprint);
  ctx.log(`graph: ${stats.nodes} nodes, ${stats.edges} edges (${cfg.kg}) in ${seconds.toFixed(1)} s; ${built.skippedCount} rows skipped (see graph/skipped.json)`);
  return { graph: built.graph, stats, skipped: built.skippedCount, reused: false };
}

/** Degree distribution (log–log) and entity counts per type, as plotly figures. */
export function graphFigures(stats: GraphStats): Record<string, Figure> {
  return {
    degree: {
      data: [{ type: 'scatter', mode: 'markers', x: stats.degree.histogram.map((h) => h.degree), y: stats.degree.histogram.map((h) => h.count), marker: { size: 6 } }],
      layout: { title: { text: 'Degree distribution' }, xaxis: { type: 'log', title: { text: 'degree' } }, yaxis: { type: 'log', title: { text: 'entities' } } },
    },
    types: {
      data: [{ type: 'bar', x: Object.keys(stats.byType), y: Object.values(stats.byType) }],
      layout: { title: { text: 'Entities per type' }, yaxis: { title: { text: 'entities' } } },
    },
  };
}

/** report.md: the world and why, the focus, sizes, degree, entities per type, edges per relation, skipped rows. */
export function statsMarkdown(stats: GraphStats, kg: string, skips: unknown, focus?: FocusReport, why?: string): string {
  const sk = skips as { skipped?: { file: string; reason: string; count: number; exampleLines: number[] }[] };
  return [
    `# Knowledge graph (${kg}${focus ? `, focused on ${focus.anchors.length} diseases` : ''})`,
    '',
    ...(why ? [`**The run's world:** ${why} (graph/world.json).`, ''] : []),
    ...(focus
      ? [
          `**A focus of the ${kg} graph** (${focus.anchors.length} anchor diseases): ${focus.nodes.kept} of its ${focus.nodes.of} entities and ${focus.edges.kept} of its ${focus.edges.of} edges.`,
          `Chosen by the rule (seed \`${focus.seed}\`): ${focus.rule}. ${focus.eligible} diseases were eligible; the anchors are listed in graph/focus.json.`,
          '',
        ]
      : []),
    `${stats.nodes} entities, ${stats.edges} edges; ${stats.multiSourceEdges} edges asserted by two or more sources.`,
    `Degree: mean ${stats.degree.mean.toFixed(2)}, median ${stats.degree.median}, max ${stats.degree.max}. Long tail (degree ≤ ${stats.longTail.threshold}): ${(100 * stats.longTail.share).toFixed(1)}% of entities.`,
    '',
    '## Entities per type',
    markdownTable(['type', 'entities'], Object.entries(stats.byType)),
    '',
    '## Edges per relation',
    markdownTable(['relation', 'edges'], Object.entries(stats.byRelation)),
    '',
    '## Skipped input rows',
    sk.skipped && sk.skipped.length ? markdownTable(['file', 'reason', 'rows', 'first lines'], sk.skipped.map((s) => [s.file, s.reason, s.count, s.exampleLines.join(', ')])) : 'None.',
    '',
  ].join('\n');
}

/** The seed-versus-open agreement as a readable report: per relation, node linkage, examples. */
export function agreementMarkdown(a: AgreementReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const rel = Object.entries(a.byRelation).sort((x, y) => (y[1] as RelationAgreement).total - (x[1] as RelationAgreement).total) as [string, RelationAgreement][];
  return [
    '# Seed graph versus the open sources',
    '',
    'Each seed fact is looked up in the open graph after linking its two entities (same type; shared UMLS, MeSH, DOID or',
    'Wikidata id, or the same normalised name or synonym). **confirmed**: the open graph has the same relation between them;',
    '**endpoints only**: both entities exist there but not this fact; **not covered**: an entity has no open counterpart.',
    '',
    `Overall: ${a.overall.confirmed} of ${a.overall.total} seed facts confirmed (${pct(a.overall.confirmedShare)}).`,
    '',
    markdownTable(['relation', 'seed facts', 'confirmed', 'endpoints only', 'not covered', 'confirmed share'], rel.map(([r, x]) => [r, x.total, x.confirmed, x.endpointsOnly, x.notCovered, pct(x.confirmedShare)])),
    '',
    '## Seed entities found in the open graph',
    markdownTable(['type', 'seed', 'linked', 'share'], Object.entries(a.nodeLinkage).map(([t, l]) => [t, (l as NodeLinkage).seed, (l as NodeLinkage).linked, pct((l as NodeLinkage).share)])),
    '',
    '## Examples of seed facts the open sources do not state',
    markdownTable(['relation', 'status', 'source', 'target'], a.examples.map((e) => [e.relation, e.status, e.source, e.target])),
    '',
  ].join('\n');
}
