/**
 * Run configuration: one object for the whole pipeline, assembled from each stage's defaults
 * (src/<stage>/config.ts, where every setting is documented once), a preset (smoke | default |
 * full | gpu) and explicit `--set` overrides, in that order, then validated. It is written to
 * runs/<id>/config.json, so every run records exactly what it ran with. Secrets (API keys) are
 * never part of it: they come from the environment at the moment of use, and redactSecrets()
 * strips anything that looks like one before a run file is written.
 */
import { defaults as base, limits as pretrainLimits, recipeDefaults, recipeLimits, type BaseRecipeConfig, type PretrainConfig } from '../base/config';
import { defaults as coldstart, limits as coldstartLimits, sftDefaults as sft, sftLimits, type ColdstartConfig, type SftConfig } from '../coldstart/config';
import { defaults as evalDefaults, limits as evalLimits, type EvalConfig } from '../eval/config';
import { defaults as graph, limits as graphLimits, type GraphConfig } from '../graph/config';
import { defaults as rlvr, limits as rlvrLimits, type RlvrConfig } from '../rlvr/config';
import { defaults as rods, limits as rodsLimits, type RodsConfig } from '../rods/config';
import { checkSettings, int, oneOf, type Limits } from './schema';

export type Preset = 'smoke' | 'default' | 'full' | 'gpu';
export const PRESETS: readonly Preset[] = ['smoke', 'default', 'full', 'gpu'];

export interface RunConfig {
  preset: Preset;
  seed: number;
  runDir: string;
  backend: '' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  inference: '' | 'auto' | 'tfjs' | 'onnxruntime';
  inferenceThreads: number;
  trainRuntime: 'auto' | 'tfjs' | 'onnxruntime';
  trainWorkers: number;
  strict: boolean;
  graph: GraphConfig;
  rods: RodsConfig;
  coldstart: ColdstartConfig;
  base: BaseRecipeConfig;
  pretrain: PretrainConfig;
  sft: SftConfig;
  eval: EvalConfig;
  rlvr: RlvrConfig;
}

/** The run's own settings, then each stage's defaults (the key order is config.json's). */
export const defaults: RunConfig = {
  preset: 'default', // smoke | default | full | gpu (presetOverrides below)
  seed: 1234, // seed for every random choice in the run
  runDir: '', // run directory; '' = runs/<timestamp>
  backend: '', // TensorFlow.js backend of the policy; '' = the best available (tensorflow, webgpu, wasm, cpu); $FLEMING_BACKEND or --backend prefers one
  inference: '', // runtime of sampling (rollouts, mining, eval, serve): '' = $FLEMING_INFERENCE or auto (onnxruntime-node where installed, on the wasm/cpu backends; src/model/ort.ts), tfjs, onnxruntime
  inferenceThreads: 1, // onnxruntime intra-op threads (cores used for sampling, and for training on onnxruntime)
  trainRuntime: 'auto', // gradients of token losses and on-policy GRPO: auto = onnxruntime (native, ≈ 4× TensorFlow.js on CPU) where onnxruntime-node loads and the backend is wasm or cpu, else tfjs; or insist on tfjs / onnxruntime ($FLEMING_TRAIN_RUNTIME wins). Float rounding differs ≈ 1e-6 between them: a run resumes to the same bytes on the same runtime (src/model/ortTrain.ts)
  trainWorkers: 1, // > 1: TensorFlow.js token-loss gradients data-parallel on that many threads (opt-in: float rounding differs; src/model/workers.ts); trainRuntime auto then trains on TensorFlow.js, onnxruntime takes precedence
  strict: false, // --strict: stop at the first malformed input row (graph sources, benchmark files) instead of counting it
  graph, // src/graph/config.ts
  coldstart, // src/coldstart/config.ts
  rods, // src/rods/config.ts
  base: recipeDefaults, // src/base/config.ts (the Base recipe, `fleming base`)
  pretrain: base, // src/base/config.ts
  sft, // src/coldstart/config.ts
  eval: evalDefaults, // src/eval/config.ts
  rlvr, // src/rlvr/config.ts
};

