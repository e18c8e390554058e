/**
 * World-size experiments (graph.focus): after `fleming graph|rods|pretrain --run R`, measures the
 * Base checkpoint's knowledge ceiling on the first 400 test items (sft/ceiling.ts), and gathers
 * its fact recall, Base test accuracy and pretraining seconds into R/measure.json.
 *   Usage: node -r tsx/cjs experiments/world/measure.ts runs/R      (experiments/world/run.sh does all four)
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../../src/model/backend';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { loadTokenizer } from '../../src/model/tokenizer';
import { KnowledgeGraph } from '../../src/graph/graph';
import { readJsonlAll } from '../../src/core/io';
import { knowledgeCeiling } from '../../src/coldstart/sft/ceiling';
(async () => {
  const run = process.argv[2];
  await selectBackend(undefined);
  const base = path.join(run, 'coldstart', 'base');
  const tok = loadTokenizer(base);
  const model = loadCheckpoint(base).model;
  const graph = await KnowledgeGraph.load(path.join(run, 'graph'));
  const items = (await readJsonlAll<any>(path.join(run, 'rods', 'items.jsonl'))).filter((i) => i.split === 'test');
  const t0 = Date.now();
  const r = knowledgeCeiling(model, tok, graph, items.slice(0, 400));
  const recall = JSON.parse(fs.readFileSync(path.join(base, 'recall.json'), 'utf8'));
  const ev = JSON.parse(fs.readFileSync(path.join(base, 'eval.json'), 'utf8'));
  const done = JSON.parse(fs.readFileSync(path.join(base, 'done.json'), 'utf8'));
  const out = { run, testItems: items.length, ceiling: r, recallHeldOut: recall.heldOut.overall, recallSeen: recall.seen.overall, base: { n: ev.n, accuracy: ev.accuracy, formatOk: ev.formatOk, byLetter: ev.byLetter ?? ev.predicted ?? undefined }, pretrainSeconds: done.seconds ?? done, ceilingSeconds: (Date.now() - t0) / 1000 };
  fs.writeFileSync(path.join(run, 'measure.json'), JSON.stringify(out, null, 1));
  console.log(JSON.stringify({ run, ceiling: r.accuracy, ceilN: r.n, perTok: r.accuracyPerToken, byType: r.byType, recall: recall.heldOut.overall.accuracy, recallSeen: recall.seen.overall.accuracy, base: ev.accuracy, baseN: ev.n, sec: done.seconds ?? done }));
})();
