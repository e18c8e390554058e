/**
 * RLVR (the paper's third stage): two-stage GRPO with verifiable rewards.
 *   rewards.ts    correctness and format rewards, the registry, weighted scoring
 *   advantage.ts  group advantages (Eq. 2), loss normalisations, ratio clipping, k3 KL, sparsity (pure)
 *   rollout.ts    k sampled completions per prompt, scored, with advantages
 *   grpo.ts       per-token log-probs of completions, the tensor loss, the GRPO step
 *   loop.ts       the resumable GRPO loop (checkpoints, metrics.jsonl, rollouts.jsonl)
 *   plans.ts      stage 1 (Easy + Moderate, stop rules) and stage 2 (hard-sample mining)
 *   stage.ts      `fleming rlvr`: both stages, checkpoints +RL1 / +RL2, evaluation, plots
 */
export { REWARDS, correctness, format, scoreRewards, wellFormed } from './rewards';
export type { RewardColumns, RewardFn, ScoredRewards } from './rewards';
export { LOSS_NORMS, advantageDefaults, clippedTerm, groupAdvantages, groupStats, grpoLossValue, k3, mean, sampleStd, tokenWeights } from './advantage';
export type { AdvantageOptions, ClipRange, GroupStats, LossNorm, LossOptions, SequenceTerms } from './advantage';
export { itemsFitting, rollout, sampleCompletions } from './rollout';
export type { Completion, Rollout, RolloutBatch, RolloutOptions, SamplingOptions } from './rollout';
export { completionLayout, completionLogProbs, grpoLoss, grpoStep, sequenceLogProbs } from './grpo';
export type { CompletionLayout, GrpoSample, GrpoStepOptions, GrpoStepResult } from './grpo';
export { runGrpoLoop, stepRecord } from './loop';
export type { GrpoLoopOptions, GrpoLoopResult, GrpoRecord, GrpoSettings, Plan, PlanDecision, RolloutRow } from './loop';
export { DIFFICULTY_ORDER, epochItems, mineFailures, selectHard, stage1Plan, stage1Stop, stage2Plan } from './plans';
export type { MinedItem, MiningRecord, Stage1Rules, Stage1State, Stage2Options, Stage2State } from './plans';
export { grpoSettings, run } from './stage';
export { miningFigure, rewardFigure, sparsityFigure } from './plots';
export type { RlvrEval, RlvrResult, RlvrRunOptions, StageResult, StageSummary } from './stage';
export { stageJourneys } from './journey';
