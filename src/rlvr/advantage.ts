/**
 * GRPO's pure math on plain numbers, apart from the loop that produces the data: group-relative
 * advantages (Eq. 2), the per-token objective with its normalisations, PPO-style ratio clipping,
 * the k3 KL estimator, and reward-sparsity statistics. The tensor loss in grpo.ts computes the
 * same quantities; grpoLossValue() is its reference for tests.
 *
 * Paper (Fleming-R1, Eq. 1–3): k completions y₁…y_k per prompt x, reward r_i, advantage
 * A_i = r_i − mean(r), loss −(1/k) Σ_i log π(y_i|x) · A_i with log π(y|x) = Σ_t log π(y_t|x, y_<t).
 */

/** How rewards become advantages within a group. */
export interface AdvantageOptions {
  /** 'none': A = r − mean (the paper's Eq. 2); 'std': A = (r − mean) / (std + eps) (GRPO as in DeepSeekMath, TRL's default). */
  scale: 'none' | 'std';
  /** Added to the group's std when scale = 'std'. */
  eps: number;
}

export const advantageDefaults: AdvantageOptions = {
  scale: 'none', // the paper: reward minus the group mean
  eps: 1e-4, // as TRL
};

/** Mean of a non-empty array. */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator, as torch.std in TRL and verl); 0 for one value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

/**
 * Group-relative advantages. `rewards` holds consecutive groups of `k` (completions of one prompt).
 * @returns one advantage per reward; zero-mean within each group
 */
