import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogitsReference, runExport } from '../../src/export';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { chatPrompt, chatPromptText, loadTokenizer, renderChat } from '../../src/model/tokenizer';
import { itemPrompt } from '../../src/protocol';
import { maxRelDiff, useBackend } from '../model/helpers';
import { makeRun, removeRuns } from './fixture';

beforeAll(() => useBackend('wasm'));
afterAll(removeRuns);

describe('runExport --format logits', () => {
  it('writes per checkpoint the logits of every position of the first test prompts, their ids and the SFT ids, at the offsets the json names', async () => {
    const run = makeRun({ checkpoint: true });
    const r = await runExport(run.dir, { format: 'logits' });
    expect(r.manifest.files.map((f) => f.path)).toEqual(['cot.json', 'cot.f32']); // the fixture has only +CoT
    const ref = JSON.parse(fs.readFileSync(path.join(r.out, 'cot.json'), 'utf8')) as LogitsReference;
    const ck = path.join(run.dir, 'coldstart', 'sft');
    const tok = loadTokenizer(ck);
    const { model } = loadCheckpoint(ck);
    const V = model.config.vocab_size;
    expect(ref).toMatchObject({ checkpoint: 'coldstart/sft', stage: 'cot', vocab: V, dtype: 'float32' });
    const test = run.items.filter((it) => it.split === 'test').slice(0, 4);
    expect(ref.prompts.map((p) => p.itemId)).toEqual(test.map((it) => it.id));
    const buf = fs.readFileSync(path.join(r.out, 'cot.f32'));
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(all.length).toBe(ref.prompts.reduce((a, p) => a + p.ids.length * V, 0));
    for (const [i, p] of ref.prompts.entries()) {
      expect(p.text).toBe(chatPromptText(itemPrompt(test[i])));
      expect(p.ids).toEqual(chatPrompt(tok, itemPrompt(test[i])));
      const want = model.forward([p.ids]);
      expect(maxRelDiff(all.subarray(p.offset, p.offset + p.ids.length * V), want.dataSync())).toBe(0);
      want.dispose();
    }
    model.dispose();
    const kept = run.cot.slice(0, 4);
    expect(ref.sft.map((s) => s.itemId)).toEqual(kept.map((c) => c.itemId));
    const byId = new Map(run.items.map((it) => [it.id, it]));
    for (const [i, s] of ref.sft.entries()) {
      const want = renderChat(tok, { prompt: itemPrompt(byId.get(s.itemId)!), completion: kept[i].completion });
      expect([s.ids, s.promptLength]).toEqual([want.ids, want.promptLength]);
      expect(tok.decode(s.ids.slice(s.promptLength))).toMatch(/^<think>[\s\S]+<\/answer><\|eos\|>$/);
    }
  });

  it('refuses a run without a finished checkpoint, naming what to run', async () => {
    await expect(runExport(makeRun().dir, { format: 'logits' })).rejects.toThrow(/no finished checkpoint .*; run `fleming pretrain --run .*` first/);
  });
});