/** What every setting may be: the run's own, then each section's (declared beside its defaults). */
export const limits: Limits<RunConfig> = {
  preset: oneOf<Preset>(...PRESETS),
  seed: int(),
  backend: oneOf<RunConfig['backend']>('', 'tensorflow', 'webgpu', 'wasm', 'cpu'),
  inference: oneOf<RunConfig['inference']>('', 'auto', 'tfjs', 'onnxruntime'),
  inferenceThreads: int(1),
  trainRuntime: oneOf<RunConfig['trainRuntime']>('auto', 'tfjs', 'onnxruntime'),
  trainWorkers: int(1),
  graph: graphLimits,
  coldstart: coldstartLimits,
  rods: rodsLimits,
  base: recipeLimits,
  pretrain: pretrainLimits,
  sft: sftLimits,
  eval: evalLimits,
  rlvr: rlvrLimits,
};

/** What each preset changes relative to the defaults. */
export const presetOverrides: Record<Preset, DeepPartial<RunConfig>> = {
  smoke: {
    rods: { items: 600 },
    pretrain: { model: 'smoke', vocabSize: 768, seqLen: 64, batchSize: 8, steps: 250, warmupSteps: 10, tuneSteps: 50, tuneBatchSize: 8, checkpointEvery: 50, recallEdges: 10, evalItems: 60 },
    // plain SFT: smoke is plumbing; replay and the weighted letter are exercised by test/coldstart/sft.test.ts
    sft: { steps: 100, batchSize: 8, lr: 3e-3, minLr: 3e-4, warmupSteps: 5, answerWeight: 1, replayEvery: 0, checkpointEvery: 50, evalItems: 40, evalMaxNewTokens: 96, examples: 4 },
    eval: { testItems: 60, benchmarkItems: 20, maxNewTokens: 96, bootstrap: 500 },
    rlvr: { k: 4, promptsPerStep: 4, maxNewTokens: 96, stage1MaxSteps: 6, stage1MinSteps: 3, stage1SparsityWindow: 2, stage1PlateauWindow: 2, stage2Rounds: 2, stage2StepsPerRound: 2, stage2PromptsPerStep: 2, stage2K: 8, stage2Samples: 2, stage2MinFailures: 2, stage2MaxMined: 16, stage2MinePool: 48, checkpointEvery: 2, evalItems: 40, evalMaxNewTokens: 96 },
  },
  // A run that pretrains its own Base (no released Base in base.release) works in 25 anchor diseases and their
  // neighbourhood (441 entities, 577 edges), small enough for the 2 × 128 policy to learn its facts in the default
  // budget (docs/findings.md, "Focused world"). A run from the released Base works in the Base's world, the whole
  // seed graph; an open-graph run in the whole open graph (src/graph/world.ts).
  default: { graph: { focus: { fromScratch: 25 } } },
  full: {
    graph: { kg: 'open' },
    rods: { items: 20000 },
    pretrain: { model: 'full', vocabSize: 4096, seqLen: 256, batchSize: 8, phrasingsPerEdge: 3, steps: 6000, warmupSteps: 100, tuneSteps: 600, checkpointEvery: 250, recallEdges: 100, evalItems: 0 },
    sft: { steps: 1000, batchSize: 16, lr: 5e-4, minLr: 5e-5, warmupSteps: 50, checkpointEvery: 200, evalItems: 0, evalMaxNewTokens: 192 },
    eval: { testItems: 0, benchmarkItems: 0, maxNewTokens: 192 },
    rlvr: { k: 16, promptsPerStep: 16, maxNewTokens: 192, lr: 1e-4, minLr: 1e-4, warmupSteps: 10, stage1MaxSteps: 500, stage1MinSteps: 50, stage1SparsityWindow: 20, stage1PlateauWindow: 50, stage2Rounds: 4, stage2StepsPerRound: 100, stage2PromptsPerStep: 16, stage2K: 32, stage2Samples: 8, stage2MinFailures: 6, stage2MaxMined: 2048, stage2MinePool: 0, checkpointEvery: 25, rolloutsEvery: 5, evalItems: 0, evalMaxNewTokens: 192 },
  },
  // A datacenter GPU (tensorflow or webgpu backend; see environment.md): the full data with an
  // 8 × 512 policy (≈ 28M parameters), 4× the tokens per step, longer completions.
  gpu: {
    backend: '', // best available: tensorflow (tfjs-node-gpu) or webgpu on a hardware adapter
    graph: { kg: 'open' },
    rods: { items: 20000 },
    pretrain: { model: 'gpu', vocabSize: 8192, seqLen: 512, batchSize: 32, phrasingsPerEdge: 3, steps: 6000, lr: 1e-3, minLr: 1e-4, warmupSteps: 200, tuneSteps: 600, tuneBatchSize: 64, tuneLr: 5e-4, checkpointEvery: 500, recallEdges: 100, evalItems: 0 },
    sft: { steps: 1000, batchSize: 64, lr: 3e-4, minLr: 3e-5, warmupSteps: 50, checkpointEvery: 200, evalItems: 0, evalMaxNewTokens: 384, evalBatchSize: 64 },
    // More rollouts per prompt and longer completions than full (the group is where GRPO's signal comes from).
    rlvr: { k: 32, promptsPerStep: 32, maxNewTokens: 384, rolloutBatch: 512, microBatch: 128, lr: 1e-4, minLr: 1e-4, warmupSteps: 10, stage1MaxSteps: 1000, stage1MinSteps: 50, stage1SparsityWindow: 20, stage1PlateauWindow: 50, stage2Rounds: 4, stage2StepsPerRound: 200, stage2PromptsPerStep: 32, stage2K: 64, stage2Samples: 8, stage2MinFailures: 6, stage2MaxMined: 4096, stage2MinePool: 0, checkpointEvery: 25, rolloutsEvery: 5, evalItems: 0, evalMaxNewTokens: 384, evalBatchSize: 128 },
    eval: { testItems: 0, benchmarkItems: 0, maxNewTokens: 384, batchSize: 64 },
    // `fleming base --preset gpu`: the same recipe (world, skills, schedule) for the gpu policy's shape (8 × 512,
    // as MODEL_PRESETS.gpu), 4× the rows per step and twice the context, into its own release folder. A run starts
    // from it with `--preset gpu --kg seed` (an open-graph run pretrains its own Base: src/graph/world.ts).
    base: { release: 'data/base-gpu', hiddenSize: 512, layers: 8, heads: 8, kvHeads: 4, intermediateSize: 1376, context: 1024, bpeVocab: 4096, batchSize: 64, seqLen: 256, lr: 1e-3, minLr: 1e-4, steps: 16000, checkpointEvery: 500 },
  },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(over)) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

