import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { openRun } from '../../src/core/run';
import { readJsonlAll } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import * as rods from '../../src/rods/stage';
import { splitItems, splitDefaults, tuningItems } from '../../src/rods/split';
import { loadSeedGraph } from '../../src/graph/seed';
import { worldRelease } from '../graph/worldRelease';
import { itemGraphFeatures, referenceAnswer } from '../../src/rods/features';
import { synthesize } from '../../src/rods/synth';
import type { Item } from '../../src/rods/item';
import { mentionName } from '../../src/base/sentences';
import { baseTokenizer } from '../../src/base/recipe';
import { recipeDefaults } from '../../src/base/config';
import { itemPrompt } from '../../src/protocol/index';
import { fixtureGraph } from './synth/fixture';
import { tempDir } from '../helpers/tmp';

function runCtx(overrides: Record<string, unknown> = {}) {
  const root = tempDir('fleming-rods-');
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
    const validation = await readJsonlAll<Item>(path.join(dir, 'validation.jsonl'));
    const test = await readJsonlAll<Item>(path.join(dir, 'test.jsonl'));
    expect(items.length).toBe(res.stats.kept);
    expect(items.length).toBeGreaterThan(100);
    expect(train.length + validation.length + test.length).toBe(items.length);
    expect([res.stats.train, res.stats.validation, res.stats.test]).toEqual([train.length, validation.length, test.length]);
    expect(test.length).toBeGreaterThan(0);
    expect(validation.length).toBeGreaterThan(0);
    // every item is graded and split, and keeps its evidence
    for (const it of items) {
      expect(['Easy', 'Moderate', 'Difficult']).toContain(it.difficulty);
      expect(['train', 'validation', 'test']).toContain(it.split);
      expect(it.evidence?.edges.length).toBeGreaterThan(0);
    }
    // no anchor appears in two splits
    const anchors = (xs: Item[]) => new Set(xs.map((i) => i.meta?.anchor));
    const [trainA, validationA, testA] = [anchors(train), anchors(validation), anchors(test)];
    for (const a of testA) expect(trainA.has(a) || validationA.has(a)).toBe(false);
    for (const a of validationA) expect(trainA.has(a)).toBe(false);
    expect(res.stats.anchors.validation.anchors).toBe(validationA.size);
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

  it('splitItems() carves validation from the training groups: disjoint anchors, about validationShare, the test split as without it', () => {
    const items: Item[] = Array.from({ length: 400 }, (_, i) => ({ id: `i${i}`, origin: 'synthetic', question: 'q', options: { A: 'a', B: 'b' }, answer: 'A', type: 'diagnosis', meta: { anchor: `a${i % 80}` } }));
    const out = splitItems(items, undefined, { ...splitDefaults, testShare: 0.2, validationShare: 0.1 }, new Rng(3));
    const anchorsOf = (s: string) => new Set(out.filter((i) => i.split === s).map((i) => i.meta?.anchor as string));
    const [train, validation, test] = [anchorsOf('train'), anchorsOf('validation'), anchorsOf('test')];
    for (const a of validation) expect(train.has(a) || test.has(a)).toBe(false);
    for (const a of test) expect(train.has(a)).toBe(false);
    expect(out.filter((i) => i.split === 'validation').length).toBe(40); // 8 groups of 5
    expect(train.size + validation.size + test.size).toBe(80);
    const without = splitItems(items, undefined, { ...splitDefaults, testShare: 0.2, validationShare: 0 }, new Rng(3));
    expect(without.map((i) => i.split === 'test')).toEqual(out.map((i) => i.split === 'test'));
    expect(without.some((i) => i.split === 'validation')).toBe(false);
    expect(() => splitItems(items, undefined, { ...splitDefaults, testShare: 0.6, validationShare: 0.4 }, new Rng(3))).toThrow(/rods\.testShare \(0\.6\) \+ rods\.validationShare \(0\.4\) must be < 1/);
  });

  it('splitItems() holds out at most longTailMaxOversample × its share of the long-tail items: training keeps rare anchors', () => {
    const g = fixtureGraph();
    const ids = g.nodes.map((n) => n.id).sort();
    const tailIds = ids.filter((id) => g.degree(id) <= 1);
    const headIds = ids.filter((id) => g.degree(id) > 1);
    expect(tailIds.length).toBeGreaterThanOrEqual(20);
    expect(headIds.length).toBeGreaterThanOrEqual(60);
    // 20 long-tail anchors × 3 items, 60 head anchors × 5 (as on the seed graph: the long tail is a small share of the items)
    const anchors = [...tailIds.slice(0, 20).flatMap((a) => [a, a, a]), ...headIds.slice(0, 60).flatMap((a) => [a, a, a, a, a])];
    const items: Item[] = anchors.map((a, i) => ({ id: `i${i}`, origin: 'synthetic', question: 'q', options: { A: 'a', B: 'b' }, answer: 'A', type: 'diagnosis', meta: { anchor: a } }));
    const tailOf = (out: Item[], s: string) => out.filter((i) => i.split === s && i.meta?.longTail).length;
    const cfg = { ...splitDefaults, testShare: 0.2, validationShare: 0.1, longTailDegree: 1 };
    const out = splitItems(items, g, cfg, new Rng(4));
    expect(out.filter((i) => i.meta?.longTail).length).toBe(60);
    // test wants 30% of its 72 items from the tail (22), but may take only 2 × 20% of the 60 tail items (24 → ≤ 24 + one group)
    expect(tailOf(out, 'test')).toBeGreaterThanOrEqual(21);
    expect(tailOf(out, 'test')).toBeLessThanOrEqual(24);
    expect(tailOf(out, 'validation')).toBeLessThanOrEqual(Math.floor(2 * 0.1 * 60) + 2);
    expect(tailOf(out, 'train')).toBeGreaterThanOrEqual(60 - 24 - 14);
    // oversample 1: each held-out split takes about its own share of the tail (stratified); without the cap (a large
    // factor) the held-out splits take every long-tail anchor and training keeps none, the old behaviour
    const strat = splitItems(items, g, { ...cfg, longTailMaxOversample: 1 }, new Rng(4));
    expect(tailOf(strat, 'test')).toBeLessThanOrEqual(12 + 2);
    const greedy = splitItems(items, g, { ...cfg, longTailTestShare: 0.9, longTailMaxOversample: 100 }, new Rng(4));
    expect(tailOf(greedy, 'train')).toBe(0);
    const capped = splitItems(items, g, { ...cfg, longTailTestShare: 0.9 }, new Rng(4));
    expect(tailOf(capped, 'train')).toBeGreaterThanOrEqual(60 - 24 - 12 - 4);
  });

  it('tuningItems() is the validation split; a run without one falls back to test and says so', () => {
    const it0 = (id: string, split: Item['split']): Item => ({ id, origin: 'synthetic', question: 'q', options: { A: 'a', B: 'b' }, answer: 'A', type: 'diagnosis', split });
    const items = [it0('a', 'train'), it0('b', 'validation'), it0('c', 'test')];
    expect(tuningItems(items)).toEqual({ split: 'validation', items: [items[1]] });
    const old = tuningItems([items[0], items[2]]);
    expect(old).toMatchObject({ split: 'test', items: [items[2]] });
    expect(old.note).toMatch(/no validation split/);
  });
});

