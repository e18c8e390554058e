/**
 * Knowledge pretraining → the "Base" policy.   Command: `fleming pretrain [--run DIR] [--force]`
 * Settings: src/base/config.ts (config `pretrain`), one commented default per field.
 *
 * graph edges → sentences in 4 training phrasing families per relation (names and synonyms; a
 * 5th family per relation is held out) → byte-level BPE tokenizer on those sentences and the RODS
 * item prompts → next-token LM on packed sentences (AdamW, warm-up + cosine, clipping) → a short
 * direct-answer tuning on the RODS train split (chat prompt → `<answer>X</answer><|eos|>`, loss on
 * the completion only) = Base, the paper's non-reasoning baseline.
 * Writes coldstart/base/: model.safetensors, config.json, tokenizer.json, tokenizer_config.json,
 * trainer_state.json, metrics.jsonl, plots/loss.*, recall.json (held-out fact recall per
 * relation, and the copy probe of pretrain/copy.ts), eval.json (Base accuracy on the RODS
 * validation split), base.json (where the Base came from and its text style, read by later
 * stages: baseStyle()), done.json. A killed run resumes from base/last/; a finished stage is reused unless its inputs changed or --force is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PretrainConfig } from './config';
import { readJson, readJsonlAll, writeJson } from '../core/io';
import { pngSkipNote, savePlot, Figure } from '../core/plot';
import { hashString } from '../core/rng';
import { type RunContext, markStageDone, fileHash, graphFilesHash } from '../core/run';
import { KnowledgeGraph } from '../graph/graph';
import { ensureBackend } from '../model/backend';
import { MODEL_PRESETS } from '../model/bench';
import { loadCheckpoint, saveCheckpointReads } from '../model/checkpoint';
import { Llama, LlamaConfig } from '../model/llama';
import { runReads } from '../model/reads';
import { CHAT, Tokenizer, loadTokenizer, saveTokenizer, trainBpe } from '../model/tokenizer';
import { itemPrompt } from '../protocol/index';
import type { Item } from '../rods/item';
import { tuningItems } from '../rods/split';
import { LmBatches, TuneBatches, directAnswerExample, passSentences } from './data';
import { DirectAnswerReport, evalDirectAnswerReads } from './evaluate';
import type { Release } from './release';
import { runWorld } from '../graph/world';
import type { TextStyle } from './sentences';
import { type Phase, StepRecord, clearCheckpoints, finishedStage, trainPhasesReads } from '../train/index';
import { RecallReport, factRecallReads } from './recall';
import { CopyProbe, copyProbeReads } from './copy';


/** What the stage returns. */
export interface PretrainResult {
  /** coldstart/base. */
  dir: string;
  /** Fact recall on the held-out phrasing family, and on training family 0 (seen text) for comparison. */
  recall: { heldOut: RecallReport; seen: RecallReport; copy?: CopyProbe };
  /** The Base's direct-answer evaluation and the split it read (validation, or test when the run has none). */
  eval: DirectAnswerReport & { split: string };
  /** Whether a finished stage was reused. */
  reused: boolean;
  /** Global step training resumed from (null: fresh or reused). */
  resumedFrom: number | null;
  seconds: number;
}

/** The Base checkpoint and tokenizer of a run (coldstart/base). Caller disposes the model. */
export function loadBase(runDir: string): { model: Llama; tokenizer: Tokenizer } {
  const dir = path.join(runDir, 'coldstart', 'base');
  if (!fs.existsSync(path.join(dir, 'done.json'))) throw new Error(`${dir}: no finished Base model; run \`fleming pretrain --run ${runDir}\` first`);
  return { model: loadCheckpoint(dir).model, tokenizer: loadTokenizer(dir) };
}

/** coldstart/base/base.json: where the run's Base came from, and how it writes entity names (src/base/sentences.ts TextStyle). */
export interface BaseOrigin {
  from: 'release' | 'scratch';
  /** The release directory (from 'release'). */
  release: string | null;
  /** 'mention' for a released Base (its corpus and entity tokens), 'sentence' for a Base pretrained from scratch. */
  style: TextStyle;
}

