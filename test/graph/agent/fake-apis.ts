/**
 * A real HTTP server on 127.0.0.1 (random port) that answers `api.php` requests the way the
 * MediaWiki Action API (Wikipedia: action=query, prop=pageprops|links, formatversion=2, redirects,
 * `continue`) and the Wikibase API (Wikidata: action=wbgetentities) document them, from a small
 * fixture world of linked medical articles. It records every request (time, API, parameters,
 * status) and can inject one-off faults: a `maxlag` error, a 429 with Retry-After, a 500.
 *
 * Fixture ids: Q-ids marked "mirror" are real and were checked against the Wikidata exports in
 * shared/data/kg-sources/wikidata (labels, and the claims those files list); Q9900000xx ids are
 * fictional (real Wikidata ids are far smaller), used where a real id was not checked.
 * External ids (UMLS, MeSH, DOID, ICD-10) come from the same mirror files and the Disease Ontology.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type ClaimSpec = string | { value: string; rank: 'preferred' | 'normal' | 'deprecated' } | { snaktype: 'somevalue' | 'novalue' };

export interface FixtureItem {
  id: string;
  label?: string;
  aliases?: string[];
  enwiki?: string;
  claims?: Record<string, ClaimSpec[]>;
}

export interface FixtureWorld {
  items: FixtureItem[];
  /** Article title → its namespace-0 links (articles are the items' enwiki titles plus `extraPages`). */
  links: Record<string, string[]>;
  /** Articles without a Wikidata item. */
  extraPages: string[];
  /** Redirect title → target title. */
  redirects: Record<string, string>;
}

const EXTERNAL_ID_PROPERTIES = new Set(['P2892', 'P486', 'P699', 'P494']);

