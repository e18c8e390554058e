/**
 * The async forms of the coldstart loops (trainPhasesAsync, factRecallAsync,
 * evalDirectAnswerAsync, evalPolicyAsync, saveCheckpointAsync) read with `await data()` and must
 * give exactly what the sync forms give on the same backend: they share one Reads computation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { LmBatches, TuneBatches, directAnswerExample, passSentences } from '../../src/base/data';
import { evalDirectAnswer, evalDirectAnswerAsync } from '../../src/base/evaluate';
import { trainPhases, trainPhasesAsync } from '../../src/train';
import { factRecall, factRecallAsync } from '../../src/base/recall';
import { evalPolicy, evalPolicyAsync } from '../../src/coldstart/sft/evaluate';
import { saveCheckpoint, saveCheckpointAsync } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { CHAT, trainBpe } from '../../src/model/tokenizer';
import type { Item } from '../../src/rods/item';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

describe('coldstart loops with async reads', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('trainPhasesAsync, factRecallAsync, evalDirectAnswerAsync, evalPolicyAsync and saveCheckpointAsync equal their sync forms on cpu', async () => {
    const g = fixtureGraph();
    const opts = { seed: 'r', phrasingsPerEdge: 1, synonymRate: 0.25, seqLen: 16, batchSize: 2 };
    const tok = trainBpe(passSentences(g, opts, 0), { vocabSize: 300 }).tokenizer;
    const lm = new LmBatches(g, tok, opts);
    const item: Item = { id: 'q', origin: 'synthetic', question: 'Gout?', options: { A: 'Colchicine', B: 'Insulin' }, answer: 'A', type: 'treatment', split: 'test' };
    const items = [item, { ...item, id: 'q2', answer: 'B', question: 'DKA?' }];
    const tune = new TuneBatches(items.map((it) => directAnswerExample(tok, it)), { batchSize: 2, seed: 't', padId: tok.specialId(CHAT.pad) });
    const phases = [
      { name: 'lm', steps: 3, optimizer: { lr: 1e-2, warmupSteps: 1 }, batch: (s: number) => lm.batch(s) },
      { name: 'tune', steps: 2, optimizer: { lr: 5e-3, warmupSteps: 1 }, batch: (s: number) => tune.batch(s) },
    ];
    const init = () => new Llama({ hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 96, vocab_size: tok.vocab.length }, 9);
    const dirA = tempDir('fleming-reads-a-');
    const dirB = tempDir('fleming-reads-b-');
    const a = trainPhases(init, phases, { dir: dirA, checkpointEvery: 2, fingerprint: 'f' });
    const probe = init();
    const perModel = probe.params.size + 3; // parameters + rotary cos/sin tables + rotate_half matrix
    probe.dispose();
    const n0 = tf.memory().numTensors;
    const b = await trainPhasesAsync(init, phases, { dir: dirB, checkpointEvery: 2, fingerprint: 'f' });
    expect(tf.memory().numTensors).toBe(n0 + perModel); // only the returned model
    expect(b.metrics.map((m) => [m.loss, m.gradNorm])).toEqual(a.metrics.map((m) => [m.loss, m.gradNorm]));
    const bytes = (d: string, f: string) => fs.readFileSync(path.join(d, 'last', f));
    expect(bytes(dirB, 'model.safetensors').equals(bytes(dirA, 'model.safetensors'))).toBe(true);
    expect(bytes(dirB, 'optimizer.safetensors').equals(bytes(dirA, 'optimizer.safetensors'))).toBe(true);

    saveCheckpoint(path.join(dirA, 'final'), a.model);
    await saveCheckpointAsync(path.join(dirB, 'final'), b.model);
    expect(fs.readFileSync(path.join(dirB, 'final', 'model.safetensors')).equals(fs.readFileSync(path.join(dirA, 'final', 'model.safetensors')))).toBe(true);

    const recallOpts = { edgesPerRelation: 2, distractors: 2 };
    expect(await factRecallAsync(b.model, tok, g, new Rng(3), recallOpts)).toEqual(factRecall(a.model, tok, g, new Rng(3), recallOpts));
    expect(await evalDirectAnswerAsync(b.model, tok, items)).toEqual(evalDirectAnswer(a.model, tok, items));
    const po = { batchSize: 1, maxNewTokens: 6 };
    expect(await evalPolicyAsync(b.model, tok, items, po)).toEqual(evalPolicy(a.model, tok, items, po));
    a.model.dispose();
    b.model.dispose();
  });
});
