/**
 * RLVR: two-stage GRPO with verifiable rewards.   Command: `fleming rlvr [--run DIR] [--force]`
 *
 * Stage 1 (→ "+RL1", from coldstart/sft): GRPO on the Easy + Moderate train items until the
 * reward goes sparse (zero-spread groups), plateaus, or a step limit. Stage 2 (→ "+RL2", from
 * stage 1): adaptive hard-sample mining — sample every training item n times, keep repeated
 * failures (Difficult first), train on them with more rollouts per prompt, re-mine each round.
 * Rewards: answer correctness + format (src/rlvr/rewards.ts), advantage r − group mean (Eq. 2),
 * loss −(1/k) Σ log π(y|x)·A (Eq. 3); the options of config `rlvr` add std scaling, ratio
 * clipping, KL and token-level normalisations. +CoT, +RL1 and +RL2 are evaluated on the
 * validation split (settings are chosen there; the final evaluation reads test) with the cold
 * start's protocol (evalPolicy).
 * Settings: src/rlvr/config.ts. One stage's loop, checkpoint, plots and eval: src/rlvr/runStage.ts.
 * Writes rlvr/stage1/ and rlvr/stage2/: model.safetensors, config.json, tokenizer.json,
 * tokenizer_config.json, trainer_state.json, metrics.jsonl, rollouts.jsonl, summary.json,
 * eval.json, plots/{reward,sparsity}.*, done.json (stage 2 also mining.jsonl, plots/mining.*);
 * rlvr/eval.json (+CoT / +RL1 / +RL2) and rlvr/plots/ (both stages, the switch marked).
 * A killed stage resumes from its last/ checkpoint; a finished stage is reused unless its inputs
 * changed or --force is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, readJsonlAll, writeJson, writeJsonlSync } from '../core/io';
import { type RunContext, fileHash } from '../core/run';
import { ensureBackend } from '../model/backend';
import { loadCheckpoint } from '../model/checkpoint';
import { loadTokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';
import type { PolicyEvalReport } from '../coldstart/sft/evaluate';
import { untracedItems } from '../coldstart/stage';
import { MiningRecord, Stage1State, Stage2State, stage1DrawSeed, stage1Plan, stage2Plan } from './plans';
import { miningFigure, rewardFigure, savePlots, sparsityFigure } from './plots';
import { itemsFitting } from './rollout';
import { groupOf, tuningItems } from '../rods/split';
import { RlvrRunOptions, StageResult, StageSetup, evalOne, pct, runStage } from './runStage';

export { grpoSettings } from './runStage';
export type { RlvrRunOptions, StageResult, StageSummary } from './runStage';

/** eval.json of the stage directory rlvr/. */
export interface RlvrEval {
  /** The items evaluated: validation (test only for a run without one: src/rods/split.ts tuningItems). */
  split: 'validation' | 'test';
  cot: PolicyEvalReport;
  rl1: PolicyEvalReport;
  rl2?: PolicyEvalReport;
}

export interface RlvrResult {
  stage1: StageResult;
  /** Absent with `stage1Only`. */
  stage2?: StageResult;
  eval: RlvrEval;
}

/** Checks the inputs (a finished +CoT, RODS items, group sizes), picks the backend, and loads what both stages share. */
async function prepare(ctx: RunContext, opts: RlvrRunOptions): Promise<{ setup: StageSetup; sftDir: string }> {
  const c = ctx.config.rlvr;
  const sftDir = path.join(ctx.dir, 'coldstart', 'sft');
  const itemsFile = path.join(ctx.dir, 'rods', 'items.jsonl');
  if (!fs.existsSync(path.join(sftDir, 'done.json'))) throw new Error(`${sftDir}: no finished +CoT model; run \`fleming coldstart --run ${ctx.dir}\` first`);
  if (!fs.existsSync(itemsFile)) throw new Error(`${itemsFile}: no RODS items; run \`fleming rods --run ${ctx.dir}\` first`);
  if (!(c.k >= 2) || !(c.stage2K >= 2)) throw new Error(`rlvr.k and rlvr.stage2K must be ≥ 2 (a group needs several completions), got ${c.k} and ${c.stage2K}`);
  await ensureBackend(ctx.config.backend, (m) => ctx.log(`rlvr: ${m}`));
  const tok = loadTokenizer(sftDir);
  const items = await readJsonlAll<Item>(itemsFile);
  const cfgJson = JSON.parse(fs.readFileSync(path.join(sftDir, 'config.json'), 'utf8')) as { max_position_embeddings: number };
  const ctxLen = cfgJson.max_position_embeddings;
  const allTrain = items.filter((it) => it.split === 'train');
  const train = itemsFitting(tok, allTrain, c.maxNewTokens, ctxLen);
  if (train.length < allTrain.length) ctx.log(`rlvr: ${allTrain.length - train.length} of ${allTrain.length} train items leave no room for ${c.maxNewTokens} new tokens in the context (${ctxLen}) and are left out`);
  const tuning = tuningItems(items);
  if (tuning.note) ctx.log(`rlvr: ${tuning.note}`);
  const evalItems = c.evalItems > 0 ? tuning.items.slice(0, c.evalItems) : tuning.items;
  const fingerprint = { rlvr: c, seed: ctx.config.seed, items: fileHash(itemsFile) };
  return { setup: { ctx, tok, train, allTrain, evalItems, evalSplit: tuning.split, fingerprint, opts }, sftDir };
}

