import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import type { KnowledgeGraph } from '../../src/graph/graph';
import { GraphTeacher, STRATEGIES, Strategy, TeachContext, Teacher, Trace, checkTrace, chooseStrategy, refineAll, refineDefaults, refineItem } from '../../src/coldstart/cot/index';
import type { Item } from '../../src/rods/item';
import { SynthQuery, synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const items = synthesize(g, { n: 150 }, new Rng(5)).items;

/** Wraps a teacher and keeps every trace it returned, by completion. */
function recording(t: Teacher): Teacher & { traces: Map<string, Trace> } {
  const traces = new Map<string, Trace>();
  const keep = (tr: Trace) => (traces.set(tr.completion, tr), tr);
  return {
    name: t.name,
    traces,
    unsupported: (it) => t.unsupported?.(it) ?? null,
    draft: async (it, c) => keep(await t.draft(it, c)),
    revise: async (it, p, f, s, c) => keep(await t.revise(it, p, f, s, c)),
  };
}

describe('chooseStrategy', () => {
  const table: [string[], Strategy[], Strategy][] = [
    [['claims'], [], 'self-correction'],
    [['format'], [], 'self-correction'],
    [['answer', 'evidence'], [], 'path-exploration'],
    [['answer', 'claims', 'evidence'], [], 'self-correction'],
    [['evidence'], [], 'backtracking'],
    [['length'], [], 'self-correction'],
    [['answer'], ['path-exploration'], 'backtracking'],
    [['evidence'], ['backtracking'], 'path-exploration'],
    [['evidence'], ['backtracking', 'path-exploration', 'self-correction'], 'backtracking'],
  ];
  it.each(table)('chooseStrategy(%j, tried %j) → %s', (failed, tried, want) => {
    expect(chooseStrategy({ failed: failed as never }, tried)).toBe(want);
  });
});

describe('refineAll with the graph teacher on the fixture graph', () => {
  it('refineAll fixes most items; kept traces pass every filter; strategies and attempts are recorded', async () => {
    const t = recording(new GraphTeacher(g, { style: 'clinical' }));
    const res = await refineAll(items, t, { graph: g }, { seed: 3 });
    const s = res.stats;
    expect(s.items).toBe(items.length);
    expect(s.verified / s.items).toBeGreaterThanOrEqual(0.9);
    expect(s.verified + s.failed).toBe(s.items);
    expect(s.firstDraftCorrect).toBeLessThan(s.items); // the loop had work to do
    expect(s.calls).toBeGreaterThanOrEqual(items.length * refineDefaults.k);
    for (const r of res.rows) {
      const it = items.find((x) => x.id === r.itemId)!;
      const tr = t.traces.get(r.completion)!;
      expect(tr).toBeDefined();
      expect(checkTrace(it, tr, g).failures).toEqual([]);
      expect(r.verified).toBe(true);
      expect(r.attempts).toBe(r.strategies.length + 1);
      expect(r.attempts).toBeLessThanOrEqual(refineDefaults.depth + 1);
      for (const x of r.strategies) expect(STRATEGIES).toContain(x);
      expect(r.teacher).toBe('graph');
      expect(r.type).toBe(it.type);
      expect(['Easy', 'Moderate', 'Difficult']).toContain(r.difficulty);
      expect(r.firstDraft).toMatch(/^<think>/);
    }
    expect(res.rows.some((r) => r.strategies.length > 0)).toBe(true);
    const tried = STRATEGIES.map((x) => s.strategiesTried[x]);
    for (const n of tried) expect(n).toBeGreaterThan(0);
    for (const x of STRATEGIES) expect(s.strategyFixes[x]).toBeLessThanOrEqual(s.strategiesTried[x]);
  });

  it('refineAll: first drafts on multi-hop and many-clue diagnosis items are wrong at a nonzero rate, and the loop fixes ≥ 90%', async () => {
    const hard = items.filter((it) => it.type === 'multi_hop' || (it.type === 'diagnosis' && ((it.meta!.query as SynthQuery).clues ?? []).length >= 4));
    const res = await refineAll(hard, new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 9, k: 1 });
    const wrongFirst = res.stats.items - res.stats.firstDraftCorrect;
    expect(wrongFirst / res.stats.items).toBeGreaterThan(0.05);
    expect(res.stats.verified / res.stats.items).toBeGreaterThanOrEqual(0.9);
    const fixed = res.rows.filter((r) => r.firstDraftFlaws!.some((f) => f.startsWith('answer:')));
    expect(fixed.length).toBeGreaterThan(0);
    for (const r of fixed) expect(r.strategies.length).toBeGreaterThan(0);
  });

  it('refineAll is deterministic for a seed, independent of concurrency, and changes with the seed', async () => {
    const xs = items.slice(0, 60);
    const a = await refineAll(xs, new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 7, concurrency: 1 });
    const b = await refineAll(xs, new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 7, concurrency: 16 });
    const c = await refineAll(xs, new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 8 });
    expect(b.rows).toEqual(a.rows);
    expect(b.failures).toEqual(a.failures);
    expect(c.rows.map((r) => r.completion)).not.toEqual(a.rows.map((r) => r.completion));
  });

  it('refineItem keeps the shortest passing trace of the k chains', async () => {
    const t = recording(new GraphTeacher(g, { style: 'clinical' }));
    const it = items[0];
    const r = await refineItem(it, t, { graph: g }, { k: 6, seed: 1 });
    expect(r.verified).toBe(true);
    const passing = [...t.traces.values()].filter((tr) => checkTrace(it, tr, g).ok).map((tr) => tr.completion.length);
    expect(r.completion.length).toBe(Math.min(...passing));
  });

  it('refineItem: stopAtFirstPass samples fewer chains', async () => {
    const all = await refineAll(items.slice(0, 40), new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 2 });
    const early = await refineAll(items.slice(0, 40), new GraphTeacher(g, { style: 'clinical' }), { graph: g }, { seed: 2, stopAtFirstPass: true });
    expect(early.stats.calls).toBeLessThan(all.stats.calls);
    expect(early.stats.verified).toBe(all.stats.verified);
  });

  it('refineItem returns failures with a reason: unsupported items, and a teacher that never fixes', async () => {
    const cur: Item = { id: 'medqa-7', origin: 'medqa', question: 'Q?', options: { A: 'x', B: 'y' }, answer: 'A', type: 'curated' };
    const r = await refineItem(cur, new GraphTeacher(g, { style: 'clinical' }), { graph: g });
    expect(r).toMatchObject({ itemId: 'medqa-7', verified: false, attempts: 0, reason: 'unsupported: no graph query (not a synthetic item)', difficulty: null });
    const stubborn: Teacher = {
      name: 'stub',
      draft: async () => ({ completion: '<think>It is x.</think>\n<answer>B</answer>', claims: [], answer: 'B' }),
      revise: async (_i: Item, p: Trace, _f: readonly string[], _s: Strategy, _c: TeachContext) => p,
    };
    const f = await refineItem(cur, stubborn, { graph: null }, { k: 2, depth: 3 });
    expect(f.verified).toBe(false);
    expect(f.attempts).toBe(4);
    expect(f.strategies).toEqual(['path-exploration', 'backtracking', 'self-correction']);
    expect('reason' in f && f.reason).toBe('answer: answer B but the label is A');
    await expect(refineItem(cur, stubborn, { graph: null }, { k: 0 })).rejects.toThrow(/k must be a positive integer/);
  });
});

