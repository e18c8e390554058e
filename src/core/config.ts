/**
 * Run configuration: one object for the whole pipeline, built from the defaults, a preset
 * (smoke | default | full | gpu) and explicit overrides, in that order. It is written to
 * runs/<id>/config.json, so every run records exactly what it ran with. Secrets (API keys) are
 * never part of it: they come from the environment at the moment of use.
 */
export type Preset = 'smoke' | 'default' | 'full' | 'gpu';
export const PRESETS: readonly Preset[] = ['smoke', 'default', 'full', 'gpu'];

export interface GraphConfig {
  /** 'seed': the hand-written graph in data/seed (embedded default); 'open': built from the open sources. */
  kg: 'seed' | 'open';
  /** Directory with the open sources (the kg-sources layout); default: FLEMING_SOURCES or .cache/kg-sources. */
  sourcesDir?: string;
  /** Include SIDER side effects (CC BY-NC-SA: outputs become non-commercial). */
  includeSider: boolean;
  /** Stop at the first malformed row instead of counting it. */
  strict: boolean;
  /**
   * A focused world (src/graph/focus.ts): keep N anchor diseases (a seeded shuffle of those with a
   * symptom or finding, a test and a treatment) and their closed neighbourhood; 0 = the whole graph.
   */
  focus: { diseases: number };
}

/** An OpenAI-compatible endpoint (vLLM, SGLang, a hosted API). The key comes from the env var named here. */
export interface EndpointConfig {
  baseUrl: string;
  model: string;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: string;
  maxConcurrency: number;
}

export interface RodsConfig {
  /** Synthetic items to draft from the graph (before rejection and filtering). */
  items: number;
  /** Options per item (2..10). */
  options: number;
  /** Rare-entity bias: anchor weight (degree + 1)^-alpha; 0 = uniform. */
  alpha: number;
  /** Item type weights. */
  mix: Record<string, number>;
  /** Directory of the public benchmarks (default: $FLEMING_BENCHMARKS). */
  benchmarksDir?: string;
  /** Benchmarks mixed into the training data (their items then leave evaluation). */
  curatedBenchmarks: string[];
  /** Curated share of the mixed training data (0..1) when curatedBenchmarks is not empty. */
  curatedRatio: number;
  /** Answers per item in label verification. */
  verifySamples: number;
  /** LLM validator; absent = the offline graph solver validates synthetic items. */
  validator?: EndpointConfig;
  /** LLM difficulty judge; absent = graph features and the reference pass rate only. */
  judge?: EndpointConfig;
  /** Samples of the reference model for the empirical pass-rate signal. */
  referenceSamples: number;
  /** Share of anchor groups held out for the test split. */
  testShare: number;
  /** Near-duplicate threshold (Jaccard of word shingles). */
  nearDupThreshold: number;
}

/** Knowledge pretraining of the policy and its direct-answer "Base" (src/coldstart/pretrain.ts). */
export interface PretrainConfig {
  /** MODEL_PRESETS entry giving the architecture (layers, widths, heads, context); the tokenizer sets vocab_size. */
  model: 'smoke' | 'default' | 'full' | 'gpu';
  /** Tokenizer vocabulary: 9 specials + 256 bytes + merges. */
  vocabSize: number;
  /** Training phrasings rendered per edge in each pass over the graph (of the 4 training families). */
  phrasingsPerEdge: number;
  /** Chance that a mention uses a synonym instead of the canonical name. */
  synonymRate: number;
  /** 'entity': a pass is short articles, one per source entity (its sentences together); 'shuffled': sentences in random order. */
  corpusOrder: 'entity' | 'shuffled';
  /** Tokens per packed LM sequence (≤ the model's max_position_embeddings). */
  seqLen: number;
  /** Sequences per LM step. */
  batchSize: number;
  /** LM optimiser steps. */
  steps: number;
  /** Peak learning rate of both phases' warm-up + cosine. */
  lr: number;
  /** Cosine floor. */
  minLr: number;
  /** Linear warm-up steps (each phase). */
  warmupSteps: number;
  weightDecay: number;
  /** Global gradient-norm clipping. */
  clipNorm: number;
  /** Direct-answer tuning steps on the RODS train split (prompt → <answer>X</answer>). */
  tuneSteps: number;
  /** Items per tuning step. */
  tuneBatchSize: number;
  /** Peak learning rate of the tuning phase. */
  tuneLr: number;
  /** Steps between checkpoints (a killed run resumes from the last one). */
  checkpointEvery: number;
  /** Edges scored per relation in the held-out fact-recall probe. */
  recallEdges: number;
  /** Same-type distractor targets per scored edge. */
  recallDistractors: number;
  /** RODS test items the Base is evaluated on (0 = all). */
  evalItems: number;
}

