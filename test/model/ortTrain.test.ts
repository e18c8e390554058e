/**
 * Training on onnxruntime (the default where it loads: trainRuntime auto; src/model/ortTrain.ts, onnxTrain.ts): the hand-written
 * gradient graph against TensorFlow.js autodiff, a few AdamW steps, and the GRPO update. Where
 * onnxruntime-node is not installed these tests are reported as skipped, with the reason in
 * their name; the selection rules are tested everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Batch, Llama, LlamaConfig } from '../../src/model/llama';
import { disposeOrtSessions, loadOrt, ortLoadError } from '../../src/model/ort';
import { selectTraining, trainingChoice, trainingRuntime } from '../../src/model/ortTrain';
import { withWorkers } from '../../src/model/workers';
import { AdamW, accumulateGradients, trainStep } from '../../src/model/train';
import { GrpoSample, grpoStep } from '../../src/rlvr/grpo';
import { scaledDiff, useBackend, values } from './helpers';

const tiny: Partial<LlamaConfig> & { vocab_size: number } = { vocab_size: 48, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, initializer_range: 0.2 };

function batches(rng: Rng): Batch[] {
  const ids = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => rng.int(48)));
  const attentionMask = ids.map((r, b) => r.map((_, t) => (b === 1 && t < 3 ? 0 : 1))); // a left-padded row
  const lossMask = ids.map((r, b) => r.map((_, t) => (t < 4 ? 0 : b === 2 ? 2 : 1))); // prompt tokens off, one row weighted 2
  return [0, 2].map((i) => ({ inputIds: ids.slice(i, i + 2), attentionMask: attentionMask.slice(i, i + 2), lossMask: lossMask.slice(i, i + 2) }));
}

/** `f` with the training runtime set to `runtime`, back to tfjs afterwards. */
function on<T>(runtime: 'tfjs' | 'onnxruntime', f: () => T): T {
  selectTraining(runtime);
  try {
    return f();
  } finally {
    selectTraining('tfjs');
  }
}

describe('selectTraining', () => {
  it('selectTraining() defaults to auto: native where onnxruntime loads on a CPU backend and no gradient workers are asked for, else tfjs; unknown names are errors; onnxruntime needs the package', async () => {
    await useBackend('wasm');
    const env = process.env.FLEMING_TRAIN_RUNTIME;
    delete process.env.FLEMING_TRAIN_RUNTIME;
    try {
      expect(selectTraining()).toBe('auto');
      expect(trainingChoice()).toBe('auto');
      expect(trainingRuntime()).toBe(loadOrt() ? 'onnxruntime' : 'tfjs');
      await withWorkers(2, () => expect(trainingRuntime()).toBe('tfjs'));
      expect(selectTraining('')).toBe('auto');
      expect(selectTraining('tfjs')).toBe('tfjs');
      expect(trainingRuntime()).toBe('tfjs');
      expect(() => selectTraining('native')).toThrow(/unknown training runtime "native" \(choose auto, tfjs, onnxruntime\)/);
      if (!loadOrt()) expect(() => selectTraining('onnxruntime')).toThrow(/trainRuntime onnxruntime: onnxruntime-node is not installed/);
    } finally {
      if (env !== undefined) process.env.FLEMING_TRAIN_RUNTIME = env;
      selectTraining('tfjs');
    }
  });
});

const ok = Boolean(loadOrt());
const notRun = ok ? '' : ` (not run: ${ortLoadError()})`;

