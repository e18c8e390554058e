/**
 * The `fleming` command line: one subcommand per stage, and `pipeline` for all of them.
 *
 *   fleming pipeline [--preset smoke|default|full|gpu] [--run DIR] [--kg seed|open] [--sources DIR]
 *   fleming graph    [same options]
 *   fleming download [--sources DIR]       fetch the open sources from their public origins
 *   fleming eval     [--run DIR] [--models base,cot | --checkpoint DIR ...] [--endpoint URL --model NAME] [--benchmark-spec FILE ...]
 *   fleming benchmarks check FILE|NAME | list
 *   fleming serve    --checkpoint DIR [--host H] [--port P] [--api-key-env VAR] [--model NAME]
 *   fleming export   --format verl|trl|hf|logits [--run DIR] [--out DIR]
 *   fleming rlvr mine --endpoint URL --model NAME [--run DIR] [--out DIR]
 *   fleming bench                          speed and memory figures
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { deepMerge, resolveConfig, parseOverrides, Preset, RunConfig } from './core/config';
import { readJson } from './core/io';
import { changedFinishedSettings, isRunDir, latestRun, openRun, recordedSettings, RunContext } from './core/run';
import { checkUnlocked, lockRun, RunLock } from './core/lock';
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
  benchmarks check FILE|NAME: load a benchmark spec (or a built-in) and print its counts, skipped rows by
             reason and three items as the model sees them; list: the built-in benchmarks (data/benchmarks/)
  discover   the paper's discovery agent: walk Wikipedia links and Wikidata claims from seed articles
             (needs internet; cached and resumable) into <run>/graph/discovered/
  download   fetch the open knowledge-graph sources from their public origins (checksummed)
  export     the run's data for full-scale trainers: --format verl (RL Parquet), trl (SFT/GRPO JSONL),
             hf (a dataset folder with its card), logits (reference logits for scripts/check-export.py)
  rlvr mine  one stage-2 mining round against a served policy (--endpoint URL --model NAME): the mined
             set as verl Parquet (<run>/rlvr/mine/)
  serve      an OpenAI-compatible HTTP server for a checkpoint (GET /v1/models, POST /v1/chat/completions,
             streaming, n, seed, stop); --checkpoint DIR, e.g. runs/<id>/coldstart/sft
  bench      print speed and memory figures
  help       show this help

Options:
  --preset NAME                 size of the run: smoke, default, full, gpu (a datacenter GPU); default: default,
                                or the preset an existing run was made with
  --run DIR                     run directory: graph, pipeline and discover make one (default: runs/<timestamp>);
                                rods, pretrain, coldstart, rlvr and eval work on an existing one (default: the
                                latest under runs/) and keep the settings it recorded, --set changes one
  --kg seed|open                seed: the embedded hand-written graph (default); open: built from open sources
  --sources DIR                 where the open sources live (default: $FLEMING_SOURCES or .cache/kg-sources)
  --sider                       include SIDER side effects (non-commercial licence)
  --strict                      stop at the first malformed input row (graph sources, benchmark files) instead of counting it
  --seed N                      random seed (default 1234)
  --backend NAME                TensorFlow.js backend: tensorflow, webgpu, wasm or cpu (default: best available)
                                (sampling runs on onnxruntime-node where it is installed: --set inference=tfjs
                                keeps it on TensorFlow.js; --set inferenceThreads=2 gives it two cores;
                                training runs there too (trainRuntime auto; --set trainRuntime=tfjs keeps it on
                                TensorFlow.js: float rounding differs ≈ 1e-6, so a run resumes on the runtime it began on)
  --set key.path=value          override any config field (repeatable), e.g. --set rlvr.lr=1e-4; checked against
                                the setting's type and limits before anything is written
  --force                       redo stages that already finished in this run directory (needed to change a
                                setting of a finished stage: the command then redoes that stage)
  --resume                      after a non-finite loss: continue SFT or GRPO training from its last good
                                checkpoint with the learning rate you changed (--set sft.lr=… or rlvr.lr=…);
                                without it a changed learning rate starts the training over

One command at a time works on a run directory: it holds <run>/run.lock (pid, host, start, command)
while it runs; a second one stops and names the first. A lock left by a killed command is taken over.

discover options:
  --seeds "Title A,Title B"     Wikipedia articles to start from (default: Tuberculosis, Type 2 diabetes, Asthma)
  --max-entities N              stop after N entities (default 2000)
  --max-depth N                 link/claim hops from the seeds (default 2)
  --rps N                       requests per second (default: the agent's polite default)

serve options:
  --checkpoint DIR              the checkpoint directory (model.safetensors, config.json, tokenizer.json)
  --host H                      address to bind (default 127.0.0.1: this machine only)
  --port P                      port (default 8000; 0 = any free port)
  --api-key-env VAR             require Authorization: Bearer $VAR on every request (default: no key)
  --model NAME                  the model id clients name (default: the checkpoint directory's name)
  limits (src/serve/server.ts defaults): body 1 MiB, max_tokens 1024 (and the model's context), n ≤ 8,
  64 queued rows (then 429), 16 rows per generate call

export and rlvr mine options:
  --format verl|trl|hf|logits   what to write (export); folder <run>/export/<format>/ unless --out DIR
  --out DIR                     where to write (export; rlvr mine: default <run>/rlvr/mine/)
  --endpoint URL --model NAME   the served policy rlvr mine samples (rlvr.stage2Samples at rlvr.temperature)

eval options (benchmarks directory: $FLEMING_BENCHMARKS or --set rods.benchmarksDir=DIR):
  --models base,cot,rl1,rl2     policy stages to evaluate (default: all; a stage without a checkpoint: "not run")
  --checkpoint DIR              evaluate another checkpoint directory (repeatable)
  --endpoint URL --model NAME   evaluate a model behind an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1)
  --api-key-env VAR             environment variable holding its API key (default OPENAI_API_KEY)
  --benchmarks a,b              benchmark names (default: every file present), e.g. medqa,medxpertqa
  --benchmark-spec FILE         also evaluate the benchmark a spec file describes (repeatable; see README,
                                "Your own benchmarks"); --set eval.benchmarkSpecsDir=DIR adds every spec in DIR
  --samples K                   K samples per item at eval.temperature (mean accuracy, pass@K); default 1 = greedy
  --set eval.endpointTimeoutS=S, eval.endpointRetries=N, eval.endpointConcurrency=N
                                the endpoint's request timeout (120 s), retries (5) and requests in flight (8); an
                                item whose request still fails is counted as an error (eval/errors.jsonl) and asked
                                again on the next run
`;

export const STAGE_COMMANDS = ['graph', 'rods', 'pretrain', 'coldstart', 'rlvr'] as const;

/** Commands that make a run directory (or continue one), and those that work on an existing run. */
const MAKES_RUN = new Set(['graph', 'pipeline', 'discover']);
const READS_RUN = new Set(['rods', 'pretrain', 'coldstart', 'rlvr', 'eval', 'export']);
/** The commands whose training --resume continues with a changed learning rate. */
const RESUMES = new Set(['coldstart', 'rlvr', 'pipeline']);
/** The stages each command runs (and may redo with --force). */
const RUNS_STAGES: Record<string, readonly string[]> = { pipeline: STAGE_COMMANDS, ...Object.fromEntries(STAGE_COMMANDS.map((c) => [c, [c]])) };

