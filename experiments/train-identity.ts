/**
 * Fingerprint of the default training path: 20 AdamW steps of the default preset on wasm (fixed
 * seeds, two micro-batches per step, a loss mask), printing the losses and gradient norms, the
 * sha256 of the weights and moments, and of the saved model.safetensors. Run it in two checkouts
 * to show that a change left the training bytes alone:
 *   node -r tsx/cjs experiments/train-identity.ts [ROOT]     (ROOT: a checkout, default this one)
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const { selectBackend } = require(`${root}/src/model/backend`);
const { MODEL_PRESETS } = require(`${root}/src/model/bench`);
const { Llama } = require(`${root}/src/model/llama`);
const { AdamW, trainStep } = require(`${root}/src/model/train`);
const { Rng } = require(`${root}/src/core/rng`);
const { saveCheckpoint } = require(`${root}/src/model/checkpoint`);

type Var = { dataSync(): Float32Array };

async function main(): Promise<void> {
  await selectBackend('wasm');
  const c = MODEL_PRESETS.default.config;
  const m = new Llama(c, 7);
  const opt = new AdamW({ warmupSteps: 5, totalSteps: 100 });
  const rng = new Rng('ident');
  const signal: number[] = [];
  for (let s = 0; s < 20; s++) {
    const ids = Array.from({ length: 8 }, () => Array.from({ length: 128 }, () => rng.int(c.vocab_size)));
    const lossMask = ids.map((r, b) => r.map((_, t) => (t < b ? 0 : 1)));
    const r = trainStep(m, opt, [{ inputIds: ids.slice(0, 4), lossMask: lossMask.slice(0, 4) }, { inputIds: ids.slice(4), lossMask: lossMask.slice(4) }]);
    signal.push(r.loss, r.gradNorm);
  }
  const h = crypto.createHash('sha256');
  for (const [n, v] of m.params as Map<string, Var>) h.update(n).update(Buffer.from(v.dataSync().buffer));
  for (const v of [...(opt.m as Map<string, Var>).values(), ...(opt.v as Map<string, Var>).values()]) h.update(Buffer.from(v.dataSync().buffer));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-identity-'));
  try {
    saveCheckpoint(dir, m, { step: 20 });
    const st = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'model.safetensors'))).digest('hex');
    console.log(`root ${root}`);
    console.log(`first losses ${signal.filter((_, i) => i % 2 === 0).slice(0, 5).join(', ')}`);
    console.log(`losses and grad norms sha256 ${crypto.createHash('sha256').update(JSON.stringify(signal)).digest('hex')}`);
    console.log(`weights and moments sha256 ${h.digest('hex')}`);
    console.log(`model.safetensors sha256 ${st}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
