import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphBuilder, KnowledgeGraph } from '../../../src/graph/graph';
import { AgentConfig, AgentProgress, defaults, runDiscoveryAgent } from '../../../src/graph/agent';
import { FakeApis, FakeApiOptions, startFakeApis } from './fake-apis';
import { tempDir } from '../../helpers/tmp';

const open: FakeApis[] = [];
const tmpDirs: string[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
  while (tmpDirs.length) fs.rmSync(tmpDirs.pop()!, { recursive: true, force: true });
});

async function server(opts: FakeApiOptions = {}): Promise<FakeApis> {
  const s = await startFakeApis(opts);
  open.push(s);
  return s;
}

function tmp(): string {
  const d = tempDir('kg-agent-');
  tmpDirs.push(d);
  return d;
}

function config(apis: FakeApis, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    ...defaults,
    seeds: ['Tuberculosis', 'type 2 diabetes'],
    wikipediaApi: apis.wikipediaApi,
    wikidataApi: apis.wikidataApi,
    userAgent: 'kg-agent-test/1.0 (fixture server; test@example.org)',
    maxDepth: 2,
    requestsPerSecond: 500,
    retryBaseMs: 20,
    retryMaxMs: 200,
    timeoutMs: 5000,
    cacheDir: null,
    stateFile: null,
    batchSize: 5,
    ...over,
  };
}

function names(g: KnowledgeGraph): string[] {
  return g.nodes.map((n) => `${n.type}:${n.name}`).sort();
}

function edges(g: KnowledgeGraph): string[] {
  return g.edges.map((e) => `${g.node(e.source).name} -${e.relation}-> ${g.node(e.target).name}`).sort();
}

