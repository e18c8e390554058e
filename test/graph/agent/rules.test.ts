import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/io';
import {
  ApiClient,
  CLAIM_RULES,
  EntityStore,
  BatchRecord,
  RateLimiter,
  ResponseCache,
  claimTargetType,
  commitBatch,
  compareQ,
  defaults,
  entityTypes,
  examinationType,
  fetchLinks,
  journalFile,
  loadState,
  nodeFact,
  resolveTitles,
  retryAfterMs,
  startState,
  summarizeEntity,
} from '../../../src/graph/agent';
import { FakeApis, startFakeApis } from './fake-apis';
import { tempDir } from '../../helpers/tmp';

const open: FakeApis[] = [];
const tmpDirs: string[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
  while (tmpDirs.length) fs.rmSync(tmpDirs.pop()!, { recursive: true, force: true });
});
function tmp(): string {
  const d = tempDir('kg-agent-rules-');
  tmpDirs.push(d);
  return d;
}

const ruleProps = new Set(CLAIM_RULES.map((r) => r.property));
const item = (id: string): { type: string; value: unknown } => ({ value: { 'entity-type': 'item', 'numeric-id': Number(id.slice(1)), id }, type: 'wikibase-entityid' });
const snak = (property: string, value: { type: string; value: unknown }, rank = 'normal') => ({ mainsnak: { snaktype: 'value', property, datavalue: value }, type: 'statement', rank });

function client(over: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}): ApiClient {
  return new ApiClient(
    { userAgent: 'rules-test/1.0', requestsPerSecond: 1000, maxRetries: 2, retryBaseMs: 5, retryMaxMs: 20, timeoutMs: 5000, maxRequests: 0, cacheDir: null, ...over },
    (url, init) => fetch(url, init),
  );
}

describe('examinationType', () => {
  it.each([
    ['chest radiograph', 'imaging'],
    ['computed tomography', 'imaging'],
    ['X-ray of hip dysplasia', 'imaging'],
    ['medical imaging', 'imaging'],
    ['echocardiography', 'imaging'],
    ['blood film', 'lab_test'],
    ['complete blood count', 'lab_test'],
    ['polymerase chain reaction', 'lab_test'],
    ['ELISA', 'lab_test'],
    ['glycated hemoglobin test', 'lab_test'],
    ['sputum smear microscopy', 'lab_test'],
    ['microbiological culture', 'lab_test'],
    ['physical examination', null],
    ['Centor criteria', null],
    ['SAD PERSONS scale', null],
  ])('examinationType(%j) is %j', (label, want) => {
    expect(examinationType(label)).toBe(want);
  });
});

describe('summarizeEntity', () => {
  it('summarizeEntity keeps mapped item claims, xrefs and classes; counts deprecated and no-value statements', () => {
    const s = summarizeEntity(
      {
        id: 'Q12204',
        labels: { en: { value: 'tuberculosis' } },
        aliases: { en: [{ value: 'TB' }, { value: 'tuberculosis' }] },
        sitelinks: { enwiki: { title: 'Tuberculosis' } },
        claims: {
          P31: [snak('P31', item('Q12136'))],
          P780: [snak('P780', item('Q35805')), snak('P780', item('Q1'), 'deprecated'), { mainsnak: { snaktype: 'novalue', property: 'P780' }, rank: 'normal' }],
          P2176: [snak('P2176', { value: { 'entity-type': 'item', 'numeric-id': 423169 }, type: 'wikibase-entityid' })],
          P2892: [snak('P2892', { value: 'C0041296', type: 'string' })],
          P699: [snak('P699', { value: 'DOID:399', type: 'string' })],
          P18: [snak('P18', { value: 'Tuberculosis.jpg', type: 'string' })],
        },
      },
      'Q12204',
      ruleProps,
    );
    expect(s.label).toBe('tuberculosis');
    expect(s.aliases).toEqual(['TB']);
    expect(s.enwiki).toBe('Tuberculosis');
    expect(s.instanceOf).toEqual(['Q12136']);
    expect(s.claims).toEqual([
      { property: 'P2176', target: 'Q423169' },
      { property: 'P780', target: 'Q35805' },
    ]);
    expect(s.claimSkips).toEqual([
      { property: 'P780', reason: 'deprecated rank' },
      { property: 'P780', reason: 'no value (novalue)' },
    ]);
    expect(s.xrefs).toEqual({ wikidata: ['Q12204'], umls: ['C0041296'], doid: ['DOID:399'] });
  });

  it('summarizeEntity marks missing entities', () => {
    expect(summarizeEntity({ id: 'Q404', missing: '' }, 'Q404', ruleProps)).toMatchObject({ id: 'Q404', missing: true, claims: [] });
  });
});

