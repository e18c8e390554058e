/**
 * Wikidata through `action=wbgetentities` (≤50 ids a call, `props=claims|labels|aliases|sitelinks`,
 * `languages=en`, `sitefilter=enwiki`). Each entity is reduced to a compact summary: English
 * label and aliases, the English Wikipedia title, its classes (P31, P279), parent taxa (P171),
 * cross-references and the item-valued claims the agent maps. The pathogen rule lives here too.
 */
import type { Xrefs } from '../schema';
import { P_INSTANCE_OF, P_PARENT_TAXON, P_SUBCLASS_OF, XREF_PROPERTIES } from './config';
import type { ApiClient } from './http';
import { ApiTarget, apiUrl } from './wikipedia';

export interface EntitySummary {
  /** The canonical Q-id (after any Wikidata redirect). */
  id: string;
  missing: boolean;
  label?: string;
  aliases: string[];
  /** Title of the English Wikipedia article (sitelinks.enwiki). */
  enwiki?: string;
  instanceOf: string[];
  subclassOf: string[];
  parentTaxon: string[];
  xrefs: Xrefs;
  /** Item-valued claims of the mapped properties, in statement order (deprecated ones left out). */
  claims: { property: string; target: string }[];
  /** Statements of mapped properties that were left out, with why. */
  claimSkips: { property: string; reason: string }[];
}

/** The parts of a wbgetentities snak, statement and entity the agent reads. */
export interface RawSnak {
  snaktype?: string;
  property?: string;
  datavalue?: { type?: string; value?: unknown };
}
export interface RawStatement {
  mainsnak?: RawSnak;
  rank?: string;
}
export interface RawEntity {
  id?: string;
  missing?: unknown;
  labels?: Record<string, { value?: string }>;
  aliases?: Record<string, { value?: string }[]>;
  sitelinks?: Record<string, { title?: string }>;
  claims?: Record<string, RawStatement[]>;
  redirects?: { from?: string; to?: string };
}

function itemId(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { id?: unknown; 'numeric-id'?: unknown; 'entity-type'?: unknown };
  if (typeof o.id === 'string' && /^Q\d+$/.test(o.id)) return o.id;
  if (o['entity-type'] === 'item' && typeof o['numeric-id'] === 'number') return `Q${o['numeric-id']}`;
  return undefined;
}

/**
 * The compact summary of one wbgetentities entity. `ruleProperties` are the item-valued
 * properties whose claims are kept (and whose left-out statements are counted).
 */
export function summarizeEntity(raw: RawEntity, requestedId: string, ruleProperties: ReadonlySet<string>): EntitySummary {
  const id = raw.id && /^Q\d+$/.test(raw.id) ? raw.id : requestedId;
  const s: EntitySummary = {
    id,
    missing: raw.missing !== undefined,
    aliases: [],
    instanceOf: [],
    subclassOf: [],
    parentTaxon: [],
    xrefs: { wikidata: [id] },
    claims: [],
    claimSkips: [],
  };
  if (s.missing) return s;
  const label = raw.labels?.en?.value?.trim();
  if (label) s.label = label;
  s.aliases = [...new Set((raw.aliases?.en ?? []).map((a) => (a.value ?? '').trim()).filter((a) => a && a !== label))];
  const wiki = raw.sitelinks?.enwiki?.title;
  if (wiki) s.enwiki = wiki;
  for (const property of Object.keys(raw.claims ?? {}).sort()) {
    const xrefKey = XREF_PROPERTIES[property];
    const structural = property === P_INSTANCE_OF || property === P_SUBCLASS_OF || property === P_PARENT_TAXON;
    const mapped = ruleProperties.has(property);
    if (!xrefKey && !structural && !mapped) continue;
    for (const st of raw.claims![property] ?? []) {
      const snak = st.mainsnak ?? {};
      if (st.rank === 'deprecated') {
        if (mapped) s.claimSkips.push({ property, reason: 'deprecated rank' });
        continue;
      }
      if (snak.snaktype !== 'value') {
        if (mapped) s.claimSkips.push({ property, reason: `no value (${snak.snaktype ?? 'missing snak'})` });
        continue;
      }
      if (xrefKey) {
        const v = snak.datavalue?.value;
        if (typeof v === 'string' && v.trim()) (s.xrefs[xrefKey] ??= []).push(v.trim());
        continue;
      }
      const target = itemId(snak.datavalue?.value);
      if (!target) {
        if (mapped) s.claimSkips.push({ property, reason: 'value is not an item' });
        continue;
      }
      if (property === P_INSTANCE_OF) s.instanceOf.push(target);
      if (property === P_PARENT_TAXON) s.parentTaxon.push(target);
      if (property === P_SUBCLASS_OF) s.subclassOf.push(target);
      if (mapped) s.claims.push({ property, target });
    }
  }
  for (const k of Object.keys(s.xrefs)) s.xrefs[k] = [...new Set(s.xrefs[k])].sort();
  return s;
}