/**
 * The text style of a run's Base, as its pretrain stage recorded it (coldstart/base/base.json);
 * 'sentence' when nothing is recorded (no Base yet, or a run made before the style was recorded).
 * Stages that write text for the policy (the graph teacher's traces, knowledge replay, the
 * knowledge ceiling) name entities this way.
 */
export function baseStyle(runDir: string): TextStyle {
  const file = path.join(runDir, 'coldstart', 'base', 'base.json');
  return fs.existsSync(file) ? readJson<BaseOrigin>(file).style : 'sentence';
}

/** coldstart/base/base.json of a run: where its Base came from (null when nothing is recorded). */
export function baseOrigin(runDir: string): BaseOrigin | null {
  const file = path.join(runDir, 'coldstart', 'base', 'base.json');
  return fs.existsSync(file) ? readJson<BaseOrigin>(file) : null;
}

/** Writes base.json: a released Base writes 'mention' text (its corpus), one pretrained here 'sentence'. */
function writeOrigin(dir: string, release: Release | null): BaseOrigin {
  const origin: BaseOrigin = release ? { from: 'release', release: release.dir, style: 'mention' } : { from: 'scratch', release: null, style: 'sentence' };
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'base.json'), origin);
  return origin;
}

/** The architecture: the MODEL_PRESETS entry with the tokenizer's vocabulary and special ids. */
export function modelConfig(cfg: PretrainConfig, tok: Tokenizer): LlamaConfig {
  const preset = MODEL_PRESETS[cfg.model];
  if (!preset) throw new Error(`pretrain.model must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${JSON.stringify(cfg.model)}`);
  const c: LlamaConfig = {
    ...preset.config,
    vocab_size: tok.vocab.length,
    bos_token_id: tok.specialId(CHAT.bos),
    eos_token_id: tok.specialId(CHAT.eos),
    pad_token_id: tok.specialId(CHAT.pad),
  };
  if (cfg.seqLen > c.max_position_embeddings) throw new Error(`pretrain.seqLen ${cfg.seqLen} exceeds the ${cfg.model} model's context (${c.max_position_embeddings})`);
  return c;
}

/** Loss per step, LM and tuning phases as two traces. */
export function lossFigure(metrics: readonly StepRecord[]): Figure {
  const phases = [...new Set(metrics.map((m) => m.phase))];
  return {
    data: phases.map((p) => {
      const rows = metrics.filter((m) => m.phase === p);
      return { type: 'scatter', mode: 'lines', name: p, x: rows.map((m) => m.step), y: rows.map((m) => m.loss) };
    }),
    layout: { title: { text: 'Knowledge pretraining → Base: training loss' }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'token cross-entropy' } } },
  };
}


/** Options for run(). */
export interface PretrainRunOptions {
  /** Redo a finished stage and ignore its checkpoint. */
  force?: boolean;
  /** The graph (default: the run's graph/). */
  graph?: KnowledgeGraph;
  /** Called after every training update (notebooks: live plots; tests: interruptions). */
  onStep?: (record: StepRecord, model: Llama) => void;
}

/** The stage's inputs, checked: graph and RODS items, and the fingerprint a finished stage is reused under. */
function stageInputs(ctx: RunContext, opts: PretrainRunOptions, release: Release | null) {
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  const graphDir = path.join(ctx.dir, 'graph');
  if (!fs.existsSync(itemsFile))
    throw new Error(`${itemsFile}: no RODS items; run \`fleming rods --run ${ctx.dir}\` first (the Base model is tuned on the train split and evaluated on the validation split)`);
  if (!opts.graph && !fs.existsSync(path.join(graphDir, 'edges.jsonl'))) throw new Error(`${graphDir}: no graph here yet; run \`fleming graph --run ${ctx.dir}\` first`);
  const fingerprint = {
    pretrain: ctx.config.pretrain,
    seed: ctx.config.seed,
    items: fileHash(itemsFile),
    // the graph's files when they exist, so `fleming pipeline` and `fleming pretrain` agree on a finished stage
    graph: graphFilesHash(graphDir) ?? hashString(JSON.stringify(opts.graph?.edges) + JSON.stringify(opts.graph?.nodes)).toString(16),
    ...(release ? { release: release.manifest.files } : {}),
  };
  return { itemsFile, graphDir, fingerprint };
}