/**
 * Parses `a.b.c=value` overrides into a nested object. Values are JSON when they parse as JSON
 * (numbers, booleans, quoted strings, arrays), plain strings otherwise.
 */
export function parseOverrides(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--set expects key.path=value, got ${JSON.stringify(pair)}`);
    const keys = pair.slice(0, eq).split('.');
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let cur = out;
    for (const k of keys.slice(0, -1)) {
      if (!isPlainObject(cur[k])) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]] = value;
  }
  return out;
}

/** The timestamp-based default run id, e.g. 2026-11-23T10-15-00. */
export function defaultRunId(now = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
}

/**
 * defaults ← preset ← overrides, every setting checked against the type of its default and its
 * limits (one error naming the key and what it allows; nothing is written before this).
 */
export function resolveConfig(opts: { preset?: Preset; overrides?: unknown; now?: Date } = {}): RunConfig {
  const preset = opts.preset ?? 'default';
  if (!PRESETS.includes(preset)) throw new Error(`unknown preset "${preset}" (choose ${PRESETS.join(', ')})`);
  let cfg = deepMerge(defaults, presetOverrides[preset]);
  cfg = deepMerge(cfg, opts.overrides);
  cfg.preset = preset;
  checkSettings(cfg, defaults, limits);
  if (!cfg.runDir) cfg.runDir = `runs/${defaultRunId(opts.now)}`;
  return cfg;
}

/**
 * Removes values that look like secrets before anything is written to a run file. A key ending in
 * `Env` (apiKeyEnv) names an environment variable, not a secret, and is kept, so a run's endpoints
 * can be read back from its config.json.
 */
export function redactSecrets<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (k, v) => (/(api[-_]?key|token|secret|password)/i.test(k) && !/Env$/.test(k) && typeof v === 'string' ? '[redacted]' : v)),
  ) as T;
}