export function groupAdvantages(rewards: readonly number[], k: number, options: Partial<AdvantageOptions> = {}): number[] {
  const o = { ...advantageDefaults, ...options };
  if (!Number.isInteger(k) || k < 1) throw new Error(`groupAdvantages: group size k must be a positive integer, got ${k}`);
  if (rewards.length % k !== 0) throw new Error(`groupAdvantages: ${rewards.length} rewards are not whole groups of ${k}`);
  if (o.scale !== 'none' && o.scale !== 'std') throw new Error(`groupAdvantages: scale must be 'none' or 'std', got ${String(o.scale)}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += k) {
    const r = rewards.slice(g, g + k);
    const m = mean(r);
    const s = o.scale === 'std' ? sampleStd(r) + o.eps : 1;
    for (const x of r) out.push((x - m) / s);
  }
  return out;
}

/**
 * How the per-token terms are summed into the loss (weights per token of sequence j, N sequences):
 * - 'sequence': 1/N — each sequence's log π(y|x) summed over its tokens, averaged over sequences
 *   (the paper's Eq. 3, sequence-level);
 * - 'sequence-mean': 1/(N·|y_j|) — mean over each sequence's tokens, then over sequences (GRPO);
 * - 'token': 1/Σ|y_j| — every token of the batch weighs the same (DAPO);
 * - 'constant': 1/(N·L) with L = maxNewTokens — a constant, length-unbiased (Dr. GRPO).
 */
export type LossNorm = 'sequence' | 'sequence-mean' | 'token' | 'constant';
export const LOSS_NORMS: readonly LossNorm[] = ['sequence', 'sequence-mean', 'token', 'constant'];

/** The weight of each token of each sequence (the same for all tokens of one sequence). */
export function tokenWeights(lengths: readonly number[], norm: LossNorm, maxNewTokens: number): number[] {
  const n = lengths.length;
  if (n === 0) return [];
  if (lengths.some((l) => !Number.isInteger(l) || l < 1)) throw new Error(`tokenWeights: every completion needs ≥ 1 token, got ${JSON.stringify(lengths)}`);
  switch (norm) {
    case 'sequence':
      return lengths.map(() => 1 / n);
    case 'sequence-mean':
      return lengths.map((l) => 1 / (n * l));
    case 'token': {
      const total = lengths.reduce((a, b) => a + b, 0);
      return lengths.map(() => 1 / total);
    }
    case 'constant':
      if (!(maxNewTokens >= 1)) throw new Error(`tokenWeights: 'constant' needs maxNewTokens ≥ 1, got ${maxNewTokens}`);
      return lengths.map(() => 1 / (n * maxNewTokens));
    default:
      throw new Error(`unknown loss normalisation "${String(norm)}" (choose ${LOSS_NORMS.join(', ')})`);
  }
}

/** k3 estimator of KL(π‖π_ref) for one sampled token: exp(ref − new) − (ref − new) − 1 (≥ 0, unbiased). */
export function k3(logpNew: number, logpRef: number): number {
  const d = logpRef - logpNew;
  return Math.exp(d) - d - 1;
}

/** Ratio clipping: ε below and above 1 (DAPO's clip-higher uses a larger `high`). */
export interface ClipRange {
  low: number;
  high: number;
}

/** PPO's clipped per-token objective: min(ρ·A, clip(ρ, 1 − low, 1 + high)·A) with ρ = exp(new − old). */
export function clippedTerm(logpNew: number, logpOld: number, adv: number, clip: ClipRange): number {
  const rho = Math.exp(logpNew - logpOld);
  const c = Math.min(Math.max(rho, 1 - clip.low), 1 + clip.high);
  return Math.min(rho * adv, c * adv);
}

/** One completion's numbers for the reference loss. */
export interface SequenceTerms {
  /** log π_θ of each completion token. */
  logp: readonly number[];
  /** log π_old (the sampler's); absent = on-policy, the plain policy-gradient term logp·A. */
  old?: readonly number[];
  /** log π_ref (KL penalty). */
  ref?: readonly number[];
  adv: number;
}

/** Loss options (see LossNorm, ClipRange). */
export interface LossOptions {
  norm: LossNorm;
  maxNewTokens: number;
  clip: ClipRange;
  /** β of the KL penalty (0 = none, as in the paper). */
  klCoef: number;
}

/**
 * The GRPO loss on plain numbers: −Σ_j Σ_t w_j · (term_jt − β·k3_jt), where term is logp·A
 * without `old` (Eq. 3) and the clipped ratio objective with it. The reference for the tensor loss.
 */
export function grpoLossValue(seqs: readonly SequenceTerms[], o: LossOptions): number {
  const w = tokenWeights(
    seqs.map((s) => s.logp.length),
    o.norm,
    o.maxNewTokens,
  );
  let loss = 0;
  seqs.forEach((s, j) => {
    s.logp.forEach((lp, t) => {
      const term = s.old ? clippedTerm(lp, s.old[t], s.adv, o.clip) : lp * s.adv;
      const kl = o.klCoef > 0 && s.ref ? o.klCoef * k3(lp, s.ref[t]) : 0;
      loss -= w[j] * (term - kl);
    });
  });
  return loss;
}

/** Reward sparsity of one batch of groups. */
export interface GroupStats {
  groups: number;
  /** Fraction of groups whose total rewards are all equal (advantage 0 everywhere: no signal). */
  zeroSpread: number;
  /** Zero-spread groups where every completion is correct. */
  allRight: number;
  /** Zero-spread groups where no completion is correct. */
  allWrong: number;
}

/**
 * Zero-spread fraction of consecutive groups of `k`, split by correctness (a zero-spread group is
 * all-right when its completions are correct, all-wrong when they are not).
 */
export function groupStats(rewards: readonly number[], correct: readonly boolean[], k: number): GroupStats {
  if (rewards.length % k !== 0 || correct.length !== rewards.length) throw new Error(`groupStats: ${rewards.length} rewards / ${correct.length} flags are not whole groups of ${k}`);
  const groups = rewards.length / k;
  let zero = 0;
  let right = 0;
  let wrong = 0;
  for (let g = 0; g < rewards.length; g += k) {
    const r = rewards.slice(g, g + k);
    if (Math.max(...r) - Math.min(...r) > 1e-9) continue;
    zero++;
    const c = correct.slice(g, g + k);
    if (c.every(Boolean)) right++;
    else if (!c.some(Boolean)) wrong++;
  }
  return groups ? { groups, zeroSpread: zero / groups, allRight: right / groups, allWrong: wrong / groups } : { groups: 0, zeroSpread: 0, allRight: 0, allWrong: 0 };
}
