/**
 * RLVR: two-stage GRPO with verifiable rewards.   Command: `fleming rlvr [--run DIR] [--force]`
 *
 * Stage 1 (→ "+RL1", from coldstart/sft): GRPO on the Easy + Moderate train items until the
 * reward goes sparse (zero-spread groups), plateaus, or a step limit. Stage 2 (→ "+RL2", from
 * stage 1): adaptive hard-sample mining — sample every training item n times, keep repeated
 * failures (Difficult first), train on them with more rollouts per prompt, re-mine each round.
 * Rewards: answer correctness + format (src/rlvr/rewards.ts), advantage r − group mean (Eq. 2),
 * loss −(1/k) Σ log π(y|x)·A (Eq. 3); the options of config `rlvr` add std scaling, ratio
 * clipping, KL and token-level normalisations. +CoT, +RL1 and +RL2 are evaluated on the test
 * split with the cold start's protocol (evalPolicy).
 * Writes rlvr/stage1/ and rlvr/stage2/: model.safetensors, config.json, tokenizer.json,
 * tokenizer_config.json, trainer_state.json, metrics.jsonl, rollouts.jsonl, summary.json,
 * eval.json, plots/{reward,sparsity}.*, done.json (stage 2 also mining.jsonl, plots/mining.*);
 * rlvr/eval.json (+CoT / +RL1 / +RL2) and rlvr/plots/ (both stages, the switch marked).
 * A killed stage resumes from its last/ checkpoint; a finished stage is reused unless its inputs
 * changed or --force is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { RlvrConfig } from '../core/config';
import { readJson, readJsonlAll, writeJson, writeJsonlSync } from '../core/io';
import { Figure, savePlot } from '../core/plot';
import { type RunContext, fileHash, markStageDone, stageDone } from '../core/run';
import { selectBackend } from '../model/backend';
import { loadCheckpoint, saveCheckpointReads } from '../model/checkpoint';
import { runReads } from '../model/reads';
import type { Llama } from '../model/llama';
import { Tokenizer, loadTokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';
import { clearCheckpoints, readMetrics } from '../train';
import { PolicyEvalReport, evalPolicyReads } from '../coldstart/sft/evaluate';
import { GrpoLoopResult, GrpoRecord, GrpoSettings, runGrpoLoopReads } from './loop';
import type { Plan } from './loop';
import { MiningRecord, Stage1State, Stage2State, stage1Plan, stage2Plan } from './plans';
import type { Rollout } from './rollout';
import { itemsFitting } from './rollout';

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

/** eval.json of the stage directory rlvr/. */
export interface RlvrEval {
  split: 'test';
  cot: PolicyEvalReport;
  rl1: PolicyEvalReport;
  rl2?: PolicyEvalReport;
}

export interface StageResult {
  dir: string;
  summary: StageSummary;
  metrics: GrpoRecord[];
  eval: PolicyEvalReport;
  reused: boolean;
  resumedFrom: number | null;
}

export interface RlvrResult {
  stage1: StageResult;
  /** Absent with `stage1Only`. */
  stage2?: StageResult;
  eval: RlvrEval;
}

export interface RlvrRunOptions {
  force?: boolean;
  /** After every GRPO step (notebooks: live views; tests: interruptions). */
  onStep?: (stage: 1 | 2, record: GrpoRecord, model: Llama, rollouts: readonly Rollout[]) => void;
  /** Stop after stage 1 (notebook 06). */
  stage1Only?: boolean;
}

