import { describe, expect, it } from 'vitest';
import { focusGraph } from '../../src/graph/focus';
import { loadSeedGraph } from '../../src/graph/seed';
import { resolveConfig } from '../../src/core/config';

const seed = loadSeedGraph(undefined, { strict: true }).graph;

describe('focusGraph (real seed graph)', () => {
  it('keeps N anchor diseases and a closed neighbourhood: every kept edge has both endpoints kept', () => {
    const { graph, report } = focusGraph(seed, 50, 1234);
    expect(report.anchors).toHaveLength(50);
    expect(report.eligible).toBeGreaterThan(200);
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const a of report.anchors) expect(ids.has(a)).toBe(true);
    for (const e of graph.edges) {
      expect(ids.has(e.source)).toBe(true);
      expect(ids.has(e.target)).toBe(true);
    }
    // Induced subgraph: every seed edge between kept nodes is kept.
    const induced = seed.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    expect(graph.edges.length).toBe(induced.length);
    expect(report.nodes).toEqual({ kept: graph.nodes.length, of: seed.nodes.length });
    expect(graph.nodes.length).toBeLessThan(seed.nodes.length / 2);
    expect(graph.nodes.length).toBeGreaterThan(300);
  });

  it('keeps what every item type needs around each anchor', () => {
    const { graph, report } = focusGraph(seed, 25, 1234);
    for (const a of report.anchors) {
      expect(graph.targets(a, 'treated_by').length).toBe(seed.targets(a, 'treated_by').length);
      expect(graph.targets(a, 'diagnosed_by').length).toBeGreaterThan(0);
      expect(graph.targets(a, 'has_symptom').length + graph.targets(a, 'has_finding').length).toBeGreaterThan(0);
      expect(graph.sourcesOf(a, 'contraindicated_in').length).toBe(seed.sourcesOf(a, 'contraindicated_in').length);
    }
    for (const d of graph.ofType('drug')) for (const c of seed.targets(d.id, 'in_class')) expect(graph.byId.has(c)).toBe(true);
    for (const x of [...graph.ofType('drug'), ...graph.ofType('drug_class')]) for (const m of seed.targets(x.id, 'has_mechanism')) expect(graph.byId.has(m)).toBe(true);
    for (const f of graph.ofType('finding')) for (const t of seed.targets(f.id, 'measured_by')) expect(graph.byId.has(t)).toBe(true);
    for (const c of graph.ofType('drug_class')) for (const p of seed.targets(c.id, 'subclass_of')) expect(graph.byId.has(p)).toBe(true);
  });

  it('is deterministic in the seed, differs across seeds, and grows with N', () => {
    const a = focusGraph(seed, 50, 1234);
    const b = focusGraph(seed, 50, 1234);
    expect(b.report.anchors).toEqual(a.report.anchors);
    expect(JSON.stringify(b.graph.edges)).toBe(JSON.stringify(a.graph.edges));
    expect(focusGraph(seed, 50, 99).report.anchors).not.toEqual(a.report.anchors);
    const sizes = [25, 50, 100].map((n) => focusGraph(seed, n, 1234).graph.edges.length);
    expect(sizes[0]).toBeLessThan(sizes[1]);
    expect(sizes[1]).toBeLessThan(sizes[2]);
  });

  it('returns the whole graph for 0 or N ≥ the eligible diseases; the default preset focuses a from-scratch run on 25, the others are off, and the values are validated', () => {
    expect(focusGraph(seed, 0, 1).graph).toBe(seed);
    expect(focusGraph(seed, 10_000, 1).graph).toBe(seed);
    expect(resolveConfig().graph.focus).toEqual({ diseases: 0, fromScratch: 25 }); // the default preset's from-scratch world (src/graph/world.ts)
    for (const preset of ['smoke', 'full', 'gpu'] as const) expect(resolveConfig({ preset }).graph.focus).toEqual({ diseases: 0, fromScratch: 0 });
    expect(resolveConfig({ overrides: { graph: { focus: { diseases: 50 } } } }).graph.focus.diseases).toBe(50);
    expect(() => resolveConfig({ overrides: { graph: { focus: { diseases: -1 } } } })).toThrow(/graph.focus.diseases/);
    expect(() => resolveConfig({ overrides: { graph: { focus: { fromScratch: 1.5 } } } })).toThrow(/graph.focus.fromScratch/);
  });
});
