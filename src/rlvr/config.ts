/**
 * Settings of RLVR (`fleming rlvr`, src/rlvr/stage.ts): two-stage GRPO with verifiable rewards
 * (the paper's Eq. 1–3); the run config's `rlvr` section, flat on purpose. Each field is
 * documented once, at its default below; presets and `--set` overrides are applied by
 * src/core/config.ts.
 */
import { int, mapOf, num, oneOf, type Limits } from '../core/schema';

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
  stage2MineTiers: boolean;
  stage2Lr: number;
  stage2KlCoef: number;
  evalItems: number;
  evalMaxNewTokens: number;
  evalBatchSize: number;
  stage1Items: 'all' | 'untraced';
  stage1Draw: 'items' | 'anchors';
  stage2Items: 'all' | 'untraced';
}

export const defaults: RlvrConfig = {
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
  // peak learning rate (AdamW). From the released Base's +CoT, 2e-4 collapsed the policy within 16 steps (validation
  // 40.0% → 26.0%, thoughts turned to word salad); 3e-5 keeps it (39.5%): docs/findings.md
  lr: 3e-5,
  minLr: 3e-5, // cosine floor (= lr: constant after warm-up)
  warmupSteps: 3, // linear warm-up steps (each stage)
  weightDecay: 0, // AdamW decoupled decay
  clipNorm: 1.0, // global gradient-norm clipping
  rolloutBatch: 64, // completions decoded together
  microBatch: 16, // completions per forward/backward pass
  checkpointEvery: 10, // steps between resume checkpoints
  rolloutsEvery: 1, // every N-th step's rollouts go to rollouts.jsonl
  stage1MaxSteps: 96, // stage 1 ends here at the latest
  stage1MinSteps: 48, // no stop rule fires before this (was 8; docs/findings.md, fifth session)
  stage1SparsityThreshold: 0.7, // zero-spread fraction (moving average) that ends stage 1
  stage1SparsityWindow: 4, // steps in that moving average
  stage1PlateauWindow: 8, // reward plateau: last window vs the window before
  stage1PlateauDelta: 0, // the last window must beat the one before by more than this
  stage2Rounds: 3, // mining rounds
  stage2StepsPerRound: 8, // GRPO steps per round on the mined set
  stage2PromptsPerStep: 6, // prompts per stage-2 step
  // rollouts per prompt in stage 2 (more: a hard item needs more tries to show spread); 32 as the full preset, chosen
  // over 16 on validation (stage 2 added +0.6 on average over 4 seeds against +0.1; docs/findings.md, sixth session)
  stage2K: 32,
  stage2Samples: 4, // n samples per item when mining
  stage2MinFailures: 3, // failures (of n) that make an item "repeatedly failed"
  stage2MaxMined: 64, // mined set cap (Difficult first)
  stage2MinePool: 0, // train items evaluated per round (a fixed seeded subset; 0 = the whole training set, as the full preset does)
  // mine the pool one difficulty at a time, Difficult first, and stop once stage2MaxMined items failed: the same hard
  // set (a later tier could not enter it) from ≈ 1/7 of the samples here; false: every pool item each round (the
  // whole failure histogram in mining.jsonl)
  stage2MineTiers: true,
  stage2Lr: 0, // stage 2's peak (and floor) learning rate; 0: rlvr.lr and rlvr.minLr, as stage 1
  stage2KlCoef: -1, // stage 2's β of the KL penalty, to +RL1 (the stage's start); −1: rlvr.klCoef, as stage 1
  evalItems: 200, // RODS validation items for +CoT / +RL1 / +RL2 (greedy, evalPolicy), for choosing settings (0 = all; the eval stage reads test)
  evalMaxNewTokens: 128, // as sft.evalMaxNewTokens, so +CoT's numbers compare
  evalBatchSize: 32, // prompts decoded together
  // training items stage 1 draws from (its Easy + Moderate ones): 'all', or 'untraced' (those of the anchors
  // coldstart.traceShare left without teacher traces: RL meets only what SFT did not show)
  stage1Items: 'untraced',
  // how stage 1 draws its prompts: 'anchors' (each pass meets every anchor once, in a seeded order: rare, long-tail
  // anchors as often as common ones) or 'items' (seeded epochs over the items: an anchor with 20 items is met 10× as
  // often as one with 2). 'anchors' chosen on validation: +RL2 65.3 vs 64.6 over 4 seeds, stage 2 adding at all 4
  // (docs/findings.md, seventh session)
  stage1Draw: 'anchors',
  stage2Items: 'all', // training items stage 2 mines (its pool): 'all' or 'untraced', as stage1Items
};

/** What each setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<RlvrConfig> = {
  k: int(2),
  promptsPerStep: int(1),
  maxNewTokens: int(1),
  temperature: num({ gt: 0 }),
  rewards: mapOf(['correctness', 'format'], num({ min: 0 })),
  advantage: oneOf<RlvrConfig['advantage']>('none', 'std'),
  advantageEps: num({ min: 0 }),
  lossNorm: oneOf<RlvrConfig['lossNorm']>('sequence', 'sequence-mean', 'token', 'constant'),
  updatesPerBatch: int(1),
  clipLow: num({ min: 0, max: 1 }),
  clipHigh: num({ min: 0 }),
  klCoef: num({ min: 0 }),
  lr: num({ gt: 0 }),
  minLr: num({ min: 0 }),
  warmupSteps: int(0),
  weightDecay: num({ min: 0 }),
  clipNorm: num({ min: 0 }),
  rolloutBatch: int(1),
  microBatch: int(1),
  checkpointEvery: int(1),
  rolloutsEvery: int(0),
  stage1MaxSteps: int(1),
  stage1MinSteps: int(0),
  stage1SparsityThreshold: num({ min: 0, max: 1 }),
  stage1SparsityWindow: int(1),
  stage1PlateauWindow: int(1),
  stage2Rounds: int(1),
  stage2StepsPerRound: int(1),
  stage2PromptsPerStep: int(1),
  stage2K: int(2),
  stage2Samples: int(1),
  stage2MinFailures: int(1),
  stage2MaxMined: int(1),
  stage2MinePool: int(0),
  stage2Lr: num({ min: 0 }),
  stage2KlCoef: num({ min: -1 }),
  evalItems: int(0),
  evalMaxNewTokens: int(1),
  evalBatchSize: int(1),
  stage1Items: oneOf<RlvrConfig['stage1Items']>('all', 'untraced'),
  stage1Draw: oneOf<RlvrConfig['stage1Draw']>('items', 'anchors'),
  stage2Items: oneOf<RlvrConfig['stage2Items']>('all', 'untraced'),
};

/**
 * A stage's learning rate (peak, floor) and KL coefficient: rlvr.lr, minLr and klCoef, or for
 * stage 2 rlvr.stage2Lr (peak and floor) when > 0 and rlvr.stage2KlCoef when ≥ 0.
 */
export function stageOptim(c: RlvrConfig, stage: 1 | 2): { lr: number; minLr: number; klCoef: number } {
  const own = stage === 2 && c.stage2Lr > 0;
  return {
    lr: own ? c.stage2Lr : c.lr,
    minLr: own ? c.stage2Lr : Math.min(c.minLr, c.lr),
    klCoef: stage === 2 && c.stage2KlCoef >= 0 ? c.stage2KlCoef : c.klCoef,
  };
}