/** The fixture world: tuberculosis and type 2 diabetes with their neighbourhood. */
export function fixtureWorld(): FixtureWorld {
  const items: FixtureItem[] = [
    {
      id: 'Q12204', // tuberculosis (mirror)
      label: 'tuberculosis',
      aliases: ['TB', 'phthisis'],
      enwiki: 'Tuberculosis',
      claims: {
        P31: ['Q12136', 'Q18123741'],
        P279: ['Q727028'],
        P780: ['Q35805', 'Q38933', 'Q718113', 'Q647099'],
        P2176: ['Q423169', 'Q422652', 'Q412318'],
        P828: ['Q130971', 'Q166231'],
        P923: ['Q990000110', 'Q990000111', 'Q835153'],
        P927: ['Q990000120'],
        P2892: ['C0041296'],
        P486: ['D014376'],
        P699: ['DOID:399'],
      },
    },
    { id: 'Q12136', label: 'disease', enwiki: 'Disease', claims: {} }, // well known
    { id: 'Q18123741', label: 'infectious disease', enwiki: 'Infection', claims: { P279: ['Q12136'] } }, // mirror
    { id: 'Q727028', label: 'bacterial infectious disease', claims: { P279: ['Q18123741'] } }, // mirror
    { id: 'Q35805', label: 'cough', aliases: ['tussis'], enwiki: 'Cough', claims: { P31: ['Q169872'] } }, // mirror
    { id: 'Q38933', label: 'fever', aliases: ['pyrexia'], enwiki: 'Fever', claims: { P31: ['Q169872', 'Q1441305'] } }, // mirror
    { id: 'Q718113', label: 'weight loss', claims: { P31: ['Q169872'] } }, // mirror
    { id: 'Q647099', label: 'hemoptysis', claims: { P31: ['Q169872'] } }, // mirror
    { id: 'Q423169', label: 'isoniazid', enwiki: 'Isoniazid', claims: { P31: ['Q12140', 'Q35456'], P2175: ['Q12204'] } }, // mirror
    {
      id: 'Q422652', // rifampicin (mirror)
      label: 'rifampicin',
      aliases: ['rifampin'],
      enwiki: 'Rifampicin',
      claims: { P31: ['Q12140'], P2175: ['Q12204', { value: 'Q990000130', rank: 'deprecated' }] },
    },
    { id: 'Q412318', label: 'ethambutol', claims: { P31: ['Q12140'], P2175: ['Q12204'] } }, // mirror
    { id: 'Q130971', label: 'Mycobacterium tuberculosis', enwiki: 'Mycobacterium tuberculosis', claims: { P31: ['Q16521'], P171: ['Q990000170'] } }, // mirror
    { id: 'Q990000170', label: 'Mycobacterium', enwiki: 'Mycobacterium', claims: { P31: ['Q16521'], P171: ['Q10876'] } },
    { id: 'Q10876', label: 'Bacteria', claims: { P31: ['Q16521'] } }, // mirror
    { id: 'Q166231', label: 'infection', claims: {} }, // mirror
    { id: 'Q990000110', label: 'chest radiograph', enwiki: 'Chest radiograph', claims: { P31: ['Q931309'] } },
    { id: 'Q990000111', label: 'sputum smear microscopy', claims: {} },
    { id: 'Q835153', label: 'physical examination', claims: {} }, // mirror
    { id: 'Q990000120', label: 'lung', enwiki: 'Lung', claims: { P31: ['Q4936952'] } },
    {
      id: 'Q3025883', // type 2 diabetes (mirror)
      label: 'type 2 diabetes',
      aliases: ['type 2 diabetes mellitus', 'T2DM'],
      enwiki: 'Type 2 diabetes',
      claims: {
        P31: ['Q12136'],
        P279: ['Q12206'],
        P780: ['Q990000140', 'Q990000141'],
        P2176: ['Q19484'],
        P923: ['Q990000150'],
        P927: ['Q990000160'],
        P828: [{ snaktype: 'somevalue' }],
        P2892: ['C0011860'],
        P486: ['D003924'],
        P699: ['DOID:9352'],
        P494: ['E11'],
      },
    },
    {
      id: 'Q12206', // diabetes mellitus (mirror)
      label: 'diabetes mellitus',
      enwiki: 'Diabetes mellitus',
      claims: { P31: ['Q12136'], P279: ['Q12136'], P780: ['Q990000141'], P486: ['D003920'], P699: ['DOID:9351'] },
    },
    { id: 'Q19484', label: 'metformin', enwiki: 'Metformin', claims: { P31: ['Q12140'], P2175: ['Q3025883', { value: 'Q990000131', rank: 'deprecated' }] } }, // mirror
    { id: 'Q990000140', label: 'polydipsia', claims: { P31: ['Q169872'] } },
    { id: 'Q990000141', label: 'polyuria', claims: { P31: ['Q169872'] } },
    { id: 'Q990000150', label: 'glycated hemoglobin test', claims: {} },
    { id: 'Q990000160', label: 'pancreas', claims: { P31: ['Q4936952'] } },
    { id: 'Q990000180', label: 'Robert Koch', enwiki: 'Robert Koch', claims: { P31: ['Q5'] } },
    { id: 'Q990000181', label: 'World Health Organization', enwiki: 'World Health Organization', claims: { P31: ['Q990000182'] } },
    { id: 'Q990000130', label: 'fixture condition (deprecated claim target)', claims: {} },
    { id: 'Q990000131', label: 'another fixture condition', claims: {} },
  ];
  const links: Record<string, string[]> = {
    Tuberculosis: [
      'Chest radiograph',
      'Cough',
      'Fever',
      'Isoniazid',
      'Lung',
      'Mycobacterium tuberculosis',
      'Phthisis',
      'Rifampicin',
      'Robert Koch',
      'Tuberculosis in fiction', // no such page
      'World Health Organization',
    ],
    Cough: ['Fever', 'Phthisis', 'Tuberculosis'],
    Fever: ['Cough', 'List of fictional diseases'],
    Isoniazid: ['Rifampicin', 'Tuberculosis'],
    Rifampicin: ['Isoniazid', 'Tuberculosis'],
    'Mycobacterium tuberculosis': ['Mycobacterium', 'Robert Koch', 'Tuberculosis'],
    Mycobacterium: ['Mycobacterium tuberculosis'],
    'Type 2 diabetes': ['Diabetes mellitus', 'Insulin resistance', 'Metformin'],
    'Diabetes mellitus': ['Type 2 diabetes'],
    Metformin: ['Type 2 diabetes'],
    'Chest radiograph': ['Lung', 'Tuberculosis'],
    'Robert Koch': ['Tuberculosis'],
    'List of fictional diseases': ['Tuberculosis'],
  };
  return { items, links, extraPages: ['List of fictional diseases'], redirects: { Phthisis: 'Tuberculosis' } };
}

export interface RecordedRequest {
  /** performance.now() when the request arrived. */
  at: number;
  api: 'wikipedia' | 'wikidata' | 'other';
  url: string;
  params: Record<string, string>;
  status: number;
  /** The fault served instead of an answer, if any. */
  fault?: Fault['kind'];
  userAgent?: string;
}

export interface Fault {
  api: 'wikipedia' | 'wikidata';
  /** 1-based index among that API's requests. */
  nth: number;
  kind: 'maxlag' | '429' | '500';
  /** Retry-After header, seconds (maxlag and 429). */
  retryAfter?: number;
}

export interface FakeApiOptions {
  world?: FixtureWorld;
  /** What `pllimit=max` means on this server (small, so link lists paginate). */
  linkPageSize?: number;
  faults?: Fault[];
  /** Called for every request after it is recorded (tests abort a run from here). */
  onRequest?: (r: RecordedRequest, index: number) => void;
}

