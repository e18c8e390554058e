import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';
import { normalizeName } from '../../../src/graph/schema';
import type { Item } from '../../../src/rods/item';
import {
  LetterCycle,
  SYNTH_TYPES,
  SynthQuery,
  SynthType,
  factsOf,
  quotas,
  satisfies,
  solveItem,
  synthesize,
} from '../../../src/rods/synth';
import { fixtureGraph } from './fixture';

const g = fixtureGraph();
const f = factsOf(g);

function run(type: SynthType, n = 24, seed = 7, extra = {}) {
  return synthesize(g, { n, mix: { [type]: 1 }, ...extra }, new Rng(seed));
}

function optionIds(it: Item): Record<string, string> {
  return it.meta?.optionIds as Record<string, string>;
}

/** Checks every kept item makes: clues in the text, evidence in the graph, exactly one right option. */
function checkItems(items: Item[]): void {
  for (const it of items) {
    const q = it.meta?.query as SynthQuery;
    const ids = optionIds(it);
    expect(it.origin).toBe('synthetic');
    expect(Object.keys(it.options)).toEqual(['A', 'B', 'C', 'D']);
    for (const t of (it.meta?.clueTexts as string[]) ?? []) expect(it.question.toLowerCase()).toContain(t.toLowerCase());
    for (const e of it.evidence!.edges) expect(f.hasEdge(e.source, e.relation, e.target), `${e.source} ${e.relation} ${e.target}`).toBe(true);
    for (const e of it.evidence!.edges) expect(it.evidence!.nodes).toContain(e.source);
    expect(satisfies(f, q, ids[it.answer])).toBe(true);
    for (const [l, id] of Object.entries(ids)) if (l !== it.answer) expect(satisfies(f, q, id), `${it.id} ${l} ${id}`).toBe(false);
    for (const [l, id] of Object.entries(ids)) expect(g.node(id).name).toBe(it.options[l]);
    expect(new Set(Object.values(ids).map((id) => g.node(id).type)).size).toBe(1);
    expect(solveItem(g, it)).toEqual({ letter: it.answer, candidates: [it.answer] });
    expect(it.hops).toBeGreaterThanOrEqual(1);
  }
}