/**
 * The training items a stage draws from (rlvr.stage1Items / stage2Items): all that fit the context,
 * or with 'untraced' those whose anchors the cold start drew no traces for (untracedItems).
 */
function stageItems(setup: StageSetup, stage: 1 | 2): Item[] {
  const { ctx, train, allTrain } = setup;
  const key = stage === 1 ? 'stage1Items' : 'stage2Items';
  if (ctx.config.rlvr[key] === 'all') return train.slice();
  const cs = ctx.config.coldstart;
  if (cs.traceShare >= 1) throw new Error(`rlvr.${key} 'untraced' needs coldstart.traceShare < 1 (it is ${cs.traceShare}: every training item has traces); --set rlvr.${key}=all`);
  const out = untracedItems(train, allTrain, cs, ctx.config.seed);
  if (out.length === 0) throw new Error(`rlvr.${key} 'untraced': every training item that fits the context has traces (coldstart.traceShare ${cs.traceShare})`);
  ctx.log(`rlvr: stage ${stage} draws from the ${out.length} training items without teacher traces (rlvr.${key} untraced; ${train.length - out.length} traced items left out)`);
  return out;
}

/** Stage 1: GRPO on the Easy + Moderate train items until sparsity, plateau or the step limit (→ +RL1). */
function stage1(setup: StageSetup, sftDir: string): Promise<StageResult> {
  const { ctx } = setup;
  const c = ctx.config.rlvr;
  const train = stageItems(setup, 1);
  const easy = train.filter((it) => it.difficulty === 'Easy' || it.difficulty === 'Moderate');
  if (easy.length === 0) throw new Error(`rlvr: no Easy or Moderate train item fits the context (${train.length} train items fit)`);
  ctx.log(`rlvr: stage 1 on ${easy.length} Easy + Moderate train items${c.stage1Draw === 'anchors' ? ` of ${new Set(easy.map(groupOf)).size} anchors, drawn anchor by anchor` : ''}: ${c.promptsPerStep} prompts × ${c.k} rollouts per step, ≤ ${c.stage1MaxSteps} steps, lr ${c.lr}`);
  const rules = { minSteps: c.stage1MinSteps, sparsityThreshold: c.stage1SparsityThreshold, sparsityWindow: c.stage1SparsityWindow, plateauWindow: c.stage1PlateauWindow, plateauDelta: c.stage1PlateauDelta };
  return runStage<Stage1State>(setup, {
    stage: 1,
    fromDir: sftDir,
    maxSteps: c.stage1MaxSteps,
    plan: (st) => stage1Plan(easy, { promptsPerStep: c.promptsPerStep, k: c.k, seed: stage1DrawSeed(ctx.config.seed), draw: c.stage1Draw, rules }, st),
    summarize: (loop) => ({ items: easy.length, stop: { ...loop.stop, detail: loop.planState.fired?.detail } }),
  });
}

/**
 * +CoT under the same protocol as +RL1: the cold start's report when it is the same protocol,
 * else a cached evaluation here (rlvr/eval-cot.json), else a fresh one.
 */
async function cotReport(setup: StageSetup, sftDir: string, rl1: PolicyEvalReport): Promise<PolicyEvalReport> {
  const { ctx, tok, evalItems } = setup;
  const sftEval = path.join(sftDir, 'eval.json');
  const prev = fs.existsSync(sftEval) ? readJson<{ cot?: PolicyEvalReport }>(sftEval).cot : undefined;
  const sameProtocol = (a: PolicyEvalReport | undefined, b: PolicyEvalReport) => a !== undefined && JSON.stringify(a.protocol) === JSON.stringify(b.protocol);
  const cotFile = path.join(ctx.stageDir('rlvr'), 'eval-cot.json');
  if (sameProtocol(prev, rl1)) return prev as PolicyEvalReport;
  if (fs.existsSync(cotFile) && sameProtocol(readJson<PolicyEvalReport>(cotFile), rl1) && readJson<{ sft?: string }>(cotFile).sft === fileHash(path.join(sftDir, 'done.json'))) return readJson(cotFile);
  const m = loadCheckpoint(sftDir).model;
  let cot: PolicyEvalReport;
  try {
    cot = await evalOne(ctx, '+CoT', m, tok, evalItems);
  } finally {
    m.dispose();
  }
  writeJson(cotFile, { ...cot, sft: fileHash(path.join(sftDir, 'done.json')) });
  return cot;
}