describe('entityTypes / nodeFact / claimTargetType', () => {
  const base = summarizeEntity({ id: 'Q1', labels: { en: { value: 'x' } } }, 'Q1', ruleProps);
  it('entityTypes maps P31/P279 classes, adds the claim type and pathogen, in NODE_TYPES order', () => {
    expect(entityTypes({ ...base, instanceOf: ['Q12140'] }, defaults.typeClasses, false, [])).toEqual(['drug']);
    expect(entityTypes({ ...base, subclassOf: ['Q12136'] }, defaults.typeClasses, false, ['symptom'])).toEqual(['disease', 'symptom']);
    expect(entityTypes({ ...base, instanceOf: ['Q16521'] }, defaults.typeClasses, true, [])).toEqual(['pathogen']);
    expect(entityTypes({ ...base, instanceOf: ['Q5'] }, defaults.typeClasses, false, [])).toEqual([]);
  });

  it('nodeFact drops aliases that normalise to the label and refuses items without an English label', () => {
    const f = nodeFact({ ...base, label: 'Fever', aliases: ['fever', 'pyrexia'] }, 'symptom', ['Fever', 'Pyrexia ']);
    expect(f).toMatchObject({ k: 'node', q: 'Q1', type: 'symptom', name: 'Fever', synonyms: ['pyrexia'] });
    expect(nodeFact({ ...base, label: undefined }, 'symptom')).toEqual({ skip: 'no English label' });
    expect(nodeFact({ ...base, label: '—' }, 'symptom')).toEqual({ skip: 'label has no letters or digits' });
  });

  it('claimTargetType splits examinations, requires pathogens for causes and skips root-class subclassing', () => {
    const rule = (p: string) => CLAIM_RULES.find((r) => r.property === p)!;
    expect(claimTargetType(rule('P923'), { ...base, label: 'computed tomography' }, false, defaults.typeClasses)).toBe('imaging');
    expect(claimTargetType(rule('P923'), { ...base, label: 'physical examination' }, false, defaults.typeClasses)).toEqual({ skip: 'examination neither lab test nor imaging' });
    expect(claimTargetType(rule('P828'), { ...base, label: 'smoking' }, false, defaults.typeClasses)).toEqual({ skip: 'cause not a pathogen' });
    expect(claimTargetType(rule('P828'), { ...base, label: 'Vibrio cholerae' }, true, defaults.typeClasses)).toBe('pathogen');
    expect(claimTargetType(rule('P279'), { ...base, id: 'Q12136', label: 'disease' }, false, defaults.typeClasses)).toEqual({ skip: 'subclass of a root class' });
    expect(claimTargetType(rule('P279'), { ...base, id: 'Q727028', label: 'bacterial infectious disease' }, false, defaults.typeClasses)).toBe('disease');
    expect(claimTargetType(rule('P2175'), { ...base, missing: true }, false, defaults.typeClasses)).toEqual({ skip: 'claim target missing' });
  });

  it('compareQ orders Q-ids numerically', () => {
    expect(['Q10', 'Q2', 'Q1'].sort(compareQ)).toEqual(['Q1', 'Q2', 'Q10']);
  });
});

describe('http helpers', () => {
  it('retryAfterMs reads delta-seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBe(0);
    expect(retryAfterMs('soon')).toBe(0);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000);
  });

  it('RateLimiter.take spaces slots and pauseFor holds the next one', async () => {
    const lim = new RateLimiter(100); // 10 ms
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await lim.take();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(36);
    lim.pauseFor(60);
    const t1 = performance.now();
    await lim.take();
    expect(performance.now() - t1).toBeGreaterThanOrEqual(50);
  });

  it('ResponseCache stores bodies gzip-compressed under the URL', () => {
    const c = new ResponseCache(tmp());
    expect(c.get('http://x/api.php?a=1')).toBeUndefined();
    c.set('http://x/api.php?a=1', '{"ok":1}');
    expect(c.get('http://x/api.php?a=1')).toBe('{"ok":1}');
    expect(c.get('http://x/api.php?a=2')).toBeUndefined();
  });
});

