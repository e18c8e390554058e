/**
 * `fleming base [--set base.x=y] [--hours H]`: trains the Base by the recipe (src/base/recipe.ts)
 * and writes the release to `base.release` (default data/base/):
 *
 *   model.safetensors config.json tokenizer.json tokenizer_config.json   (Hugging Face Llama)
 *   log.jsonl        loss per step with the step's skill (no times: a rerun gives the same bytes)
 *   probes.jsonl     the probes every base.probeEvery steps
 *   probes.json      the final probes (copy, option lookup on 1,000 drills, fact recall)
 *   recipe.json      the exact command, seed, settings, backend, training runtime and wall time
 *   manifest.json    sha256 of every file above and of the seed-graph files it was trained on
 *
 * Training checkpoints to `<release>/train/last/` (committed between sessions while a run is
 * unfinished). `--hours H` pauses at the first checkpoint after H hours: rerun the same command
 * to resume, to the same bytes as an uninterrupted run.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl, writeJson, writeJsonlSync } from '../core/io';
import type { RunConfig } from '../core/config';
import type { Progress } from '../core/progress';
import { Rng } from '../core/rng';
import { focusGraph } from '../graph/focus';
import type { KnowledgeGraph } from '../graph/graph';
import { loadSeedGraph, seedDir } from '../graph/seed';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../model/backend';
import { saveCheckpoint } from '../model/checkpoint';
import { trainingRuntime } from '../model/ortTrain';
import { Llama, type LlamaConfig, defaults as llamaDefaults } from '../model/llama';
import { CHAT, Tokenizer, loadTokenizer, saveTokenizer } from '../model/tokenizer';
import { StepRecord, clearCheckpoints, lastCheckpointDir, readMetrics, trainPhases } from '../train/index';
import { readJson } from '../core/io';
import type { BaseRecipeConfig } from './config';
import { BaseProbes, probeBase } from './probes';
import { RecipeBatches, baseTokenizer, recipePhase, skillAt } from './recipe';
import { passSentences } from './data';
import { lookupText, namePools, optionText } from './skills';

/** The release directory of `base.release`: absolute, or relative to the repository root (where data/ is). */
export function releaseDir(release: string): string {
  return path.isAbsolute(release) ? release : path.resolve(seedDir(), '..', '..', release);
}

/** Thrown from the loop to stop at a checkpoint when the session's time is up. */
class Paused extends Error {
  constructor(readonly step: number) {
    super(`paused at step ${step}`);
  }
}

export interface BaseRunOptions {
  /** The command line, recorded in recipe.json. */
  command: string;
  /** Stop at the first checkpoint after this many hours (the run resumes on the next call). */
  hours?: number;
  /** Ignore an existing checkpoint. */
  fresh?: boolean;
  /** Stop after this step (no checkpoint unless one is due): for checking that a release reproduces its first steps. */
  untilStep?: number;
  log: (message: string) => void;
  progress?: (label: string, total: number) => Progress;
}

export interface BaseRunResult {
  dir: string;
  /** false when paused before the last step (rerun to resume). */
  finished: boolean;
  step: number;
  probes?: BaseProbes;
  /** true when the release was already there with these settings (nothing trained). */
  reused?: boolean;
}

/** The Base's world: the seed graph, or a focus of `world` anchor diseases. */
export function baseWorld(cfg: BaseRecipeConfig, seed: number): KnowledgeGraph {
  const g = loadSeedGraph(undefined, { strict: true }).graph;
  return cfg.world > 0 ? focusGraph(g, cfg.world, seed).graph : g;
}

/** The model's Hugging Face config from the recipe and the tokenizer. */
export function baseModelConfig(cfg: BaseRecipeConfig, tok: Tokenizer): LlamaConfig {
  return {
    ...llamaDefaults,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: true,
    vocab_size: tok.vocab.length,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    num_key_value_heads: cfg.kvHeads,
    max_position_embeddings: cfg.context,
    bos_token_id: tok.specialId(CHAT.bos),
    eos_token_id: tok.specialId(CHAT.eos),
    pad_token_id: tok.specialId(CHAT.pad),
  };
}

