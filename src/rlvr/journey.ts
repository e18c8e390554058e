/**
 * The same validation items through a run's policies (notebooks 05–07): each checkpoint decodes
 * the first validation items greedily under the cold start's protocol (evalPolicy), and
 * itemJourneys() (src/eval/journey.ts) puts first the items the last policy gains with a thought
 * that names the answer (read with the run's graph). The held-out
 * test split stays for `fleming eval` (notebook 08 shows its items the same way).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonlAll } from '../core/io';
import { evalPolicy } from '../coldstart/sft/evaluate';
import { thoughtAnatomy } from '../eval/anatomy';
import { ClaimMatcher } from '../eval/claims';
import { STAGE_MODELS } from '../eval/inputs';
import { itemJourneys, type ItemJourney } from '../eval/journey';
import { KnowledgeGraph } from '../graph/graph';
import type { ResultRow } from '../eval/results';
import { SYNTHETIC } from '../eval/summary';
import { loadCheckpoint } from '../model/checkpoint';
import { loadTokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';

/**
 * Journeys of the first `items` validation items (default 40) through the stages `ids` (as eval
 * names them, STAGE_MODELS: base, cot, rl1, rl2; default +CoT, +RL1, +RL2) that have a
 * checkpoint, `limit` of them (default 2), gains first.
 */
export async function stageJourneys(runDir: string, ids: readonly string[] = ['cot', 'rl1', 'rl2'], o: { items?: number; limit?: number; maxNewTokens?: number } = {}): Promise<ItemJourney[]> {
  const unknown = ids.filter((id) => !STAGE_MODELS[id]);
  if (unknown.length) throw new Error(`stageJourneys: unknown stage ${unknown.join(', ')} (stages: ${Object.keys(STAGE_MODELS).join(', ')})`);
  const policies = ids.map((id) => ({ id, dir: STAGE_MODELS[id].dir }));
  const file = path.join(runDir, 'rods', 'validation.jsonl');
  if (!fs.existsSync(file)) throw new Error(`${file}: no validation items; run \`fleming rods --run ${runDir}\` first`);
  const items = (await readJsonlAll<Item>(file)).slice(0, o.items ?? 40);
  const ran = policies.filter((p) => fs.existsSync(path.join(runDir, p.dir, 'model.safetensors')));
  if (ran.length === 0) throw new Error(`${runDir}: no policy checkpoint (${policies.map((p) => p.dir).join(', ')}); run \`fleming coldstart --run ${runDir}\` first`);
  // the run's graph reads each thought (does it name the answer?), so the gains shown first are not guesses
  const graphDir = path.join(runDir, 'graph');
  const matcher = fs.existsSync(path.join(graphDir, 'nodes.jsonl')) ? new ClaimMatcher(await KnowledgeGraph.load(graphDir)) : null;
  const byId = new Map(items.map((it) => [it.id, it]));
  const rows: ResultRow[] = [];
  for (const p of ran) {
    const dir = path.join(runDir, p.dir);
    const { model } = loadCheckpoint(dir);
    try {
      for (const r of evalPolicy(model, loadTokenizer(dir), items, { maxNewTokens: o.maxNewTokens ?? 128 }).rows)
        rows.push({ key: `${p.id}|${r.id}`, model: p.id, benchmark: SYNTHETIC, itemId: r.id, type: r.type, difficulty: r.difficulty, longTail: false, answer: r.answer, options: 0, promptTokens: null, tooLong: false, samples: [{ completion: r.reply, strict: r.letter, lenient: r.letter, tokens: r.tokens, finish: r.finish, claims: { total: 0, supported: 0 }, anatomy: matcher ? thoughtAnatomy(matcher, byId.get(r.id) as Item, r.reply) : null }] });
    } finally {
      model.dispose();
    }
  }
  return itemJourneys(rows, items, ran.map((p) => p.id), { prefer: 'gain', limit: o.limit ?? 2 });
}
