/**
 * The `fleming` command line: one subcommand per stage, and `pipeline` for all of them.
 *
 *   fleming pipeline [--preset smoke|default|full|gpu] [--run DIR] [--kg seed|open] [--sources DIR]
 *   fleming graph    [same options]
 *   fleming download [--sources DIR]       fetch the open sources from their public origins
 *   fleming eval     [--run DIR] [--models base,cot | --checkpoint DIR ...] [--endpoint URL --model NAME]
 *   fleming bench                          speed and memory figures
 */
import { parseArgs } from 'node:util';
import { resolveConfig, parseOverrides, Preset, RunConfig } from './core/config';
import { openRun } from './core/run';
import { progress } from './core/progress';
import * as graphStage from './graph/stage';
import * as rodsStage from './rods/stage';
import * as pretrainStage from './base/stage';
import * as coldstartStage from './coldstart/stage';
import * as evalStage from './eval/stage';
import * as rlvrStage from './rlvr/stage';

const HELP = `fleming — the Fleming-R1 workbench

Usage: fleming <command> [options]

Commands:
  pipeline   run every stage in order on one run directory
  graph      RODS 1: build the knowledge graph (graph/ in the run directory)
  rods       RODS 2: synthesize, curate, filter, verify and grade items (rods/)
  base       the Base recipe: pretrain the released Base (graph knowledge + in-context skills) into
             base.release (data/base/); --hours H pauses at a checkpoint, rerun to resume
  pretrain   knowledge pretraining on graph sentences, then direct-answer tuning: the Base model
             (coldstart/base/: safetensors, config.json, tokenizer.json, recall.json, eval.json)
  coldstart  CoT cold start: teacher traces, refinement loop, filters, SFT of Base → +CoT
             (coldstart/cot.jsonl, coldstart/sft/)
  rlvr       RLVR: GRPO stage 1 on Easy + Moderate items (→ +RL1), stage 2 on mined hard samples
             (→ +RL2); rewards = correctness + format (rlvr/stage1/, rlvr/stage2/, rlvr/eval.json)
  eval       benchmarks: Base/+CoT/+RL1/+RL2 (or --checkpoint DIR, --endpoint URL) on the held-out synthetic
             split and the public benchmarks; Table 3, Table 4, verifiability, plots (eval/report.md)
  discover   the paper's discovery agent: walk Wikipedia links and Wikidata claims from seed articles
             (needs internet; cached and resumable) into <run>/graph/discovered/
  download   fetch the open knowledge-graph sources from their public origins (checksummed)
  bench      print speed and memory figures
  help       show this help

Options:
  --preset NAME                 size of the run: smoke, default, full, gpu (a datacenter GPU); default: default
  --run DIR                     run directory (default: runs/<timestamp>)
  --kg seed|open                seed: the embedded hand-written graph (default); open: built from open sources
  --sources DIR                 where the open sources live (default: $FLEMING_SOURCES or .cache/kg-sources)
  --sider                       include SIDER side effects (non-commercial licence)
  --strict                      stop at the first malformed input row (graph sources, benchmark files) instead of counting it
  --seed N                      random seed (default 1234)
  --backend NAME                TensorFlow.js backend: tensorflow, webgpu, wasm or cpu (default: best available)
  --set key.path=value          override any config field (repeatable), e.g. --set graph.strict=true
  --force                       redo stages that already finished in this run directory

discover options:
  --seeds "Title A,Title B"     Wikipedia articles to start from (default: Tuberculosis, Type 2 diabetes, Asthma)
  --max-entities N              stop after N entities (default 2000)
  --max-depth N                 link/claim hops from the seeds (default 2)
  --rps N                       requests per second (default: the agent's polite default)

eval options (benchmarks directory: $FLEMING_BENCHMARKS or --set rods.benchmarksDir=DIR):
  --models base,cot,rl1,rl2     policy stages to evaluate (default: all; a stage without a checkpoint: "not run")
  --checkpoint DIR              evaluate another checkpoint directory (repeatable)
  --endpoint URL --model NAME   evaluate a model behind an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1)
  --api-key-env VAR             environment variable holding its API key (default OPENAI_API_KEY)
  --benchmarks a,b              benchmark names (default: every file present), e.g. medqa,medxpertqa
  --samples K                   K samples per item at eval.temperature (mean accuracy, pass@K); default 1 = greedy
`;

