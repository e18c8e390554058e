/**
 * RODS difficulty: every item is labelled Easy / Moderate / Difficult. Three signals, each usable
 * alone, and a combiner:
 *
 * (a) an LLM judge with the rubric below (reasoning depth, knowledge rarity, distractor
 *     closeness), through the OpenAI-compatible client;
 * (b) graph features the caller computes from the item's evidence subgraph: hops from clues to
 *     answer, the smallest degree among the entities involved (rarity), and the share of
 *     distractors that overlap the answer's neighbourhood — combined into a documented score;
 * (c) the empirical pass rate of a reference model over n samples (e.g. the verification
 *     stage's passes / k): ≥ 0.8 Easy, ≥ 0.4 Moderate, else Difficult.
 *
 * `combineDifficulty` merges the signals (majority vote with a tie rule, or a primary signal with
 * fall-backs), and `difficultyAgreement` / `pairwiseAgreement` report how far they agree
 * (agreement share, Cohen's kappa, 3×3 confusion matrix).
 */
import { DIFFICULTIES, type Difficulty, type Item } from './item';
import { renderPrompt, type ChatClient } from './verify';
import type { ChatMessage } from '../core/llm';

// ---------------------------------------------------------------------------------------------
// (a) LLM judge

/** The judge's rubric; {question}, {options}, {letters} and {answer} are filled in. */
export const DIFFICULTY_RUBRIC = [
  'You are rating the difficulty of a medical multiple-choice question used to train a clinical reasoning model.',
  'You see the question, its options and the correct answer. Judge three things:',
  '1. Reasoning depth: how many inferential steps lead from the clues to the answer. One step: recall a single fact.',
  '   Two steps: e.g. findings → disease → treatment. Three or more: chained or integrative reasoning, weighing findings',
  '   that point different ways, or excluding look-alike conditions.',
  '2. Knowledge rarity: how specialised the knowledge is — core textbook facts, or rare diseases, uncommon mechanisms,',
  '   niche contraindications, recent guideline details.',
  '3. Distractor closeness: how plausible the wrong options are — clearly unrelated, or same class / same organ system /',
  '   a near-miss that differs from the answer in one key feature.',
  '',
  'Labels:',
  '- Easy: one step, common knowledge, and wrong options that are easy to rule out.',
  '- Moderate: two steps, or specialised knowledge, or some close distractors — but not several of these together.',
  '- Difficult: three or more steps, or rare knowledge together with close distractors; a well-trained clinician',
  '  would need careful reasoning to get it right.',
  '',
  'Question: {question}',
  '',
  'Options:',
  '{options}',
  '',
  'Correct answer: {answer}',
  '',
  'Justify in one or two sentences, then end with the label on its own line, exactly one of:',
  'Difficulty: Easy',
  'Difficulty: Moderate',
  'Difficulty: Difficult',
].join('\n');

const WORDS: Record<string, Difficulty> = { easy: 'Easy', moderate: 'Moderate', medium: 'Moderate', difficult: 'Difficult', hard: 'Difficult' };
const WORD = '(easy|moderate|medium|difficult|hard)';

/**
 * The label in a judge's reply, or null. Tried in order: the last 'Difficulty: X' (also '=' and
 * markdown bold), the last <difficulty>X</difficulty>, the last line that is only the label, the last
 * label word anywhere. 'Medium' reads as Moderate and 'Hard' as Difficult; a <think> block is ignored.
 */
export function parseDifficulty(text: string): Difficulty | null {
  const t = text.replace(/<think>[\s\S]*?<\/think>/gi, ' ');
  const last = (re: RegExp): Difficulty | null => {
    const ms = [...t.matchAll(re)];
    return ms.length ? WORDS[ms[ms.length - 1][1].toLowerCase()] : null;
  };
  return (
    last(new RegExp(`difficulty\\s*(?:level|label)?\\s*\\**\\s*[:=]\\s*\\**\\s*${WORD}\\b`, 'gi')) ??
    last(new RegExp(`<difficulty>\\s*${WORD}\\s*</difficulty>`, 'gi')) ??
    last(new RegExp(`^[\\s*"'.]*${WORD}[\\s*"'.]*$`, 'gim')) ??
    last(new RegExp(`\\b${WORD}\\b`, 'gi'))
  );
}

/** Fills the rubric (renderPrompt's fields plus {answer} as 'B. text'). */
export function renderJudgePrompt(template: string, item: Item): string {
  return renderPrompt(template, item).replace(/\{answer\}/g, `${item.answer}. ${item.options[item.answer] ?? ''}`);
}