/** The loop settings from the config (stage 2 changes prompts and k only). */
export function grpoSettings(c: RlvrConfig, maxSteps: number): GrpoSettings {
  return {
    maxNewTokens: c.maxNewTokens,
    temperature: c.temperature,
    rolloutBatch: c.rolloutBatch,
    microBatch: c.microBatch,
    rewards: c.rewards,
    advantage: { scale: c.advantage, eps: c.advantageEps },
    loss: { norm: c.lossNorm, maxNewTokens: c.maxNewTokens, clip: { low: c.clipLow, high: c.clipHigh }, klCoef: c.klCoef },
    updatesPerBatch: c.updatesPerBatch,
    optimizer: { lr: c.lr, minLr: Math.min(c.minLr, c.lr), warmupSteps: Math.max(1, c.warmupSteps), weightDecay: c.weightDecay, clipNorm: c.clipNorm, totalSteps: maxSteps },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Reward, correctness and format rates per step; vertical lines at `marks` (e.g. the stage switch). */
export function rewardFigure(metrics: readonly GrpoRecord[], title: string, marks: { step: number; label: string }[] = []): Figure {
  const x = metrics.map((m) => m.step);
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'reward (mean)', x, y: metrics.map((m) => m.rewardMean) },
      { type: 'scatter', mode: 'lines', name: 'correct', x, y: metrics.map((m) => m.correctRate) },
      { type: 'scatter', mode: 'lines', name: 'well-formed', x, y: metrics.map((m) => m.formatRate) },
      { type: 'scatter', mode: 'lines', name: 'truncated', x, y: metrics.map((m) => m.truncatedRate), line: { dash: 'dot' } },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'GRPO step' } },
      yaxis: { title: { text: 'rate / reward' } },
      shapes: marks.map((m) => ({ type: 'line', x0: m.step + 0.5, x1: m.step + 0.5, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#555' } })),
      annotations: marks.map((m) => ({ x: m.step + 0.5, yref: 'paper', y: 1.02, text: m.label, showarrow: false })),
    },
  };
}

/** Zero-spread fraction per step, split into all-right and all-wrong groups. */
export function sparsityFigure(metrics: readonly GrpoRecord[], title: string, marks: { step: number; label: string }[] = []): Figure {
  const x = metrics.map((m) => m.step);
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'zero spread (all)', x, y: metrics.map((m) => m.zeroSpread), line: { width: 4 } },
      { type: 'scatter', mode: 'lines', name: 'all right', x, y: metrics.map((m) => m.allRight), line: { dash: 'dash' } },
      { type: 'scatter', mode: 'lines', name: 'all wrong', x, y: metrics.map((m) => m.allWrong), line: { dash: 'dot' } },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'GRPO step' } },
      yaxis: { title: { text: 'fraction of groups' }, range: [0, 1.05] },
      shapes: marks.map((m) => ({ type: 'line', x0: m.step + 0.5, x1: m.step + 0.5, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#555' } })),
      annotations: marks.map((m) => ({ x: m.step + 0.5, yref: 'paper', y: 1.02, text: m.label, showarrow: false })),
    },
  };
}

/** Mined-set size per round, by difficulty. */
export function miningFigure(rounds: readonly MiningRecord[]): Figure {
  const diffs = ['Difficult', 'Moderate', 'Easy'];
  return {
    data: diffs.map((d) => ({ type: 'bar', name: d, x: rounds.map((r) => `round ${r.round}`), y: rounds.map((r) => r.minedByDifficulty[d] ?? 0) })),
    layout: { title: { text: 'Stage 2: the mined hard set per round' }, barmode: 'stack', yaxis: { title: { text: 'items' } } },
  };
}

function savePlots(ctx: RunContext, dir: string, figs: [string, Figure][]): void {
  for (const [name, fig] of figs) {
    const p = savePlot(fig, path.join(dir, 'plots'), name);
    if (p.pngSkipped && name === figs[0][0]) ctx.log(`rlvr: PNGs not written: ${p.pngSkipped}`);
  }
}

interface StageSetup {
  ctx: RunContext;
  tok: Tokenizer;
  train: Item[];
  evalItems: Item[];
  fingerprint: Record<string, unknown>;
  opts: RlvrRunOptions;
}

async function evalOne(ctx: RunContext, label: string, model: Llama, tok: Tokenizer, items: readonly Item[]): Promise<PolicyEvalReport> {
  const c = ctx.config.rlvr;
  const bar = ctx.progress(`rlvr: eval ${label}`, items.length);
  const r = await runReads(evalPolicyReads(model, tok, items, { batchSize: c.evalBatchSize, maxNewTokens: c.evalMaxNewTokens, onBatch: (d) => bar.update(d) }), 'evalPolicy');
  bar.done(pct(r.report.accuracy));
  return r.report;
}

/**
 * Runs (or reuses) one stage: the loop, the final checkpoint, plots, summary, eval, done.json.
 * Tensor reads go through runReads, so the stage runs on webgpu (asynchronous reads) too.
 */
