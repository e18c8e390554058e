/**
 * Wikipedia through the MediaWiki Action API: `action=query` with `prop=pageprops`
 * (`ppprop=wikibase_item`, the page's Wikidata Q-id) and `prop=links` (namespace 0), JSON
 * `formatversion=2`, redirects resolved, and `continue` followed until the result is complete
 * (https://www.mediawiki.org/wiki/API:Continue: every key of the `continue` object is sent back).
 */
import type { ApiClient } from './http';

export interface ApiTarget {
  /** api.php URL. */
  api: string;
  maxlag: number;
}

/** One page of a formatversion=2 query (`query.pages[]`). */
interface RawPage {
  pageid?: number;
  ns?: number;
  title: string;
  missing?: boolean;
  invalid?: boolean;
  pageprops?: Record<string, string>;
  links?: { ns: number; title: string }[];
}

interface QueryBody {
  continue?: Record<string, string>;
  query?: {
    normalized?: { from: string; to: string }[];
    redirects?: { from: string; to: string }[];
    pages?: RawPage[];
  };
}

/** An api.php URL with parameters in the given order (a stable cache key). */
export function apiUrl(api: string, params: [string, string][]): string {
  return `${api}?${new URLSearchParams(params).toString()}`;
}

interface QueryResult {
  pages: Map<string, RawPage>;
  /** Title as asked → title as answered (normalisation, then one redirect). */
  resolve: (title: string) => string;
}

/** Runs one `action=query` to completion, merging the pages of every continuation. */
export async function queryAll(client: ApiClient, target: ApiTarget, params: [string, string][]): Promise<QueryResult> {
  const base: [string, string][] = [
    ['action', 'query'],
    ['format', 'json'],
    ['formatversion', '2'],
    ['maxlag', String(target.maxlag)],
    ...params,
  ];
  const pages = new Map<string, RawPage>();
  const normalized = new Map<string, string>();
  const redirects = new Map<string, string>();
  let cont: Record<string, string> | undefined;
  for (let round = 0; ; round++) {
    if (round > 10_000) throw new Error(`${target.api}: continuation did not end`);
    const extra: [string, string][] = cont ? Object.keys(cont).sort().map((k) => [k, String(cont![k])]) : [];
    const body = (await client.getJson(apiUrl(target.api, [...base, ...extra]))) as QueryBody;
    for (const n of body.query?.normalized ?? []) normalized.set(n.from, n.to);
    for (const r of body.query?.redirects ?? []) redirects.set(r.from, r.to);
    for (const p of body.query?.pages ?? []) {
      const cur = pages.get(p.title);
      if (!cur) {
        pages.set(p.title, { ...p, links: [...(p.links ?? [])] });
        continue;
      }
      if (p.pageprops) cur.pageprops = { ...(cur.pageprops ?? {}), ...p.pageprops };
      if (p.links) cur.links!.push(...p.links);
    }
    if (!body.continue) break;
    cont = body.continue;
  }
  const resolve = (title: string): string => {
    const t = normalized.get(title) ?? title;
    return redirects.get(t) ?? t;
  };
  return { pages, resolve };
}

export interface TitleInfo {
  /** The title as asked. */
  input: string;
  /** The page's title after normalisation and redirects. */
  title: string;
  missing: boolean;
  /** The Wikidata item of the page (pageprops.wikibase_item). */
  q?: string;
}

/** Resolves up to 50 titles to their final page title and Wikidata Q-id. */
export async function resolveTitles(client: ApiClient, target: ApiTarget, titles: string[]): Promise<Map<string, TitleInfo>> {
  const out = new Map<string, TitleInfo>();
  if (!titles.length) return out;
  const asked = [...new Set(titles)].sort();
  const { pages, resolve } = await queryAll(client, target, [
    ['prop', 'pageprops'],
    ['ppprop', 'wikibase_item'],
    ['redirects', '1'],
    ['titles', asked.join('|')],
  ]);
  for (const input of asked) {
    const title = resolve(input);
    const p = pages.get(title);
    const q = p?.pageprops?.wikibase_item;
    out.set(input, { input, title, missing: !p || !!p.missing || !!p.invalid, q: q && /^Q\d+$/.test(q) ? q : undefined });
  }
  return out;
}

/** The namespace-0 links of up to 50 pages (titles as the API spells them), sorted, all continuations followed. */
export async function fetchLinks(client: ApiClient, target: ApiTarget, titles: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!titles.length) return out;
  const asked = [...new Set(titles)].sort();
  const { pages, resolve } = await queryAll(client, target, [
    ['prop', 'links'],
    ['plnamespace', '0'],
    ['pllimit', 'max'],
    ['redirects', '1'],
    ['titles', asked.join('|')],
  ]);
  for (const input of asked) {
    const p = pages.get(resolve(input));
    const links = (p?.links ?? []).filter((l) => l.ns === 0).map((l) => l.title);
    out.set(input, [...new Set(links)].sort());
  }
  return out;
}
