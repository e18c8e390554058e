/**
 * SFT on teacher traces → the "+CoT" policy.   Library: `runSft(ctx, { cot })`.
 * Settings: src/coldstart/config.ts (config `sft`), one commented default per field.
 *
 * Verified cot rows (coldstart/cot.jsonl) joined to their RODS train items → chat prompt
 * (itemPrompt) + trace `<think>…</think>\n<answer>X</answer><|eos|>`, loss on the completion
 * only → AdamW with warm-up + cosine and clipping from the Base weights (resumable from sft/last/,
 * bitwise; a non-finite loss keeps the last good checkpoint) → Base and +CoT evaluated on the
 * RODS validation split (settings are chosen there; the final evaluation reads test) with one
 * protocol (greedy, room for a short trace, answer = last `<answer>X</answer>`).
 * Writes coldstart/sft/: model.safetensors, config.json, tokenizer.json, tokenizer_config.json,
 * trainer_state.json, metrics.jsonl, plots/loss.*, data.json (which rows were used, which not and
 * why), eval.json ({split, base, cot}), examples.jsonl (Base vs +CoT on the same validation items), done.json.
 * A finished stage is reused unless its inputs (config, Base, items, traces) changed or force is set.
 * knowledgeCeiling() (sft/ceiling.ts) bounds what a thought can add: the accuracy of picking the
 * option whose claim sentence (in the Base's text style) the model finds most likely.
 * Knowledge replay renders the graph's sentences in the Base's text style (base/stage.ts baseStyle).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport, readJson, readJsonl, readJsonlAll, writeJson, writeJsonlSync } from '../core/io';
import { pngSkipNote, savePlot } from '../core/plot';
import { hashString } from '../core/rng';
import { type RunContext, markStageDone, fileHash, graphFilesHash } from '../core/run';
import { ensureBackend } from '../model/backend';
import { loadCheckpoint, saveCheckpointReads } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import { runReads } from '../model/reads';
import { CHAT, Tokenizer, loadTokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';
import { tuningItems } from '../rods/split';
import type { RunConfig } from '../core/config';
import { KnowledgeGraph } from '../graph/graph';
import { baseOrigin, baseStyle, lossFigure } from '../base/stage';
import type { TextStyle } from '../base/sentences';
import { LmBatches, TuneBatches } from '../base/data';
import { type Phase, StepRecord, clearCheckpoints, finishedStage, trainPhasesReads } from '../train/index';
import { CotRow, SftDataReport, SftExample, SourcedCotRow, sftExamples, weightAnswerLetter } from './sft/data';
import { EvalRow, PolicyEvalReport, evalPolicyReads } from './sft/evaluate';

export { sftExamples, weightAnswerLetter } from './sft/data';
export type { CotRow, SftDataReport, SftExample, SourcedCotRow } from './sft/data';
export { evalItemsFitting, evalPolicy, policyEvalDefaults, summarizeEval } from './sft/evaluate';
export { knowledgeCeiling, optionSentences } from './sft/ceiling';
export type { CeilingReport } from './sft/ceiling';
export type { EvalProtocol, EvalRow, PolicyEvalOptions, PolicyEvalReport } from './sft/evaluate';

/** eval.json: Base and +CoT under one protocol. */
export interface SftEval {
  /** The items evaluated: validation (test only for a run without one: src/rods/split.ts tuningItems). */
  split: 'validation' | 'test';
  base: PolicyEvalReport;
  cot: PolicyEvalReport;
}

/** One line of examples.jsonl: Base and +CoT on the same evaluated item. */
export interface SftExampleRow {
  id: string;
  type: string;
  difficulty: string;
  answer: string;
  base: Pick<EvalRow, 'reply' | 'letter' | 'ok' | 'wellFormed'>;
  cot: Pick<EvalRow, 'reply' | 'letter' | 'ok' | 'wellFormed'>;
}

/** What the stage returns. */
export interface SftResult {
  /** coldstart/sft. */
  dir: string;
  data: SftDataReport;
  eval: SftEval;
  /** Whether a finished stage was reused. */
  reused: boolean;
  /** Step training resumed from (null: fresh or reused). */
  resumedFrom: number | null;
  seconds: number;
}

/** Options for runSft(). */
export interface SftRunOptions {
  /** Teacher traces: rows, or a cot.jsonl path (default: the run's coldstart/cot.jsonl). */
  cot?: readonly CotRow[] | string;
  /** Redo a finished stage and ignore its checkpoint. */
  force?: boolean;
  /** Called after every training update (notebooks: live plots; tests: interruptions). */
  onStep?: (record: StepRecord, model: Llama) => void;
}

