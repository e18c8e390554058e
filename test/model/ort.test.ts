/**
 * The optional native inference runtime (onnxruntime-node, src/model/ort.ts) and the ONNX writer
 * it is fed by (src/model/onnx.ts, onnxLlama.ts). The writer and the selection rules are tested
 * everywhere; where onnxruntime-node is not installed the runtime's tests are reported as skipped,
 * with the reason in their name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Llama } from '../../src/model/llama';
import { OnnxGraph } from '../../src/model/onnx';
import { llamaOnnx } from '../../src/model/onnxLlama';
import { OrtDecoder, disposeOrtSessions, inferenceChoice, loadOrt, ortLoadError, selectInference, useOrt } from '../../src/model/ort';
import { runSync } from '../../src/model/reads';
import { leftPad } from '../../src/model/sample';
import { llamaDecodeOnnx } from '../../src/model/onnxLlama';
import { positionIds } from '../../src/model/llama';
import { generate } from '../../src/model/sample';
import { AdamW, trainStep } from '../../src/model/train';
import { useBackend } from './helpers';

const tiny = { vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 };
const prompts = [[3, 9, 27, 17], [5, 6], [1, 2, 3, 4, 5, 6, 7]];

/** generate on tfjs and on onnxruntime with the same rng seed. */
function both(m: Llama, seed: string, o: Parameters<typeof generate>[3]) {
  selectInference('tfjs');
  const a = generate(m, prompts, new Rng(seed), o);
  selectInference('onnxruntime');
  const b = generate(m, prompts, new Rng(seed), o);
  return { a, b };
}

function maxAbs(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i][j]))));
}