/** Fetches and remembers entity summaries; answers the pathogen rule. */
export class EntityStore {
  private readonly memo = new Map<string, EntitySummary>();
  private readonly pathogenMemo = new Map<string, boolean>();

  constructor(
    private readonly client: ApiClient,
    private readonly target: ApiTarget,
    private readonly batchSize: number,
    private readonly ruleProperties: ReadonlySet<string>,
  ) {}

  /** The wbgetentities URL for these ids (in this order). */
  entitiesUrl(ids: string[]): string {
    return apiUrl(this.target.api, [
      ['action', 'wbgetentities'],
      ['format', 'json'],
      ['maxlag', String(this.target.maxlag)],
      ['ids', ids.join('|')],
      ['props', 'claims|labels|aliases|sitelinks'],
      ['languages', 'en'],
      ['sitefilter', 'enwiki'],
    ]);
  }

  /** Makes sure every id is summarised (fetching the unknown ones in sorted batches). */
  async load(ids: Iterable<string>): Promise<void> {
    const todo = [...new Set(ids)].filter((q) => !this.memo.has(q)).sort(compareQ);
    for (let i = 0; i < todo.length; i += this.batchSize) {
      const batch = todo.slice(i, i + this.batchSize);
      const body = (await this.client.getJson(this.entitiesUrl(batch))) as { entities?: Record<string, RawEntity> };
      const entities = body.entities ?? {};
      const all = Object.values(entities);
      for (const q of batch) {
        const raw = entities[q] ?? all.find((e) => e.redirects?.from === q) ?? { id: q, missing: '' };
        this.memo.set(q, summarizeEntity(raw, q, this.ruleProperties));
      }
    }
  }

  /** A loaded summary (throws when `load` was not called for it). */
  get(q: string): EntitySummary {
    const s = this.memo.get(q);
    if (!s) throw new Error(`EntityStore: ${q} was not loaded`);
    return s;
  }

  /**
   * The pathogen rule, for each id: an item is a pathogen when one of its P31 / P279 / P171
   * values, or a parent taxon reached by climbing P171 up to `depth` steps (or one of that
   * taxon's P31 / P279 values), is in `classes` (Bacteria, virus, Fungi, parasite by default).
   * Anything else (smoking, "infection", a mutation, a toxin) is not a pathogen.
   */
  async pathogens(ids: string[], classes: ReadonlySet<string>, depth: number): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const todo = [...new Set(ids)].filter((q) => {
      const hit = this.pathogenMemo.get(q);
      if (hit !== undefined) out.set(q, hit);
      return hit === undefined;
    });
    await this.load(todo);
    // Climb all lineages together, one batch of parents per level.
    const open = new Map<string, Set<string>>(); // start id → current parent taxa
    for (const q of todo) {
      const s = this.get(q);
      if ([...s.instanceOf, ...s.subclassOf, ...s.parentTaxon].some((c) => classes.has(c))) out.set(q, true);
      else if (s.parentTaxon.length) open.set(q, new Set(s.parentTaxon));
      else out.set(q, false);
    }
    const seen = new Map<string, Set<string>>([...open].map(([q, ps]) => [q, new Set(ps)]));
    for (let level = 1; level <= depth && open.size; level++) {
      await this.load([...open.values()].flatMap((ps) => [...ps]));
      for (const [q, parents] of [...open]) {
        const next = new Set<string>();
        let found = false;
        for (const p of parents) {
          const s = this.get(p);
          if ([...s.instanceOf, ...s.subclassOf, ...s.parentTaxon].some((c) => classes.has(c))) found = true;
          for (const g of s.parentTaxon) if (!seen.get(q)!.has(g)) next.add(g);
        }
        if (found || !next.size) {
          out.set(q, found);
          open.delete(q);
        } else {
          for (const g of next) seen.get(q)!.add(g);
          open.set(q, next);
        }
      }
    }
    for (const q of open.keys()) out.set(q, false);
    for (const q of todo) this.pathogenMemo.set(q, out.get(q)!);
    return out;
  }

  /** Forgets summaries when more than `limit` are held (between batches; it only costs re-reads). */
  trim(limit: number): void {
    if (this.memo.size > limit) this.memo.clear();
  }
}

/** Numeric order of Q-ids (Q2 before Q10), then text. */
export function compareQ(a: string, b: string): number {
  const na = Number(a.slice(1));
  const nb = Number(b.slice(1));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
