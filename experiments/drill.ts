/**
 * Scratch: does the option lookup form during pretraining when the LM stream carries lookup
 * drills ("A. x\nB. y\nC. z\nD. w\ny.\nB": the letter is the same token as in the option line, as in
 * "<answer>B"; same-type graph names, no facts)?
 *   node -r tsx/cjs experiments/drill.ts RUN TOKDIR OUT STEPS LR DRILL_SHARE [INIT]
 * DRILL_SHARE: fraction of each batch's sequences that are drills (the rest: graph sentences).
 * INIT: a checkpoint to start from (default: a fresh default-preset model).
 * Every 25 steps: the letter's NLL and accuracy on 256 fresh drills (chance ln 4, 25%).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../src/model/backend';
import { loadCheckpoint } from '../src/model/checkpoint';
import { loadTokenizer } from '../src/model/tokenizer';
import { KnowledgeGraph } from '../src/graph/graph';
import { trainPhases } from '../src/train';
import { LmBatches } from '../src/base/data';
import { namePools, lookupDrill, drillScore } from './pools';
import { Rng } from '../src/core/rng';
import { Llama } from '../src/model/llama';
import { modelConfig } from '../src/base';

(async () => {
  const [run, tokDir, out, stepsS, lrS, shareS, init] = process.argv.slice(2);
  await selectBackend(undefined);
  const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  const tok = loadTokenizer(tokDir);
  const graph = await KnowledgeGraph.load(path.join(run, 'graph'));
  const pools = namePools(graph);
  const drill = (rng: Rng) => lookupDrill(tok, pools, rng);
  const p = cfg.pretrain;
  const seqLen = p.seqLen, B = p.batchSize, share = +shareS;
  const lm = new LmBatches(graph, tok, { graph, seqLen, batchSize: B, seed: `${cfg.seed}:pretrain:lm`, phrasingsPerEdge: p.phrasingsPerEdge, synonymRate: p.synonymRate, order: p.corpusOrder } as any);
  const nDrill = Math.round(B * share);
  const drillWindow = (rng: Rng) => { const w: number[] = []; while (w.length < seqLen) w.push(...drill(rng).ids); return w.slice(0, seqLen); };
  const batch = (s: number) => {
    const rng = new Rng(`drill:${s}`);
    const lmb = lm.batch(s).inputIds;
    return { inputIds: [...lmb.slice(0, B - nDrill), ...Array.from({ length: nDrill }, () => drillWindow(rng))] };
  };
  // held-out drills for measurement
  const evr = new Rng('drill-eval');
  const ev = Array.from({ length: 256 }, () => drill(evr));
  const measure = (model: Llama) => drillScore(model, tok, ev);
  fs.mkdirSync(out, { recursive: true });
  const t0 = Date.now(); const win: number[] = [];
  const mc = { ...modelConfig(p, tok), ...(process.env.LAYERS ? { num_hidden_layers: +process.env.LAYERS } : {}), ...(process.env.HEADS ? { num_attention_heads: +process.env.HEADS, num_key_value_heads: +process.env.HEADS } : {}) };
  trainPhases(() => (init ? loadCheckpoint(init).model : new Llama(mc, new Rng('drill-init'))), [{ name: 'lm', steps: +stepsS, optimizer: { lr: +lrS, minLr: +lrS / 10, warmupSteps: 20, weightDecay: 0.1, clipNorm: 1 }, batch }],
    { dir: out, checkpointEvery: 100000, fingerprint: process.argv, fresh: true,
      onStep: (r, model) => { win.push(r.loss); if (r.phaseStep % 25 === 0) { const m = measure(model); console.log(`step ${r.phaseStep} lm ${(win.splice(0).reduce((a, b) => a + b, 0) / 25).toFixed(3)} letterNll ${m.nll.toFixed(3)} acc ${(100 * m.acc).toFixed(1)}% ${((Date.now() - t0) / 1000).toFixed(0)}s`); } } });
})();