describe('OnnxGraph', () => {
  it('toModel() writes a ModelProto: ir_version 8 first, negative ints as 10-byte varints', () => {
    const g = new OnnxGraph('t');
    const x = g.input('x', 'float', ['B', 4]);
    g.output(g.node('Reshape', [x, g.ints([-1, 2])]), 'y', 'float', ['N', 2]);
    const bytes = g.toModel();
    expect([...bytes.slice(0, 2)]).toEqual([0x08, 0x08]); // field 1 (varint) = 8
    const raw = Buffer.from(bytes);
    expect(raw.includes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(true); // -1 as int64 raw data
    expect(raw.includes(Buffer.from('Reshape'))).toBe(true);
  });

  it('llamaOnnx(config) names every Hugging Face parameter as a graph input', () => {
    const raw = Buffer.from(llamaOnnx({ ...new Llama(tiny, 0).config }));
    for (const n of ['model.embed_tokens.weight', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight', 'past_key.1', 'present_value.0', 'logits']) expect(raw.includes(Buffer.from(n))).toBe(true);
    const step = Buffer.from(llamaDecodeOnnx({ ...new Llama(tiny, 0).config }));
    for (const n of ['model.layers.1.self_attn.q_proj.weight', 'cache_key.1', 'cache_value.0', 'new_key.1', 'new_value.0', 'logits']) expect(step.includes(Buffer.from(n))).toBe(true);
  });
});

describe('selectInference', () => {
  afterAll(() => void selectInference('auto'));

  it('selectInference("tfjs") keeps sampling on TensorFlow.js; unknown names and bad thread counts are errors', () => {
    expect(selectInference('tfjs').runtime).toBe('tfjs');
    expect(useOrt()).toBe(false);
    expect(() => selectInference('native')).toThrow(/unknown inference runtime "native"/);
    expect(() => selectInference('auto', 0)).toThrow(/positive integer/);
  });

  it('selectInference("auto") uses onnxruntime exactly when it loads, and says why', () => {
    const c = selectInference('auto');
    expect(c.runtime).toBe(loadOrt() ? 'onnxruntime' : 'tfjs');
    expect(c.reason).toMatch(loadOrt() ? /onnxruntime-node \d/ : /not installed|failed to load/);
    if (!loadOrt()) expect(() => selectInference('onnxruntime')).toThrow(/inference onnxruntime requested: onnxruntime-node/);
  });
});

const ok = Boolean(loadOrt());
const notRun = ok ? '' : ` (not run: ${ortLoadError()})`;

describe('onnxruntime inference', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(() => {
    selectInference('auto');
    disposeOrtSessions();
  });

  it.skipIf(!ok)(`generate() on onnxruntime gives tfjs's greedy tokens, logprobs within 1e-5${notRun}`, () => {
    const m = new Llama(tiny, 1);
    const { a, b } = both(m, 'g', { greedy: true, maxNewTokens: 20, entropy: true });
    expect(inferenceChoice().runtime).toBe('onnxruntime');
    expect(b.tokens).toEqual(a.tokens);
    expect(maxAbs(b.logprobs, a.logprobs)).toBeLessThan(1e-5);
    expect(maxAbs(b.entropies as number[][], a.entropies as number[][])).toBeLessThan(1e-5);
    m.dispose();
  });

  it.skipIf(!ok)(`generate() on onnxruntime samples the same tokens for the same seed, stops rows at a stop token${notRun}`, () => {
    const m = new Llama(tiny, 2);
    const { a, b } = both(m, 's', { maxNewTokens: 16, temperature: 1.1, topK: 20, stopTokenIds: [7, 11] });
    expect(b.tokens).toEqual(a.tokens);
    expect(b.finishReasons).toEqual(a.finishReasons);
    m.dispose();
  });

  it.skipIf(!ok)(`the decoding step's cache grows past its starting capacity: the logits of a roomy cache and of TensorFlow.js${notRun}`, () => {
    const m = new Llama(tiny, 4);
    selectInference('onnxruntime');
    const steps = 10;
    const decodeAll = (capacity: number) => {
      const { ids, mask } = leftPad(prompts, 0);
      const d = runSync(OrtDecoder.create(m), 'test');
      const out = [Array.from(d.start(ids, mask, positionIds(mask), capacity))];
      for (let s = 0; s < steps; s++) {
        const next = prompts.map((_, b) => (5 * s + b) % tiny.vocab_size);
        ids.forEach((r, b) => r.push(next[b]));
        mask.forEach((r) => r.push(1));
        out.push(Array.from(d.next(next, mask)));
      }
      d.dispose();
      return { out, ids, mask };
    };
    const tight = decodeAll(1); // 8 positions at first (the prompt + 1): grows to 16, then 32
    const roomy = decodeAll(64);
    expect(maxAbs(tight.out, roomy.out)).toBeLessThan(1e-5);
    // TensorFlow.js, no cache: every position's logits of the whole sequence; the last of each step's prefix
    const logits = m.forward(tight.ids, tight.mask);
    const full = logits.arraySync();
    logits.dispose();
    const T0 = Math.max(...prompts.map((p) => p.length));
    const ref = Array.from({ length: steps + 1 }, (_, s) => prompts.flatMap((_, b) => full[b][T0 - 1 + s]));
    expect(maxAbs(tight.out, ref)).toBeLessThan(1e-4);
    m.dispose();
  });

  it.skipIf(!ok)(`onnxruntime sees the weights of the latest training step and leaks no tensors${notRun}`, () => {
    const m = new Llama(tiny, 3);
    const opt = new AdamW({ lr: 3e-2, warmupSteps: 1 });
    both(m, 'w', { greedy: true, maxNewTokens: 4 }); // burn-in
    const n0 = tf.memory().numTensors;
    const before = both(m, 'w', { greedy: true, maxNewTokens: 12 });
    for (let i = 0; i < 3; i++) trainStep(m, opt, { inputIds: [[1, 2, 3, 4, 5, 6, 7, 8]] });
    const after = both(m, 'w', { greedy: true, maxNewTokens: 12 });
    expect(after.b.tokens).toEqual(after.a.tokens);
    expect(after.a.logprobs).not.toEqual(before.a.logprobs);
    expect(tf.memory().numTensors).toBe(n0 + 2 * m.params.size); // the optimiser's moments, created by the first step
    opt.dispose();
    m.dispose();
  });
});
