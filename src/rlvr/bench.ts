/**
 * Speed of one GRPO step (for `npm run bench`): sampling promptsPerStep × k completions of a
 * fixed length from the default run's policy shape (benchPolicy: the released Base's config where
 * data/base holds one, else the default preset; random weights, no stop token), then one update on
 * them with alternating advantages. Rollouts run on the selected inference runtime
 * (src/model/ort.ts); where that is onnxruntime, they are timed on TensorFlow.js too.
 * Figures only; no assertions.
 */
import type { RlvrConfig } from './config';
import { Rng } from '../core/rng';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../core/io';
import { recipeDefaults } from '../base/config';
import { releaseDir } from '../base/release';
import { MODEL_PRESETS } from '../model/bench';
import { configFromHf } from '../model/checkpoint';
import { Llama, type LlamaConfig } from '../model/llama';
import * as tf from '@tensorflow/tfjs-core';
import { inferenceChoice, loadOrt, selectInference, useOrt, withInference } from '../model/ort';
import { withTraining } from '../model/ortTrain';
import { generate } from '../model/sample';
import { AdamW } from '../model/train';
import { grpoStep } from './grpo';

/** The policy shape the default run trains: the released Base's (base.release, default data/base) or, without a release, the default preset's. */
export function benchPolicy(release = recipeDefaults.release): { config: LlamaConfig; label: string; released: boolean } {
  const file = release ? path.join(releaseDir(release), 'config.json') : '';
  if (file && fs.existsSync(file)) return { config: configFromHf(readJson<Record<string, unknown>>(file), file), label: `the release's shape (${release})`, released: true };
  return { config: { ...MODEL_PRESETS.default.config, vocab_size: 2048 }, label: 'the default preset (no release)', released: false };
}

export interface GrpoBench {
  /** The model benched (benchPolicy). */
  config: LlamaConfig;
  policy: string;
  completions: number;
  tokens: number;
  promptTokens: number;
  sampleSeconds: number;
  sampleTokensPerSec: number;
  /** The runtime of the rollouts, and the cores it used. */
  runtime: 'tfjs' | 'onnxruntime';
  threads: number;
  /** Rollouts on TensorFlow.js, when runtime is onnxruntime. */
  sampleTokensPerSecTfjs?: number;
  trainSeconds: number;
  trainTokensPerSec: number;
  /** The update with the gradients on onnxruntime (trainRuntime auto: the default where it loads). */
  trainTokensPerSecOrt?: number;
}

/** Rollouts tokens/s of the GRPO bench's shape on onnxruntime with `threads` threads (the bench's "use both cores" rows). */
export function benchRolloutsThreads(c: RlvrConfig, threads: number, promptTokens = 100): number {
  const model = new Llama(benchPolicy().config, 1);
  const prev = inferenceChoice();
  try {
    selectInference('onnxruntime', threads);
    const rng = new Rng(1);
    const n = c.promptsPerStep * c.k;
    const prompts = Array.from({ length: n }, () => Array.from({ length: promptTokens }, () => 10 + rng.int(1000)));
    generate(model, prompts.slice(0, 2), new Rng(0), { maxNewTokens: 2 }); // warm-up
    return (n * c.maxNewTokens) / seconds(() => generate(model, prompts, rng, { maxNewTokens: c.maxNewTokens, temperature: c.temperature, entropy: true }));
  } finally {
    selectInference(prev.preference, prev.threads);
    model.dispose();
  }
}

export async function benchGrpo(c: RlvrConfig, promptTokens = 100): Promise<GrpoBench> {
  const policy = benchPolicy();
  const model = new Llama(policy.config, 1);
  const rng = new Rng(1);
  const n = c.promptsPerStep * c.k;
  const T = c.maxNewTokens;
  const prompts = Array.from({ length: n }, () => Array.from({ length: promptTokens }, () => 10 + rng.int(1000)));
  const runtime = useOrt() ? 'onnxruntime' : 'tfjs';
  const rollouts = (r: Rng) => generate(model, prompts, r, { maxNewTokens: T, temperature: c.temperature, entropy: true });
  generate(model, prompts.slice(0, 2), new Rng(0), { maxNewTokens: 2 }); // warm-up (the runtime's session), as the PyTorch reference does
  const snapshot = new Map([...model.params].map(([n, v]) => [n, tf.clone(v)]));
  const t0 = performance.now();
  const g = rollouts(rng);
  const t1 = performance.now();
  update(model, prompts, g.tokens, c);
  const t2 = performance.now();
  // The same update with the gradients on onnxruntime (trainRuntime auto: the default where it loads), from the same weights.
  const native = () => {
    update(model, prompts.slice(0, 2), g.tokens.slice(0, 2), c, snapshot); // warm-up (the session)
    return seconds(() => update(model, prompts, g.tokens, c, snapshot));
  };
  const nativeSeconds = loadOrt() ? await withTraining('onnxruntime', native) : undefined;
  const tfjsSeconds = runtime === 'onnxruntime' ? await withInference('tfjs', () => seconds(() => rollouts(new Rng(1)))) : undefined;
  tf.dispose([...snapshot.values()]);
  model.dispose();
  const s = (t1 - t0) / 1000;
  const u = (t2 - t1) / 1000;
  return {
    config: policy.config,
    policy: policy.label,
    completions: n,
    tokens: T,
    promptTokens,
    sampleSeconds: s,
    sampleTokensPerSec: (n * T) / s,
    runtime,
    threads: runtime === 'onnxruntime' ? inferenceChoice().threads : 1,
    sampleTokensPerSecTfjs: tfjsSeconds === undefined ? undefined : (n * T) / tfjsSeconds,
    trainSeconds: u,
    trainTokensPerSec: (n * (T + promptTokens)) / u,
    trainTokensPerSecOrt: nativeSeconds === undefined ? undefined : (n * (T + promptTokens)) / nativeSeconds,
  };
}

/** One GRPO update on the completions with alternating advantages (from `from`'s weights when given). */
function update(model: Llama, prompts: number[][], completions: number[][], c: RlvrConfig, from?: Map<string, tf.Tensor>): void {
  if (from) for (const [n, v] of model.params) v.assign(from.get(n) as tf.Tensor);
  const opt = new AdamW({ lr: c.lr, warmupSteps: 1 });
  grpoStep(
    model,
    opt,
    prompts.map((p, i) => ({ prompt: p, completion: completions[i], adv: i % 2 ? 0.5 : -0.5 })),
    { norm: c.lossNorm, maxNewTokens: c.maxNewTokens, clip: { low: c.clipLow, high: c.clipHigh }, klCoef: 0, updatesPerBatch: 1, microBatch: c.microBatch, pad: 0 },
  );
  opt.dispose();
}

function seconds(f: () => unknown): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}
