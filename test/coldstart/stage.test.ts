import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJson, writeJsonlSync } from '../../src/core/io';
import { openRun, RunContext } from '../../src/core/run';
import type { Item } from '../../src/rods/item';
import { completionProblem } from '../../src/coldstart/cot/filters';
import type { CotOutRow, RefineStats } from '../../src/coldstart/cot/refine';
import { coldstartItems, run as coldstart } from '../../src/coldstart/stage';
import { groupOf } from '../../src/rods/split';
import { tinyBaseRun, tinyPretrain } from '../base/tiny';
import { tempDir } from '../helpers/tmp';

/** A smoke-sized run: tiny pretraining, a short SFT, a few test items. */
function config() {
  return resolveConfig({
    preset: 'smoke',
    overrides: {
      runDir: 'run',
      pretrain: tinyPretrain,
      sft: { steps: 12, batchSize: 8, lr: 1e-2, minLr: 1e-3, warmupSteps: 3, checkpointEvery: 10, evalItems: 6, evalMaxNewTokens: 48, evalBatchSize: 6, examples: 3 },
    },
  });
}

function readLines<T>(file: string): T[] {
  const text = fs.readFileSync(file, 'utf8').trim();
  return text ? text.split('\n').map((l) => JSON.parse(l) as T) : [];
}

/** A copy of the template run (graph, rods, Base) under a fresh root. */
function cloneRun(template: string): RunContext {
  const root = tempDir('fleming-coldstart-');
  fs.cpSync(template, path.join(root, 'run'), { recursive: true });
  return openRun(config(), { root, quiet: true, progressMode: 'silent' });
}

