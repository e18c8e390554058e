/**
 * The two stages' plans for the GRPO loop (loop.ts):
 * - Stage 1 cycles through the Easy + Moderate train items (anchor by anchor, or in seeded epochs:
 *   stage1Draws) and stops when the zero-spread fraction stays high (its moving average over a
 *   window ≥ a threshold), when the reward plateaus (mean of the last window not above the window
 *   before by a margin), or at the step limit.
 * - Stage 2 mines hard samples each round: every item of the mining pool (the whole training set
 *   by default) is sampled n times; items failed at least `minFailures` times are kept, Difficult
 *   first (then Moderate, Easy; more failures first), up to `maxMined`; the round trains on them
 *   with k2 rollouts per prompt; the next round re-mines. With `tiers` the pool is mined one
 *   difficulty at a time, Difficult first, and mining stops once `maxMined` items of the tiers so
 *   far have failed: items of a later tier could not enter the set then, so it is chosen by the
 *   same rule from a fraction of the samples (default run: ≈ 400 of ≈ 2,800 items).
 * Plan states are plain JSON (checkpointed); stop rules and the selection are pure functions.
 */
import { Rng } from '../core/rng';
import type { Llama } from '../model/llama';
import type { Tokenizer } from '../model/tokenizer';
import { optionLetters } from '../protocol/index';
import type { Item } from '../rods/item';
import { groupOf } from '../rods/split';
import type { RlvrConfig } from './config';
import { mean } from './advantage';
import type { GrpoRecord, Plan, PlanDecision } from './loop';
import { correctness } from './rewards';
import { Reads, runSync } from '../model/reads';
import { SamplingOptions, sampleCompletionsReads } from './rollout';

/** The `count` items after position `cursor` of seeded epochs over `items` (each epoch a fresh permutation). */
export function epochItems<T>(items: readonly T[], seed: string, cursor: number, count: number): T[] {
  if (items.length === 0) throw new Error('epochItems: no items');
  const out: T[] = [];
  let perm: T[] | undefined;
  let permEpoch = -1;
  for (let i = cursor; i < cursor + count; i++) {
    const e = Math.floor(i / items.length);
    if (e !== permEpoch) {
      perm = new Rng(`${seed}:epoch${e}`).shuffle(items);
      permEpoch = e;
    }
    out.push((perm as T[])[i % items.length]);
  }
  return out;
}

/**
 * The `count` draws after position `cursor` of an anchor-balanced stream over `items`: in each
 * pass every group (anchor) gives one item, the groups in a fresh seeded order per pass; a group
 * gives its items in seeded epochs of its own. So an anchor with 2 items is met as often as one with
 * 20 (each of its items 10× as often), where epochItems() meets each item equally. Pure in
 * (cursor, count), so a resumed plan continues the same stream.
 */
export function anchorEpochItems<T>(items: readonly T[], groupOf: (it: T) => string, seed: string, cursor: number, count: number): T[] {
  if (items.length === 0) throw new Error('anchorEpochItems: no items');
  const byGroup = new Map<string, T[]>();
  for (const it of items) {
    const g = groupOf(it);
    const xs = byGroup.get(g);
    if (xs) xs.push(it);
    else byGroup.set(g, [it]);
  }
  const names = [...byGroup.keys()].sort();
  const out: T[] = [];
  for (let i = cursor; i < cursor + count; i++) {
    const pass = Math.floor(i / names.length);
    const g = new Rng(`${seed}:pass${pass}`).shuffle(names)[i % names.length];
    out.push(epochItems(byGroup.get(g) as T[], `${seed}:group:${g}`, pass, 1)[0]);
  }
  return out;
}

/** The seed of stage 1's draw for a run's seed (src/rlvr/stage.ts, and the export's stage-1 stream). */
export const stage1DrawSeed = (seed: number): string => `${seed}:rlvr:stage1:items`;

/**
 * Stage 1's prompts in the order it draws them (rlvr.stage1Draw): `count` after position `cursor`,
 * anchor by anchor ('anchors': anchorEpochItems over the items' anchors) or in seeded epochs over the
 * items ('items': epochItems). The plan and the export's stage-1 stream both read it.
 */