describe('synthesize per item type on the fixture graph', () => {
  it('synthesize diagnosis: the clues are the answer disease’s features, phrased in the question', () => {
    const { items } = run('diagnosis');
    expect(items.length).toBe(24);
    checkItems(items);
    for (const it of items) {
      const q = it.meta?.query as SynthQuery;
      const d = optionIds(it)[it.answer];
      expect(q.clues!.length).toBeGreaterThanOrEqual(2);
      for (const c of q.clues!) expect(f.directFeatures(d)).toContain(c);
      expect(it.hops).toBe(1);
      expect(normalizeName(it.question)).not.toContain(normalizeName(it.options[it.answer]));
    }
    // Findings are phrased through their measuring test, e.g. "Serum lipase is elevated".
    const texts = items.flatMap((it) => it.meta?.clueTexts as string[]);
    expect(texts.some((t) => /^(Serum lipase|Troponin|TSH|BNP|Serum ferritin|Serum uric acid) is (elevated|raised|high|low|decreased|reduced)$/.test(t))).toBe(true);
  });

  it('synthesize test_selection: names the disease, the answer is a test it is diagnosed by', () => {
    const { items } = run('test_selection');
    checkItems(items);
    for (const it of items) {
      const d = (it.meta?.query as SynthQuery).given!;
      expect(f.out(d, 'diagnosed_by')).toContain(optionIds(it)[it.answer]);
      const names = [g.node(d).name, ...g.node(d).synonyms].map(normalizeName);
      expect(names.some((n) => normalizeName(it.question).includes(n))).toBe(true);
    }
  });

  it('synthesize treatment: the answer treats the disease directly or through its class', () => {
    const { items } = run('treatment');
    checkItems(items);
    for (const it of items) expect(f.treatingAgents((it.meta?.query as SynthQuery).given!).has(optionIds(it)[it.answer])).toBe(true);
    expect(new Set(items.map((it) => it.meta?.variant))).toEqual(new Set(['direct', 'via-class']));
    for (const it of items) expect(it.hops).toBe(it.meta?.variant === 'direct' ? 1 : 2);
  });

  it('synthesize mechanism: asks for a drug’s mechanism or class', () => {
    const { items } = run('mechanism', 30);
    checkItems(items);
    expect(new Set(items.map((it) => it.meta?.variant))).toEqual(new Set(['mechanism', 'class']));
    for (const it of items) {
      const type = g.node(optionIds(it)[it.answer]).type;
      expect(type).toBe(it.meta?.variant === 'mechanism' ? 'mechanism' : 'drug_class');
      expect(it.question).toContain(g.node((it.meta?.query as SynthQuery).given!).name.slice(1));
    }
  });

  it('synthesize contraindication: the answer is contraindicated in the condition, no distractor is', () => {
    const { items } = run('contraindication');
    checkItems(items);
    for (const it of items) expect(f.contraindicated((it.meta?.query as SynthQuery).given!).has(optionIds(it)[it.answer])).toBe(true);
    // The comorbid variant offers drugs for a second condition.
    expect(items.some((it) => it.meta?.variant === 'comorbid')).toBe(true);
  });

  it('synthesize multi_hop: findings → hidden disease → test/drug/mechanism, disease never named', () => {
    const { items } = run('multi_hop', 40);
    checkItems(items);
    expect(new Set(items.map((it) => it.meta?.variant))).toEqual(new Set(['test', 'treatment', 'mechanism']));
    for (const it of items) {
      const d = it.meta?.hidden as string;
      const q = it.meta?.query as SynthQuery;
      expect(q.given).toBeUndefined();
      expect(f.diseasesWithAll(q.clues!)).toEqual([d]);
      for (const n of [g.node(d).name, ...g.node(d).synonyms]) expect(normalizeName(it.question)).not.toContain(normalizeName(n));
      // hops = the clue edge + the chain's edges; the chain starts at the hidden disease.
      const chain = it.evidence!.edges.filter((e) => e.relation !== 'has_symptom' && e.relation !== 'has_finding' && e.relation !== 'measured_by');
      expect(it.hops).toBe(1 + chain.length);
      expect(chain[0].source).toBe(d);
      if (it.meta?.variant === 'mechanism') expect(it.hops).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('synthesize batch properties', () => {
  const mixed = synthesize(g, { n: 120 }, new Rng(11));

  it('synthesize returns n items of every type in the mix with stable ids', () => {
    expect(mixed.items.length).toBe(120);
    expect(mixed.stats.produced).toBe(120);
    expect(new Set(mixed.items.map((it) => it.type))).toEqual(new Set(SYNTH_TYPES));
    expect(mixed.stats.byType).toEqual(quotas(120, { diagnosis: 3, test_selection: 1, treatment: 2, mechanism: 1, contraindication: 1, multi_hop: 2 }));
    for (const t of SYNTH_TYPES) {
      const ids = mixed.items.filter((it) => it.type === t).map((it) => it.id);
      expect(ids).toEqual(ids.map((_, i) => `syn-${t}-${i}`));
    }
    checkItems(mixed.items);
  });

  it('synthesize balances answer letters: per-letter counts differ by at most 1', () => {
    const counts = ['A', 'B', 'C', 'D'].map((l) => mixed.items.filter((it) => it.answer === l).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const six = synthesize(g, { n: 50, options: 6, mix: { treatment: 1, mechanism: 1 } }, new Rng(3));
    expect(six.items.every((it) => Object.keys(it.options).join('') === 'ABCDEF')).toBe(true);
    const c6 = 'ABCDEF'.split('').map((l) => six.items.filter((it) => it.answer === l).length);
    expect(Math.max(...c6) - Math.min(...c6)).toBeLessThanOrEqual(1);
  });

  it('synthesize is deterministic: same seed → identical JSON, different seed → different', () => {
    const again = synthesize(g, { n: 120 }, new Rng(11));
    expect(JSON.stringify(again)).toBe(JSON.stringify(mixed));
    const other = synthesize(g, { n: 120 }, new Rng(12));
    expect(JSON.stringify(other.items)).not.toBe(JSON.stringify(mixed.items));
  });

  it('synthesize varies surface forms: several templates, stems and registers per type, recorded in meta', () => {
    const big = synthesize(g, { n: 300 }, new Rng(4));
    for (const t of ['diagnosis', 'multi_hop', 'treatment'] as const) {
      const templates = new Set(big.items.filter((it) => it.type === t).map((it) => (it.meta?.template as string).replace(/\.s\d+$/, '')));
      expect(templates.size, t).toBeGreaterThanOrEqual(3);
      const stems = new Set(big.items.filter((it) => it.type === t).map((it) => (it.meta?.template as string).split('.').pop()));
      expect(stems.size, t).toBeGreaterThanOrEqual(3);
    }
    expect(new Set(big.items.map((it) => it.meta?.register))).toEqual(new Set(['clinical', 'synonym', 'lay']));
    // Lay words appear for symptoms (e.g. "shortness of breath" for dyspnea).
    const lay = big.items.filter((it) => it.meta?.register === 'lay').flatMap((it) => it.meta?.clueTexts as string[]);
    expect(lay.some((t) => /shortness of breath|trouble breathing|tiredness|worn out|throwing up|stomach pain|belly pain|feeling feverish/.test(t))).toBe(true);
    // Sex-specific conditions without a marking get neutral phrasing; never "man" with preeclampsia.
    for (const it of big.items) {
      const ids = [...Object.values(optionIds(it)), it.meta?.anchor as string];
      if (ids.some((id) => /preeclampsia|prostat/.test(id))) expect((it.meta?.patient as { sex: unknown }).sex).toBeNull();
    }
  });

  it('synthesize respects a sex marking in config.sexOf', () => {
    const r = synthesize(g, { n: 30, mix: { treatment: 1 }, sexOf: { 'disease:preeclampsia': 'female' } }, new Rng(9));
    const pre = r.items.filter((it) => it.meta?.anchor === 'disease:preeclampsia');
    expect(pre.length).toBeGreaterThan(0);
    for (const it of pre) expect((it.meta?.patient as { sex: unknown }).sex).toBe('female');
  });
});

describe('synthesize rejections', () => {
  it('synthesize rejects ambiguous distractors and ambiguous clues, with reasons', () => {
    const r = synthesize(g, { n: 300 }, new Rng(5));
    expect(r.stats.rejected['ambiguous-distractor']).toBeGreaterThan(0);
    expect(r.stats.rejected['ambiguous-clues']).toBeGreaterThan(0);
    const amb = r.rejected.find((x) => x.reason === 'ambiguous-distractor')!;
    expect(amb.detail).toBeTruthy();
    expect(r.rejected.length).toBe(Object.values(r.stats.rejected).reduce((a, b) => a + (b ?? 0), 0));
    expect(r.stats.attempts).toBe(r.items.length + r.rejected.filter((x) => x.reason !== 'exhausted').length);
  });

  it('synthesize rejects anchors with too few clues and items with too few distractors', () => {
    const clues = run('diagnosis', 10, 1, { minClues: 5, maxClues: 5, attemptsPerItem: 3 });
    expect(clues.stats.rejected['too-few-clues']).toBeGreaterThan(0);
    for (const it of clues.items) expect((it.meta?.query as SynthQuery).clues!.length).toBe(5);
    const few = run('contraindication', 5, 1, { options: 10, fillRandom: false, attemptsPerItem: 2 });
    expect(few.stats.rejected['too-few-distractors']).toBeGreaterThan(0);
    expect(few.stats.rejected.exhausted).toBe(5 - few.items.length);
  });
});

describe('solveItem', () => {
  it('solveItem finds ≥ 2 candidates and no letter when a distractor also satisfies the clues', () => {
    const { items } = run('treatment', 24, 2);
    const it = items.find((x) => f.treatingAgents((x.meta?.query as SynthQuery).given!).size >= 2)!;
    const q = it.meta?.query as SynthQuery;
    const other = [...f.treatingAgents(q.given!)].find((id) => g.node(id).type === 'drug' && id !== optionIds(it)[it.answer])!;
    const wrong = ['A', 'B', 'C', 'D'].find((l) => l !== it.answer)!;
    // Replace one distractor by another right drug; drop optionIds so texts resolve by name.
    const bad: Item = { ...it, options: { ...it.options, [wrong]: g.node(other).name }, meta: { ...it.meta, optionIds: undefined } };
    const s = solveItem(g, bad);
    expect(s.candidates.length).toBeGreaterThanOrEqual(2);
    expect(s.candidates).toContain(wrong);
    expect(s.letter).toBeNull();
  });

  it('solveItem resolves option texts by name or synonym and ignores items without a query', () => {
    const { items } = run('diagnosis', 6, 3);
    const it = items[0];
    expect(solveItem(g, { ...it, meta: { ...it.meta, optionIds: undefined } }).letter).toBe(it.answer);
    expect(solveItem(g, { ...it, meta: {} })).toEqual({ letter: null, candidates: [] });
    const d = g.node('disease:myocardial-infarction');
    expect(f.byName.get(normalizeName('Heart attack'))).toEqual([d.id]);
  });
});

describe('helpers', () => {
  it('quotas(n, w) splits n by weight with largest remainders', () => {
    expect(quotas(10, { diagnosis: 1, treatment: 1, mechanism: 1 })).toEqual({ diagnosis: 4, treatment: 3, mechanism: 3 });
    expect(quotas(0, { diagnosis: 1 })).toEqual({});
  });

  it('LetterCycle(k).next deals each letter once per k draws', () => {
    const c = new LetterCycle(4, new Rng(1));
    const first = Array.from({ length: 4 }, () => c.next()).sort();
    expect(first).toEqual(['A', 'B', 'C', 'D']);
  });

  it('synthesize rejects bad configs', () => {
    expect(() => synthesize(g, { options: 11 }, new Rng(1))).toThrow(/options/);
    expect(() => synthesize(g, { mix: { curated: 1 } as never }, new Rng(1))).toThrow(/unknown item type/);
  });
});