export interface JudgeOptions {
  promptTemplate: string;
  system: string;
  temperature: number;
  maxTokens: number;
}

export const judgeDefaults: JudgeOptions = {
  promptTemplate: DIFFICULTY_RUBRIC,
  system: '',
  temperature: 0,
  maxTokens: 256,
};

/** A judge `(item) => label | null` that asks a model through the chat client. */
export function llmDifficultyJudge(client: ChatClient, options: Partial<JudgeOptions> = {}): (item: Item) => Promise<Difficulty | null> {
  const opts = { ...judgeDefaults, ...options };
  return async (item) => {
    const messages: ChatMessage[] = [];
    if (opts.system) messages.push({ role: 'system', content: opts.system });
    messages.push({ role: 'user', content: renderJudgePrompt(opts.promptTemplate, item) });
    const r = await client.chat(messages, { temperature: opts.temperature, maxTokens: opts.maxTokens });
    return parseDifficulty(r.texts[0] ?? '');
  };
}

// ---------------------------------------------------------------------------------------------
// (b) graph features

/** Features of an item's evidence subgraph, computed by the caller. */
export interface GraphFeatures {
  /** Reasoning hops from the clues to the answer (1 = one relation). */
  hops: number;
  /** Smallest graph degree among the entities the item needs (low = rare). */
  minDegree: number;
  /** Share (0..1) of distractors that overlap the answer's neighbourhood (close distractors). */
  distractorOverlap: number;
}

export interface GraphDifficultyOptions {
  /** Weights of the three parts (they need not sum to 1, but do by default). */
  weights: { hops: number; rarity: number; distractors: number };
  /** Hops at which the hops part reaches 1. */
  maxHops: number;
  /** Degree at or above which an entity counts as common (rarity part 0). */
  degreeRef: number;
  /** score < moderate → Easy; < difficult → Moderate; else Difficult. */
  thresholds: { moderate: number; difficult: number };
}

export const graphDefaults: GraphDifficultyOptions = {
  weights: { hops: 0.4, rarity: 0.3, distractors: 0.3 },
  maxHops: 3,
  degreeRef: 50,
  thresholds: { moderate: 0.35, difficult: 0.6 },
};

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * The graph difficulty score in [0, 1] (with the default weights) and its parts:
 * hops = clamp((hops − 1) / (maxHops − 1)), so 1 hop → 0, 2 → 0.5, ≥ 3 → 1;
 * rarity = 1 − clamp(ln(1 + minDegree) / ln(1 + degreeRef)), so degree 0 → 1, ≥ degreeRef → 0;
 * distractors = clamp(distractorOverlap);
 * score = w.hops·hops + w.rarity·rarity + w.distractors·distractors.
 */
export function graphScore(f: GraphFeatures, options: Partial<GraphDifficultyOptions> = {}): { score: number; parts: { hops: number; rarity: number; distractors: number } } {
  const o = { ...graphDefaults, ...options };
  const parts = {
    hops: o.maxHops > 1 ? clamp01((f.hops - 1) / (o.maxHops - 1)) : f.hops > 1 ? 1 : 0,
    rarity: 1 - clamp01(Math.log1p(Math.max(0, f.minDegree)) / Math.log1p(o.degreeRef)),
    distractors: clamp01(f.distractorOverlap),
  };
  const score = o.weights.hops * parts.hops + o.weights.rarity * parts.rarity + o.weights.distractors * parts.distractors;
  return { score, parts };
}

/** Easy / Moderate / Difficult from graph features (graphScore against the thresholds). */
export function graphDifficulty(f: GraphFeatures, options: Partial<GraphDifficultyOptions> = {}): Difficulty {
  const o = { ...graphDefaults, ...options };
  const { score } = graphScore(f, o);
  return score < o.thresholds.moderate ? 'Easy' : score < o.thresholds.difficult ? 'Moderate' : 'Difficult';
}

// ---------------------------------------------------------------------------------------------
// (c) empirical pass rate

export interface PassRateThresholds {
  /** Pass rate at or above which an item is Easy. */
  easy: number;
  /** Pass rate at or above which an item is Moderate (below: Difficult). */
  moderate: number;
}

export const passRateDefaults: PassRateThresholds = { easy: 0.8, moderate: 0.4 };