describe('Wikipedia and Wikidata calls against the fake APIs', () => {
  it('resolveTitles follows normalisation and redirects and reports missing pages', async () => {
    const apis = await startFakeApis();
    open.push(apis);
    const got = await resolveTitles(client(), { api: apis.wikipediaApi, maxlag: 5 }, ['type_2 diabetes', 'Phthisis', 'Nowhere', 'List of fictional diseases']);
    expect(got.get('type_2 diabetes')).toEqual({ input: 'type_2 diabetes', title: 'Type 2 diabetes', missing: false, q: 'Q3025883' });
    expect(got.get('Phthisis')).toMatchObject({ title: 'Tuberculosis', q: 'Q12204' });
    expect(got.get('Nowhere')).toMatchObject({ missing: true, q: undefined });
    expect(got.get('List of fictional diseases')).toMatchObject({ missing: false, q: undefined });
  });

  it('fetchLinks follows plcontinue until every link of every page is read', async () => {
    const apis = await startFakeApis({ linkPageSize: 2 });
    open.push(apis);
    const got = await fetchLinks(client(), { api: apis.wikipediaApi, maxlag: 5 }, ['Tuberculosis', 'Cough', 'Lung']);
    expect(got.get('Tuberculosis')!.length).toBe(11);
    expect(got.get('Cough')).toEqual(['Fever', 'Phthisis', 'Tuberculosis']);
    expect(got.get('Lung')).toEqual([]);
    expect(apis.requests.length).toBe(7); // 14 links, 2 per answer
    expect(apis.requests.slice(1).every((r) => r.params.continue === '||' && !!r.params.plcontinue)).toBe(true);
  });

  it('EntityStore.pathogens climbs parent taxa up to the configured depth', async () => {
    const apis = await startFakeApis();
    open.push(apis);
    const classes = new Set(defaults.pathogenClasses);
    const store = new EntityStore(client(), { api: apis.wikidataApi, maxlag: 5 }, 50, ruleProps);
    expect((await store.pathogens(['Q130971', 'Q166231', 'Q990000180'], classes, 3)).get('Q130971')).toBe(true);
    const shallow = new EntityStore(client(), { api: apis.wikidataApi, maxlag: 5 }, 50, ruleProps);
    const got = await shallow.pathogens(['Q130971', 'Q166231'], classes, 0);
    expect(Object.fromEntries(got)).toEqual({ Q130971: false, Q166231: false });
    expect(store.get('Q990000170').parentTaxon).toEqual(['Q10876']);
  });
});

describe('state file', () => {
  const record = (q: string): BatchRecord => ({
    processed: 1,
    facts: [{ k: 'node', q, type: 'symptom', name: q, synonyms: [], xrefs: { wikidata: [q] } }],
    entries: [],
    enqueued: [],
    expanded: [q],
    viaMerges: [],
    skipped: {},
    duplicates: 0,
  });

  it('loadState replays committed batch records and cuts journal lines written after the last commit', () => {
    const stateFile = path.join(tmp(), 'state.json');
    const st = startState(stateFile, ['Fever']);
    commitBatch(stateFile, { ...st, batches: 1 }, record('Q38933'));
    fs.appendFileSync(journalFile(stateFile), JSON.stringify(record('Q35805')) + '\n'); // killed before the state was rewritten
    const loaded = loadState(stateFile)!;
    expect(loaded.state).toEqual({ version: 2, seeds: ['Fever'], batches: 1 });
    expect(loaded.records).toEqual([record('Q38933')]);
    expect(fs.readFileSync(journalFile(stateFile), 'utf8').trim().split('\n').length).toBe(1);
  });

  it('loadState throws an InputError naming the journal when committed lines are missing', () => {
    const stateFile = path.join(tmp(), 'state.json');
    const st = startState(stateFile, ['Fever']);
    commitBatch(stateFile, { ...st, batches: 3 }, record('Q38933'));
    expect(() => loadState(stateFile)).toThrow(InputError);
    expect(() => loadState(stateFile)).toThrow(/journal\.jsonl:1: state expects 3 journal lines/);
  });

  it('startState clears a stale journal', () => {
    const stateFile = path.join(tmp(), 'state.json');
    fs.writeFileSync(journalFile(stateFile), JSON.stringify(record('Q1')) + '\n');
    startState(stateFile, ['Fever']);
    expect(loadState(stateFile)!.records).toEqual([]);
  });
});