/** Cot rows with their file and line (a path is read as JSON Lines; invalid JSON is an InputError naming file:line). */
export async function loadCotRows(cot: readonly CotRow[] | string): Promise<SourcedCotRow[]> {
  if (typeof cot !== 'string') return cot.map((row, i) => ({ row, file: '<cot rows>', line: i + 1 }));
  if (!fs.existsSync(cot)) throw new Error(`${cot}: no teacher traces; run the CoT distillation stage first`);
  const out: SourcedCotRow[] = [];
  for await (const { value, line } of readJsonl<CotRow>(cot)) out.push({ row: value, file: cot, line });
  return out;
}

/** Base vs +CoT rows of the same items (the first `n` items both decoded, in eval order). */
export function pairExamples(base: readonly EvalRow[], cot: readonly EvalRow[], n: number): SftExampleRow[] {
  const byId = new Map(cot.map((r) => [r.id, r]));
  const pick = (r: EvalRow) => ({ reply: r.reply, letter: r.letter, ok: r.ok, wellFormed: r.wellFormed });
  const out: SftExampleRow[] = [];
  for (const b of base) {
    const c = byId.get(b.id);
    if (!c) continue;
    if (out.length >= n) break;
    out.push({ id: b.id, type: b.type, difficulty: b.difficulty, answer: b.answer, base: pick(b), cot: pick(c) });
  }
  return out;
}


function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The stage's inputs, checked (a finished Base, RODS items, the traces), and the fingerprint a finished stage is reused under. */
async function sftInputs(ctx: RunContext, opts: SftRunOptions, baseDir: string) {
  const cfg = ctx.config.sft;
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  if (!fs.existsSync(path.join(baseDir, 'done.json'))) throw new Error(`${baseDir}: no finished Base model; run \`fleming pretrain --run ${ctx.dir}\` first`);
  if (!fs.existsSync(itemsFile)) throw new Error(`${itemsFile}: no RODS items; run \`fleming rods --run ${ctx.dir}\` first`);
  const cotRows = await loadCotRows(opts.cot ?? path.join(ctx.dir, 'coldstart', 'cot.jsonl'));
  const fingerprint = {
    sft: cfg,
    seed: ctx.config.seed,
    base: fileHash(path.join(baseDir, 'done.json')),
    items: fileHash(itemsFile),
    cot: hashString(JSON.stringify(cotRows.map((r) => r.row))).toString(16),
    // replay renders the graph's sentences with the pretraining corpus options
    ...(cfg.replayEvery > 0 ? { replay: { graph: graphHash(path.join(ctx.dir, 'graph')), corpus: corpusOf(ctx.config.pretrain, baseStyle(ctx.dir)) } } : {}),
  };
  return { itemsFile, cotRows, fingerprint };
}

/** Step 1: the examples, verified traces of train items that fit the context (data.json says what was left out and why). */
function sftData(ctx: RunContext, dir: string, tok: Tokenizer, cotRows: SourcedCotRow[], byId: Map<string, Item>, ctxLen: number) {
  const skips = new SkipReport();
  const { examples, report: data } = sftExamples(tok, cotRows, byId, ctxLen, skips);
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'data.json'), { report: data, ...skips.toJSON() });
  ctx.log(
    `sft: ${data.rows} trace rows → ${data.used} examples on ${data.items} train items (not verified ${data.notVerified}, held-out split ${data.testSplit}, ` +
      `item missing ${data.missingItem}, malformed ${data.malformed}, wrong answer ${data.wrongAnswer}, longer than the context ${data.tooLong}); ` +
      `${data.meanTokens.toFixed(0)} tokens per example on average (max ${data.maxTokens}, completion ${data.meanCompletionTokens.toFixed(0)})`,
  );
  if (examples.length === 0) throw new Error(`sft: none of the ${data.rows} trace rows is usable (see ${path.join(dir, 'data.json')})`);
  return { examples, data };
}