describe('training on onnxruntime', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => {
    selectTraining('tfjs');
    disposeOrtSessions();
  });

  for (const tie of [true, false])
    it.skipIf(!ok)(`accumulateGradients on onnxruntime matches autodiff (${tie ? 'tied' : 'untied'} lm_head, padding, weighted loss mask, 2 micro-batches)${notRun}`, () => {
      const m = new Llama({ ...tiny, tie_word_embeddings: tie }, 1);
      const micro = batches(new Rng('g'));
      const a = accumulateGradients(m, micro);
      const b = on('onnxruntime', () => accumulateGradients(m, micro));
      expect(b.tokens).toBe(a.tokens);
      expect(Math.abs(b.loss.dataSync()[0] - a.loss.dataSync()[0]) / a.loss.dataSync()[0]).toBeLessThan(1e-5);
      expect([...b.grads.keys()]).toEqual([...a.grads.keys()]);
      for (const [name, g] of a.grads) expect(scaledDiff(values(b.grads.get(name) as tf.Tensor), values(g)), name).toBeLessThan(1e-4);
      tf.dispose([a.loss, b.loss, ...a.grads.values(), ...b.grads.values()]);
      m.dispose();
    });

  it.skipIf(!ok)(`trainStep on onnxruntime follows the tfjs steps (losses, grad norms, weights after 3 AdamW steps) and leaks no tensors${notRun}`, () => {
    const run = (runtime: 'tfjs' | 'onnxruntime') =>
      on(runtime, () => {
        const m = new Llama(tiny, 2);
        const opt = new AdamW({ lr: 1e-2, warmupSteps: 1 });
        const rng = new Rng('steps');
        trainStep(m, opt, batches(rng)); // burn-in: moments created
        const n0 = tf.memory().numTensors;
        const r = [0, 1, 2].map(() => trainStep(m, opt, batches(rng)));
        const leaked = tf.memory().numTensors - n0;
        const w = [...m.params.values()].map(values);
        opt.dispose();
        m.dispose();
        return { r, w, leaked };
      });
    const [a, b] = [run('tfjs'), run('onnxruntime')];
    expect(b.leaked).toBe(0);
    b.r.forEach((s, i) => {
      expect(Math.abs(s.loss - a.r[i].loss) / a.r[i].loss).toBeLessThan(1e-4);
      expect(Math.abs(s.gradNorm - a.r[i].gradNorm) / a.r[i].gradNorm).toBeLessThan(1e-3);
    });
    b.w.forEach((w, i) => expect(scaledDiff(w, a.w[i])).toBeLessThan(1e-4));
  });

  it.skipIf(!ok)(`grpoStep on onnxruntime (on-policy, no KL) gives the tfjs update${notRun}`, () => {
    const rng = new Rng('grpo');
    const samples: GrpoSample[] = Array.from({ length: 6 }, (_, j) => ({
      prompt: Array.from({ length: 3 + (j % 3) }, () => rng.int(48)),
      completion: Array.from({ length: 2 + (j % 4) }, () => rng.int(48)),
      adv: [0.5, -0.5, 1, 0, -1, 0.25][j],
    }));
    const o = { norm: 'sequence' as const, maxNewTokens: 8, clip: { low: 0.2, high: 0.2 }, klCoef: 0, updatesPerBatch: 1, microBatch: 4, pad: 0 };
    const run = (runtime: 'tfjs' | 'onnxruntime') =>
      on(runtime, () => {
        const m = new Llama(tiny, 3);
        // A first Adam step is lr·g/(|g| + eps): a large eps keeps near-zero gradients from turning float rounding into ±lr.
        const opt = new AdamW({ lr: 1e-2, warmupSteps: 1, eps: 1e-3 });
        const r = grpoStep(m, opt, samples, o);
        const w = [...m.params.values()].map(values);
        opt.dispose();
        m.dispose();
        return { r, w };
      });
    const [a, b] = [run('tfjs'), run('onnxruntime')];
    expect(b.r.tokens).toBe(a.r.tokens);
    expect(Math.abs(b.r.loss - a.r.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.r.loss)));
    expect(Math.abs(b.r.gradNorm - a.r.gradNorm) / a.r.gradNorm).toBeLessThan(1e-4);
    b.w.forEach((w, i) => expect(scaledDiff(w, a.w[i])).toBeLessThan(1e-4));
  });
});