/** The tokenizer corpus: the first knowledge pass and 1,000 option and 1,000 lookup rows' text (rng `${seed}:tokenizer`). */
function tokenizerCorpus(graph: KnowledgeGraph, cfg: BaseRecipeConfig, seed: string): string[] {
  const lm = { seqLen: cfg.seqLen, batchSize: cfg.batchSize, seed: `${seed}:knowledge`, phrasingsPerEdge: cfg.phrasingsPerEdge, synonymRate: cfg.synonymRate, order: 'entity' as const, style: 'mention' as const };
  const rng = new Rng(`${seed}:tokenizer`);
  const pools = namePools(graph);
  const options = Array.from({ length: 1000 }, () => {
    const t = optionText(pools, rng, cfg.optionsMin, cfg.optionsMax);
    return `${t.prompt}\n${t.completion}`;
  });
  const lookups = Array.from({ length: 1000 }, () => {
    const t = lookupText(pools, rng, 4);
    return t.head + t.answer;
  });
  return [...passSentences(graph, lm, 0), ...options, ...lookups];
}

/** sha256 of a file's bytes. */
function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The tokenizer of the run: trained on the first call, then read back from the work directory (so a resumed run uses the same one). */
function workTokenizer(work: string, graph: KnowledgeGraph, cfg: BaseRecipeConfig, seed: string, log: (m: string) => void): Tokenizer {
  const file = path.join(work, 'tokenizer.json');
  if (fs.existsSync(file)) return loadTokenizer(file);
  const t0 = Date.now();
  const tok = baseTokenizer(graph, cfg, tokenizerCorpus(graph, cfg, seed));
  saveTokenizer(tok, work, { modelMaxLength: cfg.context });
  log(`base: tokenizer ${tok.vocab.length} tokens (${tok.addedTokens.length} entity names) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return tok;
}

/** The release: model, tokenizer, log, probes, recipe and manifest (see the file comment). */
function writeRelease(dir: string, work: string, model: Llama, tok: Tokenizer, cfg: BaseRecipeConfig, run: { command: string; seed: number; backend: string; trainRuntime: string; seconds: number; probes: BaseProbes }): void {
  saveCheckpoint(dir, model);
  saveTokenizer(tok, dir, { modelMaxLength: cfg.context });
  const metrics = readMetrics<StepRecord>(path.join(work, 'metrics.jsonl'));
  writeJsonlSync(path.join(dir, 'log.jsonl'), metrics.map((m) => ({ step: m.step, skill: skillAt(cfg.schedule, m.step - 1), loss: m.loss, gradNorm: m.gradNorm, lr: m.lr, tokens: m.tokens })));
  writeJsonlSync(path.join(dir, 'probes.jsonl'), readMetrics(path.join(work, 'probes.jsonl')));
  writeJson(path.join(dir, 'probes.json'), run.probes);
  writeJson(path.join(dir, 'recipe.json'), { command: run.command, seed: run.seed, backend: run.backend, trainRuntime: run.trainRuntime, wallSeconds: Math.round(run.seconds), steps: cfg.steps, settings: cfg });
  const files = ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'log.jsonl', 'probes.jsonl', 'probes.json', 'recipe.json'];
  const seed = seedDir();
  const graphFiles = fs.readdirSync(seed).filter((f) => f.endsWith('.jsonl')).sort();
  writeJson(path.join(dir, 'manifest.json'), {
    files: Object.fromEntries(files.map((f) => [f, sha256(path.join(dir, f))])),
    seedGraph: Object.fromEntries(graphFiles.map((f) => [`data/seed/${f}`, sha256(path.join(seed, f))])),
  });
}

/** Adds `extra` to the release's probes.json (e.g. the knowledge ceiling, measured once the release exists) and updates its sha256 in the manifest. */
export function addToReleaseProbes(dir: string, extra: Record<string, unknown>): void {
  const file = path.join(dir, 'probes.json');
  writeJson(file, { ...readJson<Record<string, unknown>>(file), ...extra });
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = readJson<Release['manifest']>(manifestFile);
  writeJson(manifestFile, { ...manifest, files: { ...manifest.files, 'probes.json': sha256(file) } });
}

/** `<work>/last/` when the training loop will resume from it (written with the same fingerprint), else undefined. */
function resumable(work: string, fingerprint: unknown): string | undefined {
  const ck = lastCheckpointDir(work);
  if (!ck) return undefined;
  const state = readJson<{ extra?: { fingerprint?: unknown } }>(path.join(ck, 'trainer_state.json'));
  return JSON.stringify(state.extra?.fingerprint) === JSON.stringify(fingerprint) ? ck : undefined;
}

/** Trains (or resumes) the Base by the recipe and, once finished, writes the release. */
export async function runBase(config: RunConfig, opts: BaseRunOptions): Promise<BaseRunResult> {
  const cfg = config.base;
  const dir = releaseDir(cfg.release);
  const work = path.join(dir, 'train');
  const seed = `${config.seed}:base`;
  const log = opts.log;
  await ensureBackend(config.backend, (m) => log(`base: ${m}`));
  // where the gradients run is part of the bytes: a checkpoint resumes only on the runtime that wrote it
  const runtime = trainingRuntime();
  const backend = tf.getBackend();
  const recipeFile = path.join(dir, 'recipe.json');
  if (!opts.fresh && fs.existsSync(path.join(dir, 'manifest.json')) && fs.existsSync(recipeFile)) {
    const r = readJson<{ seed: number; settings: BaseRecipeConfig; trainRuntime?: string }>(recipeFile);
    if (r.seed === config.seed && (r.trainRuntime ?? 'tfjs') === runtime && JSON.stringify({ ...r.settings, release: undefined }) === JSON.stringify({ ...cfg, release: undefined })) {
      log(`base: ${dir} already holds the Base of these settings (--force retrains it)`);
      return { dir, finished: true, step: cfg.steps, probes: readJson<BaseProbes>(path.join(dir, 'probes.json')), reused: true };
    }
  }
  fs.mkdirSync(work, { recursive: true });
  if (opts.fresh) for (const f of ['tokenizer.json', 'tokenizer_config.json', 'metrics.jsonl', 'probes.jsonl']) fs.rmSync(path.join(work, f), { force: true });
  const graph = baseWorld(cfg, config.seed);
  const tok = workTokenizer(work, graph, cfg, seed, log);
  const mc = baseModelConfig(cfg, tok);
  const batches = new RecipeBatches(graph, tok, cfg, seed);
  log(`base: world ${graph.nodes.length} entities, ${graph.edges.length} edges (${batches.passTokens()} tokens per knowledge pass); model ${cfg.layers}×${cfg.hiddenSize}, ${cfg.heads} heads, vocab ${mc.vocab_size}; ${cfg.steps} steps, schedule ${cfg.schedule}`);
  const fingerprint = { base: { ...cfg, release: undefined }, seed: config.seed, tokenizer: sha256(path.join(work, 'tokenizer.json')), ...(runtime === 'tfjs' ? {} : { trainRuntime: runtime }) };
  const probesFile = path.join(work, 'probes.jsonl');
  const sessions = path.join(work, 'sessions.jsonl');
  const ck = opts.fresh ? undefined : resumable(work, fingerprint);
  const fromStep = ck ? readJson<{ step: number }>(path.join(ck, 'trainer_state.json')).step : 0;
  if (!ck) for (const f of [probesFile, sessions]) fs.rmSync(f, { force: true });
  else writeJsonlSync(probesFile, readMetrics<{ step: number }>(probesFile).filter((r) => r.step <= fromStep));
  const t0 = Date.now();
  const session = (toStep: number) => appendJsonl(sessions, { fromStep, toStep, seconds: Math.round((Date.now() - t0) / 1000), backend, trainRuntime: runtime });
  const deadline = opts.hours !== undefined ? t0 + opts.hours * 3600_000 : Infinity;
  let loop;
  try {
    loop = trainPhases(() => new Llama(mc, new Rng(`${seed}:init`)), [recipePhase(batches)], {
      dir: work,
      label: 'base',
      checkpointEvery: cfg.checkpointEvery,
      fingerprint,
      fresh: opts.fresh,
      log: (m) => log(`base: ${m}`),
      progress: opts.progress,
      onStep: (rec, model) => {
        if (rec.step % cfg.probeEvery === 0) {
          const p = probeBase(model, tok, graph, { drills: 200, recallEdges: 0, style: 'mention', seed: `${seed}:probe` });
          appendJsonl(probesFile, { step: rec.step, copy: p.copy.secondCopyNll, copyFirst: p.copy.firstCopyNll, option: p.option.accuracy, optionNll: p.option.letterNll });
          log(`base: step ${rec.step}: loss ${rec.loss.toFixed(3)}; copy ${p.copy.secondCopyNll.toFixed(2)} vs ${p.copy.firstCopyNll.toFixed(2)}; option lookup ${(100 * p.option.accuracy).toFixed(1)}%`);
        }
        if (rec.step % cfg.checkpointEvery === 0 && rec.step < cfg.steps && Date.now() > deadline) throw new Paused(rec.step);
        if (opts.untilStep !== undefined && rec.step >= opts.untilStep && rec.step < cfg.steps) throw new Paused(rec.step);
      },
    });
  } catch (e) {
    if (e instanceof Paused) {
      session(e.step);
      log(`base: paused at step ${e.step} of ${cfg.steps} (checkpoint in ${work}/last); rerun the same command to resume`);
      return { dir, finished: false, step: e.step };
    }
    throw e;
  }
  const model = loop.model;
  try {
    const probes = probeBase(model, tok, graph, { drills: 1000, recallEdges: 40, style: 'mention', seed: `${seed}:final` });
    session(loop.steps);
    const seconds = readMetrics<{ seconds: number }>(sessions).reduce((a, r) => a + r.seconds, 0);
    writeRelease(dir, work, model, tok, cfg, { command: opts.command, seed: config.seed, backend, trainRuntime: runtime, seconds, probes });
    clearCheckpoints(work);
    fs.rmSync(path.join(dir, 'trainer_state.json'), { force: true });
    log(`base: released to ${dir}: copy ${probes.copy.secondCopyNll.toFixed(2)} nats (target ≤ 0.5), option lookup ${(100 * probes.option.accuracy).toFixed(1)}% (target ≥ 95%), recall held-out ${(100 * (probes.recall?.heldOut.accuracy ?? 0)).toFixed(1)}%`);
    return { dir, finished: true, step: loop.steps, probes };
  } finally {
    model.dispose();
  }
}

/** A released Base a run can start from: its directory, manifest and world. */
export interface Release {
  dir: string;
  manifest: { files: Record<string, string>; seedGraph: Record<string, string> };
  /** The Base's world (recipe.json): a focus of `diseases` anchor diseases of the seed graph with the recipe's seed, or the whole seed graph (0). */
  world: { diseases: number; seed: number };
}

/**
 * The released Base named by `base.release`, checked: every file's sha256 against its manifest,
 * the seed-graph files it was trained on against data/seed, and the run's graph (the release
 * knows the seed graph: a Base of the whole seed graph knows any focus of it, a focused Base only
 * its own focus). Returns null when the setting is '' (pretrain from scratch) or nothing is
 * released there yet (the caller says so); throws, saying how to train a matching Base, when the
 * release does not fit the run.
 */
export function findRelease(config: RunConfig): Release | null {
  if (!config.base.release) return null;
  const dir = releaseDir(config.base.release);
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) return null;
  const manifest = readJson<Release['manifest']>(manifestFile);
  const retrain = `train a matching Base with \`fleming base\` (data/base/), or pretrain this run's own with --set base.release=`;
  for (const [f, h] of Object.entries(manifest.files)) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file) || sha256(file) !== h) throw new Error(`${file}: does not match ${manifestFile} (sha256); restore the release from git, or ${retrain}`);
  }
  const repo = path.resolve(seedDir(), '..', '..');
  const changed = Object.entries(manifest.seedGraph).filter(([f, h]) => !fs.existsSync(path.join(repo, f)) || sha256(path.join(repo, f)) !== h);
  if (changed.length) throw new Error(`the seed graph changed since the released Base in ${dir} was trained (${changed.map(([f]) => f).join(', ')}): ${retrain}`);
  if (config.graph.kg !== 'seed') throw new Error(`the released Base in ${dir} knows the seed graph, not --kg ${config.graph.kg}: ${retrain}`);
  const recipe = readJson<{ seed: number; settings: { world?: number } }>(path.join(dir, 'recipe.json'));
  const world = { diseases: recipe.settings.world ?? 0, seed: recipe.seed };
  const asked = config.graph.focus.diseases;
  if (world.diseases > 0 && asked > 0 && (asked !== world.diseases || config.seed !== world.seed))
    throw new Error(`the released Base in ${dir} knows a focus of ${world.diseases} anchor diseases (seed ${world.seed}), not graph.focus.diseases=${asked} with seed ${config.seed}: ${retrain}`);
  return { dir, manifest, world };
}