export function stage1Draws(items: readonly Item[], o: { seed: string; draw: RlvrConfig['stage1Draw'] }, cursor: number, count: number): Item[] {
  return o.draw === 'anchors' ? anchorEpochItems(items, groupOf, o.seed, cursor, count) : epochItems(items, o.seed, cursor, count);
}

/** Stage-1 stop thresholds. */
export interface Stage1Rules {
  /** No rule fires before this many steps. */
  minSteps: number;
  /** Zero-spread fraction whose moving average (over `sparsityWindow` steps) ends the stage. */
  sparsityThreshold: number;
  sparsityWindow: number;
  /** Reward plateau: mean reward of the last `plateauWindow` steps ≤ the window before + plateauDelta. */
  plateauWindow: number;
  plateauDelta: number;
}

/** Which stage-1 rule fires after a history of steps (pure), with its figures; null when none. */
export function stage1Stop(zeroSpread: readonly number[], reward: readonly number[], r: Stage1Rules): { rule: string; detail: string } | null {
  const n = zeroSpread.length;
  if (n < r.minSteps) return null;
  if (r.sparsityWindow > 0 && n >= r.sparsityWindow) {
    const m = mean(zeroSpread.slice(n - r.sparsityWindow));
    if (m >= r.sparsityThreshold) return { rule: 'sparsity', detail: `zero-spread fraction averaged ${m.toFixed(3)} over the last ${r.sparsityWindow} steps (threshold ${r.sparsityThreshold})` };
  }
  if (r.plateauWindow > 0 && n >= 2 * r.plateauWindow) {
    const w = r.plateauWindow;
    const last = mean(reward.slice(n - w));
    const before = mean(reward.slice(n - 2 * w, n - w));
    if (last <= before + r.plateauDelta) return { rule: 'plateau', detail: `mean reward ${last.toFixed(3)} over the last ${w} steps vs ${before.toFixed(3)} over the ${w} before (needs > +${r.plateauDelta})` };
  }
  return null;
}

export interface Stage1State {
  /** Items drawn so far (position in the seeded epochs). */
  cursor: number;
  zeroSpread: number[];
  reward: number[];
  /** The rule that fired, with its figures. */
  fired: { rule: string; detail: string; step: number } | null;
}

/** Stage 1: Easy + Moderate items, P prompts × k rollouts per step, stop rules of stage1Stop(). */
export function stage1Plan(items: readonly Item[], o: { promptsPerStep: number; k: number; seed: string; draw: RlvrConfig['stage1Draw']; rules: Stage1Rules }, state?: Stage1State): Plan<Stage1State> {
  const st: Stage1State = state ?? { cursor: 0, zeroSpread: [], reward: [], fired: null };
  return {
    state: st,
    // eslint-disable-next-line require-yield -- reads nothing; a generator to fit Plan.next
    *next(): Reads<PlanDecision> {
      const batch = stage1Draws(items, o, st.cursor, o.promptsPerStep);
      st.cursor += o.promptsPerStep;
      return { items: batch, k: o.k, phase: 'stage 1' };
    },
    after(rec: GrpoRecord): string | null {
      st.zeroSpread.push(rec.zeroSpread);
      st.reward.push(rec.rewardMean);
      const f = stage1Stop(st.zeroSpread, st.reward, o.rules);
      if (!f) return null;
      st.fired = { ...f, step: rec.step };
      return f.rule;
    },
  };
}

/** One item's mining result. */
export interface MinedItem {
  id: string;
  difficulty: string;
  failures: number;
}

export const DIFFICULTY_ORDER = ['Difficult', 'Moderate', 'Easy'];

/**
 * The hard set (pure): items failed ≥ minFailures times, Difficult first (then Moderate, Easy,
 * unlabelled), more failures first, ties in the seeded order of `tieSeed`; at most maxMined.
 */
