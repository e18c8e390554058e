import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun, RunContext } from '../../src/core/run';
import { GraphBuilder, KnowledgeGraph } from '../../src/graph/graph';
import { RELATION_NAMES } from '../../src/graph/schema';
import { readSafetensors } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { CHAT, trainBpe } from '../../src/model/tokenizer';
import { AdamW, trainStep } from '../../src/model/train';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import {
  LmBatches,
  PHRASINGS,
  TuneBatches,
  directAnswerExample,
  evalDirectAnswer,
  factRecall,
  fillTemplate,
  heldOutPrompt,
  mentionName,
  passSentences,
  renderCorpus,
  run,
} from '../../src/base';
import { itemPrompt } from '../../src/protocol';
import { TrainingStopped, readMetrics, trainPhases } from '../../src/train';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

const tinyModel = { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 96 };

/** Every held-out prompt prefix of every edge (canonical names and synonyms as sources). */
function heldOutPrefixes(g: KnowledgeGraph): string[] {
  return g.edges.map((e) => heldOutPrompt(g, e, g.node(e.target).name).prefix);
}

/** A run directory with the fixture graph and synthetic items split 3:1 train:test. */
async function fixtureRun(root: string, overrides: Record<string, unknown> = {}): Promise<RunContext> {
  const config = resolveConfig({
    preset: 'smoke',
    overrides: {
      runDir: 'run',
      pretrain: { vocabSize: 400, seqLen: 32, batchSize: 4, steps: 6, warmupSteps: 2, tuneSteps: 3, tuneBatchSize: 4, checkpointEvery: 2, recallEdges: 2, recallDistractors: 2, evalItems: 4, ...overrides },
      base: { release: '' }, // the fixture graph is not the release's world: pretrain from scratch, whatever data/base holds
    },
  });
  const ctx = openRun(config, { root, quiet: true, progressMode: 'silent' });
  const g = fixtureGraph();
  await g.save(path.join(ctx.dir, 'graph'));
  const items = synthesize(g, { n: 24, options: 4 }, new Rng(5)).items.map((it, i): Item => ({ ...it, split: i % 4 === 0 ? 'test' : 'train' }));
  writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  return ctx;
}

