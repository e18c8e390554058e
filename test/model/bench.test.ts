import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MODEL_PRESETS, benchModel, flopsPerToken, profileKernels } from '../../src/model/bench';
import { Llama } from '../../src/model/llama';
import { useBackend } from './helpers';

describe('bench', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('flopsPerToken(config, T) counts 2·(matmul weights incl. lm_head) + 4·L·T·d forward, ×3 for training', () => {
    const c = MODEL_PRESETS.smoke.config; // d 64, 4 heads, 2 kv heads, I 176, 2 layers, V 512, tied
    const m = new Llama(c, 0);
    const norms = (2 * c.num_hidden_layers + 1) * c.hidden_size;
    expect(m.numParams() - norms).toBe(124928); // q,o 64·64 + k,v 64·32 + 3·64·176 per layer, + 512·64
    const f = flopsPerToken(c, 64);
    expect(f.forward).toBe(2 * 124928 + 4 * 2 * 64 * 64);
    expect(f.train).toBe(3 * f.forward);
    m.dispose();
  });

  it('MODEL_PRESETS grow from smoke to default to full to gpu', () => {
    const size = (k: keyof typeof MODEL_PRESETS) => new Llama(MODEL_PRESETS[k].config, 0);
    const [s, d] = [size('smoke'), size('default')];
    expect(s.numParams()).toBeLessThan(d.numParams());
    expect(flopsPerToken(MODEL_PRESETS.default.config, 128).train).toBeLessThan(flopsPerToken(MODEL_PRESETS.full.config, 128).train);
    expect(flopsPerToken(MODEL_PRESETS.full.config, 128).train).toBeLessThan(flopsPerToken(MODEL_PRESETS.gpu.config, 128).train);
    [s, d].forEach((m) => m.dispose());
  });

  it('benchModel(preset) reports positive speeds, FLOPs and memory for a tiny preset', async () => {
    const tiny = { ...MODEL_PRESETS.smoke, batchSize: 2, seqLen: 16 };
    const r = await benchModel(tiny, { trainSteps: 1, sampleBatch: 2, promptLen: 4, newTokens: 4 });
    expect(r.backend).toBe('wasm');
    expect(r.params).toBeGreaterThan(1e5);
    expect(r.trainTokensPerSec).toBeGreaterThan(0);
    expect(r.trainGflops).toBeCloseTo((r.trainTokensPerSec * r.flopsPerTokenTrain) / 1e9, 6);
    expect(r.sampleTokensPerSecCached).toBeGreaterThan(0);
    expect(r.sampleTokensPerSecUncached).toBeGreaterThan(0);
    expect(r.peakBytes).toBeGreaterThan(0);
    expect(r.wasmHeapMiB).toBeGreaterThan(0);
    // Where the time goes: the products dominate; every kernel is counted once (no scopes).
    const names = r.trainProfile.kernels.map((k) => k.name);
    expect(names).toContain('BatchMatMul');
    expect(names).not.toContain('unnamed scope');
    expect(r.trainProfile.kernelMs).toBeCloseTo(r.trainProfile.kernels.reduce((a, k) => a + k.ms, 0), 6);
    expect(r.sampleProfile.kernels.map((k) => k.name)).toContain('BatchMatMul');
    expect(r.sampleStepMs).toBeGreaterThan(0);
  });

  it('profileKernels(f) counts each kernel call of f by name', async () => {
    const a = tf.ones([8, 8]);
    const p = await profileKernels(() => tf.dispose([tf.matMul(a, a), tf.matMul(a, a, false, true), tf.add(a, a)]));
    expect(p.kernels.find((k) => k.name === 'BatchMatMul')?.calls).toBe(2);
    expect(p.kernels.find((k) => k.name === 'Add')?.calls).toBe(1);
    a.dispose();
  });
});
