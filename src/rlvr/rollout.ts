/**
 * Rollouts: k sampled completions per prompt from the policy (the chat prompt of each item,
 * temperature sampling, stop at `<|eos|>`), scored by the verifiable rewards and turned into
 * group advantages. The sampler's per-token log-probabilities (temperature 1) and entropies are
 * kept for the loss and the metrics. All randomness comes from the Rng passed in.
 */
import { Rng } from '../core/rng';
import type { Llama } from '../model/llama';
import { generateReads } from '../model/sample';
import { Reads, runSync } from '../model/reads';
import { CHAT, Tokenizer, chatPrompt } from '../model/tokenizer';
import { itemPrompt, optionLetters } from '../protocol/index';
import type { Item } from '../rods/item';
import { AdvantageOptions, GroupStats, groupAdvantages, groupStats, mean } from './advantage';
import { RewardColumns, correctness, format, scoreRewards } from './rewards';

/** How completions are sampled. */
export interface SamplingOptions {
  /** Tokens generated per completion at most. */
  maxNewTokens: number;
  /** Softmax temperature of the sampler. */
  temperature: number;
  /** Rows decoded together per generate() call. */
  batchSize: number;
}

/** One sampled completion of an item. */
export interface Completion {
  itemId: string;
  /** Index of the item in the call (its group). */
  group: number;
  prompt: number[];
  /** Generated ids, `<|eos|>` included when the model stopped. */
  tokens: number[];
  text: string;
  /** log π(token) at temperature 1, per token. */
  logprobs: number[];
  /** Mean entropy (nats) of the temperature-1 distribution over the generated positions. */
  entropy: number;
  finish: 'stop' | 'length';
}

/** A completion with its rewards and advantage. */
export interface Rollout extends Completion {
  /** Weighted sum of the rewards. */
  reward: number;
  /** Each reward's value. */
  rewards: Record<string, number | null>;
  correct: boolean;
  wellFormed: boolean;
  advantage: number;
}

/** The items whose prompt + maxNewTokens fit the model's context. */
export function itemsFitting(tok: Tokenizer, items: readonly Item[], maxNewTokens: number, contextLength: number): Item[] {
  return items.filter((it) => chatPrompt(tok, itemPrompt(it)).length + maxNewTokens <= contextLength);
}

/** `n` sampled completions of each item, grouped (item 0's n first). Synchronous reads; see sampleCompletionsReads. */
export function sampleCompletions(model: Llama, tok: Tokenizer, items: readonly Item[], n: number, rng: Rng, o: SamplingOptions): Completion[] {
  return runSync(sampleCompletionsReads(model, tok, items, n, rng, o), 'sampleCompletions');
}

/** sampleCompletions as a Reads computation (src/model/reads.ts): runs on every backend, webgpu included. */
export function* sampleCompletionsReads(model: Llama, tok: Tokenizer, items: readonly Item[], n: number, rng: Rng, o: SamplingOptions): Reads<Completion[]> {
  const eos = tok.specialId(CHAT.eos);
  const pad = tok.specialId(CHAT.pad);
  const rows: { item: Item; group: number; prompt: number[] }[] = [];
  items.forEach((item, g) => {
    const prompt = chatPrompt(tok, itemPrompt(item));
    if (prompt.length + o.maxNewTokens > model.config.max_position_embeddings)
      throw new Error(`item ${item.id}: prompt (${prompt.length} tokens) + maxNewTokens (${o.maxNewTokens}) exceeds the context (${model.config.max_position_embeddings}); filter with itemsFitting()`);
    for (let i = 0; i < n; i++) rows.push({ item, group: g, prompt });
  });
  const out: Completion[] = [];
  const bs = Math.max(1, Math.floor(o.batchSize));
  for (let i = 0; i < rows.length; i += bs) {
    const chunk = rows.slice(i, i + bs);
    const g = yield* generateReads(
      model,
      chunk.map((r) => r.prompt),
      rng,
      { maxNewTokens: o.maxNewTokens, temperature: o.temperature, stopTokenIds: [eos], padTokenId: pad, entropy: true },
    );
    chunk.forEach((r, b) => {
      const ent = (g.entropies as number[][])[b];
      out.push({
        itemId: r.item.id,
        group: r.group,
        prompt: r.prompt,
        tokens: g.tokens[b],
        text: tok.decode(g.tokens[b]),
        logprobs: g.logprobs[b],
        entropy: ent.length ? mean(ent) : 0,
        finish: g.finishReasons[b],
      });
    });
  }
  return out;
}

/** Rollout settings. */
export interface RolloutOptions extends SamplingOptions {
  /** Completions per prompt (the group size). */
  k: number;
  /** Reward name → weight (REWARDS). */
  rewards: Readonly<Record<string, number>>;
  advantage: Partial<AdvantageOptions>;
}

/** A batch of rollouts and its reward statistics. */
export interface RolloutBatch {
  rollouts: Rollout[];
  stats: GroupStats;
}

/** k completions per item, scored and with group advantages. Synchronous reads; see rolloutReads. */
export function rollout(model: Llama, tok: Tokenizer, items: readonly Item[], rng: Rng, o: RolloutOptions): RolloutBatch {
  return runSync(rolloutReads(model, tok, items, rng, o), 'rollout');
}

/** rollout as a Reads computation (every backend, webgpu included). */
export function* rolloutReads(model: Llama, tok: Tokenizer, items: readonly Item[], rng: Rng, o: RolloutOptions): Reads<RolloutBatch> {
  const comps = yield* sampleCompletionsReads(model, tok, items, o.k, rng, o);
  const byGroup = comps.map((c) => items[c.group]);
  const texts = comps.map((c) => c.text);
  const cols: RewardColumns = { answer: byGroup.map((it) => it.answer), letters: byGroup.map((it) => optionLetters(it)), finish: comps.map((c) => c.finish) };
  const scored = scoreRewards(texts, cols, o.rewards);
  const adv = groupAdvantages(scored.total, o.k, o.advantage);
  // correctness and format flags for the metrics, whatever the reward weights
  const correct = correctness(texts, cols).map((x) => x === 1);
  const formatted = format(texts, cols).map((x) => x === 1);
  const rollouts: Rollout[] = comps.map((c, i) => ({
    ...c,
    reward: scored.total[i],
    rewards: Object.fromEntries(Object.entries(scored.parts).map(([k, v]) => [k, v[i]])),
    correct: correct[i],
    wellFormed: formatted[i],
    advantage: adv[i],
  }));
  return { rollouts, stats: groupStats(scored.total, correct, o.k) };
}
