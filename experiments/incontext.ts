/**
 * Scratch probe (docs/findings.md, "Where the chain breaks"): how many optimiser steps does a fresh model of
 * a preset need before it copies from its context at all? Two synthetic tasks, no medical text:
 *   repeat  <bos> x₁ … x_L x₁ … x_L, L ∈ [8, 32] random tokens; loss on the second copy only.
 *           Chance ln 1900 ≈ 7.55; an induction head drives it towards 0.
 *   lookup  four options "letter key… ;" then "? key… ; letter", keys 1–KT random tokens; loss on
 *           the final letter only. Chance ln 4 ≈ 1.39. LAYOUT=after puts each letter after its key
 *           ("key… letter ;", query "? key… letter"): a plain induction copy.
 *   mixed   even steps a repeat batch, odd steps a lookup batch: does a copy curriculum speed up the
 *           lookup? Prints the two losses separately.
 *   node -r tsx/cjs experiments/incontext.ts repeat|lookup|mixed STEPS LR [KT] [PRESET]
 * Prints the mean loss of every 50 steps. Env LAYERS overrides the preset's depth.
 *   node -r tsx/cjs experiments/incontext.ts measure CHECKPOINT_DIR
 * Measures a trained checkpoint with the pipeline's copy probe (src/base/copy.ts) on
 * 128 repeated random sequences: the mean NLL of the first copy and of the second; a model that
 * copies from its context scores the second far below the first.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../src/model/backend';
import { trainPhases } from '../src/train';
import { Rng } from '../src/core/rng';
import { Llama } from '../src/model/llama';
import { MODEL_PRESETS } from '../src/model/bench';
import type { Batch } from '../src/model/llama';
import { loadCheckpoint } from '../src/model/checkpoint';
import { copyProbe } from '../src/base/copy';
import { padBatch } from '../src/base/data';

async function measure(dir: string): Promise<void> {
  await selectBackend(undefined);
  const { model } = loadCheckpoint(dir);
  const p = copyProbe(model, model.config.bos_token_id ?? 1, new Rng('incontext:measure'), { sequences: 128, length: 24 });
  model.dispose();
  console.log(JSON.stringify({ checkpoint: dir, firstCopyNll: p.firstCopyNll, secondCopyNll: p.secondCopyNll, chance: p.uniformNll }));
}

(async () => {
  const [task, stepsS, lrS, ktS, presetS] = process.argv.slice(2);
  if (task === 'measure') return measure(stepsS);
  if (task !== 'repeat' && task !== 'lookup' && task !== 'mixed') throw new Error('usage: incontext.ts repeat|lookup|mixed STEPS LR [KT] [PRESET]');
  await selectBackend(undefined);
  const preset = MODEL_PRESETS[(presetS ?? 'default') as keyof typeof MODEL_PRESETS];
  const V = 2048, LETTERS = [10, 11, 12, 13], SEP = 14, QUERY = 15, PAD = 0;
  const mc = { ...preset.config, vocab_size: V, ...(process.env.LAYERS ? { num_hidden_layers: +process.env.LAYERS } : {}) };
  const word = (rng: Rng) => 100 + rng.int(1900);
  const kt = +(ktS ?? 1);
  const after = process.env.LAYOUT === 'after';
  /** One example: ids and the positions whose next token is a target. */
  const example = (rng: Rng, kind: 'repeat' | 'lookup'): { ids: number[]; targets: number[] } => {
    if (kind === 'repeat') {
      const L = 8 + rng.int(25);
      const xs = Array.from({ length: L }, () => word(rng));
      const ids = [1, ...xs, ...xs];
      return { ids, targets: ids.map((_, j) => j).filter((j) => j > L + 1) };
    }
    const keys = Array.from({ length: 4 }, () => Array.from({ length: 1 + rng.int(kt) }, () => word(rng)));
    const k = rng.int(4);
    const ids = [1];
    keys.forEach((key, i) => (after ? ids.push(...key, LETTERS[i], SEP) : ids.push(LETTERS[i], ...key, SEP)));
    ids.push(QUERY, ...keys[k], ...(after ? [] : [SEP]), LETTERS[k]);
    return { ids, targets: [ids.length - 1] };
  };
  const kindAt = (s: number): 'repeat' | 'lookup' => (task === 'mixed' ? (s % 2 === 0 ? 'repeat' : 'lookup') : task);
  const batch = (s: number): Batch => {
    const kind = kindAt(s);
    const B = kind === 'repeat' ? 16 : 32;
    const rng = new Rng(`incontext:${kind}:${s}`);
    const rows = Array.from({ length: B }, () => example(rng, kind));
    return padBatch(rows.map((r) => ({ ids: r.ids, completionMask: r.ids.map((_, j) => (r.targets.includes(j) ? 1 : 0)), promptLength: r.targets[0] })), PAD);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incontext-'));
  const win: Record<string, number[]> = { repeat: [], lookup: [] };
  const t0 = Date.now();
  console.log(`${task}${task !== 'repeat' ? ` (keys 1–${kt} tokens, letter ${after ? 'after' : 'before'} its key)` : ''}: ${mc.num_hidden_layers}×${mc.hidden_size}, 16 repeat / 32 lookup examples per step, lr ${lrS}`);
  trainPhases(() => new Llama(mc, new Rng('incontext:init')), [{ name: task, steps: +stepsS, optimizer: { lr: +lrS, minLr: +lrS / 10, warmupSteps: 20, weightDecay: 0.1, clipNorm: 1 }, batch }], {
    dir,
    checkpointEvery: 1e9,
    fingerprint: process.argv,
    fresh: true,
    onStep: (r) => {
      win[kindAt(r.phaseStep - 1)].push(r.loss);
      if (r.phaseStep % 50 === 0) console.log(`step ${r.phaseStep} ${Object.entries(win).filter(([, xs]) => xs.length).map(([k, xs]) => { const n = xs.length; return `${k} ${(xs.splice(0).reduce((a, b) => a + b, 0) / n).toFixed(3)}`; }).join(' ')} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    },
  });
  fs.rmSync(dir, { recursive: true, force: true });
})();
