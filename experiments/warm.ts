/**
 * Scratch: the Base with a copy warm-up. A fresh model first learns to continue repeated random
 * token sequences (COPY steps; an induction head forms near step 1,200, experiments/incontext.ts),
 * then the run's knowledge LM (pretrain.steps) and direct-answer tuning (pretrain.tuneSteps), as
 * `fleming pretrain` does. Saves the checkpoint and the run's tokenizer in OUT.
 *   node -r tsx/cjs experiments/warm.ts RUN OUT COPY_STEPS COPY_LR
 * Env MIX=1: the warm-up alternates copy batches with lookup-drill batches (32 drills
 * "A. x … D. w\ny.\n" → letter, loss on the letter; experiments/pools.ts); KEEP=k: every k-th LM step is
 * a warm-up batch (as many LM batches as without it), so the circuits keep being used. Prints the drill score (256 held-out drills) every
 * 250 warm-up steps and after each phase. LAYERS, HEADS and KV (key/value heads, default HEADS) override
 * the preset's architecture.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../src/model/backend';
import { saveCheckpoint } from '../src/model/checkpoint';
import { loadTokenizer, CHAT } from '../src/model/tokenizer';
import { KnowledgeGraph } from '../src/graph/graph';
import { readJsonlAll } from '../src/core/io';
import { trainPhases } from '../src/train';
import { TuneBatches, directAnswerExample, LmBatches, padBatch } from '../src/base/data';
import { modelConfig } from '../src/base';
import { Rng } from '../src/core/rng';
import { Llama } from '../src/model/llama';
import type { Batch } from '../src/model/llama';
import { namePools, lookupDrill, drillScore, drillBatch } from './pools';

(async () => {
  const [run, out, copyS, copyLrS] = process.argv.slice(2);
  await selectBackend(undefined);
  const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  const p = cfg.pretrain;
  const baseDir = path.join(run, 'coldstart', 'base');
  const tok = loadTokenizer(baseDir);
  const graph = await KnowledgeGraph.load(path.join(run, 'graph'));
  const items = await readJsonlAll<any>(path.join(run, 'rods', 'items.jsonl'));
  const train = items.filter((i) => i.split === 'train');
  const env = process.env;
  const mc = { ...modelConfig(p, tok), ...(env.LAYERS ? { num_hidden_layers: +env.LAYERS } : {}), ...(env.HEADS ? { num_attention_heads: +env.HEADS, num_key_value_heads: +(env.KV ?? env.HEADS) } : {}) };
  const V = mc.vocab_size, first = 9, pad = tok.specialId(CHAT.pad);
  const copyBatch = (s: number): Batch => {
    const rng = new Rng(`warm:copy:${s}`);
    const rows = Array.from({ length: 16 }, () => {
      const L = 8 + rng.int(25);
      const xs = Array.from({ length: L }, () => first + rng.int(V - first));
      const ids = [tok.specialId(CHAT.bos), ...xs, ...xs];
      return { ids, completionMask: ids.map((_, j) => (j > L + 1 ? 1 : 0)), promptLength: L + 1 };
    });
    return padBatch(rows, pad);
  };
  const pools = namePools(graph);
  const mix = env.MIX === '1', keep = +(env.KEEP ?? 0);
  const drill = (s: number): Batch => drillBatch(tok, pools, new Rng(`warm:drill:${s}`));
  const warmBatch = (s: number): Batch => (mix && s % 2 === 1 ? drill(s) : copyBatch(s));
  const evr = new Rng('warm:drill-eval');
  const ev = Array.from({ length: 256 }, () => lookupDrill(tok, pools, evr));
  const score = (m: Llama) => { const d = drillScore(m, tok, ev); return `drill letter NLL ${d.nll.toFixed(3)} acc ${(100 * d.acc).toFixed(1)}%`; };
  const lmSteps = keep ? Math.round((p.steps * keep) / (keep - 1)) : p.steps; // as many LM batches as without KEEP
  const lm = new LmBatches(graph, tok, { graph, seqLen: p.seqLen, batchSize: p.batchSize, seed: `${cfg.seed}:pretrain:lm`, phrasingsPerEdge: p.phrasingsPerEdge, synonymRate: p.synonymRate, order: p.corpusOrder } as any);
  const tune = new TuneBatches(train.map((it) => directAnswerExample(tok, it)).filter((e) => e.ids.length <= 512), { batchSize: p.tuneBatchSize, seed: `${cfg.seed}:pretrain:tune`, padId: pad });
  const common = { minLr: p.minLr, warmupSteps: p.warmupSteps, weightDecay: p.weightDecay, clipNorm: p.clipNorm };
  fs.mkdirSync(out, { recursive: true });
  const t0 = Date.now();
  const wins: Record<string, number[]> = {};
  const loop = trainPhases(() => new Llama(mc, new Rng(`${cfg.seed}:pretrain:init`)), [
    { name: 'copy', steps: +copyS, optimizer: { ...common, lr: +copyLrS, minLr: +copyLrS / 10 }, batch: warmBatch },
    { name: 'lm', steps: lmSteps, optimizer: { ...common, lr: p.lr }, batch: (s) => (keep && s % keep === keep - 1 ? warmBatch(Math.floor(s / keep)) : lm.batch(s - (keep ? Math.floor(s / keep) : 0))) },
    { name: 'tune', steps: p.tuneSteps, optimizer: { ...common, lr: p.tuneLr, minLr: Math.min(p.minLr, p.tuneLr) }, batch: (s) => tune.batch(s) },
  ], { dir: out, checkpointEvery: 1e9, fingerprint: process.argv, fresh: true,
    onStep: (r, m) => {
      const ks = r.phase === 'copy' && mix ? (r.phaseStep % 2 === 0 ? 'drill' : 'copy') : r.phase;
      (wins[ks] ??= []).push(r.loss);
      if (r.phaseStep % 50 === 0) console.log(`${r.phase} ${r.phaseStep} ${Object.entries(wins).filter(([, xs]) => xs.length).map(([k, xs]) => { const n = xs.length; return `${k} ${(xs.splice(0).reduce((a, b) => a + b, 0) / n).toFixed(3)}`; }).join(' ')} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      const ends = { copy: +copyS, lm: lmSteps, tune: p.tuneSteps } as Record<string, number>;
      if ((r.phase === 'copy' && r.phaseStep % 250 === 0) || r.phaseStep === ends[r.phase]) console.log(`  ${r.phase} ${r.phaseStep}: ${score(m)}`);
    } });
  saveCheckpoint(out, loop.model, {});
  fs.copyFileSync(path.join(baseDir, 'tokenizer.json'), path.join(out, 'tokenizer.json'));
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
})();
