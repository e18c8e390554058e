/**
 * One GRPO stage of `fleming rlvr` (stage 1 or 2): reuse a finished stage whose inputs are
 * unchanged, else run (or resume) the loop, then save the final checkpoint, its plots, the
 * validation evaluation, summary.json and done.json. Tensor reads go through runReads, so a stage runs on
 * webgpu (asynchronous reads) too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeJson } from '../core/io';
import { type RunContext, fileHash, markStageDone } from '../core/run';
import { loadCheckpoint, saveCheckpointReads } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import { runReads } from '../model/reads';
import type { Tokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';
import { PolicyEvalReport, evalPolicyReads } from '../coldstart/sft/evaluate';
import { clearCheckpoints, finishedStage, readMetrics } from '../train/index';
import { type RlvrConfig, stageOptim } from './config';
import { GrpoLoopResult, GrpoRecord, GrpoSettings, Plan, runGrpoLoopReads } from './loop';
import type { MiningRecord } from './plans';
import { rewardFigure, savePlots, sparsityFigure } from './plots';
import type { Rollout } from './rollout';

/** summary.json of a stage. */
export interface StageSummary {
  stage: 1 | 2;
  /** The rule that ended the stage and the step after which it fired. */
  stop: { rule: string; step: number; detail?: string };
  steps: number;
  /** Train items the stage could draw from (prompt + maxNewTokens fit the context). */
  items: number;
  firstReward: number | null;
  lastReward: number | null;
  seconds: number;
  /** Stage 2: the mining rounds. */
  mining?: MiningRecord[];
}

export interface StageResult {
  dir: string;
  summary: StageSummary;
  metrics: GrpoRecord[];
  eval: PolicyEvalReport;
  reused: boolean;
  resumedFrom: number | null;
}

export interface RlvrRunOptions {
  force?: boolean;
  /** After every GRPO step (notebooks: live views; tests: interruptions). */
  onStep?: (stage: 1 | 2, record: GrpoRecord, model: Llama, rollouts: readonly Rollout[]) => void;
  /** Stop after stage 1 (notebook 06). */
  stage1Only?: boolean;
}

/** What both stages share: the run, the tokenizer, the items, the inputs' fingerprint. */
export interface StageSetup {
  ctx: RunContext;
  tok: Tokenizer;
  train: Item[];
  /** Every training item, fitting the context or not (the cold start's draw of traced anchors is made over these). */
  allTrain: Item[];
  /** The items each stage is evaluated on, and their split (validation; test for a run without one). */
  evalItems: Item[];
  evalSplit: 'validation' | 'test';
  fingerprint: Record<string, unknown>;
  opts: RlvrRunOptions;
}

/** One stage's own part: where it starts, how long, its plan, and its summary fields. */
export interface StageSpec<S> {
  stage: 1 | 2;
  /** The checkpoint the stage starts from (+CoT for stage 1, +RL1 for stage 2). */
  fromDir: string;
  maxSteps: number;
  plan: (state: S | undefined, dir: string) => Plan<S>;
  summarize: (loop: GrpoLoopResult<S>) => Partial<StageSummary>;
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The loop settings from the config (stage 2 changes prompts and k; its learning rate and KL coefficient follow rlvr.stage2Lr and stage2KlCoef when set). */
export function grpoSettings(c: RlvrConfig, maxSteps: number, stage: 1 | 2): GrpoSettings {
  const { lr, minLr, klCoef } = stageOptim(c, stage);
  return {
    maxNewTokens: c.maxNewTokens,
    temperature: c.temperature,
    rolloutBatch: c.rolloutBatch,
    microBatch: c.microBatch,
    rewards: c.rewards,
    advantage: { scale: c.advantage, eps: c.advantageEps },
    loss: { norm: c.lossNorm, maxNewTokens: c.maxNewTokens, clip: { low: c.clipLow, high: c.clipHigh }, klCoef },
    updatesPerBatch: c.updatesPerBatch,
    optimizer: { lr, minLr, warmupSteps: Math.max(1, c.warmupSteps), weightDecay: c.weightDecay, clipNorm: c.clipNorm, totalSteps: maxSteps },
  };
}

/** Greedy accuracy (validation items) of one policy under the cold start's protocol (evalPolicy), with a progress bar. */
export async function evalOne(ctx: RunContext, label: string, model: Llama, tok: Tokenizer, items: readonly Item[]): Promise<PolicyEvalReport> {
  const c = ctx.config.rlvr;
  const bar = ctx.progress(`rlvr: eval ${label}`, items.length);
  const r = await runReads(evalPolicyReads(model, tok, items, { batchSize: c.evalBatchSize, maxNewTokens: c.evalMaxNewTokens, onBatch: (d) => bar.update(d) }), 'evalPolicy');
  bar.done(pct(r.report.accuracy));
  return r.report;
}

/** The stage's fingerprint: stage 1 does not depend on the stage-2 settings, so changing those retrains stage 2 only. */
function stageFingerprint(s: StageSetup, stage: 1 | 2, fromDir: string): Record<string, unknown> {
  const c = s.ctx.config.rlvr;
  const rlvrCfg = stage === 1 ? Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('stage2'))) : c;
  // an 'untraced' draw depends on which anchors the cold start traced
  const { traceShare, traceShareBy } = s.ctx.config.coldstart;
  const traced = (stage === 1 ? c.stage1Items : c.stage2Items) === 'untraced' ? { traced: { traceShare, traceShareBy } } : {};
  return { ...s.fingerprint, rlvr: rlvrCfg, stage, from: fileHash(path.join(fromDir, 'done.json')), ...traced };
}

