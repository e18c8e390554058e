import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { SkipReport, readJson } from '../../src/core/io';
import { openRun, RunContext } from '../../src/core/run';
import { loadCheckpoint, readSafetensors } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { CHAT, loadTokenizer, trainBpe } from '../../src/model/tokenizer';
import { AdamW, trainStep } from '../../src/model/train';
import type { Item } from '../../src/rods/item';
import { TuneBatches } from '../../src/base';
import { TrainingStopped } from '../../src/train';
import { CotRow, EvalRow, SourcedCotRow, evalPolicy, ordinal, pairExamples, runSft, sftExamples, summarizeEval } from '../../src/coldstart/sft';
import { itemPrompt } from '../../src/protocol';
import { tinyBaseRun, tinyPretrain } from '../base/tiny';
import { tempDir } from '../helpers/tmp';

/** A short trace whose format (not content) is easy to learn. */
function trace(letter: string): string {
  return `<think>The clues point to option ${letter}.</think>\n<answer>${letter}</answer>`;
}

function row(itemId: string, completion: string, verified = true): CotRow {
  return { itemId, completion, teacher: 'toy', attempts: 1, strategies: [], verified };
}

const sftSmoke = { steps: 40, batchSize: 8, answerWeight: 1, replayEvery: 0, lr: 1e-2, minLr: 1e-3, warmupSteps: 5, checkpointEvery: 10, evalItems: 8, evalMaxNewTokens: 40, evalBatchSize: 8, examples: 3 };

function config(sft: Record<string, unknown> = {}) {
  return resolveConfig({
    preset: 'smoke',
    overrides: {
      runDir: 'run',
      pretrain: tinyPretrain,
      sft: { ...sftSmoke, ...sft },
    },
  });
}

/** A copy of the template run (graph, items, Base) under a fresh root. */
function cloneRun(template: string, sft: Record<string, unknown> = {}): RunContext {
  const root = tempDir('fleming-sft-');
  fs.cpSync(template, path.join(root, 'run'), { recursive: true });
  return openRun(config(sft), { root, quiet: true, progressMode: 'silent' });
}

