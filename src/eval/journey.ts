/**
 * One held-out item through the stages: its question and options, then each stage's completion
 * (the first sample) with its strict answer, read from eval/results.jsonl. Notebook 08 shows the
 * items where the stages differ, so the gain (or loss) of each stage is one item's text.
 */
import type { Item } from '../rods/item';
import { answered, type ResultRow } from './results';
import { SYNTHETIC } from './summary';

export interface StageCompletion {
  /** Model id (base, cot, rl1, rl2, …). */
  model: string;
  completion: string;
  strict: string | null;
  correct: boolean;
  /** The thought names the right option's entity (src/eval/anatomy.ts); null where it was not read. */
  recalls: boolean | null;
}

export interface ItemJourney {
  itemId: string;
  question: string;
  options: Record<string, string>;
  answer: string;
  difficulty: string;
  /** One entry per model that answered the item, in the order of `models`. */
  stages: StageCompletion[];
}

/**
 * The held-out synthetic items every one of `models` answered, as journeys in the order of
 * `items`. `prefer`: 'gain' puts first the items the last model answers right, its thought
 * naming the answer, and the first wrong; then the other items the last model gets right and the
 * first wrong (guesses, maybe); then those the stages disagree on; then the rest. 'all' keeps file order.
 */
export function itemJourneys(rows: readonly ResultRow[], items: readonly Item[], models: readonly string[], o: { prefer?: 'gain' | 'all'; limit?: number } = {}): ItemJourney[] {
  if (models.length === 0) throw new Error('itemJourneys: no models');
  const byKey = new Map<string, ResultRow>();
  for (const r of rows) if (r.benchmark === SYNTHETIC && answered(r) && r.samples.length) byKey.set(`${r.model}|${r.itemId}`, r);
  const out: ItemJourney[] = [];
  for (const it of items) {
    const stages: StageCompletion[] = [];
    for (const m of models) {
      const r = byKey.get(`${m}|${it.id}`);
      if (!r) break;
      const s = r.samples[0];
      stages.push({ model: m, completion: s.completion, strict: s.strict, correct: s.strict === r.answer, recalls: s.anatomy ? s.anatomy.recalls : null });
    }
    if (stages.length === models.length) out.push({ itemId: it.id, question: it.question, options: it.options, answer: it.answer, difficulty: it.difficulty ?? '', stages });
  }
  const rank = (j: ItemJourney) => {
    if (o.prefer !== 'gain') return 0;
    const [first, last] = [j.stages[0], j.stages[j.stages.length - 1]];
    if (last.correct && !first.correct) return last.recalls === false ? 1 : 0;
    return new Set(j.stages.map((s) => s.strict)).size > 1 ? 2 : 3;
  };
  const sorted = out.map((j, i) => ({ j, i, r: rank(j) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.j);
  return sorted.slice(0, o.limit ?? sorted.length);
}

/** A journey as text: the question, its options (the answer marked), then each stage's completion (a right answer whose thought does not name it is called a guess). */
export function journeyText(j: ItemJourney, labels: Readonly<Record<string, string>> = {}): string {
  const lines = [`${j.itemId} (${j.difficulty || 'no difficulty'}; answer ${j.answer})`, j.question];
  for (const [l, t] of Object.entries(j.options)) lines.push(`  ${l === j.answer ? '*' : ' '}${l}. ${t}`);
  for (const s of j.stages) {
    const verdict = s.correct ? (s.recalls === false ? 'right, by a guess (the thought does not name the answer)' : 'right') : 'wrong';
    lines.push(`${labels[s.model] ?? s.model}: ${verdict} (${s.strict ?? 'no answer'})  ${s.completion.replace(/<\|eos\|>$/, '').replace(/\n/g, ' ')}`);
  }
  return lines.join('\n');
}