export interface FakeApis {
  wikipediaApi: string;
  wikidataApi: string;
  requests: RecordedRequest[];
  /** Faults served, by kind. */
  faultsServed: Record<string, number>;
  close(): Promise<void>;
}

function normalizeTitle(t: string): string {
  const s = t.replace(/_/g, ' ').trim().replace(/\s+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function statement(q: string, property: string, spec: ClaimSpec, n: number): unknown {
  const id = `${q}$fixture-${property}-${n}`;
  if (typeof spec === 'object' && 'snaktype' in spec)
    return { mainsnak: { snaktype: spec.snaktype, property, hash: 'fixture', datatype: 'wikibase-item' }, type: 'statement', id, rank: 'normal' };
  const value = typeof spec === 'string' ? spec : spec.value;
  const rank = typeof spec === 'string' ? 'normal' : spec.rank;
  const mainsnak = EXTERNAL_ID_PROPERTIES.has(property)
    ? { snaktype: 'value', property, hash: 'fixture', datavalue: { value, type: 'string' }, datatype: 'external-id' }
    : {
        snaktype: 'value',
        property,
        hash: 'fixture',
        datavalue: { value: { 'entity-type': 'item', 'numeric-id': Number(value.slice(1)), id: value }, type: 'wikibase-entityid' },
        datatype: 'wikibase-item',
      };
  return { mainsnak, type: 'statement', id, rank };
}

function entityJson(it: FixtureItem, props: Set<string>): unknown {
  const e: Record<string, unknown> = { pageid: Number(it.id.slice(1)) % 1_000_000, ns: 0, title: it.id, lastrevid: 1, modified: '2024-01-01T00:00:00Z', type: 'item', id: it.id };
  if (props.has('labels')) e.labels = it.label ? { en: { language: 'en', value: it.label } } : {};
  if (props.has('aliases')) e.aliases = it.aliases?.length ? { en: it.aliases.map((value) => ({ language: 'en', value })) } : {};
  if (props.has('claims')) {
    const claims: Record<string, unknown[]> = {};
    for (const [p, specs] of Object.entries(it.claims ?? {})) claims[p] = specs.map((s, i) => statement(it.id, p, s, i));
    e.claims = claims;
  }
  if (props.has('sitelinks')) e.sitelinks = it.enwiki ? { enwiki: { site: 'enwiki', title: it.enwiki, badges: [] } } : {};
  return e;
}

/** Starts the fake Wikipedia + Wikidata APIs; `wikipediaApi` / `wikidataApi` are their api.php URLs. */
export async function startFakeApis(options: FakeApiOptions = {}): Promise<FakeApis> {
  const world = options.world ?? fixtureWorld();
  const pageSize = options.linkPageSize ?? 3;
  const items = new Map(world.items.map((i) => [i.id, i]));
  const titles = [...new Set([...world.items.filter((i) => i.enwiki).map((i) => i.enwiki!), ...world.extraPages])].sort();
  const pageIds = new Map(titles.map((t, i) => [t, 1000 + i]));
  const itemOfTitle = new Map(world.items.filter((i) => i.enwiki).map((i) => [i.enwiki!, i.id]));
  const requests: RecordedRequest[] = [];
  const faultsServed: Record<string, number> = {};
  const perApi = { wikipedia: 0, wikidata: 0 };

  const wikipedia = (p: Record<string, string>): unknown => {
    if (p.action !== 'query' || p.format !== 'json' || p.formatversion !== '2' || !p.maxlag)
      return { error: { code: 'fixture-strict', info: 'the fixture answers action=query&format=json&formatversion=2 with maxlag only' } };
    const asked = (p.titles ?? '').split('|').filter(Boolean);
    if (asked.length > 50) return { error: { code: 'toomanyvalues', info: 'Too many values supplied for parameter "titles". The limit is 50.' } };
    const props = new Set((p.prop ?? '').split('|'));
    const normalized: { fromencoded: boolean; from: string; to: string }[] = [];
    const redirects: { from: string; to: string }[] = [];
    const finals: string[] = [];
    for (const a of asked) {
      let t = normalizeTitle(a);
      if (t !== a) normalized.push({ fromencoded: false, from: a, to: t });
      if (p.redirects !== undefined && world.redirects[t]) {
        redirects.push({ from: t, to: world.redirects[t] });
        t = world.redirects[t];
      }
      if (!finals.includes(t)) finals.push(t);
    }
    const pages: Record<string, unknown>[] = finals.map((t) => {
      const id = pageIds.get(t);
      if (id === undefined) return { ns: 0, title: t, missing: true };
      const page: Record<string, unknown> = { pageid: id, ns: 0, title: t };
      const q = itemOfTitle.get(t);
      if (props.has('pageprops') && q && (!p.ppprop || p.ppprop.split('|').includes('wikibase_item'))) page.pageprops = { wikibase_item: q };
      return page;
    });
    pages.sort((a, b) => ((a.pageid as number) ?? 1e9) - ((b.pageid as number) ?? 1e9));
    const body: Record<string, unknown> = {};
    if (props.has('links')) {
      if (p.plnamespace !== '0') return { error: { code: 'fixture-strict', info: 'the fixture expects plnamespace=0' } };
      const limit = p.pllimit === 'max' || !p.pllimit ? pageSize : Math.min(pageSize, Number(p.pllimit));
      // All (pageid, link) pairs in API order: page id, then namespace, then title.
      const all: { pageid: number; title: string }[] = [];
      for (const page of pages) if (page.pageid !== undefined) for (const l of [...(world.links[page.title as string] ?? [])].sort()) all.push({ pageid: page.pageid as number, title: l });
      let start = 0;
      if (p.plcontinue) {
        const [pid, , ...rest] = p.plcontinue.split('|');
        start = all.findIndex((x) => x.pageid === Number(pid) && x.title === rest.join('|'));
        if (start < 0) return { error: { code: 'badcontinue', info: 'Invalid continue param. You should pass the original value returned by the previous query.' } };
      }
      const slice = all.slice(start, start + limit);
      for (const x of slice) {
        const page = pages.find((pg) => pg.pageid === x.pageid)!;
        ((page.links ??= []) as { ns: number; title: string }[]).push({ ns: 0, title: x.title });
      }
      const next = all[start + limit];
      if (next) body.continue = { plcontinue: `${next.pageid}|0|${next.title}`, continue: '||' };
    }
    if (!body.continue) body.batchcomplete = true;
    const query: Record<string, unknown> = {};
    if (normalized.length) query.normalized = normalized;
    if (redirects.length) query.redirects = redirects;
    query.pages = pages;
    body.query = query;
    return body;
  };

  const wikidata = (p: Record<string, string>): unknown => {
    if (p.action !== 'wbgetentities' || p.format !== 'json' || !p.maxlag)
      return { error: { code: 'fixture-strict', info: 'the fixture answers action=wbgetentities&format=json with maxlag only' } };
    const ids = (p.ids ?? '').split('|').filter(Boolean);
    if (ids.length > 50) return { error: { code: 'toomanyvalues', info: 'Too many values supplied for parameter "ids". The limit is 50.' } };
    const props = new Set((p.props ?? 'info|sitelinks|aliases|labels|descriptions|claims|datatype').split('|'));
    const entities: Record<string, unknown> = {};
    for (const id of ids) {
      const it = items.get(id);
      entities[id] = it ? entityJson(it, props) : { id, missing: '' };
    }
    return { entities, success: 1 };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = Object.fromEntries(url.searchParams.entries());
    const api = url.pathname === '/wikipedia/w/api.php' ? 'wikipedia' : url.pathname === '/wikidata/w/api.php' ? 'wikidata' : 'other';
    const rec: RecordedRequest = { at: performance.now(), api, url: url.toString(), params, status: 200, userAgent: req.headers['user-agent'] };
    requests.push(rec);
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      rec.status = status;
      res.writeHead(status, { 'Content-Type': status === 200 ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    options.onRequest?.(rec, requests.length - 1);
    if (api === 'other') return send(404, 'not found');
    perApi[api] += 1;
    const fault = (options.faults ?? []).find((f) => f.api === api && f.nth === perApi[api]);
    if (fault) {
      rec.fault = fault.kind;
      faultsServed[fault.kind] = (faultsServed[fault.kind] ?? 0) + 1;
      const retry = { 'Retry-After': String(fault.retryAfter ?? 0) };
      if (fault.kind === 'maxlag')
        return send(
          200,
          JSON.stringify({ error: { code: 'maxlag', info: 'Waiting for db-fixture: 0.05 seconds lagged.', host: 'db-fixture', lag: 0.05, type: 'db' }, servedby: 'fixture' }),
          { ...retry, 'X-Database-Lag': '0' },
        );
      if (fault.kind === '429') return send(429, 'Too many requests', retry);
      return send(500, 'Internal Server Error');
    }
    send(200, JSON.stringify(api === 'wikipedia' ? wikipedia(params) : wikidata(params)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    wikipediaApi: `http://127.0.0.1:${port}/wikipedia/w/api.php`,
    wikidataApi: `http://127.0.0.1:${port}/wikidata/w/api.php`,
    requests,
    faultsServed,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
