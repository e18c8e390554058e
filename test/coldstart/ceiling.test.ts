import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { Llama } from '../../src/model/llama';
import { trainBpe } from '../../src/model/tokenizer';
import { renderCorpus } from '../../src/base';
import { fillTemplate } from '../../src/base/sentences';
import { knowledgeCeiling, optionSentences } from '../../src/coldstart/sft';
import { synthesize } from '../../src/rods/synth';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const items = synthesize(g, { n: 40 }, new Rng(3)).items;

describe('knowledgeCeiling', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('optionSentences() writes the concise claim with the option last: one per clue for a diagnosis, one link otherwise', () => {
    const tr = items.find((it) => it.type === 'treatment')!;
    const ids = tr.meta!.optionIds as Record<string, string>;
    const given = (tr.meta!.query as { given: string }).given;
    for (const x of Object.values(ids)) expect(optionSentences(g, tr, x)).toEqual([fillTemplate('{s} is treated with {t}.', g.node(given).name, g.node(x).name)]);
    const dx = items.find((it) => it.type === 'diagnosis')!;
    const clues = (dx.meta!.query as { clues: string[] }).clues;
    const s = optionSentences(g, dx, (dx.meta!.optionIds as Record<string, string>)[dx.answer]);
    expect(s).toHaveLength(clues.length);
    for (const x of s) expect(x).toMatch(/ (is seen in|is a finding in) .+\.$/);
    expect(optionSentences(g, { ...tr, meta: {} }, 'x')).toEqual([]);
  });

  it('knowledgeCeiling() scores every synthetic item once, is deterministic and leaves no tensors', () => {
    const tok = trainBpe(renderCorpus(g, new Rng(1)), { vocabSize: 320 }).tokenizer;
    const model = new Llama({ vocab_size: tok.vocab.length, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64 }, 2);
    const n0 = tf.memory().numTensors;
    const a = knowledgeCeiling(model, tok, g, items);
    expect(tf.memory().numTensors).toBe(n0);
    expect(a.n).toBe(items.length);
    expect(Object.values(a.byType).reduce((s, c) => s + c.n, 0)).toBe(a.n);
    for (const x of [a.accuracy, a.accuracyPerToken]) expect(x).toBeGreaterThanOrEqual(0), expect(x).toBeLessThanOrEqual(1);
    expect(knowledgeCeiling(model, tok, g, items)).toEqual(a);
    expect(knowledgeCeiling(model, tok, g, [{ ...items[0], meta: {} }]).n).toBe(0);
    model.dispose();
  });
});