/** 2 → '2nd', 3 → '3rd', 11 → '11th'. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** Step 2's one phase: trace batches (answer letter weighted), every replayEvery-th a pretraining batch when replay is on. */
async function sftPhase(ctx: RunContext, tok: Tokenizer, examples: SftExample[]): Promise<Phase> {
  const cfg = ctx.config.sft;
  const weighted = examples.map((e) => weightAnswerLetter(e, tok.specialId(CHAT.answerOpen), cfg.answerWeight));
  const batches = new TuneBatches(weighted, { batchSize: cfg.batchSize, seed: `${ctx.config.seed}:sft`, padId: tok.specialId(CHAT.pad) });
  const replay = cfg.replayEvery > 0 ? await replayBatches(ctx, tok) : null;
  const isReplay = (s: number) => replay !== null && s % cfg.replayEvery === cfg.replayEvery - 1;
  // trace batch k and replay batch k are the k-th of their kind, so resuming sees the same batches
  const batchOf = (s: number) => (isReplay(s) ? (replay as LmBatches).batch(Math.floor(s / cfg.replayEvery)) : batches.batch(replay ? s - Math.floor((s + 1) / cfg.replayEvery) : s));
  const traceSteps = replay ? cfg.steps - Math.floor(cfg.steps / cfg.replayEvery) : cfg.steps;
  ctx.log(
    `sft: ${cfg.steps} steps: ${traceSteps} × ${cfg.batchSize} traces (≈ ${((traceSteps * cfg.batchSize) / examples.length).toFixed(1)} epochs)` +
      `${replay ? ` and ${cfg.steps - traceSteps} of pretraining sentences (every ${ordinal(cfg.replayEvery)} update)` : ''}, lr ${cfg.lr}${cfg.answerWeight !== 1 ? `, answer letter weighted ×${cfg.answerWeight}` : ''}`,
  );
  return {
    name: 'sft',
    steps: cfg.steps,
    optimizer: { lr: cfg.lr, minLr: Math.min(cfg.minLr, cfg.lr), warmupSteps: Math.min(cfg.warmupSteps, Math.max(1, cfg.steps)), weightDecay: cfg.weightDecay, clipNorm: cfg.clipNorm },
    batch: batchOf,
  };
}

/** The +CoT checkpoint with the Base's tokenizer, and its loss plot. */
async function saveCot(ctx: RunContext, dir: string, baseDir: string, cot: Llama, steps: number, metrics: readonly StepRecord[]): Promise<void> {
  await runReads(saveCheckpointReads(dir, cot, { step: steps, extra: { stage: 'cot', from: 'coldstart/base', steps: ctx.config.sft.steps } }), 'saveCheckpoint');
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(baseDir, f), path.join(dir, f));
  const fig = lossFigure(metrics);
  fig.layout = { ...fig.layout, title: { text: 'SFT on teacher traces → +CoT: training loss' } };
  const plot = savePlot(fig, path.join(dir, 'plots'), 'loss');
  const why = pngSkipNote(plot);
  if (why) ctx.log(`sft: PNGs not written: ${why}`);
}

/** Step 3: Base and +CoT on the validation split under one protocol (eval.json, examples.jsonl). */
async function evalBaseAndCot(ctx: RunContext, dir: string, tok: Tokenizer, base: Llama, cot: Llama, tuning: ReturnType<typeof tuningItems>): Promise<SftEval> {
  const cfg = ctx.config.sft;
  const evalItems = cfg.evalItems > 0 ? tuning.items.slice(0, cfg.evalItems) : tuning.items;
  const evalOne = async (label: string, model: Llama) => {
    const bar = ctx.progress(`sft: eval ${label}`, evalItems.length);
    const r = await runReads(evalPolicyReads(model, tok, evalItems, { batchSize: cfg.evalBatchSize, maxNewTokens: cfg.evalMaxNewTokens, onBatch: (d) => bar.update(d) }), 'evalPolicy');
    bar.done(`${pct(r.report.accuracy)}`);
    return r;
  };
  const b = await evalOne('Base', base);
  const c = await evalOne('+CoT', cot);
  const evaluation: SftEval = { split: tuning.split, base: b.report, cot: c.report };
  writeJson(path.join(dir, 'eval.json'), evaluation);
  writeJsonlSync(path.join(dir, 'examples.jsonl'), pairExamples(b.rows, c.rows, cfg.examples));
  return evaluation;
}

/**
 * The stage (see the file comment). Needs coldstart/base (a finished Base), rods/items.jsonl
 * and the traces.
 */