async function runStage<S>(
  s: StageSetup,
  stage: 1 | 2,
  fromDir: string,
  maxSteps: number,
  plan: (state: S | undefined, dir: string) => Plan<S>,
  summarize: (loop: GrpoLoopResult<S>) => Partial<StageSummary>,
): Promise<StageResult> {
  const { ctx, tok } = s;
  const c = ctx.config.rlvr;
  const dir = path.join(ctx.stageDir('rlvr'), `stage${stage}`);
  // stage 1 does not depend on the stage-2 settings: changing those retrains stage 2 only
  const rlvrCfg = stage === 1 ? Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('stage2'))) : c;
  const fingerprint = { ...s.fingerprint, rlvr: rlvrCfg, stage, from: fileHash(path.join(fromDir, 'done.json')) };
  const doneFile = path.join(dir, 'done.json');
  if (!s.opts.force && stageDone(doneFile, fingerprint)) {
    ctx.log(`rlvr: reusing ${dir} (already trained with these settings; --force retrains)`);
    return { dir, summary: readJson(path.join(dir, 'summary.json')), metrics: readMetrics(path.join(dir, 'metrics.jsonl')) as unknown as GrpoRecord[], eval: readJson(path.join(dir, 'eval.json')), reused: true, resumedFrom: null };
  }
  if (s.opts.force || fs.existsSync(doneFile)) {
    fs.rmSync(doneFile, { force: true });
    clearCheckpoints(dir);
  }
  const t0 = Date.now();
  const ref = c.klCoef > 0 ? loadCheckpoint(fromDir).model : undefined;
  let loop: GrpoLoopResult<S> | undefined;
  try {
    loop = await runReads(runGrpoLoopReads<S>({
      dir,
      label: `rlvr: stage ${stage}`,
      init: () => loadCheckpoint(fromDir).model,
      ref,
      tok,
      settings: grpoSettings(c, maxSteps),
      plan: (st) => plan(st, dir),
      maxSteps,
      maxStepsRule: stage === 1 ? 'max steps' : 'rounds done',
      checkpointEvery: c.checkpointEvery,
      rolloutsEvery: c.rolloutsEvery,
      seed: `${ctx.config.seed}:rlvr:stage${stage}`,
      fingerprint,
      log: (m) => ctx.log(`rlvr: stage ${stage}: ${m}`),
      progress: (l, n) => ctx.progress(l, n),
      onStep: s.opts.onStep ? (r, m, ro) => s.opts.onStep?.(stage, r, m, ro) : undefined,
    }), 'runGrpoLoop');
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
      ...summarize(loop),
    };
    writeJson(path.join(dir, 'summary.json'), summary);
    markStageDone(doneFile, fingerprint, { seconds: summary.seconds });
    clearCheckpoints(dir);
    ctx.log(
      `rlvr: stage ${stage} → ${label}: ${loop.steps} steps, stopped by ${loop.stop.rule} after step ${loop.stop.step}; reward ${summary.firstReward?.toFixed(3)} → ${summary.lastReward?.toFixed(3)}; ` +
        `test accuracy ${pct(ev.accuracy)} (well-formed ${pct(ev.wellFormedRate)}) on ${ev.n} items; ${summary.seconds.toFixed(1)} s`,
    );
    return { dir, summary, metrics: loop.metrics, eval: ev, reused: false, resumedFrom: loop.resumedFrom };
  } finally {
    loop?.model.dispose();
    ref?.dispose();
  }
}

