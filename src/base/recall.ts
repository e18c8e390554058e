/**
 * Fact recall on held-out phrasings: for a sample of edges, the held-out family's prompt
 * ("A typical symptom of acute pancreatitis is") is completed with the true target and with k
 * same-type distractor targets; the model recalls the fact when the true completion has the
 * highest log-likelihood. Chance is 1/(k+1) per edge.
 */
import type { Rng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import { RELATION_NAMES, type GraphEdge, type Relation } from '../graph/schema';
import type { Llama } from '../model/llama';
import { Reads, runAsync, runSync, take } from '../model/reads';
import { CHAT, Tokenizer } from '../model/tokenizer';
import { type TextStyle, recallPrompt } from './sentences';

/** A prompt and a completion, as token ids. */
export interface ScoredPair {
  prompt: number[];
  completion: number[];
}

/**
 * Σ log p(completion | prompt) and the completion's token count, per pair, in batches of
 * `batchSize` right-padded rows (one forward pass each; no tensors outlive a batch).
 */
export function scoreCompletions(model: Llama, pairs: readonly ScoredPair[], opts: { batchSize?: number; padId?: number } = {}): { logp: number; tokens: number }[] {
  return runSync(scoreCompletionsReads(model, pairs, opts), 'scoreCompletions');
}

/** scoreCompletions as a Reads computation (src/model/reads.ts). */
export function* scoreCompletionsReads(model: Llama, pairs: readonly ScoredPair[], opts: { batchSize?: number; padId?: number } = {}): Reads<{ logp: number; tokens: number }[]> {
  const bs = opts.batchSize ?? 32;
  const pad = opts.padId ?? 0;
  const out: { logp: number; tokens: number }[] = [];
  for (let i = 0; i < pairs.length; i += bs) {
    const chunk = pairs.slice(i, i + bs);
    const rows = chunk.map((p) => [...p.prompt, ...p.completion]);
    const T = Math.max(...rows.map((r) => r.length));
    const ids = rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(pad)]);
    const mask = rows.map((r) => [...r.map(() => 1), ...new Array<number>(T - r.length).fill(0)]);
    const nll = yield* take(model.tokenNll(ids, mask)); // [B, T−1]
    chunk.forEach((p, b) => {
      let s = 0;
      for (let t = p.prompt.length; t < p.prompt.length + p.completion.length; t++) s -= nll[b * (T - 1) + t - 1];
      out.push({ logp: s, tokens: p.completion.length });
    });
  }
  return out;
}

export interface RecallOptions {
  /** Edges scored per relation (a sample when there are more). */
  edgesPerRelation: number;
  /** Same-type distractor targets per edge (fewer when the graph has fewer). */
  distractors: number;
  /** Rows per forward pass. */
  batchSize: number;
  /** Prompt phrasing: the held-out family, or training family i (0 = the schema's sentence: recall of seen text). */
  phrasing: 'heldOut' | number;
  /** How the prompts are written (the Base's corpus style). */
  style: TextStyle;
}

export const recallDefaults: RecallOptions = {
  edgesPerRelation: 40, // edges per relation
  distractors: 4, // chance 1/5
  batchSize: 32, // rows per forward pass
  phrasing: 'heldOut', // the never-trained phrasing family
  style: 'sentence', // capitalised prose; 'mention' for a Base trained on mention-style text
};

/** Recall of one relation. */
export interface RelationRecall {
  edges: number;
  /** Share of edges whose true target has the highest total log-likelihood (ties count as misses). */
  accuracy: number;
  /** Same, ranking by log-likelihood per completion token. */
  accuracyPerToken: number;
  /** Expected accuracy of a random ranking: mean of 1/(candidates) over the edges. */
  chance: number;
  /** Mean rank of the true target (1 = first). */
  meanRank: number;
}

export interface RecallReport {
  byRelation: Partial<Record<Relation, RelationRecall>>;
  /** Over all scored edges. */
  overall: RelationRecall;
  /** The prompts, for inspection: a few per relation. */
  examples: { relation: Relation; prefix: string; truth: string; distractors: string[]; rank: number }[];
}

/** Same-type targets that are not true targets of the edge's source and relation (sorted by id). */
export function distractorPool(graph: KnowledgeGraph, edge: Pick<GraphEdge, 'source' | 'relation' | 'target'>): string[] {
  const type = graph.node(edge.target).type;
  const truth = new Set(graph.targets(edge.source, edge.relation));
  return graph.nodes.filter((n) => n.type === type && !truth.has(n.id) && n.id !== edge.source).map((n) => n.id);
}