interface ParsedArgs {
  command: string;
  /** Positional arguments after the command (`fleming benchmarks check FILE`). */
  rest: string[];
  config: RunConfig;
  force: boolean;
  sources?: string;
  discover: { seeds?: string[]; maxEntities?: number; maxDepth?: number; rps?: number };
  eval: evalStage.EvalRunOptions;
  /** `fleming serve`: the checkpoint and where to listen. */
  serve: { checkpoint?: string; host: string; port: number; apiKeyEnv?: string; model?: string };
  /** `fleming base --hours H`: pause at the first checkpoint after H hours. */
  hours?: number;
  /** `fleming export --format F --out DIR`, `fleming rlvr mine --out DIR`. */
  export: { format?: string; out?: string; mine: boolean };
  /** --resume: training continues from its last checkpoint with a changed learning rate. */
  resume: boolean;
  /** What the command decided for the user (which run, what will be redone), printed before it runs. */
  notes: string[];
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer, got "${v}"`);
  return n;
}

/** `dir` as given, or relative to the working directory when it lies inside it. */
function shortPath(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
}

/**
 * The run directory of a command and what it recorded: --run DIR, or the latest run under runs/
 * for a command that works on an existing run. Throws (before anything is written) when such a
 * command names a directory that is not a run, or finds none; and when a command that makes a
 * run is pointed at a directory that holds other files.
 */
function runOf(command: string, given: string | undefined, cwd: string, notes: string[]): { runDir?: string; recorded?: Record<string, unknown> } {
  if (!MAKES_RUN.has(command) && !READS_RUN.has(command)) return {};
  let runDir = given;
  if (runDir === undefined && READS_RUN.has(command)) {
    const latest = latestRun(path.join(cwd, 'runs'));
    if (!latest) throw new Error(`fleming ${command}: no run under ${path.join(cwd, 'runs')} yet; name one with --run DIR, or make one with \`fleming pipeline\` or \`fleming graph\``);
    runDir = shortPath(latest, cwd);
    notes.push(`fleming ${command}: on the latest run, ${runDir} (--run DIR names another)`);
  }
  if (runDir === undefined) return {};
  const dir = path.resolve(cwd, runDir);
  if (isRunDir(dir)) return { runDir, recorded: readJson<Record<string, unknown>>(path.join(dir, 'config.json')) };
  if (READS_RUN.has(command))
    throw new Error(`${dir} is not a run directory (${fs.existsSync(dir) ? 'no config.json' : 'no such directory'}); \`fleming ${command}\` works on a run made by \`fleming pipeline\` or \`fleming graph\` (runs/<timestamp>, or --run DIR)`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new Error(`${dir} holds other files and no config.json: not a run directory; name a new directory or an existing run`);
  return { runDir };
}