export function selectHard(results: readonly MinedItem[], o: { minFailures: number; maxMined: number; tieSeed: string }): MinedItem[] {
  const rank = (d: string) => {
    const i = DIFFICULTY_ORDER.indexOf(d);
    return i < 0 ? DIFFICULTY_ORDER.length : i;
  };
  const shuffled = new Rng(o.tieSeed).shuffle(results.filter((r) => r.failures >= o.minFailures));
  const sorted = shuffled.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r.difficulty) - rank(b.r.difficulty) || b.r.failures - a.r.failures || a.i - b.i);
  return sorted.slice(0, o.maxMined > 0 ? o.maxMined : undefined).map((x) => x.r);
}

/** The difficulty tier of an item for mining: its label, or 'unlabelled' (mined last). */
const tierOf = (it: Item): string => (it.difficulty && DIFFICULTY_ORDER.includes(it.difficulty) ? it.difficulty : 'unlabelled');

/** The pool's items by mining tier, in DIFFICULTY_ORDER (then unlabelled), empty tiers left out. */
export function mineTiers(pool: readonly Item[]): [string, Item[]][] {
  return [...DIFFICULTY_ORDER, 'unlabelled'].map((t): [string, Item[]] => [t, pool.filter((it) => tierOf(it) === t)]).filter(([, items]) => items.length > 0);
}

/** Mining by tier stops here: `maxMined` items (when capped) have failed ≥ `minFailures` times. */
export function capFilled(results: readonly MinedItem[], o: { minFailures: number; maxMined: number }): boolean {
  return o.maxMined > 0 && results.filter((r) => r.failures >= o.minFailures).length >= o.maxMined;
}

/**
 * One mining pass over `pool`: the whole pool at once, or (o.tiers) tier by tier in
 * DIFFICULTY_ORDER until o.maxMined items have failed ≥ o.minFailures times (selectHard ranks a
 * lower tier below every item of a higher one, so the tiers left out could not have entered).
 */
export function* minePoolReads(model: Llama, tok: Tokenizer, pool: readonly Item[], o: Pick<Stage2Options, 'samplesPerItem' | 'minFailures' | 'maxMined' | 'tiers' | 'sampling'>, rng: Rng): Reads<{ results: MinedItem[]; tiers: string[] | null }> {
  if (!o.tiers) return { results: yield* mineFailuresReads(model, tok, pool, o.samplesPerItem, rng, o.sampling), tiers: null };
  const results: MinedItem[] = [];
  const tiers: string[] = [];
  for (const [tier, items] of mineTiers(pool)) {
    if (capFilled(results, o)) break;
    tiers.push(tier);
    results.push(...(yield* mineFailuresReads(model, tok, items, o.samplesPerItem, rng, o.sampling)));
  }
  return { results, tiers };
}

/** Failures of each item in n sampled completions (the correctness reward). */
export function mineFailures(model: Llama, tok: Tokenizer, pool: readonly Item[], n: number, rng: Rng, o: SamplingOptions): MinedItem[] {
  return runSync(mineFailuresReads(model, tok, pool, n, rng, o), 'mineFailures');
}

/** mineFailures as a Reads computation (every backend, webgpu included). */
export function* mineFailuresReads(model: Llama, tok: Tokenizer, pool: readonly Item[], n: number, rng: Rng, o: SamplingOptions): Reads<MinedItem[]> {
  const comps = yield* sampleCompletionsReads(model, tok, pool, n, rng, o);
  const ok = correctness(
    comps.map((c) => c.text),
    { answer: comps.map((c) => pool[c.group].answer), letters: comps.map((c) => optionLetters(pool[c.group])), finish: comps.map((c) => c.finish) },
  );
  return pool.map((it, g) => ({ id: it.id, difficulty: it.difficulty ?? 'unlabelled', failures: comps.reduce((a, c, i) => a + (c.group === g && ok[i] !== 1 ? 1 : 0), 0) }));
}

