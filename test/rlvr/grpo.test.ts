import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Llama } from '../../src/model/llama';
import { generate } from '../../src/model/sample';
import { AdamW, accumulateLossGradients } from '../../src/model/train';
import { LOSS_NORMS, grpoLossValue, tokenWeights } from '../../src/rlvr/advantage';
import { GrpoSample, completionLayout, completionLogProbs, grpoLoss, grpoStep, sequenceLogProbs } from '../../src/rlvr/grpo';
import { maxRelDiff, useBackend, values } from '../model/helpers';

const cfg = { vocab_size: 23, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 32 };
const PAD = 0;
const STOP = 22;

/** Three prompts of different lengths, two sampled completions each. */
function sampled(model: Llama): GrpoSample[] {
  const prompts = [[1, 2, 3], [4, 5], [6, 7, 8, 9]];
  const rows = prompts.flatMap((p) => [p, p]);
  const g = generate(model, rows, new Rng(3), { maxNewTokens: 6, stopTokenIds: [STOP], padTokenId: PAD });
  const adv = [0.5, -0.5, 1, -1, 0.25, -0.25];
  return rows.map((prompt, i) => ({ prompt, completion: g.tokens[i], adv: adv[i], old: g.logprobs[i] }));
}

describe('grpo', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('completionLayout() left-pads prompts and right-pads completions; targets are the completion tokens', () => {
    const l = completionLayout([{ prompt: [1, 2, 3], completion: [7, 8] }, { prompt: [4], completion: [9, 10, 11] }], PAD);
    expect(l.P).toBe(3);
    expect(l.L).toBe(3);
    // P + L − 1 columns: the last completion position is never an input
    expect(l.ids).toEqual([[1, 2, 3, 7, 8], [PAD, PAD, 4, 9, 10]]);
    expect(l.mask).toEqual([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]);
    const m = completionLayout([{ prompt: [1, 2], completion: [7] }, { prompt: [4], completion: [9, 10, 11] }], PAD);
    expect(m.ids).toEqual([[1, 2, 7, PAD], [PAD, 4, 9, 10]]);
    expect(m.mask).toEqual([[1, 1, 1, 0], [0, 1, 1, 1]]);
    expect(l.targets).toEqual([7, 8, PAD, 9, 10, 11]);
    expect(l.lengths).toEqual([2, 3]);
  });

  it("completionLogProbs() equals the sampler's logprobs and tokenLogProbs of the unpadded sequence", () => {
    const m = new Llama(cfg, 1);
    const s = sampled(m);
    const lp = sequenceLogProbs(m, s, PAD);
    s.forEach((x, i) => {
      expect(maxRelDiff(lp[i], x.old as number[], 1e-2)).toBeLessThan(1e-4);
      const full = m.tokenLogProbs([[...x.prompt, ...x.completion]]);
      const want = Array.from(values(full)).slice(x.prompt.length - 1);
      full.dispose();
      expect(maxRelDiff(lp[i], want, 1e-2)).toBeLessThan(1e-4);
    });
    m.dispose();
  });

  it('grpoLoss() equals grpoLossValue() for every normalisation, on-policy and with clipping and KL', () => {
    const m = new Llama(cfg, 2);
    const ref = new Llama(cfg, 3);
    const s = sampled(m);
    const logp = sequenceLogProbs(m, s, PAD);
    const refLp = sequenceLogProbs(ref, s, PAD);
    // shift old so that some ratios leave the clip range
    const withOld = s.map((x, i) => ({ ...x, old: logp[i].map((v, t) => v + (t % 2 ? 0.4 : -0.3)), ref: refLp[i] }));
    const clip = { low: 0.2, high: 0.28 };
    for (const norm of LOSS_NORMS) {
      const w = tokenWeights(s.map((x) => x.completion.length), norm, 6);
      for (const [samples, klCoef, useOld] of [[s.map((x) => ({ ...x, old: undefined })), 0, false], [withOld, 0.1, true]] as const) {
        const t = grpoLoss(m, samples, w, { clip, klCoef }, PAD);
        const want = grpoLossValue(samples.map((x, i) => ({ logp: logp[i], old: useOld ? x.old : undefined, ref: refLp[i], adv: x.adv })), { norm, maxNewTokens: 6, clip, klCoef });
        expect(t.dataSync()[0]).toBeCloseTo(want, 4);
        t.dispose();
      }
    }
    m.dispose();
    ref.dispose();
  });

  it('the on-policy loss (Eq. 3) and the ratio loss at ρ = 1 have the same gradient', () => {
    const m = new Llama(cfg, 4);
    const s = sampled(m);
    const logp = sequenceLogProbs(m, s, PAD);
    const w = tokenWeights(s.map((x) => x.completion.length), 'sequence', 6);
    const o = { clip: { low: 0.2, high: 0.2 }, klCoef: 0 };
    const a = accumulateLossGradients(m, [() => grpoLoss(m, s.map((x) => ({ ...x, old: undefined })), w, o, PAD)]);
    const b = accumulateLossGradients(m, [() => grpoLoss(m, s.map((x, i) => ({ ...x, old: logp[i] })), w, o, PAD)]);
    for (const name of ['model.layers.0.mlp.up_proj.weight', 'model.embed_tokens.weight', 'model.norm.weight'])
      expect(maxRelDiff(values(a.grads.get(name)!), values(b.grads.get(name)!), 1e-3)).toBeLessThan(1e-3);
    tf.dispose([a.loss, b.loss, ...a.grads.values(), ...b.grads.values()]);
    m.dispose();
  });

  it('grpoStep() makes positive-advantage completions likelier and negative ones less likely, without leaking tensors', () => {
    const m = new Llama(cfg, 5);
    const opt = new AdamW({ lr: 1e-2, warmupSteps: 1, weightDecay: 0 });
    const s = sampled(m);
    const o = { norm: 'sequence' as const, maxNewTokens: 6, clip: { low: 0.2, high: 0.2 }, klCoef: 0, updatesPerBatch: 1, microBatch: 4, pad: PAD };
    const before = sequenceLogProbs(m, s, PAD).map((l) => l.reduce((a, b) => a + b, 0));
    grpoStep(m, opt, s, o); // burn-in creates the moments
    const n0 = tf.memory().numTensors;
    const r = grpoStep(m, opt, s, { ...o, updatesPerBatch: 2 });
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.updates).toBe(2);
    expect(opt.step).toBe(3);
    const after = sequenceLogProbs(m, s, PAD).map((l) => l.reduce((a, b) => a + b, 0));
    s.forEach((x, i) => {
      if (x.adv > 0) expect(after[i]).toBeGreaterThan(before[i]);
      else expect(after[i]).toBeLessThan(before[i]);
    });
    // no signal, no update: every advantage 0
    const z = grpoStep(m, opt, s.map((x) => ({ ...x, adv: 0 })), o);
    expect(z).toMatchObject({ updates: 0, loss: 0, gradNorm: 0 });
    expect(opt.step).toBe(3);
    opt.dispose();
    m.dispose();
  });

  it('grpoStep() does not depend on the micro-batch size (beyond float rounding)', () => {
    const run = (microBatch: number) => {
      const m = new Llama(cfg, 6);
      const opt = new AdamW({ lr: 1e-2, warmupSteps: 1 });
      const s = sampled(m);
      grpoStep(m, opt, s, { norm: 'token', maxNewTokens: 6, clip: { low: 0.2, high: 0.2 }, klCoef: 0, updatesPerBatch: 1, microBatch, pad: PAD });
      const w = values(m.param('model.layers.0.self_attn.q_proj.weight'));
      opt.dispose();
      m.dispose();
      return w;
    };
    expect(maxRelDiff(run(1), run(6), 1e-2)).toBeLessThan(1e-4);
  });
});
