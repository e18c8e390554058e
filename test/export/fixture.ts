/**
 * Run directories for the export tests, written directly (no pipeline): config.json, RODS items
 * from the synthesis fixture graph (difficulties and splits assigned in turn), and on request the
 * cold start's traces, RLVR stage 2's mining rounds, graph stats and a tiny +CoT checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../../src/core/config';
import { writeJson, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun } from '../../src/core/run';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { saveTokenizer, trainBpe } from '../../src/model/tokenizer';
import { itemPrompt } from '../../src/protocol';
import { DIFFICULTIES, type Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

export interface RunParts {
  rods?: boolean;
  cot?: boolean;
  /** 'new': mining.jsonl with minedItems; 'old': without (an earlier version's); false: no stage 2. */
  stage2?: 'new' | 'old' | false;
  /** Edges per graph source for graph/stats.json. */
  sources?: Record<string, number>;
  checkpoint?: boolean;
}

export interface FixtureRun {
  dir: string;
  items: Item[];
  /** The cot rows written (index = line − 1). */
  cot: { itemId: string; completion: string; verified: boolean; teacher: string }[];
}

const roots: string[] = [];

/** Removes every run directory made by makeRun (call in afterAll). */
export function removeRuns(): void {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
}

/** 24 items: every third in the test split; difficulties Easy, Moderate, Difficult in turn; one curated MedQA item. */
export function fixtureItems(): Item[] {
  const synth = synthesize(fixtureGraph(), { n: 23, options: 4 }, new Rng(11)).items;
  const curated: Item = { id: 'medqa-1', origin: 'medqa', question: 'Which vitamin deficiency causes scurvy?', options: { A: 'Vitamin A', B: 'Vitamin B12', C: 'Vitamin C', D: 'Vitamin D', E: 'Vitamin K' }, answer: 'C', type: 'curated' };
  return [...synth, curated].map((it, i): Item => ({ ...it, difficulty: DIFFICULTIES[i % 3], split: i % 3 === 2 ? 'test' : 'train' }));
}

function cotRows(items: readonly Item[]): FixtureRun['cot'] {
  const train = items.filter((it) => it.split === 'train');
  const test = items.find((it) => it.split === 'test') as Item;
  const trace = (it: Item, letter = it.answer, eos = '') => `<think>${it.question.slice(0, 30)} points to option ${letter}.</think>\n<answer>${letter}</answer>${eos}`;
  const wrong = (it: Item) => Object.keys(it.options).find((l) => l !== it.answer) as string;
  return [
    ...train.slice(0, 6).map((it, i) => ({ itemId: it.id, completion: trace(it, it.answer, i === 0 ? '<|eos|>' : ''), verified: true, teacher: 'graph' })),
    { itemId: train[6].id, completion: trace(train[6]), verified: false, teacher: 'graph' }, // not verified
    { itemId: test.id, completion: trace(test), verified: true, teacher: 'graph' }, // test split
    { itemId: train[7].id, completion: trace(train[7], wrong(train[7])), verified: true, teacher: 'graph' }, // wrong answer
    { itemId: train[8].id, completion: `<answer>${train[8].answer}</answer>`, verified: true, teacher: 'graph' }, // no thinking
  ];
}

function writeStage2(dir: string, items: readonly Item[], kind: 'new' | 'old'): void {
  const train = items.filter((it) => it.split === 'train');
  const m = (it: Item, failures: number) => ({ id: it.id, difficulty: it.difficulty as string, failures });
  const rounds = [
    { round: 1, step: 0, evaluated: train.length, samplesPerItem: 4, passRate: 0.5, failureHistogram: [0, 0, 0, 0, 0], failing: 3, mined: 3, minedByDifficulty: {}, minedItems: [m(train[2], 4), m(train[5], 3), m(train[0], 3)], previousStillFailing: null, seconds: 1 },
    { round: 2, step: 6, evaluated: train.length, samplesPerItem: 4, passRate: 0.6, failureHistogram: [0, 0, 0, 0, 0], failing: 2, mined: 2, minedByDifficulty: {}, minedItems: [m(train[5], 4), m(train[9], 3)], previousStillFailing: 1, seconds: 1 },
  ];
  const d = path.join(dir, 'rlvr', 'stage2');
  writeJsonlSync(path.join(d, 'mining.jsonl'), kind === 'new' ? rounds : rounds.map(({ minedItems: _, ...r }) => r));
  writeJson(path.join(d, 'done.json'), { fingerprint: 'fixture' });
}

/** A tiny +CoT checkpoint (coldstart/sft) with a BPE tokenizer trained on the item prompts. */
function writeCheckpoint(dir: string, items: readonly Item[]): void {
  const d = path.join(dir, 'coldstart', 'sft');
  const { tokenizer } = trainBpe(items.map((it) => itemPrompt(it)), { vocabSize: 320 });
  const model = new Llama({ vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 512 }, 9);
  saveCheckpoint(d, model);
  model.dispose();
  saveTokenizer(tokenizer, d);
  writeJson(path.join(d, 'done.json'), { fingerprint: 'fixture' });
}

/** A run directory with the parts asked for (default: rods, cot, stage 2, seed graph stats; no checkpoint). */
export function makeRun(parts: RunParts = {}): FixtureRun {
  const p = { rods: true, cot: true, stage2: 'new' as const, sources: { seed: 120 }, checkpoint: false, ...parts };
  const root = tempDir('fleming-export-');
  roots.push(root);
  const ctx = openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run' } }), { root, quiet: true, progressMode: 'silent' });
  const items = fixtureItems();
  let cot: FixtureRun['cot'] = [];
  if (p.rods) writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  if (p.cot) {
    cot = cotRows(items);
    writeJsonlSync(path.join(ctx.dir, 'coldstart', 'cot.jsonl'), cot);
    writeJson(path.join(ctx.dir, 'coldstart', 'cot-done.json'), { fingerprint: 'fixture' });
  }
  if (p.stage2) writeStage2(ctx.dir, items, p.stage2);
  writeJson(path.join(ctx.dir, 'graph', 'stats.json'), { bySource: { edges: p.sources } });
  if (p.checkpoint) writeCheckpoint(ctx.dir, items);
  return { dir: ctx.dir, items, cot };
}
