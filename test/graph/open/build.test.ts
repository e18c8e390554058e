import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenGraph } from '../../../src/graph/open';
import { graphStats } from '../../../src/graph/stats';
import { writeFixture } from './fixtures';

const MIRROR = process.env.FLEMING_SOURCES ?? path.resolve(__dirname, '../../../../shared/data/kg-sources');
const HAS_MIRROR = fs.existsSync(path.join(MIRROR, 'disease-ontology', 'HumanDO.tsv'));

describe('buildOpenGraph on fixtures', () => {
  it('buildOpenGraph links one disease across all loaders by DOID, UMLS and MeSH', async () => {
    const steps: string[] = [];
    const r = await buildOpenGraph({ sourcesDir: writeFixture(), onProgress: (stage, done, total) => steps.push(`${stage} ${done}/${total}`) });
    const t2d = r.graph.node('disease:type-2-diabetes-mellitus');
    expect(t2d.sources).toEqual(['disease-ontology', 'drugcentral', 'hsdn', 'pharmacotherapydb', 'wikidata']);
    expect(t2d.xrefs).toMatchObject({ doid: ['DOID:9352'], umls: ['C0011860'], mesh: ['D003924'] });
    // metformin: DrugCentral (DrugBank) = PharmacotherapyDB (DrugBank) = Wikidata (name)
    const e = r.graph.edges.find((x) => x.source === t2d.id && x.target === 'drug:metformin');
    expect(e?.sources).toEqual(['drugcentral', 'pharmacotherapydb', 'wikidata']);
    expect(r.nonCommercial).toBe(false);
    expect(r.graph.nodes.some((n) => n.sources.includes('sider4'))).toBe(false);
    expect(Object.keys(r.perSource)).toEqual(['disease-ontology', 'drugcentral', 'hsdn', 'wikidata', 'pharmacotherapydb']);
    expect(steps).toContain('disease-ontology 6/6');
    expect(r.skips.total()).toBeGreaterThan(0);
  });

  it('buildOpenGraph({includeSider}) adds SIDER and marks the result non-commercial', async () => {
    const r = await buildOpenGraph({ sourcesDir: writeFixture(), includeSider: true });
    expect(r.nonCommercial).toBe(true);
    expect(r.graph.edges.filter((e) => e.relation === 'side_effect').every((e) => e.sources.includes('sider4'))).toBe(true);
    expect(r.perSource.sider4.edges).toBe(2);
  });

  it('buildOpenGraph names a missing source folder and says what to do', async () => {
    const dir = writeFixture();
    fs.rmSync(path.join(dir, 'hsdn'), { recursive: true });
    await expect(buildOpenGraph({ sourcesDir: dir })).rejects.toThrow(/folder "hsdn" is missing[\s\S]*fleming download[\s\S]*--sources/);
  });

  it('buildOpenGraph({strict}) throws on the first malformed row', async () => {
    await expect(buildOpenGraph({ sourcesDir: writeFixture(), strict: true })).rejects.toThrow(/HumanDO\.tsv:\d+: id is not a DOID/);
  });
});

describe.skipIf(!HAS_MIRROR)(`buildOpenGraph on the open-data mirror${HAS_MIRROR ? '' : ' (skipped: $FLEMING_SOURCES or ../shared/data/kg-sources not present)'}`, () => {
  it('buildOpenGraph(mirror) gives ≥ 20,000 entities, ≥ 50,000 edges and cross-source links', async () => {
    const r = await buildOpenGraph({ sourcesDir: MIRROR });
    const g = r.graph;
    expect(g.nodes.length).toBeGreaterThanOrEqual(20_000);
    expect(g.edges.length).toBeGreaterThanOrEqual(50_000);
    const stats = graphStats(g);
    expect(stats.multiSourceEdges).toBeGreaterThan(500);
    for (const s of ['disease-ontology', 'hsdn', 'wikidata', 'drugcentral', 'pharmacotherapydb']) expect(stats.bySource.edges[s]).toBeGreaterThan(0);
    expect(stats.bySource.edges.sider4).toBeUndefined();
    const t2d = g.node('disease:type-2-diabetes-mellitus');
    expect(t2d.xrefs.doid).toContain('DOID:9352');
    expect(t2d.xrefs.umls).toContain('C0011860');
    expect(t2d.xrefs.mesh).toContain('D003924');
    expect(t2d.sources.length).toBeGreaterThanOrEqual(3);
    expect(r.nonCommercial).toBe(false); // (its speed is a figure of npm run bench, not a test)
  }, 180_000);
});
