/**
 * The tiny pretraining shared by the stage tests that need a finished Base (cold start, SFT, RLVR):
 * seconds of CPU, a real tokenizer, checkpoint and evaluation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunConfig } from '../../src/core/config';
import { writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun, RunContext } from '../../src/core/run';
import { run as pretrain } from '../../src/base';
import type { KnowledgeGraph } from '../../src/graph/graph';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

export const tinyPretrain = { vocabSize: 400, seqLen: 32, batchSize: 4, steps: 6, warmupSteps: 2, tuneSteps: 3, tuneBatchSize: 4, checkpointEvery: 10, recallEdges: 2, recallDistractors: 2, evalItems: 4 };

/**
 * A run with a finished tiny Base on the wasm backend: the fixture graph in graph/, 48 synthetic
 * items (seeded by `seed`, every fourth one test, `label` may set more fields) in rods/items.jsonl,
 * and coldstart/base/ pretrained from scratch with `config` (never from the release).
 */
export async function tinyBaseRun(config: RunConfig, o: { prefix: string; seed: number; label?: (item: Item, i: number) => Partial<Item> }): Promise<{ ctx: RunContext; graph: KnowledgeGraph; items: Item[] }> {
  await useBackend('wasm');
  const root = tempDir(o.prefix);
  // the fixture graph is not the released Base's world: this Base pretrains from scratch, whatever data/base holds
  const ctx = openRun({ ...config, base: { ...config.base, release: '' } }, { root, quiet: true, progressMode: 'silent' });
  const graph = fixtureGraph();
  await graph.save(path.join(ctx.dir, 'graph'));
  const items = synthesize(graph, { n: 48, options: 4 }, new Rng(o.seed)).items.map((it, i): Item => ({ ...it, split: i % 4 === 0 ? 'test' : 'train', ...o.label?.(it, i) }));
  writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  await pretrain(ctx, { graph });
  return { ctx, graph, items };
}