describe('pretrain', () => {
  const g = fixtureGraph();

  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('PHRASINGS has ≥ 4 training families per relation and a held-out family ending in " {t}."', () => {
    for (const r of RELATION_NAMES) {
      const p = PHRASINGS[r];
      expect(p.train.length).toBeGreaterThanOrEqual(4);
      expect(p.heldOut.endsWith(' {t}.')).toBe(true);
      for (const t of [...p.train, p.heldOut]) expect(t.includes('{s}') && t.includes('{t}')).toBe(true);
      expect(p.train).not.toContain(p.heldOut);
    }
  });

  it('fillTemplate() lower-cases capitalised names mid-sentence, keeps acronyms, capitalises the start', () => {
    expect(mentionName('Acute pancreatitis')).toBe('acute pancreatitis');
    expect(mentionName('ACE inhibitors')).toBe('ACE inhibitors');
    expect(mentionName('CT abdomen')).toBe('CT abdomen');
    expect(fillTemplate('{t} is seen in {s}.', 'Acute pancreatitis', 'Nausea')).toBe('Nausea is seen in acute pancreatitis.');
    expect(fillTemplate('A typical symptom of {s} is {t}.', 'Acute pancreatitis', 'Nausea')).toBe('A typical symptom of acute pancreatitis is nausea.');
    const e = g.edges.find((x) => x.relation === 'has_symptom' && x.source === 'disease:acute-pancreatitis' && x.target === 'symptom:nausea');
    expect(e).toBeDefined();
    expect(heldOutPrompt(g, e!, 'Nausea')).toEqual({ prefix: 'A typical symptom of acute pancreatitis is', completion: ' nausea.' });
  });

  it('renderCorpus() is deterministic, covers every edge, and never uses a held-out phrasing', () => {
    const a = renderCorpus(g, new Rng(1), { phrasingsPerEdge: 4, synonymRate: 0.5 });
    expect(a).toEqual(renderCorpus(g, new Rng(1), { phrasingsPerEdge: 4, synonymRate: 0.5 }));
    expect(a.length).toBe(4 * g.edges.length);
    // four distinct training families per edge: the has_symptom edge above appears in all four
    expect(a).toContain('Acute pancreatitis presents with nausea.');
    expect(a).toContain('Nausea is a common symptom of acute pancreatitis.');
    const text = [0, 1, 2].flatMap((p) => passSentences(g, { seed: 's', phrasingsPerEdge: 4, synonymRate: 0.5 }, p)).join('\n');
    const leaks = heldOutPrefixes(g).filter((p) => text.includes(p));
    expect(leaks).toEqual([]);
    // synonyms are used: "Heart attack" is the only synonym in the fixture
    expect(text.toLowerCase()).toContain('heart attack');
  });

  it('LmBatches.batch(step) depends on the step only and packs <|bos|> sentence <|eos|> windows', () => {
    const tok = trainBpe(passSentences(g, { seed: 'x', phrasingsPerEdge: 2, synonymRate: 0.25 }, 0), { vocabSize: 350 }).tokenizer;
    const opts = { seed: 'x', phrasingsPerEdge: 2, synonymRate: 0.25, seqLen: 24, batchSize: 3 };
    const a = new LmBatches(g, tok, opts);
    const perPass = Math.floor(a.passTokens(0) / 24);
    const late = Math.ceil((perPass * 2) / 3); // a step in the second pass
    const fresh = new LmBatches(g, tok, opts);
    expect(fresh.batch(late)).toEqual(a.batch(late));
    expect(a.batch(0).inputIds.every((r) => r.length === 24)).toBe(true);
    expect(a.batch(0).inputIds[0][0]).toBe(tok.specialId(CHAT.bos));
    expect(tok.decode(a.batch(0).inputIds[0])).toContain('<|eos|><|bos|>');
  });

  it('TuneBatches puts loss on the completion only; itemPrompt() lists the options', () => {
    const item: Item = { id: 'q1', origin: 'synthetic', question: 'Which drug treats gout?', options: { A: 'Colchicine', B: 'Insulin' }, answer: 'A', type: 'treatment', split: 'train' };
    expect(itemPrompt(item)).toBe('Which drug treats gout?\nA. Colchicine\nB. Insulin');
    const tok = trainBpe([itemPrompt(item)], { vocabSize: 300 }).tokenizer;
    const ex = directAnswerExample(tok, item);
    const b = new TuneBatches([ex, directAnswerExample(tok, { ...item, question: 'Q?' })], { batchSize: 2, seed: 't', padId: tok.specialId(CHAT.pad) }).batch(0);
    const row = b.inputIds.findIndex((r, i) => b.attentionMask![i].reduce((x, y) => x + y, 0) === ex.ids.length);
    const target = b.inputIds[row].filter((_, t) => b.lossMask![row][t] === 1);
    expect(tok.decode(target)).toBe('<answer>A</answer><|eos|>');
  });

  it('factRecall() of an untrained model is near chance, and chance is the mean of 1/candidates', () => {
    const tok = trainBpe(renderCorpus(g, new Rng(2)), { vocabSize: 400 }).tokenizer;
    const model = new Llama({ ...tinyModel, vocab_size: tok.vocab.length }, 3);
    const rep = factRecall(model, tok, g, new Rng(4), { edgesPerRelation: 30, distractors: 3 });
    model.dispose();
    expect(rep.overall.edges).toBeGreaterThan(100);
    expect(rep.overall.chance).toBeGreaterThanOrEqual(0.25); // 1/4, more where a type has fewer than 3 distractors
    expect(rep.overall.chance).toBeLessThan(0.3);
    expect(Math.abs(rep.overall.accuracy - rep.overall.chance)).toBeLessThan(0.12);
    expect(rep.byRelation.has_symptom?.edges).toBe(30);
    expect(rep.examples[0].prefix.length).toBeGreaterThan(5);
  });

  it('factRecall() after a few hundred LM steps on a 3-fact graph beats chance on a seen phrasing', () => {
    const b = new GraphBuilder();
    const facts: [string, string][] = [
      ['Acute pancreatitis', 'Epigastric pain'],
      ['Migraine', 'Photophobia'],
      ['Gout', 'Joint swelling'],
    ];
    for (const [d, s] of facts) b.addEdge(b.addNode({ type: 'disease', name: d, source: 't' }), 'has_symptom', b.addNode({ type: 'symptom', name: s, source: 't' }), 't');
    const toy = b.build();
    const opts = { seed: 'toy', phrasingsPerEdge: 4, synonymRate: 0, seqLen: 48, batchSize: 4 };
    const tok = trainBpe(passSentences(toy, opts, 0), { vocabSize: 300 }).tokenizer;
    const lm = new LmBatches(toy, tok, opts);
    const dir = tempDir('fleming-pretrain-toy-');
    const res = trainPhases(() => new Llama({ ...tinyModel, vocab_size: tok.vocab.length }, 7), [{ name: 'lm', steps: 200, optimizer: { lr: 1e-2, minLr: 1e-3, warmupSteps: 10 }, batch: (s) => lm.batch(s) }], {
      dir,
      checkpointEvery: 1000,
      fingerprint: 'toy',
    });
    const seen = factRecall(res.model, tok, toy, new Rng(1), { distractors: 2, phrasing: 0 });
    const heldOut = factRecall(res.model, tok, toy, new Rng(1), { distractors: 2 });
    res.model.dispose();
    expect(res.metrics[res.metrics.length - 1].loss).toBeLessThan(res.metrics[0].loss / 10);
    expect(seen.overall.edges).toBe(3);
    expect(seen.overall.chance).toBeCloseTo(1 / 3);
    expect(seen.overall.accuracy).toBe(1); // memorised sentences
    // three facts are too few to transfer to an unseen phrasing: it is only reported
    expect(heldOut.overall.accuracy).toBeGreaterThanOrEqual(0);
    expect(heldOut.examples[0].prefix).toBe('A typical symptom of acute pancreatitis is');
  });

  it('trainStep, factRecall and evalDirectAnswer leave tf.memory().numTensors unchanged', () => {
    const item: Item = { id: 'q', origin: 'synthetic', question: 'Which drug treats gout?', options: { A: 'Colchicine', B: 'Insulin', C: 'Metformin' }, answer: 'A', type: 'treatment' };
    const tok = trainBpe([...renderCorpus(g, new Rng(2)), itemPrompt(item)], { vocabSize: 350 }).tokenizer;
    const model = new Llama({ ...tinyModel, vocab_size: tok.vocab.length }, 1);
    const opt = new AdamW({ warmupSteps: 1 });
    const lm = new LmBatches(g, tok, { seed: 'l', phrasingsPerEdge: 1, synonymRate: 0, seqLen: 32, batchSize: 2 });
    trainStep(model, opt, lm.batch(0)); // burn-in creates the moments
    const n0 = tf.memory().numTensors;
    trainStep(model, opt, lm.batch(1));
    expect(tf.memory().numTensors).toBe(n0);
    factRecall(model, tok, g, new Rng(1), { edgesPerRelation: 2, distractors: 2 });
    expect(tf.memory().numTensors).toBe(n0);
    const rep = evalDirectAnswer(model, tok, [item, { ...item, id: 'q2', answer: 'B' }]);
    expect(tf.memory().numTensors).toBe(n0);
    expect(rep.n).toBe(2);
    expect(rep.chance).toBeCloseTo(1 / 3);
    opt.dispose();
    model.dispose();
  });

  it('readMetrics() drops a last line cut short by a kill and refuses a broken line before others', () => {
    const dir = tempDir('fleming-metrics-');
    const file = path.join(dir, 'metrics.jsonl');
    const row = (step: number) => JSON.stringify({ phase: 'lm', step, phaseStep: step, loss: 1, gradNorm: 1, lr: 1, tokens: 1, seconds: 0 });
    fs.writeFileSync(file, `${row(1)}\n${row(2)}\n{"phase":"lm","st`);
    expect(readMetrics(file).map((r) => r.step)).toEqual([1, 2]);
    fs.writeFileSync(file, `${row(1)}\n{"pha\n${row(3)}\n`);
    expect(() => readMetrics(file)).toThrow(/metrics\.jsonl:2: invalid JSON/);
  });

  it('run() without rods/items.jsonl names the file and the command to run', async () => {
    const root = tempDir('fleming-pretrain-');
    const ctx = openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run' } }), { root, quiet: true, progressMode: 'silent' });
    await expect(run(ctx)).rejects.toThrow(/rods[/\\]items\.jsonl: no RODS items; run `fleming rods --run .*` first/);
  });

  it('run() killed mid-way resumes from its last checkpoint and ends bitwise equal to an uninterrupted run', async () => {
    const a = await fixtureRun(tempDir('fleming-pretrain-a-'));
    const resA = await run(a);
    expect(resA.resumedFrom).toBeNull();
    const baseA = path.join(a.dir, 'coldstart', 'base');
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json', 'metrics.jsonl', 'recall.json', 'eval.json', 'done.json', 'plots/loss.html'])
      expect(fs.existsSync(path.join(baseA, f)), f).toBe(true);
    expect(fs.readFileSync(path.join(baseA, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(9);
    expect(resA.eval.n).toBe(4);
    expect(Object.keys(resA.recall.heldOut.byRelation).length).toBeGreaterThan(5);
    expect(resA.recall.seen.overall.edges).toBe(resA.recall.heldOut.overall.edges);
    // the copy probe is part of recall.json: 64 rows of two 24-token copies, finite losses
    expect(resA.recall.copy).toMatchObject({ sequences: 64, length: 24 });
    expect(Number.isFinite(resA.recall.copy?.firstCopyNll) && Number.isFinite(resA.recall.copy?.secondCopyNll)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(baseA, 'recall.json'), 'utf8')).copy).toEqual(resA.recall.copy);

    const b = await fixtureRun(tempDir('fleming-pretrain-b-'));
    const kill = new Error('killed');
    await expect(
      run(b, {
        onStep: (r) => {
          if (r.step === 7) throw kill; // a tuning step; checkpoints at 2, 4, 6
        },
      }),
    ).rejects.toBe(kill);
    const resB = await run(b);
    expect(resB.resumedFrom).toBe(6);
    const baseB = path.join(b.dir, 'coldstart', 'base');
    expect(Buffer.compare(fs.readFileSync(path.join(baseA, 'model.safetensors')), fs.readFileSync(path.join(baseB, 'model.safetensors')))).toBe(0);
    expect(fs.readFileSync(path.join(baseB, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(9);
    expect(resB.recall).toEqual(resA.recall);

    const again = await run(b);
    expect(again.reused).toBe(true);
  });

  it('run() stops on a non-finite loss with a message and keeps the last good checkpoint', async () => {
    const ctx = await fixtureRun(tempDir('fleming-pretrain-nan-'));
    const err = await run(ctx, {
      onStep: (r, model) => {
        if (r.step === 3) {
          const w = model.param('model.norm.weight');
          w.assign(tf.fill(w.shape, NaN));
        }
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingStopped);
    expect((err as TrainingStopped).message).toMatch(/non-finite training signal.*last good checkpoint \(step 2\)/);
    const last = path.join(ctx.dir, 'coldstart', 'base', 'last');
    expect(JSON.parse(fs.readFileSync(path.join(last, 'trainer_state.json'), 'utf8')).step).toBe(2);
    const { tensors } = readSafetensors(path.join(last, 'model.safetensors'));
    for (const t of tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  });
});

describe('trainPhases on the cpu backend', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('trainPhases() killed after a checkpoint resumes and ends bitwise equal to an uninterrupted run', () => {
    const g = fixtureGraph();
    const opts = { seed: 'r', phrasingsPerEdge: 1, synonymRate: 0.25, seqLen: 16, batchSize: 2 };
    const tok = trainBpe(passSentences(g, opts, 0), { vocabSize: 300 }).tokenizer;
    const lm = new LmBatches(g, tok, opts);
    const item: Item = { id: 'q', origin: 'synthetic', question: 'Gout?', options: { A: 'Colchicine', B: 'Insulin' }, answer: 'A', type: 'treatment' };
    const tune = new TuneBatches([directAnswerExample(tok, item), directAnswerExample(tok, { ...item, answer: 'B', question: 'DKA?' })], { batchSize: 2, seed: 't', padId: tok.specialId(CHAT.pad) });
    const phases = [
      { name: 'lm', steps: 3, optimizer: { lr: 1e-2, warmupSteps: 1 }, batch: (s: number) => lm.batch(s) },
      { name: 'tune', steps: 2, optimizer: { lr: 5e-3, warmupSteps: 1 }, batch: (s: number) => tune.batch(s) },
    ];
    const init = () => new Llama({ ...tinyModel, hidden_size: 16, intermediate_size: 32, vocab_size: tok.vocab.length }, 9);
    const weights = (m: Llama) => [...m.params.values()].map((v) => Buffer.from((v.dataSync() as Float32Array).buffer).toString('base64'));
    const dirA = tempDir('fleming-loop-a-');
    const a = trainPhases(init, phases, { dir: dirA, checkpointEvery: 2, fingerprint: 'f' });
    const want = weights(a.model);
    a.model.dispose();

    const dirB = tempDir('fleming-loop-b-');
    const kill = new Error('killed');
    expect(() => trainPhases(init, phases, { dir: dirB, checkpointEvery: 2, fingerprint: 'f', onStep: (r) => { if (r.step === 3) throw kill; } })).toThrow(kill);
    const b = trainPhases(init, phases, { dir: dirB, checkpointEvery: 2, fingerprint: 'f' });
    expect(b.resumedFrom).toBe(3); // the last LM step is always checkpointed
    expect(weights(b.model)).toEqual(want);
    expect(b.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(b.metrics.map((m) => m.loss)).toEqual(a.metrics.map((m) => m.loss));
    b.model.dispose();

    const c = trainPhases(init, phases, { dir: dirB, checkpointEvery: 2, fingerprint: 'other' }); // other settings: starts over
    expect(c.resumedFrom).toBeNull();
    c.model.dispose();
  });
});
