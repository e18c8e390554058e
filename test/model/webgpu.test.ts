/**
 * The webgpu backend against the cpu backend: one SFT step, one GRPO step (src/rlvr/grpo.ts)
 * and KV-cache greedy decoding give the same numbers within the tolerances below. Runs on any
 * WebGPU adapter Dawn finds (in CI: Mesa's llvmpipe through OpenGL ES, compatibility feature
 * level); where none is found the webgpu tests are reported as skipped with the reason in their
 * name, unless FLEMING_REQUIRE_WEBGPU=1 (set by .ci/run), which turns a missing adapter into a
 * failure.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { gpuDeviceVisible, selectBackend } from '../../src/model/backend';
import { Batch, Llama, LlamaConfig } from '../../src/model/llama';
import { Generation, generate, generateAsync } from '../../src/model/sample';
import { AdamW, StepResult, trainStep, trainStepAsync } from '../../src/model/train';
import { runAsync } from '../../src/model/reads';
import { GrpoSample, GrpoStepOptions, grpoStep, grpoStepReads } from '../../src/rlvr/grpo';
import { dawnOptionSets, registerWebGPUKernels, webgpuAdapter } from '../../src/model/dawn';
import { maxRelDiff } from './helpers';

/** Tolerances, webgpu vs cpu (float32 on both; reductions run in another order on the GPU). */
const TOL = {
  loss: 1e-5, // relative
  gradNorm: 1e-4, // relative
  // max |Δ| after one AdamW step at lr 3e-3. Adam's first step moves each weight by ≈ lr·g/(|g| + eps),
  // so gradients near eps (1e-8) turn float noise into visible differences (7e-6 seen on llvmpipe);
  // a wrong or missing update moves a weight by ~lr = 3e-3.
  weights: 1e-4,
  logprob: 1e-4, // max |Δ| of sampled-token log-probabilities
};

const cfg: Partial<LlamaConfig> & { vocab_size: number } = {
  vocab_size: 48,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2, // grouped-query attention
  max_position_embeddings: 64,
};

/** SFT batch: prompt tokens masked out of the loss, right padding in row 2. */
const sft: Batch = {
  inputIds: [
    [1, 5, 9, 3, 7, 2, 11, 12, 40, 41],
    [4, 4, 8, 1, 0, 6, 30, 31, 0, 0],
  ],
  attentionMask: [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
  ],
  lossMask: [
    [0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 0, 0, 1, 1, 1, 1, 0, 0],
  ],
};

/** GRPO rollouts: one prompt, a group of 4 completions (right-padded), rewards → advantages r − mean(r). */
const grpo = {
  ids: [
    [2, 7, 7, 13, 20, 21, 22, 47],
    [2, 7, 7, 13, 25, 26, 47, 0],
    [2, 7, 7, 13, 20, 29, 30, 31],
    [2, 7, 7, 13, 44, 47, 0, 0],
  ],
  mask: [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 0, 0],
  ],
  promptLen: 4,
  rewards: [1, 0, 0, 1],
};

/** The group as the rlvr GRPO step takes it: prompt, completion (mask = 1 after the prompt), A_b = r_b − mean(r). */
const grpoSamples: GrpoSample[] = (() => {
  const mean = grpo.rewards.reduce((a, b) => a + b, 0) / grpo.rewards.length;
  return grpo.ids.map((row, b) => ({
    prompt: row.slice(0, grpo.promptLen),
    completion: row.slice(grpo.promptLen).filter((_, t) => grpo.mask[b][grpo.promptLen + t] === 1),
    adv: grpo.rewards[b] - mean,
  }));
})();
/** The paper's Eq. 3 loss (sequence-level), two micro-batches of two completions (gradients accumulated). */
const grpoOptions: GrpoStepOptions = { norm: 'sequence', maxNewTokens: 4, clip: { low: 0.2, high: 0.2 }, klCoef: 0, updatesPerBatch: 1, microBatch: 2, pad: 0 };

interface Run {
  sft: StepResult;
  sftWeights: Float32Array[];
  grpo: StepResult;
  grpoWeights: Float32Array[];
  greedy: Generation;
  sampled: Generation;
  /** numTensors growth over a second SFT step, GRPO step and generation (after burn-in). */
  leaked: number;
}