/**
 * The config of a command: defaults ← preset ← what the run recorded ← this command's options,
 * checked; then, on an existing run, a changed setting of a stage that finished is refused unless
 * --force is given and the command redoes that stage.
 */
function configOf(command: string, run: { runDir?: string; recorded?: Record<string, unknown> }, preset: string | undefined, overrides: Record<string, unknown>, force: boolean, now: Date, cwd: string, notes: string[]): RunConfig {
  const { recorded, runDir } = run;
  if (!recorded) return resolveConfig({ preset: preset as Preset | undefined, overrides: runDir ? { ...overrides, runDir } : overrides, now });
  const dir = path.resolve(cwd, runDir as string);
  if (preset !== undefined && preset !== recorded.preset)
    throw new Error(`${dir} was made with --preset ${recorded.preset}; --preset ${preset} would change its settings (use another --run, or --set the few you mean)`);
  const { settings, dropped } = recordedSettings(recorded);
  if (dropped.length) notes.push(`${path.join(dir, 'config.json')}: ignoring settings this version does not have: ${dropped.join(', ')}`);
  const config = resolveConfig({ preset: recorded.preset as Preset, overrides: { ...deepMerge(settings, overrides), runDir }, now });
  const changes = changedFinishedSettings(recorded, config, dir);
  const redone = new Set(RUNS_STAGES[command] ?? []);
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  for (const c of changes) {
    const what = `${c.key} changed from ${show(c.from)} to ${show(c.to)}, but ${c.stage} finished in this run with ${show(c.from)} (${c.done})`;
    if (force && redone.has(c.stage)) {
      notes.push(`${what}: --force redoes ${c.stage}, replacing its outputs`);
      continue;
    }
    const how = redone.has(c.stage) ? `add --force to redo ${c.stage} (its outputs are replaced)` : `\`fleming ${c.stage} --run ${runDir} --force --set ${c.key}=…\` redoes it`;
    throw new Error(`${what}. Nothing was changed: ${how}, or use another --run`);
  }
  return config;
}

export function parseCli(argv: string[], now = new Date(), cwd = process.cwd()): ParsedArgs {
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
      resume: { type: 'boolean' },
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
      'benchmark-spec': { type: 'string', multiple: true },
      samples: { type: 'string' },
      hours: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : positionals[0] ?? 'help';
  const mine = command === 'rlvr' && positionals[1] === 'mine';
  if (positionals.length > (mine ? 2 : 1) && command !== 'benchmarks') throw new Error(`unexpected argument "${positionals[mine ? 2 : 1]}" (see fleming help)`);
  if (mine && !values.endpoint) throw new Error('fleming rlvr mine needs --endpoint URL --model NAME (a served policy, e.g. `fleming serve` or vLLM)');
  const overrides = parseOverrides(values.set ?? []) as Record<string, Record<string, unknown> | unknown>;
  const graph = { ...((overrides.graph as Record<string, unknown>) ?? {}) };
  if (values.kg !== undefined) graph.kg = values.kg;
  if (values.sources !== undefined) graph.sourcesDir = values.sources;
  if (values.sider) graph.includeSider = true;
  if (Object.keys(graph).length) overrides.graph = graph;
  if (values.backend !== undefined) overrides.backend = values.backend;
  if (values.strict) overrides.strict = true;
  if (values.seed !== undefined) {
    const n = Number(values.seed);
    if (!Number.isInteger(n)) throw new Error(`--seed expects an integer, got "${values.seed}"`);
    overrides.seed = n;
  }
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
    endpoint: values.endpoint ? { baseUrl: values.endpoint, model: values.model as string, apiKeyEnv: values['api-key-env'] ?? 'OPENAI_API_KEY', maxConcurrency: 0 } : undefined, // maxConcurrency: eval.endpointConcurrency, below
    benchmarks: list(values.benchmarks),
    specs: values['benchmark-spec'],
    samples: positiveInt('samples', values.samples),
  };
  const port = values.port === undefined ? 8000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port expects an integer in [0, 65535], got "${values.port}"`);
  if (command === 'serve' && (values.checkpoint?.length ?? 0) !== 1) throw new Error('fleming serve needs one --checkpoint DIR');
  const serveOpts = { checkpoint: values.checkpoint?.[0], host: values.host ?? '127.0.0.1', port, apiKeyEnv: values['api-key-env'], model: values.model };
  const hours = values.hours === undefined ? undefined : Number(values.hours);
  if (hours !== undefined && !(hours > 0)) throw new Error(`--hours expects a positive number, got "${values.hours}"`);
  if (values.resume && !RESUMES.has(command)) throw new Error(`--resume continues SFT or GRPO training (fleming ${[...RESUMES].join(', ')}), not \`fleming ${command}\``);
  const notes: string[] = [];
  const run = runOf(command, values.run, cwd, notes);
  const config = configOf(command, run, values.preset, overrides, Boolean(values.force), now, cwd, notes);
  if (evalOpts.endpoint) evalOpts.endpoint.maxConcurrency = config.eval.endpointConcurrency;
  return { command, rest: positionals.slice(1), config, force: Boolean(values.force), resume: Boolean(values.resume), sources: values.sources, discover, eval: evalOpts, serve: serveOpts, hours, export: { format: values.format, out: values.out, mine }, notes };
}