describe('coldstart stage', () => {
  let template = '';
  let items: Item[] = [];

  beforeAll(async () => {
    const base = await tinyBaseRun(config(), { prefix: 'fleming-coldstart-base-', seed: 7 });
    items = base.items;
    const ctx = base.ctx;
    writeJsonlSync(path.join(ctx.dir, 'rods', 'train.jsonl'), items.filter((it) => it.split === 'train'));
    template = ctx.dir;
  }, 60_000);

  it('coldstartItems() keeps whole anchor groups (ceil(share × groups)) or single items (ceil(share × items)), a seeded draw in file order; share 1 keeps every item', () => {
    const train = items.filter((it) => it.split === 'train');
    const groups = new Set(train.map(groupOf));
    expect(groups.size).toBeGreaterThan(4);
    expect(coldstartItems(train, 1, 'anchor', 1)).toEqual(train);
    const half = coldstartItems(train, 0.5, 'anchor', 1);
    const kept = new Set(half.map(groupOf));
    expect(kept.size).toBe(Math.ceil(groups.size / 2));
    expect(half).toEqual(train.filter((it) => kept.has(groupOf(it)))); // whole groups, file order
    expect(coldstartItems(train, 0.5, 'anchor', 1)).toEqual(half);
    const draws = new Set([1, 2, 3, 4].map((seed) => coldstartItems(train, 0.5, 'anchor', seed).map((it) => it.id).join()));
    expect(draws.size).toBeGreaterThan(1); // the seed chooses the groups
    const single = coldstartItems(train, 0.5, 'item', 1);
    expect(single).toHaveLength(Math.ceil(train.length / 2));
    expect(single).toEqual(train.filter((it) => single.includes(it))); // file order
    expect(new Set(single.map(groupOf)).size).toBeGreaterThan(kept.size); // single items: most groups keep some
  });

  it('run() without rods/train.jsonl names the file and the command to run', async () => {
    const root = tempDir('fleming-coldstart-empty-');
    const ctx = openRun(config(), { root, quiet: true, progressMode: 'silent' });
    await expect(coldstart(ctx)).rejects.toThrow(/rods[/\\]train\.jsonl: no training items; run `fleming rods --run /);
  });

  it('run() writes verified traces, failures, stats and +CoT, reuses them on a second call, and redoes them with force', async () => {
    const ctx = cloneRun(template);
    const train = items.filter((it) => it.split === 'train');
    const byId = new Map(items.map((it) => [it.id, it]));
    const n0 = tf.memory().numTensors;
    const res = await coldstart(ctx); // the graph is read from the run directory
    expect(tf.memory().numTensors).toBe(n0);
    expect(res.reused).toBe(false);
    const dir = path.join(ctx.dir, 'coldstart');

    // cot.jsonl: one verified row per fixed item, every one a train item passing the completion filters
    const rows = readLines<CotOutRow>(path.join(dir, 'cot.jsonl'));
    const failures = readLines<CotOutRow & { reason: string }>(path.join(dir, 'cot-failures.jsonl'));
    const stats = readJson<RefineStats>(path.join(dir, 'cot-stats.json'));
    expect(stats).toEqual(res.stats);
    const { traceShare, traceShareBy } = ctx.config.coldstart;
    expect(traceShare).toBeLessThan(1); // the default traces a share of the anchors: the rest are RLVR's
    const traced = coldstartItems(train, traceShare, traceShareBy, ctx.config.seed);
    expect(stats.items).toBe(traced.length);
    expect(stats.items).toBeLessThan(train.length);
    expect(rows.length).toBe(stats.verified);
    expect(failures.length).toBe(stats.failed);
    expect(stats.verified + stats.failed).toBe(traced.length);
    expect(stats.verified).toBeGreaterThan(traced.length / 2);
    expect(new Set([...rows, ...failures].map((r) => r.itemId))).toEqual(new Set(traced.map((it) => it.id)));
    for (const r of rows) {
      const it = byId.get(r.itemId)!;
      expect(r.verified).toBe(true);
      expect(r.teacher).toBe('graph');
      expect(it.split).toBe('train');
      expect(completionProblem(it, r.completion, { maxChars: ctx.config.coldstart.maxChars })).toBeNull();
      expect(r.attempts).toBe(r.strategies.length + 1);
    }
    for (const f of failures) expect(f.reason.length).toBeGreaterThan(0);
    expect(stats.calls).toBeGreaterThanOrEqual(traced.length * ctx.config.coldstart.k);
    // the default concise style: a few corpus sentences, far shorter than the eval budget
    expect(stats.meanChars).toBeLessThan(220);

    // sft/: +CoT trained on exactly those rows, Base and +CoT under one protocol
    const sft = path.join(dir, 'sft');
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'metrics.jsonl', 'data.json', 'eval.json', 'examples.jsonl', 'done.json']) expect(fs.existsSync(path.join(sft, f)), f).toBe(true);
    expect(res.sft.data.rows).toBe(rows.length);
    expect(res.sft.data.used + res.sft.data.tooLong).toBe(rows.length); // every verified row is used unless it overflows the context
    expect(res.sft.data.used).toBeGreaterThan(rows.length / 2);
    expect(readLines(path.join(sft, 'metrics.jsonl'))).toHaveLength(ctx.config.sft.steps);
    expect(readJson(path.join(sft, 'eval.json'))).toEqual(res.sft.eval);
    expect(res.sft.eval.base.protocol).toEqual(res.sft.eval.cot.protocol);
    expect(res.sft.eval.base.n).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8')).toMatch(/coldstart: test accuracy Base \d+\.\d%, \+CoT \d+\.\d%/);

    // second call: nothing is redone, files untouched
    const cotBytes = fs.readFileSync(path.join(dir, 'cot.jsonl'));
    const modelBytes = fs.readFileSync(path.join(sft, 'model.safetensors'));
    const again = await coldstart(ctx);
    expect(again.reused).toBe(true);
    expect(again.sft.reused).toBe(true);
    expect(again.stats).toEqual(res.stats);
    expect(again.sft.eval).toEqual(res.sft.eval);
    expect(fs.readFileSync(path.join(dir, 'cot.jsonl'))).toEqual(cotBytes);

    // changed training items: the traces are redone
    const fewer = train.slice(1);
    writeJsonlSync(path.join(ctx.dir, 'rods', 'train.jsonl'), fewer);
    const changed = await coldstart(ctx);
    expect(changed.reused).toBe(false);
    expect(changed.stats.items).toBe(coldstartItems(fewer, traceShare, traceShareBy, ctx.config.seed).length);
    writeJsonlSync(path.join(ctx.dir, 'rods', 'train.jsonl'), train);

    // force redoes both steps and, with the same seed, writes the same files
    const forced = await coldstart(ctx, { force: true });
    expect(forced.reused).toBe(false);
    expect(forced.sft.reused).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'cot.jsonl'))).toEqual(cotBytes);
    expect(Buffer.compare(fs.readFileSync(path.join(sft, 'model.safetensors')), modelBytes)).toBe(0);
    expect(forced.sft.eval).toEqual(res.sft.eval);
  }, 120_000);

  it("run() with style 'clinical' writes longer traces that state a denial per distractor", async () => {
    const ctx = cloneRun(template);
    ctx.config.coldstart.style = 'clinical';
    ctx.config.sft.steps = 2;
    ctx.config.sft.evalItems = 2;
    const res = await coldstart(ctx);
    const rows = readLines<CotOutRow>(path.join(ctx.dir, 'coldstart', 'cot.jsonl'));
    expect(rows.length).toBe(res.stats.verified);
    expect(res.stats.meanChars).toBeGreaterThan(220);
    expect(rows.some((r) => /not|lacks|less likely/.test(r.completion))).toBe(true);
  }, 60_000);
});
