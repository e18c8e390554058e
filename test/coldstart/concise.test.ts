import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { RELATION_NAMES } from '../../src/graph/schema';
import { GraphTeacher, Claim, approxTokens, checkTrace, claimHolds, discriminates, hardness, refineAll, relationHolds } from '../../src/coldstart/cot/index';
import { PHRASINGS, corpusSentence, fillTemplate, recallTemplate, renderCorpus } from '../../src/base/sentences';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const items = synthesize(g, { n: 160, mix: { diagnosis: 3, multi_hop: 3, treatment: 1, contraindication: 1, mechanism: 1, test_selection: 1 } }, new Rng(11)).items;
const ctx = (seed: string, sample = 0) => ({ rng: new Rng(seed), sample });
const filters = { evidence: 'discriminating' as const };
const ids = (it: Item) => it.meta!.optionIds as Record<string, string>;

describe('corpus sentences in traces', () => {
  it('recallTemplate() picks a training family that names the known side first and ends with the other', () => {
    expect(recallTemplate('treated_by', 'source')).toBe('{s} is treated with {t}.');
    expect(recallTemplate('has_symptom', 'target')).toBe('{t} is seen in {s}.');
    expect(recallTemplate('has_finding', 'target')).toBe('{t} is a finding in {s}.');
    expect(recallTemplate('contraindicated_in', 'target')).toBe('Patients with {t} should not take {s}.');
    for (const r of RELATION_NAMES)
      for (const known of ['source', 'target'] as const) {
        const tpl = recallTemplate(r, known);
        if (tpl === null) continue;
        expect(PHRASINGS[r].train).toContain(tpl); // never the held-out family
        expect(tpl.endsWith(known === 'source' ? ' {t}.' : ' {s}.')).toBe(true);
      }
    expect(corpusSentence('treated_by', "Wilson's disease", 'Trientine', 'source')).toBe(fillTemplate('{s} is treated with {t}.', "Wilson's disease", 'Trientine'));
  });

  it("renderCorpus() with order 'entity' keeps each source's sentences together, and renders the same sentences as 'shuffled'", () => {
    const opts = { phrasingsPerEdge: 2, synonymRate: 0 };
    const a = renderCorpus(g, new Rng(3), { ...opts, order: 'entity' });
    const b = renderCorpus(g, new Rng(3), { ...opts, order: 'shuffled' });
    expect([...a].sort()).toEqual([...b].sort());
    expect(a).not.toEqual(b);
    // which source a sentence is about: the one whose edges render to it in some training family
    const owner = new Map<string, string>();
    for (const e of g.edges) for (const tpl of PHRASINGS[e.relation].train) owner.set(fillTemplate(tpl, g.node(e.source).name, g.node(e.target).name), e.source);
    const runs = (xs: string[]) => xs.map((x) => owner.get(x)).filter((o, i, arr) => i === 0 || o !== arr[i - 1]).length;
    const sources = new Set(g.edges.map((e) => e.source)).size;
    expect(a.every((x) => owner.has(x))).toBe(true);
    expect(runs(a)).toBe(sources); // one contiguous run per source entity
    expect(runs(b)).toBeGreaterThan(sources);
  });
});

describe("GraphTeacher style 'concise'", () => {
  const concise = new GraphTeacher(g, { style: 'concise' });
  const clinical = new GraphTeacher(g, { style: 'clinical' });

  it('drafts state each positive claim as a pretraining-corpus sentence and are a fraction of the clinical length', async () => {
    let shorter = 0;
    for (const it of items.slice(0, 60)) {
      const a = await concise.draft(it, ctx(`d${it.id}`));
      const b = await clinical.draft(it, ctx(`d${it.id}`));
      expect(a.grounded).toBe(true);
      for (const c of a.claims.filter((x) => !x.negated)) {
        const known = c.relation === 'has_symptom' || c.relation === 'has_finding' || c.relation === 'contraindicated_in' ? 'target' : 'source';
        const s = corpusSentence(c.relation, g.node(c.source).name, g.node(c.target).name, known);
        expect(s, `${c.relation} has a corpus template`).not.toBeNull();
        expect(a.completion).toContain(s!);
      }
      expect(approxTokens(a.completion)).toBeLessThanOrEqual(80);
      if (a.completion.length < b.completion.length / 2) shorter++;
    }
    expect(shorter).toBeGreaterThan(50);
  });

  it("discriminates() accepts claims of the answer that fail for every distractor, and names the distractors they don't rule out", async () => {
    const it = items.find((x) => x.type === 'treatment')!;
    const o = ids(it);
    const link: Claim = { source: it.meta!.query ? (it.meta!.query as { given: string }).given : '', relation: 'treated_by', target: o[it.answer] };
    expect(claimHolds(g, link)).toBe(true);
    expect(discriminates(it, [link], g, o)).toEqual({ name: 'evidence', ok: true });
    expect(discriminates(it, [], g, o)).toMatchObject({ ok: false, reason: expect.stringMatching(/no stated relation involves the answer/) });
    // a diagnosis item: a true feature claim of the answer rules out exactly the distractors lacking that feature
    let checked = 0;
    for (const d of items.filter((x) => x.type === 'diagnosis')) {
      const od = ids(d);
      for (const c of (d.meta!.query as { clues: string[] }).clues) {
        const rel = g.node(c).type === 'finding' ? 'has_finding' : 'has_symptom';
        const claim: Claim = { source: od[d.answer], relation: rel, target: c };
        const sharing = Object.keys(od).filter((l) => l !== d.answer && relationHolds(g, od[l], rel, c));
        const r = discriminates(d, [claim], g, od);
        expect(r.ok).toBe(sharing.length === 0);
        for (const l of Object.keys(od).filter((l) => l !== d.answer)) expect(r.reason ?? '').toContain(sharing.includes(l) ? `${l} (` : '');
        if (sharing.length) {
          checked++;
          // a true denial of each sharing distractor rules it out after all
          const denials = sharing.map((l): Claim => ({ source: od[l], relation: 'treated_by', target: od[d.answer], negated: true }));
          expect(discriminates(d, [claim, ...denials], g, od).ok).toBe(denials.every((x) => claimHolds(g, x)));
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('refineAll with concise traces: hard first drafts are sometimes wrong, the loop fixes them, kept traces pass every filter', async () => {
    const res = await refineAll(items, concise, { graph: g }, { k: 4, depth: 3, seed: 9, filters });
    const hard = items.filter((it) => hardness(it) >= 0.3);
    const byId = new Map(items.map((it) => [it.id, it]));
    expect(hard.length).toBeGreaterThan(20);
    expect(res.stats.firstDraftCorrect).toBeLessThan(items.length);
    expect(res.stats.verified).toBeGreaterThanOrEqual(0.9 * items.length);
    expect(Object.values(res.stats.strategyFixes).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    for (const r of res.rows) {
      const it = byId.get(r.itemId)!;
      const again = await refineAll([it], concise, { graph: g }, { k: 4, depth: 3, seed: 9, filters });
      expect(again.rows[0].completion).toBe(r.completion); // deterministic per item
      expect(approxTokens(r.completion)).toBeLessThanOrEqual(80);
    }
    // a kept trace re-checked from scratch: draft the same chain and compare the verdict
    const first = res.rows.find((r) => r.attempts === 1)!;
    const tr = await concise.draft(byId.get(first.itemId)!, { rng: new Rng(`9|${first.itemId}|${first.chain}`), sample: first.chain, depth: 0 });
    expect(tr.completion).toBe(first.completion);
    expect(checkTrace(byId.get(first.itemId)!, tr, g, filters).ok).toBe(true);
  });
});
