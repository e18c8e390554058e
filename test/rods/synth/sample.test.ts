import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';
import { AnchorSampler, anchorWeight, canAnchor, factsOf, longTailCoverage, neighbourhood, phraseFinding, samplePatient } from '../../../src/rods/synth';
import { fixtureGraph } from './fixture';

const g = fixtureGraph();
const f = factsOf(g);

describe('sampling', () => {
  it('anchorWeight(d, alpha) is (d+1)^-alpha and 1 for alpha 0', () => {
    expect(anchorWeight(3, 1)).toBe(0.25);
    expect(anchorWeight(7, 0)).toBe(1);
    expect(anchorWeight(1, 2)).toBeGreaterThan(anchorWeight(8, 2));
  });

  it('AnchorSampler(alpha>0).draw favours low-degree anchors; only eligible nodes are drawn', () => {
    const biased = new AnchorSampler(g, 'diagnosis', 3);
    const uniform = new AnchorSampler(g, 'diagnosis', 0);
    expect(biased.anchors.every((id) => canAnchor(f, 'diagnosis', id))).toBe(true);
    const meanDegree = (s: AnchorSampler, r: Rng) => {
      let sum = 0;
      for (let i = 0; i < 2000; i++) sum += g.degree(s.draw(r));
      return sum / 2000;
    };
    expect(meanDegree(biased, new Rng(1))).toBeLessThan(meanDegree(uniform, new Rng(1)) - 0.5);
    expect(new AnchorSampler(g, 'contraindication', 1).anchors.sort()).toEqual(
      ['disease:asthma', 'disease:gout', 'disease:heart-failure', 'disease:peptic-ulcer-disease', 'disease:preeclampsia'],
    );
  });

  it('neighbourhood(graph, type, anchor) holds the edges the type masks, all in the graph', () => {
    const sub = neighbourhood(g, 'diagnosis', 'disease:acute-pancreatitis');
    expect(sub.nodes).toContain('finding:elevated-serum-lipase');
    expect(sub.nodes).toContain('lab_test:serum-lipase');
    for (const e of sub.edges) expect(f.hasEdge(e.source, e.relation, e.target)).toBe(true);
    const mh = neighbourhood(g, 'multi_hop', 'disease:hypertension');
    expect(mh.edges.some((e) => e.relation === 'in_class' && e.target === 'drug_class:ace-inhibitors')).toBe(true);
  });

  it('longTailCoverage reaches more of the long tail with alpha > 0 than uniform (ratio > 1)', () => {
    const c = longTailCoverage(g, { samples: 24, alpha: 2 }, new Rng(1));
    expect(c.longTail).toBeGreaterThan(0);
    expect(c.expected!.ratio).toBeGreaterThan(1);
    expect(c.expected!.biased).toBeGreaterThan(c.expected!.uniform);
    // Sampled figures, averaged over seeds (each single run is noisy).
    let b = 0;
    let u = 0;
    for (let s = 0; s < 20; s++) {
      const r = longTailCoverage(g, { samples: 24, alpha: 2 }, new Rng(s));
      b += r.biased;
      u += r.uniform;
    }
    expect(b / u).toBeGreaterThan(1);
    const flat = longTailCoverage(g, { samples: 24, alpha: 0 }, new Rng(1));
    expect(flat.ratio).toBe(1);
    expect(flat.expected!.ratio).toBeCloseTo(1, 12);
    const sub = longTailCoverage(g, { samples: 24, alpha: 1, scope: 'subgraph' }, new Rng(1));
    expect(sub.expected).toBeUndefined();
    expect(sub.biased).toBeGreaterThan(0);
  });
});

describe('facts', () => {
  it('factsOf(graph) closes over subclass_of: subtype features, class members, class contraindications', () => {
    expect(f.features('disease:type-2-diabetes-mellitus').has('symptom:polydipsia')).toBe(true);
    expect(f.features('disease:peptic-ulcer-disease').has('symptom:abdominal-pain')).toBe(true);
    expect(f.contraindicated('disease:asthma').has('drug:metoprolol')).toBe(true);
    expect(f.treatingAgents('disease:hypertension').has('drug:enalapril')).toBe(true);
    expect(f.mechanisms('drug:metoprolol').has('mechanism:beta-adrenergic-receptor-blockade')).toBe(true);
    expect(f.tests('disease:diabetes-mellitus').has('lab_test:hemoglobin-a1c')).toBe(true); // lineage: a subtype's test
    expect(f.diseasesWithAll(['symptom:polyuria', 'symptom:polydipsia'])).toEqual([
      'disease:diabetes-mellitus',
      'disease:type-1-diabetes-mellitus',
      'disease:type-2-diabetes-mellitus',
    ]);
  });
});

describe('surface', () => {
  it('phraseFinding(finding, test) phrases a finding through its measuring test', () => {
    const lipase = phraseFinding(g.node('finding:elevated-serum-lipase'), g.node('lab_test:serum-lipase'), new Rng(1));
    expect(lipase).toMatch(/^Serum lipase is (elevated|raised|high)$/);
    const st = phraseFinding(g.node('finding:st-elevation'), g.node('imaging:electrocardiogram'), new Rng(1));
    expect(st).toMatch(/^Electrocardiogram (shows|reveals|demonstrates) ST elevation$/);
    expect(phraseFinding(g.node('finding:low-tsh'), g.node('lab_test:tsh'), new Rng(2))).toMatch(/^TSH is (low|decreased|reduced)$/);
  });

  it('samplePatient keeps ages plausible and sex consistent with sex-specific terms', () => {
    const r = new Rng(3);
    for (let i = 0; i < 50; i++) {
      const bph = samplePatient([g.node('disease:benign-prostatic-hyperplasia')], {}, r);
      expect(bph.sex).toBeNull();
      expect(bph.noun).toBe('patient');
      const marked = samplePatient([g.node('disease:benign-prostatic-hyperplasia')], { 'disease:benign-prostatic-hyperplasia': 'male' }, r);
      expect(marked.sex).toBe('male');
      const pre = samplePatient([g.node('disease:preeclampsia')], {}, r);
      expect(pre.age).toBeGreaterThanOrEqual(18);
      expect(pre.age).toBeLessThanOrEqual(45);
      const any = samplePatient([g.node('disease:asthma')], {}, r);
      expect(['female', 'male']).toContain(any.sex);
    }
  });
});