/** Step 1: the tokenizer, trained on the first pass of training sentences and the item prompts (kept when resuming). */
function tokenizerStep(ctx: RunContext, dir: string, fingerprint: unknown, firstPass: () => string[], items: readonly Item[]): { tok: Tokenizer; mc: LlamaConfig } {
  const cfg = ctx.config.pretrain;
  fs.mkdirSync(dir, { recursive: true });
  let tok: Tokenizer;
  const tokFile = path.join(dir, 'tokenizer.json');
  const tokFp = path.join(dir, 'tokenizer.fingerprint.json');
  if (fs.existsSync(tokFile) && fs.existsSync(tokFp) && JSON.stringify(readJson(tokFp)) === JSON.stringify(fingerprint)) tok = loadTokenizer(tokFile);
  else {
    const corpus = [...firstPass(), ...items.map((it) => itemPrompt(it))];
    const t = trainBpe(corpus, { vocabSize: cfg.vocabSize });
    tok = t.tokenizer;
    ctx.log(`pretrain: tokenizer ${tok.vocab.length} tokens (${t.stats.merges} merges, stop: ${t.stats.stop}) from ${corpus.length} texts in ${t.stats.seconds.toFixed(1)} s`);
  }
  const mc = modelConfig(cfg, tok);
  saveTokenizer(tok, dir, { modelMaxLength: mc.max_position_embeddings });
  writeJson(tokFp, fingerprint);
  return { tok, mc };
}

