import { describe, expect, it } from 'vitest';
import { classifyEdge, linkSeedNodes, normalizeXref, seedAgreement } from '../../src/graph/agreement';
import { GraphBuilder, KnowledgeGraph } from '../../src/graph/graph';

const REF = { refs: ['https://en.wikipedia.org/wiki/Gout'] };

/** Seed: gout (DOID:13189) with a symptom, a drug and a contraindication; plus an unmatched drug. */
function seedGraph(): KnowledgeGraph {
  const b = new GraphBuilder();
  const gout = b.addNode({ type: 'disease', name: 'gout', xrefs: { doid: ['DOID:13189'] }, source: 'seed' });
  const pain = b.addNode({ type: 'symptom', name: 'joint pain', source: 'seed' });
  const tophi = b.addNode({ type: 'symptom', name: 'tophi', source: 'seed' });
  const colch = b.addNode({ type: 'drug', name: 'colchicine', source: 'seed' });
  const febux = b.addNode({ type: 'drug', name: 'febuxostat', source: 'seed' });
  const pud = b.addNode({ type: 'disease', name: 'peptic ulcer disease', synonyms: ['peptic ulcer'], source: 'seed' });
  const napro = b.addNode({ type: 'drug', name: 'naproxen', source: 'seed' });
  b.addEdge(gout, 'has_symptom', pain, 'seed', REF); // confirmed
  b.addEdge(gout, 'has_symptom', tophi, 'seed', REF); // not-covered (open lacks tophi)
  b.addEdge(gout, 'treated_by', colch, 'seed', REF); // confirmed through the DOID link
  b.addEdge(gout, 'treated_by', febux, 'seed', REF); // not-covered (open lacks febuxostat)
  b.addEdge(gout, 'treated_by', napro, 'seed', REF); // endpoints-only
  b.addEdge(napro, 'contraindicated_in', pud, 'seed', REF); // endpoints-only
  return b.build();
}

/** Open: gout under another name but the same DOID; colchicine; naproxen; peptic ulcer via a synonym. */
function openGraph(): KnowledgeGraph {
  const b = new GraphBuilder();
  const gout = b.addNode({ type: 'disease', name: 'gouty arthritis', xrefs: { doid: ['DOID_13189'] }, source: 'disease-ontology' });
  const pain = b.addNode({ type: 'symptom', name: 'Joint Pain', source: 'hsdn' });
  const colch = b.addNode({ type: 'drug', name: 'Colchicine', source: 'drugcentral' });
  b.addNode({ type: 'drug', name: 'naproxen', source: 'drugcentral' });
  b.addNode({ type: 'disease', name: 'peptic ulcer', source: 'disease-ontology' });
  b.addNode({ type: 'symptom', name: 'colchicine', source: 'noise' }); // same name, wrong type: must not link
  b.addEdge(gout, 'has_symptom', pain, 'hsdn');
  b.addEdge(gout, 'treated_by', colch, 'drugcentral');
  return b.build();
}

describe('seedAgreement', () => {
  it('normalizeXref(key, value) canonicalises DOID, MeSH, UMLS and Wikidata forms', () => {
    expect(normalizeXref('doid', 'DOID_13189')).toBe('DOID:13189');
    expect(normalizeXref('doid', '13189')).toBe('DOID:13189');
    expect(normalizeXref('mesh', 'MESH:d006073')).toBe('D006073');
    expect(normalizeXref('umls', 'umls:c0018099')).toBe('C0018099');
    expect(normalizeXref('wikidata', 'http://www.wikidata.org/entity/Q133087')).toBe('Q133087');
  });

  it('linkSeedNodes(seed, open) links by xref or normalised name within a type only', () => {
    const links = linkSeedNodes(seedGraph(), openGraph());
    expect(links.get('disease:gout')).toEqual(['disease:gouty-arthritis']);
    expect(links.get('symptom:joint-pain')).toEqual(['symptom:joint-pain']);
    expect(links.get('drug:colchicine')).toEqual(['drug:colchicine']);
    expect(links.get('disease:peptic-ulcer-disease')).toEqual(['disease:peptic-ulcer']);
    expect(links.get('drug:febuxostat')).toEqual([]);
    expect(links.get('symptom:tophi')).toEqual([]);
  });

  it('classifyEdge(e, links, open) tells confirmed, endpoints-only and not-covered apart', () => {
    const seed = seedGraph();
    const open = openGraph();
    const links = linkSeedNodes(seed, open);
    const status = (s: string, r: string, t: string): string =>
      classifyEdge(seed.edges.find((e) => e.source === s && e.relation === r && e.target === t)!, links, open);
    expect(status('disease:gout', 'treated_by', 'drug:colchicine')).toBe('confirmed');
    expect(status('disease:gout', 'treated_by', 'drug:naproxen')).toBe('endpoints-only');
    expect(status('disease:gout', 'treated_by', 'drug:febuxostat')).toBe('not-covered');
  });

  it('seedAgreement(seed, open) counts per relation, overall and node linkage per type', () => {
    const report = seedAgreement(seedGraph(), openGraph());
    expect(report.byRelation.has_symptom).toEqual({ total: 2, confirmed: 1, endpointsOnly: 0, notCovered: 1, confirmedShare: 0.5 });
    expect(report.byRelation.treated_by).toEqual({ total: 3, confirmed: 1, endpointsOnly: 1, notCovered: 1, confirmedShare: 1 / 3 });
    expect(report.byRelation.contraindicated_in).toEqual({ total: 1, confirmed: 0, endpointsOnly: 1, notCovered: 0, confirmedShare: 0 });
    expect(report.overall).toEqual({ total: 6, confirmed: 2, endpointsOnly: 2, notCovered: 2, confirmedShare: 2 / 6 });
    expect(report.nodeLinkage.disease).toEqual({ seed: 2, linked: 2, share: 1 });
    expect(report.nodeLinkage.drug).toEqual({ seed: 3, linked: 2, share: 2 / 3 });
    expect(report.nodeLinkage.symptom).toEqual({ seed: 2, linked: 1, share: 0.5 });
  });

  it('seedAgreement(seed, open) lists disagreements, endpoints-only first, capped per relation', () => {
    const report = seedAgreement(seedGraph(), openGraph(), { examplesPerRelation: 1 });
    expect(report.examples).toEqual([
      { relation: 'contraindicated_in', status: 'endpoints-only', source: 'naproxen', target: 'peptic ulcer disease' },
      { relation: 'has_symptom', status: 'not-covered', source: 'gout', target: 'tophi', unlinked: ['target'] },
      { relation: 'treated_by', status: 'endpoints-only', source: 'gout', target: 'naproxen' },
    ]);
  });

  it('seedAgreement(seed, empty) leaves every edge not-covered and reads neither graph destructively', () => {
    const seed = seedGraph();
    const before = JSON.stringify(seed.edges);
    const report = seedAgreement(seed, new KnowledgeGraph([], []));
    expect(report.overall.notCovered).toBe(6);
    expect(report.overall.confirmedShare).toBe(0);
    expect(JSON.stringify(seed.edges)).toBe(before);
  });
});
