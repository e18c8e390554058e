/**
 * What an evaluation runs on: the models (the policy's stages, other checkpoints, an endpoint)
 * and the item sets (the run's held-out synthetic split, seeded draws of the public benchmarks),
 * and the graph whose claims the reasoning is checked against.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport, readJsonlAll } from '../core/io';
import type { RunContext } from '../core/run';
import { KnowledgeGraph } from '../graph/graph';
import { CURATED_BENCHMARKS, loadSpec } from '../rods/curated/registry';
import { readSpec, specFilesIn, type BenchmarkSpec } from '../rods/curated/spec';
import type { Item } from '../rods/item';
import { ClaimMatcher } from './claims';
import type { EndpointSpec } from './generators';
import { SYNTHETIC } from './summary';

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
  /** Benchmark spec files evaluated too (`--benchmark-spec FILE`), after those of config eval.benchmarkSpecsDir. */
  specs?: string[];
  /** Samples per item (default: config eval.samples). */
  samples?: number;
  /** The run's graph (default: loaded from graph/), for the claims check. */
  graph?: KnowledgeGraph;
  /** Benchmarks directory (default: config rods.benchmarksDir, then $FLEMING_BENCHMARKS). */
  benchmarksDir?: string;
  /** Endpoint client limits over the config's eval.endpoint* (tests: shorter backoff). */
  endpointClient?: { timeoutMs?: number; maxRetries?: number; baseDelayMs?: number };
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

/** The specs a run evaluates besides the built-ins: eval.benchmarkSpecsDir's files, then `files`; names must be new. */
export function userSpecs(ctx: RunContext, files: readonly string[] = []): BenchmarkSpec[] {
  const dir = ctx.config.eval.benchmarkSpecsDir;
  const specs = [...(dir ? specFilesIn(path.resolve(dir)) : []), ...files.map((f) => path.resolve(f))].map((f) => readSpec(f));
  const seen = new Map<string, string>();
  for (const s of specs) {
    if (CURATED_BENCHMARKS[s.name]) throw new Error(`${s.specFile}: name '${s.name}' is a built-in benchmark; give the spec another name`);
    const other = seen.get(s.name);
    if (other) throw new Error(`${s.specFile}: name '${s.name}' is also the name of ${other}; benchmark names must differ`);
    seen.set(s.name, s.specFile);
  }
  return specs;
}

/** The built-in benchmarks to evaluate: the names given, else every one whose file is in `dir`. */
function builtinSpecs(dir: string | null, names: readonly string[]): { specs: BenchmarkSpec[]; note: string | null } {
  if (!dir) return { specs: [], note: 'no benchmarks directory (set FLEMING_BENCHMARKS or --set rods.benchmarksDir=DIR): the built-in public benchmarks are not evaluated' };
  if (!fs.existsSync(dir)) return { specs: [], note: `benchmarks directory ${dir} not found: the built-in public benchmarks are not evaluated` };
  const chosen = names.length ? [...names] : Object.keys(CURATED_BENCHMARKS).filter((n) => fs.existsSync(path.join(dir, CURATED_BENCHMARKS[n].relPath)));
  for (const n of chosen) if (!CURATED_BENCHMARKS[n]) throw new Error(`eval: unknown benchmark '${n}'; known: ${Object.keys(CURATED_BENCHMARKS).join(', ')} (or give a spec file: --benchmark-spec FILE)`);
  return { specs: chosen.map((n) => CURATED_BENCHMARKS[n].spec), note: null };
}

/**
 * The benchmark sets: the built-ins chosen by name (or every file present in `dir`) and `extra`
 * specs, each a seeded draw of at most `cap` items, minus items in the training split. A
 * benchmark that loads 0 items or skips too many rows throws (its spec's maxSkipShare).
 */
export async function loadBenchmarkSets(ctx: RunContext, dir: string | null, names: readonly string[], cap: number, trainIds: Set<string>, extra: readonly BenchmarkSpec[] = []): Promise<{ sets: BenchmarkSet[]; skips: SkipReport; note: string | null }> {
  const skips = new SkipReport(ctx.config.strict);
  const { specs, note } = builtinSpecs(dir, names);
  const sets: BenchmarkSet[] = [];
  for (const spec of [...specs, ...extra]) {
    const before = skips.total();
    const { items: all, file } = await loadSpec(spec, skips, { benchmarksDir: dir });
    const fresh = all.filter((it) => !trainIds.has(it.id));
    const name = spec.name;
    const idx = cap > 0 && fresh.length > cap ? ctx.rng(`eval:draw:${name}`).sample([...fresh.keys()], cap).sort((a, b) => a - b) : [...fresh.keys()];
    sets.push({ name, file, loaded: all.length, drawn: idx.length, inTraining: all.length - fresh.length, skipped: skips.total() - before, items: idx.map((i) => fresh[i]) });
  }
  return { sets, skips, note };
}

/** The sets evaluated: the held-out synthetic split (when the run has RODS items) and the benchmark draws. */
export interface EvalSets {
  /** The run's RODS items (null: none in the run). */
  items: Item[] | null;
  /** Benchmark draws, and the loader's skips. */
  sets: BenchmarkSet[];
  skips: SkipReport;
  note: string | null;
  /** Every set in evaluation order (rods-test first). */
  evalSets: { name: string; items: Item[] }[];
  /** Their names: the columns of Table 3. */
  columns: string[];
}

/** Step 1: the held-out synthetic split and the benchmark draws (items in the training split are left out). */
export async function loadEvalSets(ctx: RunContext, opts: EvalRunOptions): Promise<EvalSets> {
  const cfg = ctx.config.eval;
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  const items = fs.existsSync(itemsFile) ? await readJsonlAll<Item>(itemsFile) : null;
  if (!items) ctx.log(`eval: ${itemsFile} not found: the held-out synthetic split is not evaluated (run \`fleming rods\` first)`);
  const testAll = (items ?? []).filter((it) => it.split === 'test');
  const test = cfg.testItems > 0 ? testAll.slice(0, cfg.testItems) : testAll;
  const trainIds = new Set((items ?? []).filter((it) => it.split === 'train').map((it) => it.id));
  const bdir = benchmarksDirOf(ctx, opts.benchmarksDir);
  const { sets, skips, note } = await loadBenchmarkSets(ctx, bdir, opts.benchmarks ?? cfg.benchmarks, cfg.benchmarkItems, trainIds, userSpecs(ctx, opts.specs));
  if (note) ctx.log(`eval: ${note}`);
  for (const s of sets) ctx.log(`eval: ${s.name}: ${s.loaded} items (${s.skipped} rows skipped by the loader${s.inTraining ? `, ${s.inTraining} in the training mix` : ''}) → ${s.drawn} drawn`);
  const evalSets: { name: string; items: Item[] }[] = [...(items ? [{ name: SYNTHETIC, items: test }] : []), ...sets.map((s) => ({ name: s.name, items: s.items }))];
  return { items, sets, skips, note, evalSets, columns: evalSets.map((s) => s.name) };
}

/** Step 2: the graph's claim matcher, for the claims in the reasoning (null when the run has no graph). */
export async function loadMatcher(ctx: RunContext, given?: KnowledgeGraph): Promise<ClaimMatcher | null> {
  const graphDir = path.join(ctx.dir, 'graph');
  const graph = given ?? (fs.existsSync(path.join(graphDir, 'nodes.jsonl')) ? await KnowledgeGraph.load(graphDir) : null);
  if (!graph) ctx.log('eval: no graph in the run: the claims in the reasoning are not checked');
  return graph ? new ClaimMatcher(graph) : null;
}