export const STAGE_COMMANDS = ['graph', 'rods', 'pretrain', 'coldstart', 'rlvr'] as const;

interface ParsedArgs {
  command: string;
  config: RunConfig;
  force: boolean;
  sources?: string;
  discover: { seeds?: string[]; maxEntities?: number; maxDepth?: number; rps?: number };
  eval: evalStage.EvalRunOptions;
  /** `fleming base --hours H`: pause at the first checkpoint after H hours. */
  hours?: number;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer, got "${v}"`);
  return n;
}

export function parseCli(argv: string[], now = new Date()): ParsedArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      preset: { type: 'string' },
      run: { type: 'string' },
      kg: { type: 'string' },
      sources: { type: 'string' },
      sider: { type: 'boolean' },
      strict: { type: 'boolean' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      set: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      seeds: { type: 'string' },
      'max-entities': { type: 'string' },
      'max-depth': { type: 'string' },
      rps: { type: 'string' },
      models: { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      endpoint: { type: 'string' },
      model: { type: 'string' },
      'api-key-env': { type: 'string' },
      benchmarks: { type: 'string' },
      samples: { type: 'string' },
      hours: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : positionals[0] ?? 'help';
  if (positionals.length > 1) throw new Error(`unexpected argument "${positionals[1]}" (see fleming help)`);
  const overrides = parseOverrides(values.set ?? []) as Record<string, Record<string, unknown> | unknown>;
  const graph = { ...((overrides.graph as Record<string, unknown>) ?? {}) };
  if (values.kg !== undefined) graph.kg = values.kg;
  if (values.sources !== undefined) graph.sourcesDir = values.sources;
  if (values.sider) graph.includeSider = true;
  if (Object.keys(graph).length) overrides.graph = graph;
  if (values.run !== undefined) overrides.runDir = values.run;
  if (values.backend !== undefined) overrides.backend = values.backend;
  if (values.strict) overrides.strict = true;
  if (values.seed !== undefined) {
    const n = Number(values.seed);
    if (!Number.isInteger(n)) throw new Error(`--seed expects an integer, got "${values.seed}"`);
    overrides.seed = n;
  }
  // eval reads an existing run: without --preset, it keeps the preset the run was made with
  const runCfg = command === 'eval' && !values.preset && values.run ? require('node:path').join(values.run, 'config.json') : '';
  const preset = values.preset ?? (runCfg && require('node:fs').existsSync(runCfg) ? (JSON.parse(require('node:fs').readFileSync(runCfg, 'utf8')) as RunConfig).preset : undefined);
  const config = resolveConfig({ preset: preset as Preset | undefined, overrides, now });
  const discover = {
    seeds: values.seeds?.split(',').map((t) => t.trim()).filter(Boolean),
    maxEntities: positiveInt('max-entities', values['max-entities']),
    maxDepth: positiveInt('max-depth', values['max-depth']),
    rps: positiveInt('rps', values.rps),
  };
  const list = (v: string | undefined) => v?.split(',').map((t) => t.trim()).filter(Boolean);
  if (values.endpoint !== undefined && !values.model) throw new Error('--endpoint needs --model NAME');
  const evalOpts: evalStage.EvalRunOptions = {
    models: list(values.models),
    checkpoints: values.checkpoint,
    endpoint: values.endpoint ? { baseUrl: values.endpoint, model: values.model as string, apiKeyEnv: values['api-key-env'] ?? 'OPENAI_API_KEY', maxConcurrency: 8 } : undefined,
    benchmarks: list(values.benchmarks),
    samples: positiveInt('samples', values.samples),
  };
  const hours = values.hours === undefined ? undefined : Number(values.hours);
  if (hours !== undefined && !(hours > 0)) throw new Error(`--hours expects a positive number, got "${values.hours}"`);
  return { command, config, force: Boolean(values.force), sources: values.sources, discover, eval: evalOpts, hours };
}

/** Every stage in order on one run directory; a stage whose inputs changed is redone, a finished one reused. */
async function runPipeline(args: ParsedArgs): Promise<string> {
  const ctx = openRun(args.config);
  ctx.log(`pipeline: run ${ctx.dir} (preset ${args.config.preset}, kg ${args.config.graph.kg}, seed ${args.config.seed})`);
  const t0 = Date.now();
  const g = await graphStage.run(ctx, { force: args.force });
  const r = await rodsStage.run(ctx, { force: args.force || !g.reused, graph: g.graph });
  await pretrainStage.run(ctx, { force: args.force || !r.reused, graph: g.graph });
  const c = await coldstartStage.run(ctx, { force: args.force || !r.reused, graph: g.graph });
  await rlvrStage.run(ctx, { force: args.force || !c.sft.reused }); // also retrains when +CoT changed (its done.json is in the fingerprint)
  await evalStage.run(ctx, { graph: g.graph }); // the checkpoints that exist; results cached per item
  ctx.log(`pipeline: all stages done in ${((Date.now() - t0) / 1000).toFixed(1)} s; outputs in ${ctx.dir}`);
  return `run written to ${ctx.dir}`;
}

/** `fleming download`: the open sources from their public origins into --sources (default .cache/kg-sources). */
async function runDownload(args: ParsedArgs): Promise<string> {
  const { downloadSources } = require('./graph/download') as typeof import('./graph/download');
  const { DEFAULT_CACHE } = require('./graph/sources') as typeof import('./graph/sources');
  const dest = args.sources ?? DEFAULT_CACHE;
  await downloadSources(dest, {
    onProgress: (file: string, done: number, total: number) => process.stderr.write(`download: ${file} (${done}/${total})\n`),
  });
  return `open sources in ${dest}`;
}

/** Each command: run it, and the line it prints last. */
const COMMANDS: Record<string, (args: ParsedArgs) => Promise<string>> = {
  help: async () => HELP.trimEnd(),
  graph: async (a) => {
    const ctx = openRun(a.config);
    await graphStage.run(ctx, { force: a.force });
    return `graph written to ${ctx.dir}/graph`;
  },
  rods: async (a) => {
    const ctx = openRun(a.config);
    await rodsStage.run(ctx, { force: a.force });
    return `items written to ${ctx.dir}/rods`;
  },
  base: async (a) => {
    const { runBase } = require('./base/release') as typeof import('./base/release');
    const r = await runBase(a.config, { command: `fleming ${process.argv.slice(2).join(' ')}`, hours: a.hours, fresh: a.force, log: (m) => process.stderr.write(`${m}\n`), progress: (l, n) => progress(l, n) });
    return r.finished ? `Base released to ${r.dir}` : `Base training paused at step ${r.step}; rerun the same command to resume`;
  },
  pretrain: async (a) => `Base model written to ${(await pretrainStage.run(openRun(a.config), { force: a.force })).dir}`,
  coldstart: async (a) => `+CoT model written to ${(await coldstartStage.run(openRun(a.config), { force: a.force })).sft.dir}`,
  rlvr: async (a) => {
    const r = await rlvrStage.run(openRun(a.config), { force: a.force });
    return `+RL1 written to ${r.stage1.dir}, +RL2 to ${r.stage2?.dir}`;
  },
  pipeline: runPipeline,
  eval: async (a) => `evaluation written to ${(await evalStage.run(openRun(a.config), a.eval)).dir} (report.md, table3.md, table4.md)`,
  discover: async (a) => {
    const { runDiscover } = require('./graph/agent') as typeof import('./graph/agent');
    const { out, entities, edges, result } = await runDiscover(openRun(a.config), a.discover);
    return `discover: ${entities} entities, ${edges} edges (${result.requests} requests, ${result.cacheHits} from cache; stopped: ${result.stopped}) → ${out}`;
  },
  download: runDownload,
  bench: async (a) => {
    const { runBench } = require('../bench/bench') as typeof import('../bench/bench');
    const only = process.env.FLEMING_BENCH_ONLY?.split(',').map((x) => x.trim()) ?? undefined;
    await runBench(a.config, only);
    return '';
  },
};

export async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  const command = COMMANDS[args.command];
  if (!command) throw new Error(`unknown command "${args.command}" (see fleming help)`);
  const line = await command(args);
  if (line) process.stdout.write(`${line}\n`);
  return 0;
}
