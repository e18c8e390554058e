/**
 * The tensorflow backend (@tensorflow/tfjs-node-gpu or -node, optional: their install downloads
 * libtensorflow) runs a training step and matches cpu. Where neither is installed the tests are
 * reported as skipped, with the reason in their name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/model/backend';
import { Batch, Llama } from '../../src/model/llama';
import { AdamW, StepResult, trainStep } from '../../src/model/train';

const cfg = { vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 };
const batch: Batch = { inputIds: [[1, 4, 9, 16, 25, 3, 8], [2, 7, 7, 1, 30, 31, 5]], lossMask: [[0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1]] };

function step(): { r: StepResult; w: Float32Array[]; backend: string } {
  const m = new Llama(cfg, 3);
  const o = new AdamW({ warmupSteps: 1 });
  const r = trainStep(m, o, batch);
  const w = [...m.params.values()].map((v) => Float32Array.from(v.dataSync() as Float32Array));
  const backend = tf.getBackend();
  o.dispose();
  m.dispose();
  return { r, w, backend };
}

describe('tensorflow backend', async () => {
  await selectBackend('cpu');
  const cpu = step();
  const choice = await selectBackend('tensorflow');
  const ok = choice.name === 'tensorflow';
  const notRun = ok ? '' : ` (not run: ${choice.attempts[0].reason})`;
  const tfr = ok ? step() : undefined;
  await selectBackend('cpu');

  it.skipIf(!ok)(`trainStep on tensorflow (native libtensorflow) matches cpu: loss, grad norm, weights${notRun}`, () => {
    const t = tfr as ReturnType<typeof step>;
    expect(t.backend).toBe('tensorflow');
    expect(Math.abs(t.r.loss - cpu.r.loss) / cpu.r.loss).toBeLessThan(1e-5);
    expect(Math.abs(t.r.gradNorm - cpu.r.gradNorm) / cpu.r.gradNorm).toBeLessThan(1e-4);
    let d = 0;
    t.w.forEach((a, i) => a.forEach((v, j) => (d = Math.max(d, Math.abs(v - cpu.w[i][j])))));
    expect(d).toBeLessThan(1e-4);
  });
});
