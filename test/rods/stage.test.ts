import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { openRun } from '../../src/core/run';
import { readJsonlAll } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import * as rods from '../../src/rods/stage';
import { splitItems, splitDefaults } from '../../src/rods/split';
import { itemGraphFeatures, referenceAnswer } from '../../src/rods/features';
import { synthesize } from '../../src/rods/synth';
import type { Item } from '../../src/rods/item';
import { fixtureGraph } from './synth/fixture';

function runCtx(overrides: Record<string, unknown> = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-rods-'));
  const config = resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', rods: { items: 300, referenceSamples: 4, ...overrides } } });
  return openRun(config, { root, quiet: true, progressMode: 'silent' });
}

describe('rods stage', () => {
  it('run() writes items, splits, rejections and stats that agree with each other', async () => {
    process.env.FLEMING_NO_PNG = '1';
    const g = fixtureGraph();
    const ctx = runCtx();
    const res = await rods.run(ctx, { graph: g });
    const dir = path.join(ctx.dir, 'rods');
    const items = await readJsonlAll<Item>(path.join(dir, 'items.jsonl'));
    const train = await readJsonlAll<Item>(path.join(dir, 'train.jsonl'));
    const test = await readJsonlAll<Item>(path.join(dir, 'test.jsonl'));
    expect(items.length).toBe(res.stats.kept);
    expect(items.length).toBeGreaterThan(100);
    expect(train.length + test.length).toBe(items.length);
    expect(test.length).toBeGreaterThan(0);
    // every item is graded and split, and keeps its evidence
    for (const it of items) {
      expect(['Easy', 'Moderate', 'Difficult']).toContain(it.difficulty);
      expect(['train', 'test']).toContain(it.split);
      expect(it.evidence?.edges.length).toBeGreaterThan(0);
    }
    // no anchor appears on both sides
    const trainAnchors = new Set(train.map((i) => i.meta?.anchor));
    for (const it of test) expect(trainAnchors.has(it.meta?.anchor)).toBe(false);
    // rejected drafts are written with their reasons
    const rejected = await readJsonlAll<{ stage: string; reason: string }>(path.join(dir, 'rejected.jsonl'));
    const total = Object.values(res.stats.rejectedByReason).reduce((a, b) => a + b, 0);
    expect(rejected.length).toBe(total);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Items by type and difficulty');
    // a second run reuses the stage
    const again = await rods.run(ctx, { graph: g });
    expect(again.reused).toBe(true);
    expect(again.items.length).toBe(items.length);
  });

  it('run() gives byte-identical items for the same seed', async () => {
    process.env.FLEMING_NO_PNG = '1';
    const g = fixtureGraph();
    const a = runCtx();
    const b = runCtx();
    await rods.run(a, { graph: g });
    await rods.run(b, { graph: g });
    expect(fs.readFileSync(path.join(a.dir, 'rods', 'items.jsonl'), 'utf8')).toBe(fs.readFileSync(path.join(b.dir, 'rods', 'items.jsonl'), 'utf8'));
  });
});

describe('splitItems', () => {
  it('splitItems() keeps anchor groups together and holds out about testShare of the items', () => {
    const items: Item[] = Array.from({ length: 200 }, (_, i) => ({ id: `i${i}`, origin: 'synthetic', question: 'q', options: { A: 'a', B: 'b' }, answer: 'A', type: 'diagnosis', meta: { anchor: `a${i % 40}` } }));
    const out = splitItems(items, undefined, { ...splitDefaults, testShare: 0.25 }, new Rng(1));
    const side = new Map<string, string>();
    for (const it of out) {
      const a = it.meta?.anchor as string;
      if (side.has(a)) expect(side.get(a)).toBe(it.split);
      side.set(a, it.split as string);
    }
    const nTest = out.filter((i) => i.split === 'test').length;
    expect(nTest).toBeGreaterThanOrEqual(45);
    expect(nTest).toBeLessThanOrEqual(55);
  });
});

describe('features', () => {
  it('itemGraphFeatures() and referenceAnswer() are defined for every synthetic item; rare anchors are answered less often', () => {
    const g = fixtureGraph();
    const { items } = synthesize(g, { n: 120 }, new Rng(5));
    const rng = new Rng(9);
    let right = 0;
    for (const it of items) {
      const f = itemGraphFeatures(g, it);
      expect(f.hops).toBeGreaterThanOrEqual(1);
      expect(f.distractorOverlap).toBeGreaterThanOrEqual(0);
      expect(f.distractorOverlap).toBeLessThanOrEqual(1);
      const letter = referenceAnswer(g, it, rng);
      expect(Object.keys(it.options)).toContain(letter);
      if (letter === it.answer) right++;
    }
    // better than chance (1/4), worse than the full solver (1.0)
    expect(right / items.length).toBeGreaterThan(0.3);
    expect(right / items.length).toBeLessThan(0.98);
  });
});