interface Case {
  relation: Relation;
  prefix: string;
  candidates: string[]; // node ids, truth first
  pairs: ScoredPair[];
}

function summarise(ranks: { rank: number; rankPerToken: number; n: number }[]): RelationRecall {
  const m = ranks.length || 1;
  return {
    edges: ranks.length,
    accuracy: ranks.filter((r) => r.rank === 1).length / m,
    accuracyPerToken: ranks.filter((r) => r.rankPerToken === 1).length / m,
    chance: ranks.reduce((a, r) => a + 1 / r.n, 0) / m,
    meanRank: ranks.reduce((a, r) => a + r.rank, 0) / m,
  };
}

/** 1 + the number of candidates scoring at least the truth (index 0), so ties rank the truth lower. */
function rankOfTruth(scores: readonly number[]): number {
  return 1 + scores.slice(1).filter((s) => s >= scores[0]).length;
}

/**
 * Fact recall per relation on the held-out phrasings (see the file comment; `phrasing` picks a
 * training family instead, to compare with recall of seen text). Edges and
 * distractors are drawn with `rng`; edges without any possible distractor are skipped.
 */
export function factRecall(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, rng: Rng, options: Partial<RecallOptions> = {}): RecallReport {
  return runSync(factRecallReads(model, tok, graph, rng, options), 'factRecall');
}

/** factRecall with asynchronous reads (webgpu). */
export function factRecallAsync(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, rng: Rng, options: Partial<RecallOptions> = {}): Promise<RecallReport> {
  return runAsync(factRecallReads(model, tok, graph, rng, options));
}

/** factRecall as a Reads computation (src/model/reads.ts). */
export function* factRecallReads(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, rng: Rng, options: Partial<RecallOptions> = {}): Reads<RecallReport> {
  const o = { ...recallDefaults, ...options };
  const bos = tok.specialId(CHAT.bos);
  const cases: Case[] = [];
  for (const relation of RELATION_NAMES) {
    const edges = graph.edges.filter((e) => e.relation === relation);
    for (const e of rng.sample(edges, o.edgesPerRelation)) {
      const pool = distractorPool(graph, e);
      if (pool.length === 0) continue;
      const candidates = [e.target, ...rng.sample(pool, o.distractors)];
      const prefix = recallPrompt(graph, e, graph.node(e.target).name, o.phrasing, o.style).prefix;
      const prompt = [bos, ...tok.encode(prefix, { allowSpecial: false })];
      const pairs = candidates.map((c) => {
        const full = [bos, ...tok.encode(prefix + recallPrompt(graph, e, graph.node(c).name, o.phrasing, o.style).completion, { allowSpecial: false })];
        if (full.length <= prompt.length || prompt.some((id, i) => full[i] !== id)) throw new Error(`factRecall: "${prefix}" does not tokenize as a prefix of its completion with ${c}`);
        return { prompt, completion: full.slice(prompt.length) };
      });
      cases.push({ relation, prefix, candidates, pairs });
    }
  }
  const scores = yield* scoreCompletionsReads(model, cases.flatMap((c) => c.pairs), { batchSize: o.batchSize, padId: tok.specialId(CHAT.pad) });
  const byRel = new Map<Relation, { rank: number; rankPerToken: number; n: number }[]>();
  const examples: RecallReport['examples'] = [];
  let k = 0;
  for (const c of cases) {
    const s = scores.slice(k, k + c.candidates.length);
    k += c.candidates.length;
    const rank = rankOfTruth(s.map((x) => x.logp));
    const rankPerToken = rankOfTruth(s.map((x) => x.logp / x.tokens));
    const list = byRel.get(c.relation) ?? [];
    list.push({ rank, rankPerToken, n: c.candidates.length });
    byRel.set(c.relation, list);
    if (list.length <= 2) examples.push({ relation: c.relation, prefix: c.prefix, truth: graph.node(c.candidates[0]).name, distractors: c.candidates.slice(1).map((id) => graph.node(id).name), rank });
  }
  const byRelation: Partial<Record<Relation, RelationRecall>> = {};
  for (const [r, list] of [...byRel].sort((a, b) => (a[0] < b[0] ? -1 : 1))) byRelation[r] = summarise(list);
  return { byRelation, overall: summarise([...byRel.values()].flat()), examples };
}