/** The run of a command (see openRun), with its --resume. */
function open(args: ParsedArgs): RunContext {
  return openRun(args.config, { resumeNewLr: args.resume });
}

/** Every stage in order on one run directory; a stage whose inputs changed is redone, a finished one reused. */
async function runPipeline(args: ParsedArgs): Promise<string> {
  const ctx = open(args);
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

/** `fleming serve`: serves the checkpoint until SIGINT or SIGTERM. */
async function runServe(args: ParsedArgs): Promise<string> {
  const { serve } = require('./serve') as typeof import('./serve');
  const { ensureBackend } = require('./model/backend') as typeof import('./model/backend');
  const s = args.serve;
  const log = (m: string) => process.stderr.write(`serve: ${m}\n`);
  let apiKey: string | undefined;
  if (s.apiKeyEnv !== undefined) {
    apiKey = process.env[s.apiKeyEnv];
    if (!apiKey) throw new Error(`--api-key-env ${s.apiKeyEnv}: that environment variable is unset or empty`);
  }
  await ensureBackend(args.config.backend, log);
  const server = await serve(s.checkpoint as string, { host: s.host, port: s.port, apiKey, modelName: s.model ?? '', seed: args.config.seed, log });
  log(`${server.modelName} at ${server.url}${apiKey ? ` (API key from $${s.apiKeyEnv})` : ''}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 'serve: stopped';
}

/** Each command: run it, and the line it prints last. */
const COMMANDS: Record<string, (args: ParsedArgs) => Promise<string>> = {
  help: async () => HELP.trimEnd(),
  graph: async (a) => {
    const ctx = open(a);
    await graphStage.run(ctx, { force: a.force });
    return `graph written to ${ctx.dir}/graph`;
  },
  rods: async (a) => {
    const ctx = open(a);
    await rodsStage.run(ctx, { force: a.force });
    return `items written to ${ctx.dir}/rods`;
  },
  base: async (a) => {
    const { runBase } = require('./base/release') as typeof import('./base/release');
    const log = (m: string) => process.stderr.write(`${m}\n`);
    const r = await runBase(a.config, { command: `fleming ${process.argv.slice(2).join(' ')}`, hours: a.hours, fresh: a.force, log, progress: (l, n) => progress(l, n) });
    if (!r.finished) return `Base training paused at step ${r.step}; rerun the same command to resume`;
    if (!(r.probes as { ceiling?: unknown } | undefined)?.ceiling) {
      // the knowledge ceiling needs the default world's test items, which follow the release: measured once it exists
      const { releaseCeiling } = require('./base/ceiling') as typeof import('./base/ceiling');
      const { addToReleaseProbes } = require('./base/release') as typeof import('./base/release');
      addToReleaseProbes(r.dir, { ceiling: await releaseCeiling(a.config, r.dir, log) });
    }
    return `Base released to ${r.dir}`;
  },
  pretrain: async (a) => `Base model written to ${(await pretrainStage.run(open(a), { force: a.force })).dir}`,
  coldstart: async (a) => `+CoT model written to ${(await coldstartStage.run(open(a), { force: a.force })).sft.dir}`,
  rlvr: async (a) => {
    if (a.export.mine) {
      const { mineEndpoint } = require('./rlvr/mine') as typeof import('./rlvr/mine');
      const { endpoint } = a.eval;
      const m = await mineEndpoint(open(a), endpoint as NonNullable<typeof endpoint>, { out: a.export.out });
      return `rlvr mine: round ${m.record.round}: mined ${m.record.mined} of ${m.record.evaluated} items → ${m.files[1]}`;
    }
    const r = await rlvrStage.run(open(a), { force: a.force });
    return `+RL1 written to ${r.stage1.dir}, +RL2 to ${r.stage2?.dir}`;
  },
  pipeline: runPipeline,
  eval: async (a) => {
    const r = await evalStage.run(open(a), a.eval);
    const failed = r.errors ? `; ${r.errors} item${r.errors > 1 ? 's' : ''} failed at the endpoint and counted as errors (errors.jsonl): run the same command again to ask ${r.errors > 1 ? 'them' : 'it'} again` : '';
    return `evaluation written to ${r.dir} (report.md, table3.md, table4.md)${failed}`;
  },
  discover: async (a) => {
    const { runDiscover } = require('./graph/agent') as typeof import('./graph/agent');
    const { out, entities, edges, result } = await runDiscover(open(a), a.discover);
    return `discover: ${entities} entities, ${edges} edges (${result.requests} requests, ${result.cacheHits} from cache; stopped: ${result.stopped}) → ${out}`;
  },
  export: async (a) => {
    const { exportFormat, runExport } = require('./export') as typeof import('./export');
    const r = await runExport(a.config.runDir, { format: exportFormat(a.export.format), out: a.export.out, backend: a.config.backend, log: (m) => process.stderr.write(`export: ${m}\n`) });
    for (const n of r.manifest.notes) process.stderr.write(`export: ${n}\n`);
    return `${r.manifest.format} export written to ${r.out} (${r.manifest.files.map((f) => `${f.path}: ${f.rows} rows`).join(', ')})`;
  },
  download: runDownload,
  serve: runServe,
  benchmarks: async (a) => {
    const { runBenchmarksCommand } = require('./rods/curated/check') as typeof import('./rods/curated/check');
    const dir = a.config.rods.benchmarksDir ?? process.env.FLEMING_BENCHMARKS;
    return runBenchmarksCommand(a.rest, { benchmarksDir: dir ? path.resolve(dir) : null }, a.config.strict, (t) => process.stdout.write(t));
  },
  bench: async (a) => {
    const { runBench } = require('../bench/bench') as typeof import('../bench/bench');
    const only = process.env.FLEMING_BENCH_ONLY?.split(',').map((x) => x.trim()) ?? undefined;
    await runBench(a.config, only);
    return '';
  },
};

/** Commands that only read their run: they check that no writer holds it, and do not lock it themselves. */
const ONLY_READS = new Set(['export']);

/** The lock of the run a command works on (src/core/lock.ts); null for commands without a run, or that only read it. */
function lockOf(args: ParsedArgs, argv: string[]): RunLock | null {
  if (!MAKES_RUN.has(args.command) && !READS_RUN.has(args.command)) return null;
  if (ONLY_READS.has(args.command)) {
    checkUnlocked(path.resolve(args.config.runDir));
    return null;
  }
  return lockRun(path.resolve(args.config.runDir), `fleming ${argv.join(' ')}`);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  const command = COMMANDS[args.command];
  if (!command) throw new Error(`unknown command "${args.command}" (see fleming help)`);
  for (const note of args.notes) process.stderr.write(`${note}\n`);
  const { selectInference } = require('./model/ort') as typeof import('./model/ort');
  selectInference(args.config.inference || undefined, Number(process.env.FLEMING_INFERENCE_THREADS || args.config.inferenceThreads));
  const { selectTraining } = require('./model/ortTrain') as typeof import('./model/ortTrain');
  selectTraining(process.env.FLEMING_TRAIN_RUNTIME || args.config.trainRuntime);
  const { selectWorkers } = require('./model/workers') as typeof import('./model/workers');
  selectWorkers(Number(process.env.FLEMING_TRAIN_WORKERS || args.config.trainWorkers));
  const lock = lockOf(args, argv);
  if (lock?.note) process.stderr.write(`${lock.note}\n`);
  try {
    const line = await command(args);
    if (line) process.stdout.write(`${line}\n`);
  } finally {
    lock?.release();
  }
  return 0;
}
