/**
 * The run's RLVR settings as verl Hydra overrides (names of verl 0.8.0.dev, volcengine/verl @
 * b178a3c, verl/trainer/config/_generated_ppo_trainer.yaml), so a verl launch trains with the
 * objective the workbench trains with (the paper's Eq. 1–3):
 *   advantage 'none' (A = r − group mean)    → algorithm.adv_estimator=grpo, algorithm.norm_adv_by_std_in_grpo=False
 *   lossNorm 'sequence' (Σ_t log π · A, mean over completions) → actor.loss_agg_mode=seq-mean-token-sum
 *   klCoef 0 (no KL)                          → actor.use_kl_loss=False, algorithm.use_kl_in_reward=False
 *   rewards correctness + format, nothing else (no length reward) → custom_reward_function = python/fleming_reward.py
 *   one update per batch (updatesPerBatch 1)  → actor.ppo_epochs=1, ppo_mini_batch_size = data.train_batch_size
 *   stage 1's draw order (rlvr.stage1Draw)    → data.shuffle=False on the export's stage1/train.parquet (in that order)
 * recipes/verl/run_fleming_grpo.sh reads them from the verl export's manifest.json.
 */
import { type RlvrConfig, stageOptim } from '../rlvr/config';

/** verl's loss_agg_mode for each of the workbench's loss normalisations (src/rlvr/advantage.ts LossNorm). */
export const LOSS_AGG_MODE: Readonly<Record<RlvrConfig['lossNorm'], string>> = {
  sequence: 'seq-mean-token-sum',
  'sequence-mean': 'seq-mean-token-mean',
  token: 'token-mean',
  constant: 'seq-mean-token-sum-norm',
};

/** The Hydra overrides of both stages and of each one. */
export interface VerlSettings {
  /** The verl version the names are from. */
  verl: string;
  common: string[];
  stage1: string[];
  stage2: string[];
  /** The workbench's stage-1 stop rule (src/rlvr/plans.ts stage1Stop), for recipes/verl/stage1_stop.py. */
  stage1Stop: { minSteps: number; sparsityThreshold: number; sparsityWindow: number; plateauWindow: number; plateauDelta: number };
  /** Stage 2's mining rounds (each: `fleming rlvr mine`, then stage2 steps). */
  stage2Rounds: number;
}

const py = (b: boolean) => (b ? 'True' : 'False');

/** The objective both stages share: advantages, loss, clipping, optimiser, sampling, reward (see the file comment); lr and KL are per stage. */
function objective(c: RlvrConfig): string[] {
  const a = 'actor_rollout_ref.actor';
  return [
    'algorithm.adv_estimator=grpo',
    `algorithm.norm_adv_by_std_in_grpo=${py(c.advantage === 'std')}`,
    'algorithm.use_kl_in_reward=False',
    `${a}.kl_loss_type=low_var_kl`, // k3, as src/rlvr/advantage.ts k3()
    `${a}.entropy_coeff=0`,
    `${a}.loss_agg_mode=${LOSS_AGG_MODE[c.lossNorm]}`,
    `${a}.ppo_epochs=${c.updatesPerBatch}`,
    `${a}.clip_ratio_low=${c.clipLow}`,
    `${a}.clip_ratio_high=${c.clipHigh}`,
    `${a}.optim.lr_warmup_steps=${c.warmupSteps}`,
    `${a}.optim.weight_decay=${c.weightDecay}`,
    `${a}.optim.clip_grad=${c.clipNorm}`,
    `actor_rollout_ref.rollout.temperature=${c.temperature}`,
    `data.max_response_length=${c.maxNewTokens}`,
    'data.prompt_key=prompt',
    'custom_reward_function.name=compute_score',
    `+custom_reward_function.reward_kwargs.correctness_weight=${c.rewards.correctness ?? 0}`,
    `+custom_reward_function.reward_kwargs.format_weight=${c.rewards.format ?? 0}`,
  ];
}

/** A stage's learning rate and KL (stage 2 may set its own: rlvr.stage2Lr, stage2KlCoef; stageOptim). */
function stageObjective(c: RlvrConfig, stage: 1 | 2): string[] {
  const a = 'actor_rollout_ref.actor';
  const { lr, minLr, klCoef: kl } = stageOptim(c, stage);
  return [
    `${a}.use_kl_loss=${py(kl > 0)}`,
    `${a}.kl_loss_coef=${kl}`,
    `${a}.optim.lr=${lr}`,
    ...(minLr < lr ? [`${a}.optim.lr_scheduler_type=cosine`, `${a}.optim.min_lr_ratio=${minLr / lr}`] : [`${a}.optim.lr_scheduler_type=constant`]),
  ];
}

/** One stage's batch: P prompts × n rollouts per step, one optimiser update per step, a step limit. */
function batch(prompts: number, n: number, steps: number): string[] {
  return [`data.train_batch_size=${prompts}`, `actor_rollout_ref.actor.ppo_mini_batch_size=${prompts}`, `actor_rollout_ref.rollout.n=${n}`, `trainer.total_training_steps=${steps}`];
}

/**
 * verl overrides for the run's `rlvr` settings: `common` (objective), `stage1` (Easy + Moderate,
 * k rollouts, stage1MaxSteps) and `stage2` (one mining round: stage2K rollouts, stage2StepsPerRound),
 * each stage with its learning rate and KL coefficient.
 * Data paths and the model path are the launcher's (recipes/verl/run_fleming_grpo.sh).
 */
export function verlSettings(c: RlvrConfig): VerlSettings {
  return {
    verl: '0.8.0.dev (volcengine/verl@b178a3c)',
    common: objective(c),
    // stage 1's file lists its prompts in the workbench's draw order (rlvr.stage1Draw): read it unshuffled
    stage1: [...batch(c.promptsPerStep, c.k, c.stage1MaxSteps), 'data.shuffle=False', ...stageObjective(c, 1)],
    stage2: [...batch(c.stage2PromptsPerStep, c.stage2K, c.stage2StepsPerRound), ...stageObjective(c, 2)],
    stage1Stop: { minSteps: c.stage1MinSteps, sparsityThreshold: c.stage1SparsityThreshold, sparsityWindow: c.stage1SparsityWindow, plateauWindow: c.stage1PlateauWindow, plateauDelta: c.stage1PlateauDelta },
    stage2Rounds: c.stage2Rounds,
  };
}