/** Difficulty from a reference model's passes out of n samples; null when n is 0. */
export function passRateDifficulty(passes: number, n: number, thresholds: Partial<PassRateThresholds> = {}): Difficulty | null {
  const t = { ...passRateDefaults, ...thresholds };
  if (n <= 0) return null;
  if (passes < 0 || passes > n) throw new Error(`passRateDifficulty: passes ${passes} not in 0..${n}`);
  const rate = passes / n;
  return rate >= t.easy ? 'Easy' : rate >= t.moderate ? 'Moderate' : 'Difficult';
}

// ---------------------------------------------------------------------------------------------
// combining and agreement

/** Labels of one item by signal name (e.g. {judge, graph, passRate}); null/absent = no label. */
export type DifficultySignals = Record<string, Difficulty | null | undefined>;

/**
 * How to merge signals.
 * - majority: the label most signals give; a tie is broken by `tie`: 'harder' / 'easier' pick
 *   the hardest / easiest tied label, 'primary' the label of the first signal in `order` that
 *   voted for a tied label (falling back to 'harder' when none did).
 * - primary: the first signal in `order` that has a label.
 */
export type CombineStrategy = { kind: 'majority'; tie: 'harder' | 'easier' | 'primary'; order: string[] } | { kind: 'primary'; order: string[] };

export const combineDefaults: CombineStrategy = { kind: 'majority', tie: 'primary', order: ['passRate', 'judge', 'graph'] };

const rank = (d: Difficulty): number => DIFFICULTIES.indexOf(d);

/** One label from several signals; null when no signal has a label. */
export function combineDifficulty(signals: DifficultySignals, strategy: CombineStrategy = combineDefaults): Difficulty | null {
  if (strategy.kind === 'primary') {
    for (const name of strategy.order) {
      const d = signals[name];
      if (d) return d;
    }
    return null;
  }
  const counts = new Map<Difficulty, number>();
  for (const name of Object.keys(signals).sort()) {
    const d = signals[name];
    if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const top = Math.max(...counts.values());
  const tied = DIFFICULTIES.filter((d) => counts.get(d) === top);
  if (tied.length === 1) return tied[0];
  if (strategy.tie === 'easier') return tied[0];
  if (strategy.tie === 'primary') {
    for (const name of strategy.order) {
      const d = signals[name];
      if (d && tied.includes(d)) return d;
    }
  }
  return tied.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

export interface Agreement {
  /** Pairs where both sides have a label. */
  n: number;
  /** Pairs left out because one side had no label. */
  skipped: number;
  /** Share of the n pairs with the same label; null when n = 0. */
  agreement: number | null;
  /** Cohen's kappa (po − pe) / (1 − pe); null when n = 0 or pe = 1 (both sides one constant label). */
  kappa: number | null;
  /** confusion[i][j] = pairs with a = DIFFICULTIES[i] and b = DIFFICULTIES[j] (Easy, Moderate, Difficult). */
  confusion: number[][];
}

/** Agreement of two aligned label lists (same items in the same order). */
export function difficultyAgreement(a: readonly (Difficulty | null | undefined)[], b: readonly (Difficulty | null | undefined)[]): Agreement {
  if (a.length !== b.length) throw new Error(`difficultyAgreement: label lists differ in length (${a.length} vs ${b.length})`);
  const confusion = DIFFICULTIES.map(() => DIFFICULTIES.map(() => 0));
  let n = 0;
  let skipped = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y) {
      skipped++;
      continue;
    }
    confusion[rank(x)][rank(y)] += 1;
    n++;
  }
  if (n === 0) return { n, skipped, agreement: null, kappa: null, confusion };
  let diag = 0;
  let pe = 0;
  for (let i = 0; i < DIFFICULTIES.length; i++) {
    diag += confusion[i][i];
    const row = confusion[i].reduce((s, v) => s + v, 0);
    const col = confusion.reduce((s, r) => s + r[i], 0);
    pe += (row / n) * (col / n);
  }
  const po = diag / n;
  return { n, skipped, agreement: po, kappa: pe === 1 ? null : (po - pe) / (1 - pe), confusion };
}

/** difficultyAgreement for every pair of signals (names sorted; a < b). */
export function pairwiseAgreement(signals: Record<string, readonly (Difficulty | null | undefined)[]>): ({ a: string; b: string } & Agreement)[] {
  const names = Object.keys(signals).sort();
  const out: ({ a: string; b: string } & Agreement)[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) out.push({ a: names[i], b: names[j], ...difficultyAgreement(signals[names[i]], signals[names[j]]) });
  return out;
}