async function weights(m: Llama): Promise<Float32Array[]> {
  return Promise.all([...m.params.values()].map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

/** The same work on the active backend; `async` picks the *Async forms. */
async function runAll(async: boolean): Promise<Run> {
  const step = (m: Llama, o: AdamW, b: Batch) => (async ? trainStepAsync(m, o, b) : Promise.resolve(trainStep(m, o, b)));
  const pg = (m: Llama, o: AdamW) => (async ? runAsync(grpoStepReads(m, o, grpoSamples, grpoOptions)) : Promise.resolve(grpoStep(m, o, grpoSamples, grpoOptions)));
  const gen = (m: Llama, rng: Rng, o: object) => (async ? generateAsync(m, [[1, 2, 3], [4, 5], [9]], rng, { maxNewTokens: 6, ...o }) : Promise.resolve(generate(m, [[1, 2, 3], [4, 5], [9]], rng, { maxNewTokens: 6, ...o })));

  const m1 = new Llama(cfg, 7);
  const o1 = new AdamW({ warmupSteps: 1, lr: 3e-3 });
  const sftR = await step(m1, o1, sft);
  const sftW = await weights(m1);
  const greedy = await gen(m1, new Rng(0), { greedy: true });
  const sampled = await gen(m1, new Rng(5), { temperature: 1, topK: 8 });
  const before = tf.memory().numTensors;
  await step(m1, o1, sft);
  await gen(m1, new Rng(0), { greedy: true });
  const leakedSft = tf.memory().numTensors - before;
  o1.dispose();
  m1.dispose();

  const m2 = new Llama(cfg, 11);
  const o2 = new AdamW({ warmupSteps: 1, lr: 3e-3 });
  const grpoR = await pg(m2, o2);
  const grpoW = await weights(m2);
  const before2 = tf.memory().numTensors;
  await pg(m2, o2);
  const leaked = leakedSft + tf.memory().numTensors - before2;
  o2.dispose();
  m2.dispose();
  return { sft: sftR, sftWeights: sftW, grpo: grpoR, grpoWeights: grpoW, greedy, sampled, leaked };
}

function maxAbs(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

describe('webgpu', async () => {
  // Reference on cpu first, then the probe (it switches backends).
  await selectBackend('cpu');
  const cpu = await runAll(false);
  const cpuAsync = await runAll(true);
  const probe = await (async (): Promise<{ ok: boolean; reason: string }> => {
    const c = await selectBackend('webgpu').catch((e: Error) => ({ name: 'none', reason: e.message }));
    if (c.name === 'webgpu') return { ok: true, reason: c.reason };
    return { ok: false, reason: `no WebGPU adapter here: ${c.reason.replace(/^requested webgpu was unavailable; /, '')}` };
  })();
  const required = process.env.FLEMING_REQUIRE_WEBGPU === '1';
  const notRun = probe.ok ? '' : ` (not run: ${probe.reason.split(';')[0]})`;
  const gpu = probe.ok ? await runAll(true) : undefined;

  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('trainStepAsync / the GRPO step (async reads) / generateAsync give bit-identical results to the sync forms on cpu', () => {
    expect(cpuAsync.sft).toEqual(cpu.sft);
    expect(cpuAsync.grpo).toEqual(cpu.grpo);
    expect(maxAbs(cpuAsync.sftWeights, cpu.sftWeights)).toBe(0);
    expect(maxAbs(cpuAsync.grpoWeights, cpu.grpoWeights)).toBe(0);
    expect(cpuAsync.greedy).toEqual(cpu.greedy);
    expect(cpuAsync.sampled).toEqual(cpu.sampled);
    expect(cpu.leaked).toBe(0);
    expect(cpu.grpo.loss).not.toBe(0); // the advantages are not all zero
  });

  it('dawnOptionSets() reads FLEMING_DAWN_OPTIONS (";"-separated) or falls back to default, then OpenGL ES', () => {
    expect(dawnOptionSets({})).toEqual([[], ['backend=opengles']]);
    expect(dawnOptionSets({ FLEMING_DAWN_OPTIONS: 'backend=vulkan; adapter=NVIDIA H100' })).toEqual([['backend=vulkan', 'adapter=NVIDIA H100']]);
  });

  // FLEMING_REQUIRE_WEBGPU=1 (CI) turns a missing adapter into this test's failure instead of a skip.
  it.skipIf(!probe.ok && !required)(`selectBackend('webgpu') names the adapter and registers the chunked AddN${notRun}`, () => {
    expect(probe.ok, probe.reason).toBe(true);
    expect(probe.reason).toMatch(/WebGPU through Dawn on .+ feature level/);
    expect(webgpuAdapter()).toBeDefined();
    expect(registerWebGPUKernels()).toEqual(['AddN']);
  });

  it.skipIf(!probe.ok)(`selectBackend() without a preference passes over a software adapter (or, without a GPU device node, does not wake Dawn), naming why${notRun}`, async () => {
    const saved = process.env.FLEMING_BACKEND;
    delete process.env.FLEMING_BACKEND;
    try {
      const c = await selectBackend();
      const a = c.attempts.find((x) => x.name === 'webgpu');
      if (!gpuDeviceVisible()) {
        // no GPU device node: Dawn is not even asked (a software adapter would be all it could find)
        expect(c.name).not.toBe('webgpu');
        expect(a?.reason).toMatch(/^no GPU device .*FLEMING_BACKEND=webgpu tries Dawn anyway/);
      } else if (webgpuAdapter()?.software) {
        expect(c.name).not.toBe('webgpu');
        expect(a?.reason).toMatch(/only a software adapter: .*used when requested \(FLEMING_BACKEND=webgpu\)/);
      } else expect(c.name === 'webgpu' || c.name === 'tensorflow').toBe(true);
    } finally {
      if (saved !== undefined) process.env.FLEMING_BACKEND = saved;
    }
  });

  it.skipIf(!probe.ok)(`trainStepAsync (SFT, completion-only loss mask) on webgpu matches cpu: loss, grad norm, updated weights${notRun}`, () => {
    const g = gpu as Run;
    expect(maxRelDiff([g.sft.loss], [cpu.sft.loss], 0)).toBeLessThan(TOL.loss);
    expect(maxRelDiff([g.sft.gradNorm], [cpu.sft.gradNorm], 0)).toBeLessThan(TOL.gradNorm);
    expect(g.sft.tokens).toBe(cpu.sft.tokens);
    expect(maxAbs(g.sftWeights, cpu.sftWeights)).toBeLessThan(TOL.weights);
  });

  it.skipIf(!probe.ok)(`the rlvr GRPO step (grpoStepReads, Eq. 3 loss, 2 micro-batches) on webgpu matches cpu: loss, grad norm, updated weights${notRun}`, () => {
    const g = gpu as Run;
    expect(maxRelDiff([g.grpo.loss], [cpu.grpo.loss], 0)).toBeLessThan(TOL.loss);
    expect(maxRelDiff([g.grpo.gradNorm], [cpu.grpo.gradNorm], 0)).toBeLessThan(TOL.gradNorm);
    expect(maxAbs(g.grpoWeights, cpu.grpoWeights)).toBeLessThan(TOL.weights);
  });

  it.skipIf(!probe.ok)(`generateAsync with the KV cache on webgpu gives cpu's greedy tokens and sampled tokens${notRun}`, () => {
    const g = gpu as Run;
    expect(g.greedy.tokens).toEqual(cpu.greedy.tokens);
    expect(g.sampled.tokens).toEqual(cpu.sampled.tokens);
    expect(maxAbs(g.greedy.logprobs.map((r) => Float32Array.from(r)), cpu.greedy.logprobs.map((r) => Float32Array.from(r)))).toBeLessThan(TOL.logprob);
  });

  it.skipIf(!probe.ok)(`webgpu leaks no tensors over a training step, a GRPO step and a generation; sync reads fail with a clear message${notRun}`, async () => {
    expect((gpu as Run).leaked).toBe(0);
    await selectBackend('webgpu');
    const m = new Llama(cfg, 1);
    const o = new AdamW();
    const n = tf.memory().numTensors;
    expect(() => trainStep(m, o, sft)).toThrow(/synchronous reads are unavailable on the webgpu backend; use trainStepAsync/);
    expect(() => generate(m, [[1]], new Rng(0))).toThrow(/use generateAsync/);
    expect(tf.memory().numTensors).toBe(n); // refused before any tensor was made
    o.dispose();
    m.dispose();
  });
  // Printed so a CI log shows what ran (and the figures behind the tolerances).
  if (gpu) {
    const d = {
      sftLoss: Math.abs(gpu.sft.loss - cpu.sft.loss) / Math.abs(cpu.sft.loss),
      sftGradNorm: Math.abs(gpu.sft.gradNorm - cpu.sft.gradNorm) / cpu.sft.gradNorm,
      sftWeights: maxAbs(gpu.sftWeights, cpu.sftWeights),
      grpoLoss: Math.abs(gpu.grpo.loss - cpu.grpo.loss) / Math.abs(cpu.grpo.loss),
      grpoGradNorm: Math.abs(gpu.grpo.gradNorm - cpu.grpo.gradNorm) / cpu.grpo.gradNorm,
      grpoWeights: maxAbs(gpu.grpoWeights, cpu.grpoWeights),
      greedyLogprobs: maxAbs(gpu.greedy.logprobs.map((r) => Float32Array.from(r)), cpu.greedy.logprobs.map((r) => Float32Array.from(r))),
    };
    process.stdout.write(`webgpu vs cpu on ${webgpuAdapter()?.device}: ${JSON.stringify(d)}\n`);
  }
});
