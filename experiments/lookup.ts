/**
 * Can the policy learn the option lookup from short exercises ("A. x\nB. y\n…\ny: B", entities of
 * one type from the run's graph, loss on the letter only)? Prints the mean loss every 25 steps
 * (chance: ln 4 ≈ 1.39). docs/findings.md, "Where the chain breaks".
 *   node -r tsx/cjs experiments/lookup.ts RUN INITDIR OUT STEPS LR BATCH
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../src/model/backend';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import { loadTokenizer, CHAT } from '../src/model/tokenizer';
import { KnowledgeGraph } from '../src/graph/graph';
import { trainPhases } from '../src/train';
import { padBatch } from '../src/base/data';
import { namePools } from './pools';
import { Rng } from '../src/core/rng';
(async () => {
  const [run, init, out, stepsS, lrS, bS] = process.argv.slice(2);
  await selectBackend(undefined);
  const tok = loadTokenizer(init);
  const graph = await KnowledgeGraph.load(path.join(run, 'graph'));
  const { byType, types } = namePools(graph);
  const L = ['A', 'B', 'C', 'D'];
  const ex = (rng: Rng) => {
    const pool = byType.get(rng.pick(types)) as string[];
    const opts = rng.shuffle([...pool]).slice(0, 4);
    const k = rng.int(4);
    const prompt = opts.map((o, i) => `${L[i]}. ${o}`).join('\n');
    const ids = [tok.specialId(CHAT.bos), ...tok.encode(`${prompt}\n${opts[k]}:`, { allowSpecial: false })];
    const ans = tok.encode(` ${L[k]}`, { allowSpecial: false });
    const all = [...ids, ...ans];
    return { ids: all, completionMask: all.map((_, i) => (i >= ids.length ? 1 : 0)), promptLength: ids.length };
  };
  const B = +bS;
  fs.mkdirSync(out, { recursive: true });
  const win: number[] = [];
  const t0 = Date.now();
  trainPhases(() => loadCheckpoint(init).model, [{ name: 'lookup', steps: +stepsS, optimizer: { lr: +lrS, minLr: +lrS / 10, warmupSteps: 10, weightDecay: 0.1, clipNorm: 1 },
    batch: (s) => { const rng = new Rng(`lk:${s}`); return padBatch(Array.from({ length: B }, () => ex(rng)), tok.specialId(CHAT.pad)); } }],
    { dir: out, checkpointEvery: 100000, fingerprint: process.argv, fresh: true,
      onStep: (r) => { win.push(r.loss); if (r.phaseStep % 25 === 0) console.log(`step ${r.phaseStep} avg25 ${(win.splice(0).reduce((a, b) => a + b, 0) / 25).toFixed(3)} ${((Date.now() - t0) / 1000).toFixed(0)}s`); } });
})();