const seedModule = path.resolve(__dirname, '../../src/graph/seed.ts');
describe.skipIf(!fs.existsSync(seedModule))(`refineAll on the seed graph${fs.existsSync(seedModule) ? '' : ' (skipped: src/graph/seed.ts not present)'}`, () => {
  it('refineAll on 500 seed-graph items: measured first-draft accuracy, verified share, strategies, traces/s', async () => {
    const mod = (await import(seedModule)) as { loadSeedGraph: () => { graph: KnowledgeGraph } };
    const sg = mod.loadSeedGraph().graph;
    const xs = synthesize(sg, { n: 500 }, new Rng(1)).items;
    const res = await refineAll(xs, new GraphTeacher(sg, { style: 'clinical' }), { graph: sg }, { seed: 1 });
    const s = res.stats;
    const perSec = (s.calls / Math.max(1, s.elapsedMs)) * 1000;
    console.info(
      `seed graph: ${s.items} items, first drafts correct ${(s.firstDraftCorrect / s.items).toFixed(3)}, passing ${(s.firstDraftPassed / s.items).toFixed(3)}, ` +
        `verified ${(s.verified / s.items).toFixed(3)}, kept strategies ${JSON.stringify(s.strategies)}, tried ${JSON.stringify(s.strategiesTried)}, ` +
        `fixes ${JSON.stringify(s.strategyFixes)}, ${s.calls} traces in ${s.elapsedMs} ms (${perSec.toFixed(0)} traces/s), mean ${s.meanChars.toFixed(0)} chars`,
    );
    expect(s.firstDraftCorrect / s.items).toBeGreaterThan(0.6);
    expect(s.firstDraftCorrect).toBeLessThan(s.items);
    expect(s.verified / s.items).toBeGreaterThanOrEqual(0.9);
    const hop = s.byType.multi_hop;
    expect(hop.firstCorrect / hop.items).toBeLessThan(s.byType.test_selection.firstCorrect / s.byType.test_selection.items);
  });
});