/** A finished stage's files as a StageResult. */
function reusedStage(dir: string): StageResult {
  return { dir, summary: readJson(path.join(dir, 'summary.json')), metrics: readMetrics<GrpoRecord>(path.join(dir, 'metrics.jsonl')), eval: readJson(path.join(dir, 'eval.json')), reused: true, resumedFrom: null };
}

/** Runs (or resumes) the GRPO loop of a stage from `fromDir`. */
async function trainStage<S>(s: StageSetup, spec: StageSpec<S>, dir: string, fingerprint: Record<string, unknown>, ref: Llama | undefined): Promise<GrpoLoopResult<S>> {
  const { ctx, tok } = s;
  const c = ctx.config.rlvr;
  const { stage, fromDir, maxSteps } = spec;
  return await runReads(runGrpoLoopReads<S>({
    dir,
    label: `rlvr: stage ${stage}`,
    init: () => loadCheckpoint(fromDir).model,
    ref,
    tok,
    settings: grpoSettings(c, maxSteps, stage),
    plan: (st) => spec.plan(st, dir),
    maxSteps,
    maxStepsRule: stage === 1 ? 'max steps' : 'rounds done',
    checkpointEvery: c.checkpointEvery,
    rolloutsEvery: c.rolloutsEvery,
    seed: `${ctx.config.seed}:rlvr:stage${stage}`,
    fingerprint,
    lr: { keys: ['rlvr.lr', 'rlvr.minLr'], value: c.lr },
    resumeNewLr: ctx.resumeNewLr,
    log: (m) => ctx.log(`rlvr: stage ${stage}: ${m}`),
    progress: (l, n) => ctx.progress(l, n),
    onStep: s.opts.onStep ? (r, m, ro) => s.opts.onStep?.(stage, r, m, ro) : undefined,
  }), 'runGrpoLoop');
}

/** After the loop: final checkpoint and tokenizer, plots, validation evaluation, summary.json, done.json. */
async function finishStage<S>(s: StageSetup, spec: StageSpec<S>, dir: string, fingerprint: Record<string, unknown>, loop: GrpoLoopResult<S>, t0: number): Promise<StageResult> {
  const { ctx, tok } = s;
  const { stage, fromDir } = spec;
  const model = loop.model;
  await runReads(saveCheckpointReads(dir, model, { step: loop.steps, extra: { stage: stage === 1 ? 'rl1' : 'rl2', from: path.relative(ctx.dir, fromDir), stop: loop.stop } }), 'saveCheckpoint');
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(fromDir, f), path.join(dir, f));
  const label = stage === 1 ? '+RL1' : '+RL2';
  const marks = stage === 2 || loop.stop.step === 0 ? [] : [{ step: loop.stop.step, label: `stop: ${loop.stop.rule}` }];
  savePlots(ctx, dir, [
    ['reward', rewardFigure(loop.metrics, `GRPO stage ${stage} → ${label}: reward per step`, stage === 1 ? marks : [])],
    ['sparsity', sparsityFigure(loop.metrics, `GRPO stage ${stage}: groups with zero reward spread`, stage === 1 ? marks : [])],
  ]);
  const ev = await evalOne(ctx, label, model, tok, s.evalItems);
  writeJson(path.join(dir, 'eval.json'), ev);
  const m = loop.metrics;
  const summary: StageSummary = {
    stage,
    stop: { ...loop.stop },
    steps: loop.steps,
    items: 0,
    firstReward: m.length ? m[0].rewardMean : null,
    lastReward: m.length ? m[m.length - 1].rewardMean : null,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    ...spec.summarize(loop),
  };
  writeJson(path.join(dir, 'summary.json'), summary);
  markStageDone(path.join(dir, 'done.json'), fingerprint, { seconds: summary.seconds });
  clearCheckpoints(dir);
  ctx.log(
    `rlvr: stage ${stage} → ${label}: ${loop.steps} steps, stopped by ${loop.stop.rule} after step ${loop.stop.step}; reward ${summary.firstReward?.toFixed(3)} → ${summary.lastReward?.toFixed(3)}; ` +
      `${s.evalSplit} accuracy ${pct(ev.accuracy)} (well-formed ${pct(ev.wellFormedRate)}) on ${ev.n} items; ${summary.seconds.toFixed(1)} s`,
  );
  return { dir, summary, metrics: loop.metrics, eval: ev, reused: false, resumedFrom: loop.resumedFrom };
}

/** Runs (or reuses) one stage: the loop, the final checkpoint, plots, summary, eval, done.json. */
export async function runStage<S>(s: StageSetup, spec: StageSpec<S>): Promise<StageResult> {
  const { ctx } = s;
  const dir = path.join(ctx.stageDir('rlvr'), `stage${spec.stage}`);
  const fingerprint = stageFingerprint(s, spec.stage, spec.fromDir);
  if (finishedStage(dir, fingerprint, s.opts.force)) {
    ctx.log(`rlvr: reusing ${dir} (already trained with these settings; --force retrains)`);
    return reusedStage(dir);
  }
  const t0 = Date.now();
  const ref = stageOptim(ctx.config.rlvr, spec.stage).klCoef > 0 ? loadCheckpoint(spec.fromDir).model : undefined;
  let loop: GrpoLoopResult<S> | undefined;
  try {
    loop = await trainStage(s, spec, dir, fingerprint, ref);
    return await finishStage(s, spec, dir, fingerprint, loop, t0);
  } finally {
    loop?.model.dispose();
    ref?.dispose();
  }
}