/** Stage 2: hard-sample mining over the training set, re-mined each round, more rollouts per prompt (→ +RL2). */
function stage2(setup: StageSetup, stage1Dir: string): Promise<StageResult> {
  const { ctx, tok } = setup;
  const c = ctx.config.rlvr;
  const train = stageItems(setup, 2);
  const pool = c.stage2MinePool > 0 ? ctx.rng('rlvr:stage2:pool').sample(train, c.stage2MinePool) : train;
  ctx.log(`rlvr: stage 2: ${c.stage2Rounds} rounds × ${c.stage2StepsPerRound} steps; mining ${pool.length} train items${c.stage2MineTiers ? ' by difficulty (Difficult first, until the cap is filled)' : ''} × ${c.stage2Samples} samples, keeping ≥ ${c.stage2MinFailures} failures (≤ ${c.stage2MaxMined}, Difficult first); ${c.stage2PromptsPerStep} prompts × ${c.stage2K} rollouts per step`);
  const onMined = (dir: string) => (rounds: readonly MiningRecord[]) => {
    writeJsonlSync(path.join(dir, 'mining.jsonl'), rounds);
    const r = rounds[rounds.length - 1];
    ctx.log(`rlvr: stage 2 round ${r.round}: ${r.evaluated}${r.tiers ? ` of ${r.pool} items (${r.tiers.join(', ')})` : ' items'} × ${r.samplesPerItem} samples, pass rate ${pct(r.passRate)}, ${r.failing} failing ≥ ${c.stage2MinFailures}×, mined ${r.mined} ${JSON.stringify(r.minedByDifficulty)}${r.previousStillFailing === null ? '' : `; ${r.previousStillFailing} of the previous round's set still failing`} (${r.seconds.toFixed(1)} s)`);
  };
  const mining = {
    rounds: c.stage2Rounds,
    stepsPerRound: c.stage2StepsPerRound,
    promptsPerStep: c.stage2PromptsPerStep,
    k: c.stage2K,
    samplesPerItem: c.stage2Samples,
    minFailures: c.stage2MinFailures,
    maxMined: c.stage2MaxMined,
    tiers: c.stage2MineTiers,
    seed: `${ctx.config.seed}:rlvr:stage2:items`,
    sampling: { maxNewTokens: c.maxNewTokens, temperature: c.temperature, batchSize: c.rolloutBatch },
  };
  return runStage<Stage2State>(setup, {
    stage: 2,
    fromDir: stage1Dir,
    maxSteps: c.stage2Rounds * c.stage2StepsPerRound,
    plan: (st, dir) => stage2Plan(pool, tok, { ...mining, onMined: onMined(dir) }, st),
    summarize: (loop) => {
      const rounds = loop.planState.rounds;
      const dir = path.join(ctx.dir, 'rlvr', 'stage2');
      writeJsonlSync(path.join(dir, 'mining.jsonl'), rounds);
      savePlots(ctx, dir, [['mining', miningFigure(rounds)]]);
      return { items: pool.length, mining: rounds };
    },
  });
}

/** Both stages' curves in rlvr/plots/, the switch marked. */
function combinedPlots(ctx: RunContext, s1: StageResult, s2: StageResult): void {
  const all = [...s1.metrics, ...s2.metrics.map((m) => ({ ...m, step: m.step + s1.summary.steps }))];
  const switchMark = [{ step: s1.summary.steps, label: `stage 2 (stage 1: ${s1.summary.stop.rule} after step ${s1.summary.stop.step})` }];
  savePlots(ctx, path.join(ctx.dir, 'rlvr'), [
    ['reward', rewardFigure(all, 'GRPO stages 1 and 2: reward per step', switchMark)],
    ['sparsity', sparsityFigure(all, 'GRPO stages 1 and 2: groups with zero reward spread', switchMark)],
  ]);
}

/** The stage (see the file comment). Needs coldstart/sft (a finished +CoT) and rods/items.jsonl. */
export async function run(ctx: RunContext, opts: RlvrRunOptions = {}): Promise<RlvrResult> {
  const { setup, sftDir } = await prepare(ctx, opts);
  const s1 = await stage1(setup, sftDir);
  const cot = await cotReport(setup, sftDir, s1.eval);
  const split = setup.evalSplit;
  if (opts.stage1Only) {
    ctx.log(`rlvr: ${split} accuracy on ${cot.n} items: +CoT ${pct(cot.accuracy)}, +RL1 ${pct(s1.eval.accuracy)}`);
    return { stage1: s1, eval: { split, cot, rl1: s1.eval } };
  }
  const s2 = await stage2(setup, s1.dir);
  const evaluation: RlvrEval = { split, cot, rl1: s1.eval, rl2: s2.eval };
  writeJson(path.join(ctx.dir, 'rlvr', 'eval.json'), evaluation);
  combinedPlots(ctx, s1, s2);
  const d = (r: PolicyEvalReport) => (r.byDifficulty.Difficult ? `${pct(r.byDifficulty.Difficult.accuracy)} of ${r.byDifficulty.Difficult.n}` : 'n/a');
  ctx.log(`rlvr: ${split} accuracy on ${cot.n} items: +CoT ${pct(cot.accuracy)}, +RL1 ${pct(s1.eval.accuracy)}, +RL2 ${pct(s2.eval.accuracy)}; Difficult: +CoT ${d(cot)}, +RL1 ${d(s1.eval)}, +RL2 ${d(s2.eval)}`);
  return { stage1: s1, stage2: s2, eval: evaluation };
}