/** SFT of the Base on verified teacher traces → the "+CoT" policy (src/coldstart/sft.ts). */
export interface SftConfig {
  /** Optimiser steps. */
  steps: number;
  /** Traces per step. */
  batchSize: number;
  /** Peak learning rate (warm-up + cosine). */
  lr: number;
  /** Cosine floor. */
  minLr: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  weightDecay: number;
  /** Global gradient-norm clipping. */
  clipNorm: number;
  /**
   * Loss weight of the answer letter relative to the other completion tokens (1 = plain SFT).
   * The letter is one token of a trace's ~20, and choosing it is an in-context lookup the tiny
   * policy learns slowly; a larger weight spends more of the gradient on it.
   */
  answerWeight: number;
  /**
   * Knowledge replay: every N-th of the `steps` updates is a pretraining batch (graph sentences,
   * as in the Base's LM phase) instead of traces; 0 = traces only. SFT on a few train subjects
   * otherwise overwrites what the LM knew (25-disease world: ceiling 98.5% → 36% after 600 steps).
   */
  replayEvery: number;
  /** Steps between checkpoints (a killed run resumes from the last one). */
  checkpointEvery: number;
  /** RODS test items Base and +CoT are evaluated on (0 = all). */
  evalItems: number;
  /** Tokens generated per test item (room for a short trace and the answer). */
  evalMaxNewTokens: number;
  /** Prompts decoded together. */
  evalBatchSize: number;
  /** Base vs +CoT completions written to examples.jsonl. */
  examples: number;
}

/** CoT cold start: teachers and the refinement loop (src/coldstart/stage.ts). */
export interface ColdstartConfig {
  /** LLM teacher (any OpenAI-compatible endpoint; the paper used GPT-OSS-120B); absent = the graph-grounded teacher. */
  teacher?: EndpointConfig;
  /** Drafts per item (pass@k). */
  k: number;
  /** Most revisions per draft. */
  depth: number;
  /** Longest trace kept, in characters. */
  maxChars: number;
  /**
   * Graph teacher's trace style: 'concise' (the claims that single out the answer, in the
   * pretraining corpus's sentences; evidence filter 'discriminating') or 'clinical' (findings,
   * support, a denial per distractor, conclusion; evidence filter 'full').
   */
  style: 'concise' | 'clinical';
}

/** Benchmarks, Table 3 / Table 4, verifiability (src/eval/). */
export interface EvalConfig {
  /** Policy stages evaluated: base, cot, rl1, rl2 (a stage without a checkpoint is reported as not run). */
  models: string[];
  /** Benchmark names (CURATED_BENCHMARKS); [] = every one whose file is in the benchmarks directory. */
  benchmarks: string[];
  /** Held-out synthetic test items evaluated (0 = all). */
  testItems: number;
  /** Items drawn (seeded) per public benchmark, to bound CPU time (0 = all). */
  benchmarkItems: number;
  /** Samples per item: 1 = greedy; k > 1 = temperature sampling (mean accuracy, pass@k). */
  samples: number;
  /** Sampling temperature when samples > 1. */
  temperature: number;
  /** Tokens generated per completion at most (checkpoints; endpoints get endpointMaxTokens). */
  maxNewTokens: number;
  /** Completion budget of an endpoint model. */
  endpointMaxTokens: number;
  /** Prompts decoded together. */
  batchSize: number;
  /** Bootstrap resamples per confidence interval. */
  bootstrap: number;
  /** Confidence level of the intervals. */
  ciLevel: number;
  /** Completions with their claims shown in report.md and examples.jsonl, per model. */
  examples: number;
}

