import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { configFromHf, encodeSafetensors, hfConfig, loadCheckpoint, loadWeights, readSafetensors, saveCheckpoint, writeSafetensors } from '../../src/model/checkpoint';
import { Batch, Llama, LlamaConfig } from '../../src/model/llama';
import { AdamW, trainStep } from '../../src/model/train';
import { useBackend } from './helpers';
import { tempDir } from '../helpers/tmp';

const tiny: LlamaConfig = {
  vocab_size: 19,
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-6,
  rope_theta: 500000,
  tie_word_embeddings: false,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
};

let tmp: string;

describe('checkpoint', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    tmp = tempDir('ckpt-');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('encodeSafetensors writes u64-LE header length, a space-padded 8-aligned JSON header, raw LE F32 data', () => {
    const bytes = encodeSafetensors(new Map([['b', { shape: [2], data: Float32Array.from([1.5, -2]) }], ['a', { shape: [1, 1], data: Float32Array.from([3]) }]]), { format: 'pt' });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(header).toMatch(/ *$/);
    const h = JSON.parse(header);
    expect(h.__metadata__).toEqual({ format: 'pt' });
    expect(h.a).toEqual({ dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] });
    expect(h.b).toEqual({ dtype: 'F32', shape: [2], data_offsets: [4, 12] });
    expect(view.getFloat32(8 + n, true)).toBe(3);
    expect(view.getFloat32(8 + n + 4, true)).toBe(1.5);
    expect(bytes.length).toBe(8 + n + 12);
  });

  it('readSafetensors(writeSafetensors(x)) round-trips and decodes BF16/F16; bad files fail naming the file', () => {
    const f = path.join(tmp, 'x.safetensors');
    writeSafetensors(f, new Map([['w', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }]]));
    const r = readSafetensors(f);
    expect(Array.from(r.tensors.get('w')?.data ?? [])).toEqual([1, 2, 3, 4]);
    // hand-made BF16 (1.0 = 0x3f80) and F16 (−2.0 = 0xc000)
    const hdr = JSON.stringify({ a: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'F16', shape: [1], data_offsets: [2, 4] } }).padEnd(128, ' ');
    const buf = Buffer.alloc(8 + 128 + 4);
    buf.writeBigUInt64LE(128n, 0);
    buf.write(hdr, 8);
    buf.writeUInt16LE(0x3f80, 136);
    buf.writeUInt16LE(0xc000, 138);
    const g = path.join(tmp, 'half.safetensors');
    fs.writeFileSync(g, buf);
    const h = readSafetensors(g).tensors;
    expect(h.get('a')?.data[0]).toBe(1);
    expect(h.get('b')?.data[0]).toBe(-2);
    const bad = path.join(tmp, 'bad.safetensors');
    fs.writeFileSync(bad, Buffer.from([255, 255, 0, 0, 0, 0, 0, 0, 1]));
    expect(() => readSafetensors(bad)).toThrow(/bad\.safetensors: not a valid safetensors file: header length/);
  });

  it('hfConfig(config) has the HF LlamaConfig fields and configFromHf reads it back', () => {
    const j = hfConfig(tiny);
    expect(j).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float32', hidden_act: 'silu', rope_theta: 500000, rms_norm_eps: 1e-6, num_key_value_heads: 1, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, tie_word_embeddings: false });
    expect(configFromHf(j)).toEqual(tiny);
    expect(() => configFromHf({ ...j, model_type: 'gpt2' }, 'c.json')).toThrow(/c\.json: model_type is gpt2/);
  });

  it('saveCheckpoint writes model.safetensors with HF names and [out, in] shapes; loadWeights validates', () => {
    const m = new Llama(tiny, 1);
    const dir = path.join(tmp, 'plain');
    saveCheckpoint(dir, m);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'trainer_state.json']);
    const t = readSafetensors(path.join(dir, 'model.safetensors')).tensors;
    expect(t.get('model.layers.1.mlp.down_proj.weight')?.shape).toEqual([8, 16]);
    expect(t.get('lm_head.weight')?.shape).toEqual([19, 8]);
    const other = new Llama({ ...tiny, intermediate_size: 12 }, 2);
    expect(() => loadWeights(other, path.join(dir, 'model.safetensors'))).toThrow(/model\.layers\.0\.mlp\.gate_proj\.weight has shape \[16,8\] but the model expects \[12,8\]/);
    const tied = new Llama({ ...tiny, tie_word_embeddings: true, num_hidden_layers: 3 }, 2);
    expect(() => loadWeights(tied, path.join(dir, 'model.safetensors'))).toThrow(/missing model\.layers\.2\./);
    const back = loadCheckpoint(dir).model;
    expect(Array.from(back.param('model.layers.0.self_attn.q_proj.weight').dataSync())).toEqual(Array.from(m.param('model.layers.0.self_attn.q_proj.weight').dataSync()));
    [m, other, tied, back].forEach((x) => x.dispose());
  });

  it('training N steps equals N/2 + saveCheckpoint + loadCheckpoint (fresh objects) + N/2, bitwise on cpu', () => {
    const N = 6;
    const drawBatch = (rng: Rng): Batch => ({ inputIds: Array.from({ length: 2 }, () => Array.from({ length: 7 }, () => rng.int(19))), lossMask: [[0, 0, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1, 1]] });
    const optCfg = { lr: 5e-3, warmupSteps: 2, totalSteps: N, weightDecay: 0.1 };
    // uninterrupted
    const a = new Llama(tiny, 42);
    const oa = new AdamW(optCfg);
    const ra = new Rng('data');
    const lossesA: number[] = [];
    for (let i = 0; i < N; i++) lossesA.push(trainStep(a, oa, drawBatch(ra)).loss);
    // interrupted
    const b = new Llama(tiny, 42);
    const ob = new AdamW(optCfg);
    const rb = new Rng('data');
    const lossesB: number[] = [];
    for (let i = 0; i < N / 2; i++) lossesB.push(trainStep(b, ob, drawBatch(rb)).loss);
    const dir = path.join(tmp, 'resume');
    saveCheckpoint(dir, b, { optimizer: ob, rng: rb, extra: { note: 'half way' } });
    b.dispose();
    ob.dispose();
    const r = loadCheckpoint(dir);
    expect(r.state.step).toBe(N / 2);
    expect(r.state.extra).toEqual({ note: 'half way' });
    const { model: c, optimizer: oc, rng: rc } = r;
    if (!oc || !rc) throw new Error('optimizer/rng state missing');
    for (let i = 0; i < N / 2; i++) lossesB.push(trainStep(c, oc, drawBatch(rc)).loss);
    expect(lossesB).toEqual(lossesA);
    for (const [n, v] of a.params) expect(Buffer.from(c.param(n).dataSync().buffer).equals(Buffer.from(v.dataSync().buffer)), n).toBe(true);
    for (const [n, v] of oa.v) expect(Array.from((oc.v.get(n) as tf.Variable).dataSync()), n).toEqual(Array.from(v.dataSync()));
    [oa, oc].forEach((o) => o.dispose());
    [a, c].forEach((m) => m.dispose());
  });

  it('loadCheckpoint() of an optimiser saved before its first update (no moments yet, as GRPO steps with zero reward spread leave it) gives an optimiser without moments', () => {
    const m = new Llama(tiny, 3);
    const dir = path.join(tmp, 'no-moments');
    saveCheckpoint(dir, m, { optimizer: new AdamW({ lr: 1e-3 }), step: 2 });
    m.dispose();
    const r = loadCheckpoint(dir);
    expect(r.optimizer?.config.lr).toBe(1e-3);
    expect([r.optimizer?.step, r.optimizer?.m.size, r.optimizer?.v.size]).toEqual([0, 0, 0]);
    r.model.dispose();
  });
});