/** The stage (see the file comment). Needs coldstart/sft (a finished +CoT) and rods/items.jsonl. */
export async function run(ctx: RunContext, opts: RlvrRunOptions = {}): Promise<RlvrResult> {
  const c = ctx.config.rlvr;
  const sftDir = path.join(ctx.dir, 'coldstart', 'sft');
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  if (!fs.existsSync(path.join(sftDir, 'done.json'))) throw new Error(`${sftDir}: no finished +CoT model; run \`fleming coldstart --run ${ctx.dir}\` first`);
  if (!fs.existsSync(itemsFile)) throw new Error(`${itemsFile}: no RODS items; run \`fleming rods --run ${ctx.dir}\` first`);
  if (!(c.k >= 2) || !(c.stage2K >= 2)) throw new Error(`rlvr.k and rlvr.stage2K must be ≥ 2 (a group needs several completions), got ${c.k} and ${c.stage2K}`);
  if (!tf.engine().backendName || (ctx.config.backend && tf.getBackend() !== ctx.config.backend)) {
    const b = await selectBackend(ctx.config.backend || undefined);
    ctx.log(`rlvr: backend ${b.name} (${b.reason})`);
  }
  const tok = loadTokenizer(sftDir);
  const items = await readJsonlAll<Item>(itemsFile);
  const cfgJson = JSON.parse(fs.readFileSync(path.join(sftDir, 'config.json'), 'utf8')) as { max_position_embeddings: number };
  const ctxLen = cfgJson.max_position_embeddings;
  const allTrain = items.filter((it) => it.split === 'train');
  const train = itemsFitting(tok, allTrain, c.maxNewTokens, ctxLen);
  if (train.length < allTrain.length) ctx.log(`rlvr: ${allTrain.length - train.length} of ${allTrain.length} train items leave no room for ${c.maxNewTokens} new tokens in the context (${ctxLen}) and are left out`);
  const test = items.filter((it) => it.split === 'test');
  const evalItems = c.evalItems > 0 ? test.slice(0, c.evalItems) : test;
  const fingerprint = { rlvr: c, seed: ctx.config.seed, items: fileHash(itemsFile) };
  const setup: StageSetup = { ctx, tok, train, evalItems, fingerprint, opts };

  // Stage 1: Easy + Moderate.
  const easy = train.filter((it) => it.difficulty === 'Easy' || it.difficulty === 'Moderate');
  if (easy.length === 0) throw new Error(`rlvr: no Easy or Moderate train item fits the context (${train.length} train items fit)`);
  ctx.log(`rlvr: stage 1 on ${easy.length} Easy + Moderate train items: ${c.promptsPerStep} prompts × ${c.k} rollouts per step, ≤ ${c.stage1MaxSteps} steps, lr ${c.lr}`);
  const rules = { minSteps: c.stage1MinSteps, sparsityThreshold: c.stage1SparsityThreshold, sparsityWindow: c.stage1SparsityWindow, plateauWindow: c.stage1PlateauWindow, plateauDelta: c.stage1PlateauDelta };
  const stage1 = await runStage<Stage1State>(
    setup,
    1,
    sftDir,
    c.stage1MaxSteps,
    (st) => stage1Plan(easy, { promptsPerStep: c.promptsPerStep, k: c.k, seed: `${ctx.config.seed}:rlvr:stage1:items`, rules }, st),
    (loop) => ({ items: easy.length, stop: { ...loop.stop, detail: loop.planState.fired?.detail } }),
  );

  // +CoT under the same protocol: the cold start's report when it is the same protocol, else evaluated here.
  const stage1Dir = stage1.dir;
  let cot: PolicyEvalReport;
  const sftEval = path.join(sftDir, 'eval.json');
  const prev = fs.existsSync(sftEval) ? readJson<{ cot?: PolicyEvalReport }>(sftEval).cot : undefined;
  const sameProtocol = (a: PolicyEvalReport | undefined, b: PolicyEvalReport) => a !== undefined && JSON.stringify(a.protocol) === JSON.stringify(b.protocol);
  const cotFile = path.join(ctx.stageDir('rlvr'), 'eval-cot.json');
  if (sameProtocol(prev, stage1.eval)) cot = prev as PolicyEvalReport;
  else if (fs.existsSync(cotFile) && sameProtocol(readJson<PolicyEvalReport>(cotFile), stage1.eval) && readJson<{ sft?: string }>(cotFile).sft === fileHash(path.join(sftDir, 'done.json'))) cot = readJson(cotFile);
  else {
    const m = loadCheckpoint(sftDir).model;
    try {
      cot = await evalOne(ctx, '+CoT', m, tok, evalItems);
    } finally {
      m.dispose();
    }
    writeJson(cotFile, { ...cot, sft: fileHash(path.join(sftDir, 'done.json')) });
  }

  if (opts.stage1Only) {
    ctx.log(`rlvr: test accuracy on ${cot.n} items: +CoT ${pct(cot.accuracy)}, +RL1 ${pct(stage1.eval.accuracy)}`);
    return { stage1, eval: { split: 'test', cot, rl1: stage1.eval } };
  }

  // Stage 2: hard-sample mining over the training set.
  const pool = c.stage2MinePool > 0 ? ctx.rng('rlvr:stage2:pool').sample(train, c.stage2MinePool) : train;
  ctx.log(`rlvr: stage 2: ${c.stage2Rounds} rounds × ${c.stage2StepsPerRound} steps; mining ${pool.length} train items × ${c.stage2Samples} samples, keeping ≥ ${c.stage2MinFailures} failures (≤ ${c.stage2MaxMined}, Difficult first); ${c.stage2PromptsPerStep} prompts × ${c.stage2K} rollouts per step`);
  const stage2 = await runStage<Stage2State>(
    setup,
    2,
    stage1Dir,
    c.stage2Rounds * c.stage2StepsPerRound,
    (st, dir) =>
      stage2Plan(
        pool,
        tok,
        {
          rounds: c.stage2Rounds,
          stepsPerRound: c.stage2StepsPerRound,
          promptsPerStep: c.stage2PromptsPerStep,
          k: c.stage2K,
          samplesPerItem: c.stage2Samples,
          minFailures: c.stage2MinFailures,
          maxMined: c.stage2MaxMined,
          seed: `${ctx.config.seed}:rlvr:stage2:items`,
          sampling: { maxNewTokens: c.maxNewTokens, temperature: c.temperature, batchSize: c.rolloutBatch },
          onMined: (rounds) => {
            writeJsonlSync(path.join(dir, 'mining.jsonl'), rounds);
            const r = rounds[rounds.length - 1];
            ctx.log(`rlvr: stage 2 round ${r.round}: ${r.evaluated} items × ${r.samplesPerItem} samples, pass rate ${pct(r.passRate)}, ${r.failing} failing ≥ ${c.stage2MinFailures}×, mined ${r.mined} ${JSON.stringify(r.minedByDifficulty)}${r.previousStillFailing === null ? '' : `; ${r.previousStillFailing} of the previous round's set still failing`} (${r.seconds.toFixed(1)} s)`);
          },
        },
        st,
      ),
    (loop) => {
      const mining = loop.planState.rounds;
      const dir = path.join(ctx.dir, 'rlvr', 'stage2');
      writeJsonlSync(path.join(dir, 'mining.jsonl'), mining);
      savePlots(ctx, dir, [['mining', miningFigure(mining)]]);
      return { items: pool.length, mining };
    },
  );
  const evaluation: RlvrEval = { split: 'test', cot, rl1: stage1.eval, rl2: stage2.eval };
  writeJson(path.join(ctx.dir, 'rlvr', 'eval.json'), evaluation);
  const all = [...stage1.metrics, ...stage2.metrics.map((m) => ({ ...m, step: m.step + stage1.summary.steps }))];
  const switchMark = [{ step: stage1.summary.steps, label: `stage 2 (stage 1: ${stage1.summary.stop.rule} after step ${stage1.summary.stop.step})` }];
  savePlots(ctx, path.join(ctx.dir, 'rlvr'), [
    ['reward', rewardFigure(all, 'GRPO stages 1 and 2: reward per step', switchMark)],
    ['sparsity', sparsityFigure(all, 'GRPO stages 1 and 2: groups with zero reward spread', switchMark)],
  ]);
  const d = (r: PolicyEvalReport) => (r.byDifficulty.Difficult ? `${pct(r.byDifficulty.Difficult.accuracy)} of ${r.byDifficulty.Difficult.n}` : 'n/a');
  ctx.log(`rlvr: test accuracy on ${cot.n} items: +CoT ${pct(cot.accuracy)}, +RL1 ${pct(stage1.eval.accuracy)}, +RL2 ${pct(stage2.eval.accuracy)}; Difficult: +CoT ${d(cot)}, +RL1 ${d(stage1.eval)}, +RL2 ${d(stage2.eval)}`);
  return { stage1, stage2, eval: evaluation };
}