/** RLVR: two-stage GRPO with verifiable rewards (src/rlvr/stage.ts). Flat on purpose; see `defaults.rlvr`. */
export interface RlvrConfig {
  k: number;
  promptsPerStep: number;
  maxNewTokens: number;
  temperature: number;
  rewards: Record<string, number>;
  advantage: 'none' | 'std';
  advantageEps: number;
  lossNorm: 'sequence' | 'sequence-mean' | 'token' | 'constant';
  updatesPerBatch: number;
  clipLow: number;
  clipHigh: number;
  klCoef: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  rolloutBatch: number;
  microBatch: number;
  checkpointEvery: number;
  rolloutsEvery: number;
  stage1MaxSteps: number;
  stage1MinSteps: number;
  stage1SparsityThreshold: number;
  stage1SparsityWindow: number;
  stage1PlateauWindow: number;
  stage1PlateauDelta: number;
  stage2Rounds: number;
  stage2StepsPerRound: number;
  stage2PromptsPerStep: number;
  stage2K: number;
  stage2Samples: number;
  stage2MinFailures: number;
  stage2MaxMined: number;
  stage2MinePool: number;
  evalItems: number;
  evalMaxNewTokens: number;
  evalBatchSize: number;
}

export interface RunConfig {
  preset: Preset;
  /** Seed for every random choice in the run. */
  seed: number;
  /** Run directory; default runs/<timestamp>. */
  runDir: string;
  /** TensorFlow.js backend for the policy: '' picks the best available (tensorflow, webgpu, wasm, cpu). */
  backend: '' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  graph: GraphConfig;
  rods: RodsConfig;
  coldstart: ColdstartConfig;
  pretrain: PretrainConfig;
  sft: SftConfig;
  eval: EvalConfig;
  rlvr: RlvrConfig;
}

