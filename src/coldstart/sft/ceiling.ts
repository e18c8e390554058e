/**
 * How much of the test split the policy's pretrained knowledge can answer at all: each option is
 * scored by the log-likelihood of the concise trace's claims with that option in the answer's
 * place ("Wilson's disease is treated with {option}."; for a diagnosis, "{clue} is seen in
 * {option}." summed over the clues), and the most likely option is taken. This is what a +CoT
 * policy that always wrote the right subject and then picked the option its LM prefers would
 * score; if it is at chance, no thought in the corpus's sentences can lift accuracy.
 */
import type { KnowledgeGraph } from '../../graph/graph';
import type { Relation } from '../../graph/schema';
import type { Llama } from '../../model/llama';
import { CHAT, Tokenizer } from '../../model/tokenizer';
import type { Item } from '../../rods/item';
import type { SynthQuery } from '../../rods/synth/config';
import { scoreCompletions } from '../../base/recall';
import { type TextStyle, fillTemplate, mentionName, recallTemplate } from '../../base/sentences';

const ASK: Record<string, Relation> = { test: 'diagnosed_by', treatment: 'treated_by', mechanism: 'has_mechanism', class: 'in_class' };

/**
 * The claim sentences for option node `x` of a synthetic item, the option last in each sentence
 * (empty when the item has no graph query or subject).
 */
export function optionSentences(graph: KnowledgeGraph, item: Item, x: string, style: TextStyle = 'sentence'): string[] {
  const q = item.meta?.query as SynthQuery | undefined;
  if (!q) return [];
  const name = (id: string) => graph.node(id).name;
  if (q.ask === 'disease') return (q.clues ?? []).map((c) => fillTemplate(recallTemplate(graph.node(c).type === 'finding' ? 'has_finding' : 'has_symptom', 'target') as string, name(x), name(c), style));
  const subject = q.given ?? (item.meta?.hidden as string | undefined);
  if (!subject) return [];
  if (q.ask === 'contraindicated') return [fillTemplate(recallTemplate('contraindicated_in', 'target') as string, name(x), name(subject), style)];
  return [fillTemplate(recallTemplate(ASK[q.ask], 'source') as string, name(subject), name(x), style)];
}

export interface CeilingReport {
  /** Items scored (synthetic items with a graph query). */
  n: number;
  /** Share whose most likely option (summed log-likelihood) is the answer. */
  accuracy: number;
  /** Same, log-likelihood per option token. */
  accuracyPerToken: number;
  byType: Record<string, { n: number; accuracy: number }>;
}

/** The knowledge ceiling of `model` on `items` (see the file comment). Leaves no tensors behind. */
export function knowledgeCeiling(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, items: readonly Item[], style: TextStyle = 'sentence'): CeilingReport {
  const bos = tok.specialId(CHAT.bos);
  const rows: { type: string; ok: boolean; okTok: boolean }[] = [];
  for (const it of items) {
    const ids = it.meta?.optionIds as Record<string, string> | undefined;
    if (!ids || !optionSentences(graph, it, ids[it.answer], style).length) continue;
    const letters = Object.keys(ids).sort();
    const scores = letters.map((l) => {
      const mention = mentionName(graph.node(ids[l]).name);
      const pairs = optionSentences(graph, it, ids[l], style).map((s) => {
        const prompt = [bos, ...tok.encode(s.slice(0, s.lastIndexOf(` ${mention}`)), { allowSpecial: false })];
        return { prompt, completion: [bos, ...tok.encode(s, { allowSpecial: false })].slice(prompt.length) };
      });
      const r = scoreCompletions(model, pairs, { padId: tok.specialId(CHAT.pad) });
      return { logp: r.reduce((a, x) => a + x.logp, 0), perToken: r.reduce((a, x) => a + x.logp / Math.max(1, x.tokens), 0) };
    });
    const best = (k: 'logp' | 'perToken') => letters[scores.reduce((b, s, i) => (s[k] > scores[b][k] ? i : b), 0)];
    rows.push({ type: it.type, ok: best('logp') === it.answer, okTok: best('perToken') === it.answer });
  }
  const share = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);
  const byType: CeilingReport['byType'] = {};
  for (const t of [...new Set(rows.map((r) => r.type))].sort()) {
    const sub = rows.filter((r) => r.type === t);
    byType[t] = { n: sub.length, accuracy: share(sub.map((r) => r.ok)) };
  }
  return { n: rows.length, accuracy: share(rows.map((r) => r.ok)), accuracyPerToken: share(rows.map((r) => r.okTok)), byType };
}