/** Step 1 from a release: its tokenizer (copied into the run) and its model config. */
function releaseTokenizer(ctx: RunContext, dir: string, releaseDir: string): { tok: Tokenizer; mc: LlamaConfig } {
  fs.mkdirSync(dir, { recursive: true });
  const tok = loadTokenizer(releaseDir);
  const mc = readJson<LlamaConfig>(path.join(releaseDir, 'config.json'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(releaseDir, f), path.join(dir, f));
  ctx.log(`pretrain: starting from the released Base in ${releaseDir} (${mc.num_hidden_layers}×${mc.hidden_size}, vocab ${mc.vocab_size}, ${tok.addedTokens.length} entity tokens): direct-answer tuning only`);
  return { tok, mc };
}

/** Step 2's phases: the knowledge LM on packed graph sentences, then direct-answer tuning on the train split. */
function pretrainPhases(ctx: RunContext, graph: KnowledgeGraph, tok: Tokenizer, mc: LlamaConfig, lm0: ConstructorParameters<typeof LmBatches>[2], train: readonly Item[], seed: string, fromRelease: boolean): Phase[] {
  const cfg = ctx.config.pretrain;
  const lm = new LmBatches(graph, tok, lm0);
  const examples = train.map((it) => directAnswerExample(tok, it));
  const fitting = examples.filter((e) => e.ids.length <= mc.max_position_embeddings);
  if (fitting.length < examples.length) ctx.log(`pretrain: ${examples.length - fitting.length} of ${examples.length} train items are longer than the context (${mc.max_position_embeddings}) and are left out of tuning`);
  if (fitting.length === 0) throw new Error(`pretrain: no train item fits the ${cfg.model} model's context of ${mc.max_position_embeddings} tokens`);
  const tune = new TuneBatches(fitting, { batchSize: cfg.tuneBatchSize, seed: `${seed}:tune`, padId: tok.specialId(CHAT.pad) });
  const common = { minLr: cfg.minLr, warmupSteps: cfg.warmupSteps, weightDecay: cfg.weightDecay, clipNorm: cfg.clipNorm };
  if (fromRelease) ctx.log(`pretrain: ${cfg.tuneSteps} direct-answer tuning steps × ${cfg.tuneBatchSize} of ${fitting.length} train items (the Base row of Table 4)`);
  else
    ctx.log(
      `pretrain: ${graph.edges.length} edges → ${lm.passTokens(0)} tokens per pass; model ${cfg.model} (${mc.num_hidden_layers}×${mc.hidden_size}, vocab ${mc.vocab_size}); ` +
        `${cfg.steps} LM steps × ${cfg.batchSize}×${cfg.seqLen} tokens, then ${cfg.tuneSteps} tuning steps × ${cfg.tuneBatchSize} of ${fitting.length} train items`,
    );
  return [
    { name: 'lm', steps: cfg.steps, optimizer: { ...common, lr: cfg.lr, minLr: Math.min(cfg.minLr, cfg.lr) }, batch: (s) => lm.batch(s) },
    { name: 'tune', steps: cfg.tuneSteps, optimizer: { ...common, lr: cfg.tuneLr, minLr: Math.min(cfg.minLr, cfg.tuneLr), warmupSteps: Math.min(cfg.warmupSteps, Math.max(1, cfg.tuneSteps)) }, batch: (s) => tune.batch(s) },
  ];
}

/** Step 3: the Base's probes (held-out and seen-phrasing fact recall, the copy probe) and its direct-answer accuracy on the validation split. */
async function probeStep(ctx: RunContext, dir: string, model: Llama, tok: Tokenizer, graph: KnowledgeGraph, tuning: ReturnType<typeof tuningItems>, style: TextStyle) {
  const cfg = ctx.config.pretrain;
  const probe = (phrasing: 'heldOut' | number) => runReads(factRecallReads(model, tok, graph, ctx.rng('pretrain:recall'), { edgesPerRelation: cfg.recallEdges, distractors: cfg.recallDistractors, phrasing, style }), 'factRecall');
  // Copy probe: does the Base continue a random sequence it has just seen (an induction head)?
  const copy = await runReads(copyProbeReads(model, tok.specialId(CHAT.bos), ctx.rng('pretrain:copy')), 'copyProbe');
  const recall = { heldOut: await probe('heldOut'), seen: await probe(0), copy };
  writeJson(path.join(dir, 'recall.json'), recall);
  const evalItems = cfg.evalItems > 0 ? tuning.items.slice(0, cfg.evalItems) : tuning.items;
  const evaluation = { split: tuning.split, ...(await runReads(evalDirectAnswerReads(model, tok, evalItems), 'evalDirectAnswer')) };
  writeJson(path.join(dir, 'eval.json'), evaluation);
  return { recall, copy, evaluation };
}

/**
 * The stage: tokenizer, knowledge LM, direct-answer tuning, recall probe and Base evaluation.
 * Needs graph/ and rods/items.jsonl in the run directory.
 */
export async function run(ctx: RunContext, opts: PretrainRunOptions = {}): Promise<PretrainResult> {
  const cfg = ctx.config.pretrain;
  const dir = path.join(ctx.stageDir('coldstart'), 'base');
  // the run's world says whether a release applies (src/graph/world.ts): an open-graph run pretrains its own Base
  const world = runWorld(ctx.config);
  const release = world.release;
  if (!release) ctx.log(`pretrain: ${world.why}`);
  const { itemsFile, graphDir, fingerprint } = stageInputs(ctx, opts, release);
  const doneFile = path.join(dir, 'done.json');
  if (finishedStage(dir, fingerprint, opts.force)) {
    ctx.log(`pretrain: reusing ${dir} (already trained with these settings; --force retrains)`);
    writeOrigin(dir, release);
    return { dir, recall: readJson(path.join(dir, 'recall.json')), eval: readJson(path.join(dir, 'eval.json')), reused: true, resumedFrom: null, seconds: 0 };
  }
  await ensureBackend(ctx.config.backend, (m) => ctx.log(`pretrain: ${m}`));
  const t0 = Date.now();
  const graph = opts.graph ?? (await KnowledgeGraph.load(graphDir));
  const items = await readJsonlAll<Item>(itemsFile);
  const train = items.filter((it) => it.split === 'train');
  const tuning = tuningItems(items);
  if (tuning.note) ctx.log(`pretrain: ${tuning.note}`);
  if (train.length === 0) throw new Error(`${itemsFile}: no items with split "train" (rerun \`fleming rods --run ${ctx.dir}\`)`);
  const seed = `${ctx.config.seed}:pretrain`;
  const lm0 = { graph, seqLen: cfg.seqLen, batchSize: cfg.batchSize, seed: `${seed}:lm`, phrasingsPerEdge: cfg.phrasingsPerEdge, synonymRate: cfg.synonymRate, order: cfg.corpusOrder };
  // From the release: its tokenizer and weights, and the direct-answer tuning only. From scratch: a tokenizer, the knowledge LM, then the tuning.
  const { tok, mc } = release ? releaseTokenizer(ctx, dir, release.dir) : tokenizerStep(ctx, dir, fingerprint, () => passSentences(graph, lm0, 0), items);
  const phases = pretrainPhases(ctx, graph, tok, mc, lm0, train, seed, Boolean(release));

  // 2. Sync reads where the backend has them, `await data()` on webgpu (src/model/reads.ts).
  const loop = await runReads(trainPhasesReads(
    () => (release ? loadCheckpoint(release.dir).model : new Llama(mc, ctx.rng('pretrain:init'))),
    release ? phases.filter((p) => p.name === 'tune') : phases,
    { dir, checkpointEvery: cfg.checkpointEvery, fingerprint, log: (m) => ctx.log(`pretrain: ${m}`), progress: (l, n) => ctx.progress(l, n), onStep: opts.onStep },
  ), 'trainPhases');
  const model = loop.model;
  try {
    await runReads(saveCheckpointReads(dir, model, { step: loop.steps, extra: { phases: release ? { tune: cfg.tuneSteps } : { lm: cfg.steps, tune: cfg.tuneSteps }, stage: 'base', ...(release ? { from: release.dir } : {}) } }), 'saveCheckpoint');
    const plot = savePlot(lossFigure(loop.metrics), path.join(dir, 'plots'), 'loss');
    const why = pngSkipNote(plot);
    if (why) ctx.log(`pretrain: PNGs not written: ${why}`);
    const origin = writeOrigin(dir, release);
    const { recall, copy, evaluation } = await probeStep(ctx, dir, model, tok, graph, tuning, origin.style);
    const seconds = (Date.now() - t0) / 1000;
    markStageDone(doneFile, fingerprint, { seconds: Math.round(seconds * 10) / 10 });
    clearCheckpoints(dir);
    const o = recall.heldOut.overall;
    ctx.log(
      `pretrain: fact recall on held-out phrasings ${(100 * o.accuracy).toFixed(1)}% (seen phrasing ${(100 * recall.seen.overall.accuracy).toFixed(1)}%, chance ${(100 * o.chance).toFixed(1)}%, ${o.edges} edges); ` +
        `copy probe: loss on a repeated random sequence's second copy ${copy.secondCopyNll.toFixed(2)} vs first ${copy.firstCopyNll.toFixed(2)} (an induction head would bring the second near 0); ` +
        `Base on ${evaluation.n} ${tuning.split} items: ${(100 * evaluation.accuracy).toFixed(1)}% (chance ${(100 * evaluation.chance).toFixed(1)}%, well-formed ${evaluation.formatOk}); ${seconds.toFixed(1)} s`,
    );
    return { dir, recall, eval: evaluation, reused: false, resumedFrom: loop.resumedFrom, seconds };
  } finally {
    model.dispose();
  }
}