export const defaults: RunConfig = {
  preset: 'default',
  seed: 1234,
  runDir: '',
  backend: '', // automatic; $FLEMING_BACKEND or --backend prefers one
  graph: { kg: 'seed', includeSider: false, strict: false, focus: { diseases: 0 } },
  coldstart: { k: 4, depth: 3, maxChars: 1200, style: 'concise' },
  rods: {
    items: 4000, // synthetic drafts
    options: 4, // options per item
    alpha: 0.75, // rare-entity bias
    mix: { diagnosis: 3, test_selection: 1, treatment: 2, mechanism: 1, contraindication: 1, multi_hop: 2 },
    curatedBenchmarks: [], // the mirror holds benchmark test sets only: keep them for evaluation
    curatedRatio: 0.2, // used only when curatedBenchmarks is set
    verifySamples: 5, // the paper's validator answers 5 times
    referenceSamples: 8, // reference-model samples per item
    testShare: 0.2, // anchor groups held out for test
    nearDupThreshold: 0.9, // Jaccard of word shingles
  },
  pretrain: {
    model: 'default', // MODEL_PRESETS.default: 2 layers × 128
    vocabSize: 2048, // BPE vocabulary
    phrasingsPerEdge: 2, // training phrasings per edge per pass
    synonymRate: 0.25, // mentions that use a synonym
    corpusOrder: 'entity', // one short article per entity (names recur in the context; 25-disease world: ceiling 64% → 98.5%); 'shuffled': sentence by sentence
    seqLen: 128, // packed LM sequence length
    batchSize: 16, // sequences per LM step
    steps: 400, // LM steps (≈ 4 passes over the seed graph's sentences)
    lr: 3e-3, // peak learning rate
    minLr: 3e-4, // cosine floor
    warmupSteps: 20, // warm-up steps per phase
    weightDecay: 0.1, // AdamW decoupled decay
    clipNorm: 1.0, // gradient-norm clipping
    tuneSteps: 60, // direct-answer tuning steps
    tuneBatchSize: 16, // items per tuning step
    tuneLr: 3e-4, // tuning peak learning rate (2e-3 erased most of the LM's knowledge: ceiling 43% → 23% at 50 diseases)
    checkpointEvery: 50, // steps between checkpoints
    recallEdges: 40, // edges per relation in the recall probe
    recallDistractors: 4, // distractors per edge (chance 1/5)
    evalItems: 300, // RODS test items for the Base's accuracy
  },
  sft: {
    steps: 600, // SFT steps on verified traces (≈ 3 epochs of the default run's traces; 200 left the answer letter at chance)
    batchSize: 16, // traces per step
    lr: 1e-3, // peak learning rate (below pretraining's: the Base is already trained)
    minLr: 1e-4, // cosine floor
    warmupSteps: 10, // warm-up steps
    weightDecay: 0.1, // AdamW decoupled decay
    clipNorm: 1.0, // gradient-norm clipping
    answerWeight: 10, // loss weight of the answer letter (1 = plain SFT; 10 made +CoT pick the option its thought names 39% vs 22–25%)
    replayEvery: 0, // off; 3 keeps the Base's knowledge (ceiling 99.5% vs 36%) but did not raise +CoT's accuracy within 900 steps (README)
    checkpointEvery: 50, // steps between checkpoints
    evalItems: 200, // RODS test items for Base vs +CoT
    evalMaxNewTokens: 128, // room for a short <think> trace and the answer
    evalBatchSize: 16, // prompts per generate() call
    examples: 8, // Base vs +CoT completions in examples.jsonl
  },
  eval: {
    models: ['base', 'cot', 'rl1', 'rl2'], // policy stages (missing ones: "not run")
    benchmarks: [], // [] = every benchmark file present
    testItems: 300, // held-out synthetic items (0 = all)
    benchmarkItems: 40, // seeded draw per public benchmark (0 = all)
    samples: 1, // 1 = greedy
    temperature: 0.7, // when samples > 1
    maxNewTokens: 192, // room for a whole <think> trace and the answer (default context: 512)
    endpointMaxTokens: 1024, // completion budget of an endpoint model
    batchSize: 16, // prompts per generate() call
    bootstrap: 1000, // resamples per confidence interval
    ciLevel: 0.95, // interval coverage
    examples: 4, // completions with their claims in the report
  },
  rlvr: {
    k: 8, // rollouts per prompt (the group of Eq. 1–2)
    promptsPerStep: 6, // prompts per GRPO step (batch = promptsPerStep × k completions)
    maxNewTokens: 128, // tokens per completion at most (a cut completion gets no format reward)
    temperature: 1.0, // sampling temperature of the rollouts
    rewards: { correctness: 1, format: 0.25 }, // reward name → weight (src/rlvr/rewards.ts); nothing else, as in the paper
    advantage: 'none', // 'none': A = r − group mean (Eq. 2); 'std': also divide by the group std (+ advantageEps)
    advantageEps: 1e-4, // added to the group std when advantage = 'std'
    lossNorm: 'sequence', // 'sequence' (Eq. 3: Σ_t log π, mean over completions) | 'sequence-mean' (GRPO) | 'token' (DAPO) | 'constant' (Dr. GRPO)
    updatesPerBatch: 1, // μ: updates per batch of rollouts; > 1 uses PPO ratio clipping against the sampler's logprobs
    clipLow: 0.2, // ratio clip 1 − clipLow (only when updatesPerBatch > 1)
    clipHigh: 0.2, // ratio clip 1 + clipHigh (DAPO's clip-higher: larger)
    klCoef: 0, // β of the k3 KL penalty to the frozen start policy (0 as in the paper)
    lr: 2e-4, // peak learning rate (AdamW)
    minLr: 2e-4, // cosine floor (= lr: constant after warm-up)
    warmupSteps: 3, // linear warm-up steps (each stage)
    weightDecay: 0, // AdamW decoupled decay
    clipNorm: 1.0, // global gradient-norm clipping
    rolloutBatch: 64, // completions decoded together
    microBatch: 16, // completions per forward/backward pass
    checkpointEvery: 10, // steps between resume checkpoints
    rolloutsEvery: 1, // every N-th step's rollouts go to rollouts.jsonl
    stage1MaxSteps: 24, // stage 1 ends here at the latest
    stage1MinSteps: 8, // no stop rule fires before this
    stage1SparsityThreshold: 0.7, // zero-spread fraction (moving average) that ends stage 1
    stage1SparsityWindow: 4, // steps in that moving average
    stage1PlateauWindow: 8, // reward plateau: last window vs the window before
    stage1PlateauDelta: 0, // the last window must beat the one before by more than this
    stage2Rounds: 2, // mining rounds
    stage2StepsPerRound: 6, // GRPO steps per round on the mined set
    stage2PromptsPerStep: 3, // prompts per stage-2 step
    stage2K: 16, // rollouts per prompt in stage 2 (more: a hard item needs more tries to show spread)
    stage2Samples: 4, // n samples per item when mining
    stage2MinFailures: 3, // failures (of n) that make an item "repeatedly failed"
    stage2MaxMined: 64, // mined set cap (Difficult first)
    stage2MinePool: 96, // train items evaluated per round (a fixed seeded subset; 0 = the whole training set, as the full preset does)
    evalItems: 200, // RODS test items for +CoT / +RL1 / +RL2 (greedy, evalPolicy)
    evalMaxNewTokens: 128, // as sft.evalMaxNewTokens, so +CoT's numbers compare
    evalBatchSize: 32, // prompts per generate() call
  },
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
  // The default world: 25 anchor diseases and their neighbourhood (441 entities, 577 edges), small enough
  // for the 2 × 128 policy to learn its facts in the default budget (README, "Focused world").
  default: { graph: { focus: { diseases: 25 } } },
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

/** Checks that every key in `over` exists in `base` (catches typos in overrides). */
function checkKeys(base: unknown, over: unknown, prefix = ''): void {
  if (!isPlainObject(over)) return;
  for (const [k, v] of Object.entries(over)) {
    const at = prefix ? `${prefix}.${k}` : k;
    if (!isPlainObject(base) || !(k in base)) {
      // optional fields (declared with ?) are allowed when their parent exists
      if (isPlainObject(base) && OPTIONAL_KEYS.has(at)) continue;
      throw new Error(`unknown config key "${at}"`);
    }
    if (isPlainObject(v) && isPlainObject(base[k])) checkKeys(base[k], v, at);
  }
}

const OPTIONAL_KEYS = new Set(['graph.sourcesDir', 'rods.benchmarksDir', 'rods.validator', 'rods.judge', 'coldstart.teacher']);

/** The timestamp-based default run id, e.g. 2026-11-23T10-15-00. */
export function defaultRunId(now = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
}

/** defaults ← preset ← overrides, validated. */
export function resolveConfig(opts: { preset?: Preset; overrides?: unknown; now?: Date } = {}): RunConfig {
  const preset = opts.preset ?? 'default';
  if (!PRESETS.includes(preset)) throw new Error(`unknown preset "${preset}" (choose ${PRESETS.join(', ')})`);
  checkKeys(defaults, opts.overrides);
  let cfg = deepMerge(defaults, presetOverrides[preset]);
  cfg = deepMerge(cfg, opts.overrides);
  cfg.preset = preset;
  if (!cfg.runDir) cfg.runDir = `runs/${defaultRunId(opts.now)}`;
  if (cfg.graph.kg !== 'seed' && cfg.graph.kg !== 'open') throw new Error(`graph.kg must be "seed" or "open", got "${cfg.graph.kg}"`);
  if (!['', 'tensorflow', 'webgpu', 'wasm', 'cpu'].includes(cfg.backend)) throw new Error(`backend must be one of tensorflow, webgpu, wasm, cpu, got "${cfg.backend}"`);
  if (!Number.isInteger(cfg.graph.focus.diseases) || cfg.graph.focus.diseases < 0) throw new Error(`graph.focus.diseases must be an integer ≥ 0, got ${cfg.graph.focus.diseases}`);
  if (!Number.isInteger(cfg.seed)) throw new Error(`seed must be an integer, got ${cfg.seed}`);
  return cfg;
}