/** One mining round (mining.jsonl). */
export interface MiningRecord {
  round: number;
  /** Loop steps done when the round was mined. */
  step: number;
  evaluated: number;
  samplesPerItem: number;
  /** Mean share of correct samples over the pool. */
  passRate: number;
  /** Items with f failures, f = 0 … n. */
  failureHistogram: number[];
  /** Items failed ≥ minFailures times (before the maxMined cap). */
  failing: number;
  mined: number;
  minedByDifficulty: Record<string, number>;
  /** The round's hard set in the order selectHard() ranked it (what stage 2 trained on; `fleming export` reads it). */
  minedItems: MinedItem[];
  /** Of the previous round's mined items, how many are still failing (of those mined again). */
  previousStillFailing: number | null;
  /** The difficulty tiers mined (Difficult first) when stage 2 mines by tier; absent: the whole pool. */
  tiers?: string[];
  /** Items in the mining pool (evaluated ≤ pool when mining by tier). */
  pool?: number;
  seconds: number;
}

export interface Stage2State {
  /** Rounds mined so far. */
  round: number;
  stepInRound: number;
  /** Item ids of the current round's hard set. */
  mined: string[];
  cursor: number;
  rounds: MiningRecord[];
}

export interface Stage2Options {
  rounds: number;
  stepsPerRound: number;
  promptsPerStep: number;
  k: number;
  samplesPerItem: number;
  minFailures: number;
  maxMined: number;
  /** Mine one difficulty tier at a time (Difficult first) and stop once maxMined items have failed. */
  tiers?: boolean;
  seed: string;
  sampling: SamplingOptions;
  /** Called after each mining round (stage: writes mining.jsonl). */
  onMined?: (rounds: readonly MiningRecord[]) => void;
}

/** Stage 2: adaptive hard-sample mining over `pool`, training on the mined set with k2 rollouts. */
export function stage2Plan(pool: readonly Item[], tok: Tokenizer, o: Stage2Options, state?: Stage2State): Plan<Stage2State> {
  const st: Stage2State = state ?? { round: 0, stepInRound: 0, mined: [], cursor: 0, rounds: [] };
  const byId = new Map(pool.map((it) => [it.id, it]));
  return {
    state: st,
    *next(model: Llama, rng: Rng, step: number): Reads<PlanDecision> {
      if (st.round === 0 || st.stepInRound >= o.stepsPerRound) {
        if (st.round >= o.rounds) return { stop: 'rounds done' };
        const t0 = performance.now();
        const { results, tiers } = yield* minePoolReads(model, tok, pool, o, rng);
        const failing = results.filter((r) => r.failures >= o.minFailures);
        const mined = selectHard(results, { minFailures: o.minFailures, maxMined: o.maxMined, tieSeed: `${o.seed}:ties${st.round}` });
        const hist = new Array<number>(o.samplesPerItem + 1).fill(0);
        for (const r of results) hist[r.failures]++;
        const byDiff: Record<string, number> = {};
        for (const m of mined) byDiff[m.difficulty] = (byDiff[m.difficulty] ?? 0) + 1;
        const fails = new Map(results.map((r) => [r.id, r.failures]));
        const rec: MiningRecord = {
          round: st.round + 1,
          step,
          evaluated: results.length,
          samplesPerItem: o.samplesPerItem,
          passRate: Math.round((1 - mean(results.map((r) => r.failures)) / o.samplesPerItem) * 1e6) / 1e6,
          failureHistogram: hist,
          failing: failing.length,
          mined: mined.length,
          minedByDifficulty: byDiff,
          minedItems: mined,
          previousStillFailing: st.round === 0 ? null : st.mined.filter((id) => (fails.get(id) ?? 0) >= o.minFailures).length,
          seconds: Math.round(performance.now() - t0) / 1000,
          ...(tiers ? { tiers, pool: pool.length } : {}),
        };
        st.rounds.push(rec);
        st.round++;
        st.stepInRound = 0;
        st.cursor = 0;
        st.mined = mined.map((m) => m.id);
        o.onMined?.(st.rounds);
        if (st.mined.length === 0) return { stop: 'nothing left to mine' };
      }
      const ids = epochItems(st.mined, `${o.seed}:round${st.round}`, st.cursor, o.promptsPerStep);
      st.cursor += o.promptsPerStep;
      st.stepInRound++;
      return { items: ids.map((id) => byId.get(id) as Item), k: o.k, phase: `round ${st.round}` };
    },
    after: () => null,
  };
}