describe('sft', () => {
  let template = '';
  let items: Item[] = [];
  let cot: CotRow[] = [];

  beforeAll(async () => {
    // A tiny Base: the fixture graph, 48 synthetic items split 3:1, a few pretraining steps.
    const base = await tinyBaseRun(config(), { prefix: 'fleming-sft-base-', seed: 5 });
    items = base.items;
    const ctx = base.ctx;
    template = ctx.dir;
    const train = items.filter((it) => it.split === 'train');
    const test = items.filter((it) => it.split === 'test');
    cot = [
      ...train.map((it) => row(it.id, trace(it.answer))),
      row(train[0].id, trace(train[0].answer), false), // not verified
      row(test[0].id, trace(test[0].answer)), // test split: never trained on
      row('no-such-item', trace('A')), // missing
    ];
  }, 60_000);

  it('sftExamples() puts loss on the trace and <|eos|> only, and counts every row it leaves out', () => {
    const tok = trainBpe(items.map(itemPrompt), { vocabSize: 320 }).tokenizer;
    const byId = new Map(items.map((it) => [it.id, it]));
    const train = items.filter((it) => it.split === 'train');
    const long = { ...train[1], id: 'long', question: 'word '.repeat(400) };
    byId.set('long', long);
    const rows: SourcedCotRow[] = [
      row(train[0].id, trace(train[0].answer)),
      row(train[0].id, trace(train[0].answer), false),
      row(items.find((it) => it.split === 'test')!.id, trace('A')),
      row('missing', trace('A')),
      row(train[1].id, `<answer>${train[1].answer}</answer>`), // malformed: no thinking
      row(train[1].id, trace(train[1].answer === 'A' ? 'B' : 'A')), // wrong answer
      row('long', trace(long.answer)),
    ].map((r, i) => ({ row: r, file: 'cot.jsonl', line: i + 1 }));
    const skips = new SkipReport();
    const { examples, report } = sftExamples(tok, rows, byId, 400, skips);
    expect(report).toMatchObject({ rows: 7, used: 1, items: 1, notVerified: 1, testSplit: 1, missingItem: 1, malformed: 1, wrongAnswer: 1, tooLong: 1 });
    expect(skips.total()).toBe(6);
    expect(skips.rows().find((r) => r.reason.startsWith('item not among'))?.exampleLines).toEqual([4]);
    const ex = examples[0];
    expect(ex.itemId).toBe(train[0].id);
    expect(tok.decode(ex.ids.filter((_, t) => ex.completionMask[t] === 1))).toBe(trace(train[0].answer) + CHAT.eos);
    expect(tok.decode(ex.ids.slice(0, ex.promptLength))).toBe(`${CHAT.bos}${CHAT.user}${itemPrompt(train[0])}${CHAT.assistant}`);
    expect(ex.completionMask.slice(0, ex.promptLength).every((m) => m === 0)).toBe(true);
    // in a padded batch the mask stays on the completion (pads carry no loss)
    const b = new TuneBatches(examples, { batchSize: 2, seed: 's', padId: tok.specialId(CHAT.pad) }).batch(0);
    expect(b.lossMask![0].reduce((a, x) => a + x, 0)).toBe(ex.ids.length - ex.promptLength);
  });

  it('trainStep on SFT batches and evalPolicy leave tf.memory().numTensors unchanged', () => {
    const tok = trainBpe(items.map(itemPrompt), { vocabSize: 320 }).tokenizer;
    const byId = new Map(items.map((it) => [it.id, it]));
    const rows = items.filter((it) => it.split === 'train').map((it, i) => ({ row: row(it.id, trace(it.answer)), file: 'x', line: i + 1 }));
    const { examples } = sftExamples(tok, rows, byId, 256);
    const batches = new TuneBatches(examples, { batchSize: 4, seed: 's', padId: tok.specialId(CHAT.pad) });
    const model = new Llama({ vocab_size: tok.vocab.length, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256 }, 1);
    const opt = new AdamW({ warmupSteps: 1 });
    trainStep(model, opt, batches.batch(0)); // burn-in creates the moments
    const n0 = tf.memory().numTensors;
    trainStep(model, opt, batches.batch(1));
    expect(tf.memory().numTensors).toBe(n0);
    const r = evalPolicy(model, tok, items.slice(0, 5), { batchSize: 2, maxNewTokens: 8 });
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.report.n).toBe(5);
    expect(r.rows.every((x) => x.tokens <= 8)).toBe(true);
    opt.dispose();
    model.dispose();
  });

  it('ordinal() writes the replay period as the log reads it', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });

  it('summarizeEval() counts accuracy by type and difficulty, well-formed and tagged replies, lengths', () => {
    const its: Item[] = ['a', 'b', 'c'].map((id) => ({ id, origin: 'synthetic', question: 'q', options: { A: '1', B: '2' }, answer: 'A', type: id === 'c' ? 'treatment' : 'diagnosis', difficulty: 'Easy' }));
    const mk = (id: string, reply: string, letter: string | null, wellFormed: boolean, tokens: number, finish: 'stop' | 'length'): EvalRow => ({ id, type: its.find((i) => i.id === id)!.type, difficulty: 'Easy', answer: 'A', reply, letter, ok: letter === 'A', wellFormed, tokens, finish });
    const rows = [mk('a', trace('A') + CHAT.eos, 'A', true, 12, 'stop'), mk('b', '<answer>B</answer><|eos|>', 'B', false, 4, 'stop'), mk('c', '<think>and so', null, false, 20, 'length')];
    const protocol = { decoding: 'greedy' as const, maxNewTokens: 20, answer: 'last <answer>X</answer>, strict' as const, items: 3, itemIds: 'x' };
    const r = summarizeEval(rows, its, protocol, 1);
    expect(r).toMatchObject({ n: 3, correct: 1, tooLong: 1, answerTagged: 2, wellFormed: 1, truncated: 1, meanCompletionTokens: 12, chance: 0.5 });
    expect(r.byType).toEqual({ diagnosis: { n: 2, correct: 1, accuracy: 0.5 }, treatment: { n: 1, correct: 0, accuracy: 0 } });
    expect(r.byDifficulty.Easy.n).toBe(3);
    expect(r.predicted).toEqual({ A: 1, B: 1, null: 1 });
    expect(pairExamples(rows, rows.slice(1), 5).map((e) => e.id)).toEqual(['b', 'c']);
  });

  it('runSft() trains +CoT, counts excluded rows, evaluates Base and +CoT with one protocol, and +CoT is well-formed more often', async () => {
    const ctx = cloneRun(template);
    const res = await runSft(ctx, { cot });
    expect(res.reused).toBe(false);
    expect(res.data).toMatchObject({ rows: cot.length, used: cot.length - 3, notVerified: 1, testSplit: 1, missingItem: 1, malformed: 0, wrongAnswer: 0, tooLong: 0 });
    const dir = path.join(ctx.dir, 'coldstart', 'sft');
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'metrics.jsonl', 'data.json', 'eval.json', 'examples.jsonl', 'done.json', 'plots/loss.html'])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    expect(fs.existsSync(path.join(dir, 'last'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'tokenizer.json'))).toEqual(fs.readFileSync(path.join(ctx.dir, 'coldstart', 'base', 'tokenizer.json')));
    const metrics = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; tokens: number });
    expect(metrics).toHaveLength(40);
    expect(metrics[39].loss).toBeLessThan(metrics[0].loss / 2);

    const { base, cot: sft } = res.eval;
    expect(base.protocol).toEqual(sft.protocol); // same items, decoding and answer rule
    expect(base.protocol.items).toBe(8);
    expect(base.n + base.tooLong).toBe(8);
    expect(sft.wellFormedRate).toBeGreaterThan(base.wellFormedRate);
    expect(sft.wellFormedRate).toBeGreaterThanOrEqual(0.75);
    expect(base.wellFormed).toBe(0);
    expect(sft.answerTagRate).toBeGreaterThanOrEqual(0.75);
    expect(readJson(path.join(dir, 'eval.json'))).toEqual(res.eval);
    const ex = fs.readFileSync(path.join(dir, 'examples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; base: { reply: string }; cot: { reply: string } });
    expect(ex).toHaveLength(3);
    expect(ex[0].cot.reply.startsWith('<think>')).toBe(true);

    // both reports are evalPolicy() with the stage's options on the saved checkpoints
    const test = items.filter((it) => it.split === 'test').slice(0, 8);
    const o = { batchSize: 8, maxNewTokens: 40 };
    const tok = loadTokenizer(dir);
    for (const [which, ckDir] of [['base', path.join(ctx.dir, 'coldstart', 'base')], ['cot', dir]] as const) {
      const m = loadCheckpoint(ckDir).model;
      expect(evalPolicy(m, tok, test, o).report).toEqual(res.eval[which]);
      m.dispose();
    }

    const again = await runSft(ctx, { cot });
    expect(again.reused).toBe(true);
    expect(again.eval).toEqual(res.eval);
  }, 120_000);

  it('runSft() with knowledge replay and a weighted answer letter, killed mid-way, resumes from its last checkpoint and ends bitwise equal to an uninterrupted run', async () => {
    const opts = { steps: 8, checkpointEvery: 3, evalItems: 2, evalMaxNewTokens: 8, replayEvery: 3, answerWeight: 10 };
    const a = cloneRun(template, opts);
    const resA = await runSft(a, { cot });
    expect(resA.resumedFrom).toBeNull();
    const b = cloneRun(template, opts);
    const kill = new Error('killed');
    await expect(runSft(b, { cot, onStep: (r) => { if (r.step === 5) throw kill; } })).rejects.toBe(kill);
    const resB = await runSft(b, { cot });
    expect(resB.resumedFrom).toBe(3);
    const file = (c: RunContext, f: string) => fs.readFileSync(path.join(c.dir, 'coldstart', 'sft', f));
    expect(Buffer.compare(file(a, 'model.safetensors'), file(b, 'model.safetensors'))).toBe(0);
    const metrics = file(b, 'metrics.jsonl').toString().trim().split('\n').map((l) => JSON.parse(l) as { tokens: number });
    expect(metrics).toHaveLength(8);
    // every third update is a packed pretraining batch (all its targets); the others are traces
    const window = tinyPretrain.batchSize * (tinyPretrain.seqLen - 1);
    expect(metrics.filter((_, s) => s % 3 === 2).map((m) => m.tokens)).toEqual([window, window]);
    expect(metrics.filter((_, s) => s % 3 !== 2).every((m) => m.tokens !== window)).toBe(true);
    expect(readJson<{ fingerprint: { replay?: unknown } }>(path.join(b.dir, 'coldstart', 'sft', 'done.json')).fingerprint.replay).toBeDefined();
    expect(resB.eval).toEqual(resA.eval);
    // other traces: the finished stage is not reused
    const other = await runSft(b, { cot: cot.slice(1), force: false });
    expect(other.reused).toBe(false);
  }, 120_000);

  it('runSft() stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const ctx = cloneRun(template, { steps: 6, checkpointEvery: 2 });
    const err = await runSft(ctx, {
      cot,
      onStep: (r, model) => {
        if (r.step === 3) {
          const w = model.param('model.norm.weight');
          w.assign(tf.fill(w.shape, NaN));
        }
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingStopped);
    const last = path.join(ctx.dir, 'coldstart', 'sft', 'last');
    expect(readJson<{ step: number }>(path.join(last, 'trainer_state.json')).step).toBe(2);
    for (const t of readSafetensors(path.join(last, 'model.safetensors')).tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(fs.existsSync(path.join(ctx.dir, 'coldstart', 'sft', 'done.json'))).toBe(false);
  }, 60_000);

  it('after a non-finite loss runSft() says what to change; a lower sft.lr resumes from the last good checkpoint only with resumeNewLr (--resume)', async () => {
    const ctx = cloneRun(template, { steps: 6, checkpointEvery: 2 });
    const poison = (r: { step: number }, model: Llama) => {
      if (r.step === 3) {
        const w = model.param('model.norm.weight');
        w.assign(tf.fill(w.shape, NaN));
      }
    };
    const err = (await runSft(ctx, { cot, onStep: poison }).catch((e: unknown) => e)) as TrainingStopped;
    expect(err).toBeInstanceOf(TrainingStopped);
    expect(err.message).toContain('Rerunning unchanged stops here again (every batch is fixed by its step).');
    expect(err.message).toContain(`The last good checkpoint (step 2) is kept in ${path.join(ctx.dir, 'coldstart', 'sft', 'last')}. To resume from it, lower the learning rate: --set sft.lr=0.005 (now 0.01) --resume`);
    const copy = tempDir('fleming-sft-nan-');
    fs.cpSync(ctx.dir, path.join(copy, 'run'), { recursive: true });
    const lower = { steps: 6, checkpointEvery: 2, lr: 5e-3 };

    // --resume: from step 2 with the new rate (its warm-up and cosine), to the end
    const resumed = await runSft(openRun(config(lower), { root: path.dirname(ctx.dir), quiet: true, progressMode: 'silent', resumeNewLr: true }), { cot });
    expect(resumed.resumedFrom).toBe(2);
    const rows = readJson<{ fingerprint: { sft: { lr: number } } }>(path.join(ctx.dir, 'coldstart', 'sft', 'done.json'));
    expect(rows.fingerprint.sft.lr).toBe(5e-3);
    const metrics = fs.readFileSync(path.join(ctx.dir, 'coldstart', 'sft', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics[0].lr).toBeCloseTo(1e-2 / 5, 12); // warm-up step 1 of 5 at the old rate
    expect(metrics[2].lr).toBeCloseTo((5e-3 * 3) / 5, 12); // step 3 on the new rate's warm-up
    expect(fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8')).toContain('with the new learning rate (sft.lr 0.01 → 0.005), as --resume asked');

    // without --resume: starts over from step 0 and says that --resume would have continued
    const again = await runSft(openRun(config(lower), { root: copy, quiet: true, progressMode: 'silent' }), { cot });
    expect(again.resumedFrom).toBeNull();
    expect(fs.readFileSync(path.join(copy, 'run', 'log.txt'), 'utf8')).toContain('the learning rate changed (sft.lr 0.01 → 0.005); starting over from step 0 (--resume would continue from step 2 with the new rate)');
  }, 120_000);

  it('runSft() without a Base or without usable traces says what to run', async () => {
    const root = tempDir('fleming-sft-nobase-');
    const ctx = openRun(config(), { root, quiet: true, progressMode: 'silent' });
    await expect(runSft(ctx, { cot })).rejects.toThrow(/coldstart[/\\]base: no finished Base model; run `fleming pretrain/);
    const c2 = cloneRun(template);
    await expect(runSft(c2, { cot: cot.map((r) => ({ ...r, verified: false })) })).rejects.toThrow(/none of the \d+ trace rows is usable/);
    await expect(runSft(c2)).rejects.toThrow(/cot\.jsonl: no teacher traces/);
  });
});