describe('rods stage on the whole seed graph (the world of a released Base)', () => {
  it('run(): test ≥ 300 items from ≥ 20 anchor diseases, validation from other anchors; options in mention form', async () => {
    process.env.FLEMING_NO_PNG = '1';
    const graph = loadSeedGraph(undefined, { strict: true }).graph;
    const rel = tempDir('fleming-rods-release-');
    const root = tempDir('fleming-rods-seed-');
    const ctx = openRun(resolveConfig({ overrides: { runDir: 'run', base: { release: worldRelease(rel, 0) } } }), { root, quiet: true, progressMode: 'silent' });
    const res = await rods.run(ctx, { graph });
    const s = res.stats;
    expect(s.test).toBeGreaterThanOrEqual(300);
    expect(s.anchors.test.diseases).toBeGreaterThanOrEqual(20);
    expect(s.validation).toBeGreaterThanOrEqual(300);
    expect(s.anchors.validation.diseases).toBeGreaterThanOrEqual(10);
    const groups = (split: string) => new Set(res.items.filter((i) => i.split === split).map((i) => i.meta?.anchor));
    const [train, validation, test] = [groups('train'), groups('validation'), groups('test')];
    for (const a of validation) expect(train.has(a) || test.has(a)).toBe(false);
    for (const a of test) expect(train.has(a)).toBe(false);
    // the long tail (mostly drugs here) is in every split: test has a slice of it, and training keeps ≥ 40% of it
    const tail = (split: string) => res.items.filter((i) => i.split === split && i.meta?.longTail).length;
    const allTail = res.items.filter((i) => i.meta?.longTail).length;
    expect(tail('test')).toBeGreaterThanOrEqual(100);
    expect(tail('train')).toBeGreaterThanOrEqual(0.35 * allTail);
    expect(res.items.filter((i) => i.split === 'train' && i.meta?.longTail && i.type === 'mechanism').length).toBeGreaterThan(50);
    // the released Base's names: every option is the mention form of its entity's name
    for (const it of res.items.filter((i) => i.origin === 'synthetic')) {
      const ids = it.meta?.optionIds as Record<string, string>;
      for (const [l, x] of Object.entries(it.options)) expect(x).toBe(mentionName(graph.node(ids[l]).name));
    }
    expect(res.items.some((it) => Object.values(it.options).includes('down syndrome'))).toBe(true);
    // under a release tokenizer (entity tokens " name" of the whole seed graph), each `A. name` line names its option with one entity token
    const synthetic = res.items.filter((i) => i.origin === 'synthetic');
    const tok = baseTokenizer(graph, { ...recipeDefaults, bpeVocab: 300 }, synthetic.slice(0, 100).map(itemPrompt));
    for (const it of synthetic) {
      const ids = tok.encode(itemPrompt(it), { allowSpecial: false });
      for (const x of Object.values(it.options)) expect(ids, `${it.id}: ${x}`).toContain(tok.tokenToId(` ${x}`));
    }
    expect(fs.readFileSync(path.join(ctx.dir, 'rods', 'report.md'), 'utf8')).toMatch(/\| validation \| \d+ \| \d+ \| \d+ \|/);
    expect(fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8')).toMatch(/rods: \d+ items: \d+ train \(\d+ anchors, \d+ of them diseases\), \d+ validation/);
  }, 120_000);
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

describe('rods stage with an OpenAI-compatible endpoint', () => {
  it('run() verifies labels and judges difficulty through a chat endpoint on 127.0.0.1, keeping the key out of run files', async () => {
    const http = await import('node:http');
    const seen = { validator: 0, judge: 0, auth: new Set<string>() };
    // A deterministic "model": always answers A as a validator, always "Difficult" as a judge.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.auth.add(String(req.headers.authorization));
        const prompt = JSON.stringify(JSON.parse(body).messages);
        const judge = /rating the difficulty/.test(prompt);
        judge ? seen.judge++ : seen.validator++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: judge ? 'Difficulty: Difficult' : 'The answer is A.' } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    process.env.FLEMING_TEST_KEY = 'sk-test-secret-123';
    process.env.FLEMING_NO_PNG = '1';
    try {
      const endpoint = { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'fake', apiKeyEnv: 'FLEMING_TEST_KEY', maxConcurrency: 4 };
      const ctx = runCtx({ items: 80, verifySamples: 3, validator: endpoint, judge: endpoint });
      const res = await rods.run(ctx, { graph: fixtureGraph() });
      const dir = path.join(ctx.dir, 'rods');
      const review = await readJsonlAll<{ reason: string; item: Item }>(path.join(dir, 'review.jsonl'));
      // every item whose key is not A fails 3/3 and goes to review; the A items are kept
      expect(review.length).toBeGreaterThan(0);
      for (const r of review) {
        expect(r.item.answer).not.toBe('A');
        expect(r.reason).toBe('validator failed 3/3: answered A,A,A');
      }
      for (const it of res.items) expect(it.answer).toBe('A');
      expect(seen.validator).toBe(3 * (res.items.length + review.length));
      expect(seen.judge).toBe(res.items.length);
      // judge says Difficult; the validator's pass rate (3/3) says Easy; graph features break the tie
      for (const it of res.items) {
        const s = it.meta?.difficultySignals as { judge: string; passRate: string; reference: string };
        expect(s.judge).toBe('Difficult');
        expect(s.passRate).toBe('Easy');
        expect(s.reference).toBe('LLM fake');
      }
      expect([...seen.auth]).toEqual(['Bearer sk-test-secret-123']);
      for (const f of fs.readdirSync(ctx.dir, { recursive: true }) as string[]) {
        const p = path.join(ctx.dir, f);
        if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, 'utf8')).not.toContain('sk-test-secret-123');
      }
    } finally {
      server.close();
    }
  });
});