describe('runDiscoveryAgent against a fake Wikipedia + Wikidata on 127.0.0.1', () => {
  it('runDiscoveryAgent(config, builder) crawls the fixture into typed nodes and edges with xrefs', async () => {
    const apis = await server();
    const builder = new GraphBuilder();
    const progress: AgentProgress[] = [];
    const r = await runDiscoveryAgent(config(apis), builder, { onProgress: (p) => progress.push(p) });
    const g = builder.build();

    expect(r.stopped).toBe('done');
    expect(names(g)).toEqual([
      'anatomy:lung',
      'anatomy:pancreas',
      'disease:bacterial infectious disease',
      'disease:diabetes mellitus',
      'disease:tuberculosis',
      'disease:type 2 diabetes',
      'drug:ethambutol',
      'drug:isoniazid',
      'drug:metformin',
      'drug:rifampicin',
      'imaging:chest radiograph',
      'lab_test:glycated hemoglobin test',
      'lab_test:sputum smear microscopy',
      'pathogen:Mycobacterium',
      'pathogen:Mycobacterium tuberculosis',
      'symptom:cough',
      'symptom:fever',
      'symptom:hemoptysis',
      'symptom:polydipsia',
      'symptom:polyuria',
      'symptom:weight loss',
    ]);
    expect(edges(g)).toEqual([
      'diabetes mellitus -has_symptom-> polyuria',
      'tuberculosis -caused_by-> Mycobacterium tuberculosis',
      'tuberculosis -diagnosed_by-> chest radiograph',
      'tuberculosis -diagnosed_by-> sputum smear microscopy',
      'tuberculosis -has_symptom-> cough',
      'tuberculosis -has_symptom-> fever',
      'tuberculosis -has_symptom-> hemoptysis',
      'tuberculosis -has_symptom-> weight loss',
      'tuberculosis -located_in-> lung',
      'tuberculosis -subclass_of-> bacterial infectious disease',
      'tuberculosis -treated_by-> ethambutol',
      'tuberculosis -treated_by-> isoniazid',
      'tuberculosis -treated_by-> rifampicin',
      'type 2 diabetes -diagnosed_by-> glycated hemoglobin test',
      'type 2 diabetes -has_symptom-> polydipsia',
      'type 2 diabetes -has_symptom-> polyuria',
      'type 2 diabetes -located_in-> pancreas',
      'type 2 diabetes -subclass_of-> diabetes mellitus',
      'type 2 diabetes -treated_by-> metformin',
    ]);
    expect(r.entities).toBe(21);
    expect(r.edges).toBe(19);
    expect(r.entitiesByType).toEqual({ anatomy: 2, disease: 4, drug: 4, imaging: 1, lab_test: 2, pathogen: 2, symptom: 6 });

    // Xrefs and synonyms of the entities.
    const tb = g.node('disease:tuberculosis');
    expect(tb.xrefs).toEqual({ doid: ['DOID:399'], mesh: ['D014376'], umls: ['C0041296'], wikidata: ['Q12204'] });
    expect(tb.synonyms).toEqual(['TB', 'phthisis']);
    expect(tb.sources).toEqual(['wikipedia-agent']);
    const t2d = g.node('disease:type-2-diabetes');
    expect(t2d.xrefs).toEqual({ doid: ['DOID:9352'], icd10: ['E11'], mesh: ['D003924'], umls: ['C0011860'], wikidata: ['Q3025883'] });
    expect(g.node('drug:rifampicin').synonyms).toEqual(['rifampin']);

    // An edge asserted from both ends (disease P2176, drug P2175) keeps both references.
    const isoniazid = g.edges.find((e) => e.source === 'disease:tuberculosis' && e.target === 'drug:isoniazid')!;
    expect(isoniazid.sources).toEqual(['wikipedia-agent']);
    expect(isoniazid.refs!.map((u) => u.replace(/^.*\/wiki\//, '')).sort()).toEqual(['Q12204#P2176', 'Q423169#P2175']);

    // What was left out, and why.
    expect(r.skipped).toEqual({
      'P2175 deprecated rank': 2,
      'P279 subclass of a root class': 2,
      'P828 cause not a pathogen': 1,
      'P828 no value (somevalue)': 1,
      'P923 examination neither lab test nor imaging': 1,
      'not medical': 2,
      'page missing': 2,
      'page without Wikidata item': 1,
    });
    // Link pagination was followed: Tuberculosis has 11 links and the server pages them 3 at a time.
    const tbLinks = apis.requests.filter((q) => q.params.prop === 'links' && q.params.titles?.split('|').includes('Tuberculosis'));
    expect(tbLinks.length).toBeGreaterThanOrEqual(4);
    expect(tbLinks.slice(1).every((q) => /^\d+\|0\|/.test(q.params.plcontinue ?? ''))).toBe(true);
    // Every request carried the documented parameters and the User-Agent.
    for (const q of apis.requests) {
      expect(q.userAgent).toBe('kg-agent-test/1.0 (fixture server; test@example.org)');
      expect(q.params.maxlag).toBe('5');
      if (q.api === 'wikidata') expect(q.params.ids!.split('|').length).toBeLessThanOrEqual(5);
    }
    expect(progress.length).toBe(r.batches);
    expect(progress[progress.length - 1].entities).toBe(21);
    expect(r.requests).toBe(apis.requests.length);
  });

  it('runDiscoveryAgent with maxDepth 0 keeps to the seeds and their claims', async () => {
    const apis = await server();
    const builder = new GraphBuilder();
    const r = await runDiscoveryAgent(config(apis, { maxDepth: 0 }), builder);
    expect(r.stopped).toBe('done');
    expect(r.expanded).toBe(2);
    expect(r.pending).toBe(0);
    // No article links were fetched; claim targets are still nodes.
    expect(apis.requests.some((q) => q.params.prop === 'links')).toBe(false);
    expect(builder.build().nodes.length).toBe(20);
  });

  it('runDiscoveryAgent a second time with the response cache makes zero HTTP requests', async () => {
    const apis = await server();
    const cacheDir = path.join(tmp(), 'cache');
    const first = new GraphBuilder();
    const r1 = await runDiscoveryAgent(config(apis, { cacheDir }), first);
    const sent = apis.requests.length;
    expect(r1.requests).toBe(sent);
    expect(r1.cacheHits).toBe(0);

    const second = new GraphBuilder();
    const r2 = await runDiscoveryAgent(config(apis, { cacheDir }), second);
    expect(apis.requests.length).toBe(sent);
    expect(r2.requests).toBe(0);
    expect(r2.cacheHits).toBe(r1.requests);
    expect(JSON.stringify(second.build())).toBe(JSON.stringify(first.build()));
  });

  it('runDiscoveryAgent stopped by maxRequests, then resumed from the state file, ends with the full-run graph', async () => {
    const full = new GraphBuilder();
    const fullRun = await runDiscoveryAgent(config(await server()), full);
    const want = full.build();

    const apis = await server();
    const stateFile = path.join(tmp(), 'state.json');
    const half = Math.floor(fullRun.requests / 2);
    const partial = new GraphBuilder();
    const r1 = await runDiscoveryAgent(config(apis, { stateFile, maxRequests: half }), partial);
    expect(r1.stopped).toBe('maxRequests');
    expect(r1.requests).toBe(half);
    expect(r1.pending).toBeGreaterThan(0);
    expect(partial.build().nodes.length).toBeLessThan(want.nodes.length);

    const resumed = new GraphBuilder();
    const r2 = await runDiscoveryAgent(config(apis, { stateFile }), resumed);
    expect(r2.resumed).toBe(true);
    expect(r2.stopped).toBe('done');
    // The resumed run redoes at most the one unfinished batch, not the crawl.
    expect(r2.requests).toBeLessThan(fullRun.requests);
    const got = resumed.build();
    expect(got.nodes).toEqual(want.nodes);
    expect(got.edges).toEqual(want.edges);
    expect(r2.skipped).toEqual(fullRun.skipped);
    expect(r2.entities).toBe(fullRun.entities);
    expect(r2.edges).toBe(fullRun.edges);
  });

  it('runDiscoveryAgent aborted by an AbortSignal mid-batch resumes to the same graph', async () => {
    const full = new GraphBuilder();
    await runDiscoveryAgent(config(await server()), full);
    const want = full.build();

    const ctl = new AbortController();
    const apis = await server({ onRequest: (_r, i) => i === 12 && ctl.abort() });
    const stateFile = path.join(tmp(), 'state.json');
    const r1 = await runDiscoveryAgent(config(apis, { stateFile }), new GraphBuilder(), { signal: ctl.signal });
    expect(r1.stopped).toBe('aborted');
    expect(r1.pending).toBeGreaterThan(0);
    const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { batches: number };
    expect(saved.batches).toBe(r1.batches);
    expect(fs.readFileSync(`${stateFile}.journal.jsonl`, 'utf8').trim().split('\n').length).toBe(r1.batches);

    const resumed = new GraphBuilder();
    const r2 = await runDiscoveryAgent(config(apis, { stateFile }), resumed);
    expect(r2.stopped).toBe('done');
    expect(resumed.build().nodes).toEqual(want.nodes);
    expect(resumed.build().edges).toEqual(want.edges);
    // Running again on the finished state only replays the facts.
    const again = new GraphBuilder();
    const before = apis.requests.length;
    const r3 = await runDiscoveryAgent(config(apis, { stateFile }), again);
    expect(r3.requests).toBe(0);
    expect(apis.requests.length).toBe(before);
    expect(again.build().edges).toEqual(want.edges);
  });

  it('runDiscoveryAgent stops at maxEntities with the rest left in the frontier', async () => {
    const apis = await server();
    const r = await runDiscoveryAgent(config(apis, { maxEntities: 8 }), new GraphBuilder());
    expect(r.stopped).toBe('maxEntities');
    expect(r.entities).toBeGreaterThanOrEqual(8);
    expect(r.entities).toBeLessThan(21);
    expect(r.pending).toBeGreaterThan(0);
  });

  it('runDiscoveryAgent spaces requests by 1 / requestsPerSecond (server timestamps)', async () => {
    const apis = await server();
    const rps = 25; // 40 ms apart
    const r = await runDiscoveryAgent(config(apis, { maxDepth: 0, requestsPerSecond: rps }), new GraphBuilder());
    const at = apis.requests.map((q) => q.at);
    expect(at.length).toBe(r.requests);
    expect(at.length).toBeGreaterThanOrEqual(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    // The limiter spaces sends; on a loaded machine one request can reach the server late and the next on time, so a
    // single arrival gap may shrink (20 ms of 40 seen under load). Without spacing, loopback gaps are a few ms: every
    // gap must still be at least 40% of the interval, and the whole span 90% of (n − 1) intervals.
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(0.4 * (1000 / rps));
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual(0.9 * (at.length - 1) * (1000 / rps));
  });

  it('runDiscoveryAgent retries a maxlag error, a 429 (after Retry-After) and a 500, and still gets the full graph', async () => {
    const want = new GraphBuilder();
    await runDiscoveryAgent(config(await server()), want);

    const apis = await server({
      faults: [
        { api: 'wikidata', nth: 1, kind: 'maxlag', retryAfter: 0 },
        { api: 'wikipedia', nth: 2, kind: '429', retryAfter: 1 },
        { api: 'wikidata', nth: 3, kind: '500' },
      ],
    });
    const builder = new GraphBuilder();
    const r = await runDiscoveryAgent(config(apis), builder);
    expect(r.stopped).toBe('done');
    expect(apis.faultsServed).toEqual({ maxlag: 1, '429': 1, '500': 1 });
    expect(r.retries).toBe(3);
    expect(r.retriesByReason).toEqual({ 'http 429': 1, 'http 5xx': 1, maxlag: 1 });
    expect(r.requests).toBe(apis.requests.length);
    // Each failed request was sent again with the same URL; the 429 retry waited Retry-After (1 s).
    const idx = (kind: string): number => apis.requests.findIndex((q) => q.fault === kind);
    for (const kind of ['maxlag', '429', '500']) {
      const i = idx(kind);
      expect(apis.requests[i + 1].url).toBe(apis.requests[i].url);
      expect(apis.requests[i + 1].status).toBe(200);
    }
    expect(apis.requests[idx('429') + 1].at - apis.requests[idx('429')].at).toBeGreaterThanOrEqual(950);
    expect(builder.build().edges).toEqual(want.build().edges);
  });

  it('runDiscoveryAgent gives up after maxRetries and reports the URL', async () => {
    const faults = [1, 2, 3].map((nth) => ({ api: 'wikipedia' as const, nth, kind: '500' as const }));
    const apis = await server({ faults });
    await expect(runDiscoveryAgent(config(apis, { maxRetries: 2 }), new GraphBuilder())).rejects.toThrow(/gave up after 3 attempts \(last: http 5xx\)/);
    expect(apis.requests.length).toBe(3);
  });

  it('runDiscoveryAgent that failed after its retries resumes from the last saved batch to the full graph', async () => {
    const want = new GraphBuilder();
    await runDiscoveryAgent(config(await server()), want);

    const stateFile = path.join(tmp(), 'state.json');
    const broken = await server({ faults: [10, 11, 12].map((nth) => ({ api: 'wikidata' as const, nth, kind: '500' as const })) });
    await expect(runDiscoveryAgent(config(broken, { stateFile, maxRetries: 2 }), new GraphBuilder())).rejects.toThrow(/gave up/);
    const committed = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { batches: number }).batches;
    expect(committed).toBeGreaterThan(0);

    const resumed = new GraphBuilder();
    const r = await runDiscoveryAgent(config(await server(), { stateFile }), resumed);
    expect(r.resumed).toBe(true);
    expect(r.stopped).toBe('done');
    expect(resumed.build().nodes).toEqual(want.build().nodes);
    expect(resumed.build().edges).toEqual(want.build().edges);
  });

  it('runDiscoveryAgent refuses a state file made from other seeds', async () => {
    const apis = await server();
    const stateFile = path.join(tmp(), 'state.json');
    await runDiscoveryAgent(config(apis, { stateFile, maxDepth: 0 }), new GraphBuilder());
    await expect(runDiscoveryAgent(config(apis, { stateFile, seeds: ['Fever'] }), new GraphBuilder())).rejects.toThrow(/state was made from seeds/);
    // resume: false starts over.
    const r = await runDiscoveryAgent(config(apis, { stateFile, seeds: ['Fever'], resume: false, maxDepth: 0 }), new GraphBuilder());
    expect(r.resumed).toBe(false);
    expect(r.entities).toBe(1);
  });
});