export async function runSft(ctx: RunContext, opts: SftRunOptions = {}): Promise<SftResult> {
  const cfg = ctx.config.sft;
  const baseDir = path.join(ctx.dir, 'coldstart', 'base');
  const dir = path.join(ctx.stageDir('coldstart'), 'sft');
  // From a released Base, SFT starts from its pretrained weights, as the paper's cold start fine-tunes the pretrained
  // LLM: the direct-answer tuning that makes Table 4's Base row undoes the release's copy circuit (60 steps: second
  // copy 0.11 → 7.7 nats, docs/findings.md). A Base pretrained in the run has no untuned copy: SFT starts from it.
  const origin = baseOrigin(ctx.dir);
  const initDir = origin?.from === 'release' && origin.release ? origin.release : baseDir;
  const inputs = await sftInputs(ctx, opts, baseDir);
  const { itemsFile, cotRows } = inputs;
  const fingerprint = initDir === baseDir ? inputs.fingerprint : { ...(inputs.fingerprint as object), init: 'release' };
  const doneFile = path.join(dir, 'done.json');
  if (finishedStage(dir, fingerprint, opts.force)) {
    ctx.log(`sft: reusing ${dir} (already trained with these settings; force retrains)`);
    return { dir, data: readJson<{ report: SftDataReport }>(path.join(dir, 'data.json')).report, eval: readJson(path.join(dir, 'eval.json')), reused: true, resumedFrom: null, seconds: 0 };
  }
  await ensureBackend(ctx.config.backend, (m) => ctx.log(`sft: ${m}`));
  const t0 = Date.now();
  const items = await readJsonlAll<Item>(itemsFile);
  const byId = new Map(items.map((it) => [it.id, it]));
  const tuning = tuningItems(items);
  if (tuning.note) ctx.log(`sft: ${tuning.note}`);
  const tok: Tokenizer = loadTokenizer(baseDir);
  const base = loadCheckpoint(baseDir).model;
  let cot: Llama | undefined;
  try {
    const { examples, data } = sftData(ctx, dir, tok, cotRows, byId, base.config.max_position_embeddings);
    // 2. Training from the Base weights. Sync reads where the backend has them, `await data()` on webgpu (src/model/reads.ts).
    const phase = await sftPhase(ctx, tok, examples);
    if (initDir !== baseDir) ctx.log(`sft: training starts from the released Base's pretrained weights (${initDir}); the Base row evaluates the direct-answer-tuned Base`);
    const loop = await runReads(trainPhasesReads(
      () => loadCheckpoint(initDir).model,
      [phase],
      { dir, label: 'coldstart', checkpointEvery: cfg.checkpointEvery, fingerprint, lr: { keys: ['sft.lr', 'sft.minLr'], value: cfg.lr }, resumeNewLr: ctx.resumeNewLr, log: (m) => ctx.log(`sft: ${m}`), progress: (l, n) => ctx.progress(l, n), onStep: opts.onStep },
    ), 'trainPhases');
    cot = loop.model;
    await saveCot(ctx, dir, baseDir, cot, loop.steps, loop.metrics);
    const evaluation = await evalBaseAndCot(ctx, dir, tok, base, cot, tuning);
    const seconds = (Date.now() - t0) / 1000;
    markStageDone(doneFile, fingerprint, { seconds: Math.round(seconds * 10) / 10 });
    clearCheckpoints(dir);
    const line = (r: PolicyEvalReport) => `${pct(r.accuracy)} (well-formed ${pct(r.wellFormedRate)}, answer tag ${pct(r.answerTagRate)}, ${r.meanCompletionTokens.toFixed(1)} tokens)`;
    ctx.log(`sft: on ${evaluation.base.n} ${evaluation.split} items (chance ${pct(evaluation.base.chance)}): Base ${line(evaluation.base)}; +CoT ${line(evaluation.cot)}; ${seconds.toFixed(1)} s`);
    return { dir, data, eval: evaluation, reused: false, resumedFrom: loop.resumedFrom, seconds };
  } finally {
    base.dispose();
    cot?.dispose();
  }
}

/** The pretraining corpus options of a run (what replay renders), in the Base's text style ('sentence' left out: the options a run pretrained from scratch always had). */
function corpusOf(p: RunConfig['pretrain'], style: TextStyle): { phrasingsPerEdge: number; synonymRate: number; order: 'entity' | 'shuffled'; seqLen: number; batchSize: number; style?: TextStyle } {
  return { phrasingsPerEdge: p.phrasingsPerEdge, synonymRate: p.synonymRate, order: p.corpusOrder, seqLen: p.seqLen, batchSize: p.batchSize, ...(style === 'mention' ? { style } : {}) };
}

function graphHash(graphDir: string): string {
  const h = graphFilesHash(graphDir);
  if (h === null) throw new Error(`${graphDir}: no graph here; SFT's knowledge replay (sft.replayEvery > 0) renders its sentences (run \`fleming graph\` first, or --set sft.replayEvery=0)`);
  return h;
}

/** Knowledge replay: packed pretraining windows of the run's graph, rendered afresh (Rng seed `<seed>:sft:replay`). */
async function replayBatches(ctx: RunContext, tok: Tokenizer): Promise<LmBatches> {
  const graphDir = path.join(ctx.dir, 'graph');
  graphHash(graphDir);
  const graph = await KnowledgeGraph.load(graphDir);
  return new LmBatches(graph, tok, { ...corpusOf(ctx.config.pretrain, baseStyle(ctx.dir)), seed: `${ctx.config.seed}:sft:replay` });
}
