/**
 * Reasoning verifiability: the relations a completion's `<think>` states, read back from free text
 * without an LLM, and checked against the graph with the cold start's claim machinery
 * (claimHolds: the solver's closures; a denial holds only when it is a true absence).
 *
 * The matcher knows how relations are phrased in this workbench: the graph teacher's sentence
 * templates (PHRASES in src/coldstart/cot/graphTeacher.ts, positive and negated), its grouped
 * sentences ("X presents with a, b and c and shows d"), the sentence templates of the schema
 * (RELATIONS[r].text) and the pretraining corpus's phrasing families (PHRASINGS, in which the
 * concise teacher states its claims). Steps:
 *   1. the think text is split into sentences;
 *   2. every mention of a node name or synonym (case-insensitive, whole words, longest first) is
 *      replaced by a placeholder;
 *   3. each template becomes a regex over placeholders (the target may be a list "a, b and c");
 *      overlapping matches keep the longest (so "no treatment of X acts by Y" is one denial, not
 *      also the assertion "X acts by Y");
 *   4. a placeholder resolves to the node whose type fits the relation's endpoints (the first
 *      candidate otherwise, which then makes the claim unsupported).
 * A claim between nodes whose types do not fit the relation ("skin is not treated with X") is
 * unsupported: its denial is vacuously true, not evidence.
 * Precision limits: only these phrasings are recognised — a paraphrase ("X is managed with Y"),
 * pronouns, misspelt names or hedges ("X may cause Y") yield no claim (recall is low for free
 * text from an LLM, high for text in the teacher's style); a name shared by two nodes of the same
 * type resolves to the first; negation is read only from the templates' negated forms. So the
 * share of supported claims measures the relations stated in the workbench's own phrasing.
 */
import type { KnowledgeGraph } from '../graph/graph';
import { RELATIONS, edgeAllowed, type NodeType, type Relation } from '../graph/schema';
import { PHRASES } from '../coldstart/cot/graphTeacher';
import { PHRASINGS } from '../base/sentences';
import { type Claim, claimHolds, claimText } from '../coldstart/cot/trace';

/** One claim read from a completion, with the sentence it came from and its verdict. */
export interface ReadClaim {
  claim: Claim;
  /** 'Asthma has_symptom Wheezing' (node names). */
  text: string;
  /** The sentence that states it. */
  sentence: string;
  /** The endpoints' node types fit the relation (a denial between ill-typed nodes is vacuous). */
  wellTyped: boolean;
  /** Well typed and true on the graph. */
  supported: boolean;
}

export interface Verification {
  claims: ReadClaim[];
  total: number;
  supported: number;
}

interface Template {
  relation: Relation;
  negated: boolean;
  /** Source endpoint types allowed (disease_mechanism: a disease). */
  from: readonly NodeType[];
  re: RegExp;
  /** Extra list of has_finding targets (grouped symptom + finding sentences). */
  group?: boolean;
}

const OPEN = '\u27e6';
const CLOSE = '\u27e7';
const PH = `${OPEN}\\d+${CLOSE}`;
const LIST = `${PH}(?:(?:,\\s*|,?\\s+and\\s+)${PH})*`;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A regex from a sentence with \u0001 for the source and \u0002 for the target. */
function templateRegex(text: string): RegExp {
  const parts = text.split(/(\u0001|\u0002)/);
  const body = parts.map((p) => (p === '\u0001' ? `(?<s>${PH})` : p === '\u0002' ? `(?<t>${LIST})` : escapeRe(p).replace(/ /g, '\\s+'))).join('');
  return new RegExp(body, 'gi');
}

function buildTemplates(): Template[] {
  const out: Template[] = [];
  const seen = new Set<string>();
  const add = (relation: Relation, negated: boolean, text: string, from: readonly NodeType[]) => {
    const k = `${relation}|${negated}|${text.toLowerCase()}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ relation, negated, from, re: templateRegex(text) });
  };
  for (const [key, [pos, neg]] of Object.entries(PHRASES)) {
    const relation = (key === 'disease_mechanism' ? 'has_mechanism' : key) as Relation;
    const from = key === 'disease_mechanism' ? (['disease'] as const) : RELATIONS[relation].from;
    for (const f of pos) add(relation, false, f('\u0001', '\u0002'), from);
    for (const f of neg) add(relation, true, f('\u0001', '\u0002'), from);
  }
  for (const [r, spec] of Object.entries(RELATIONS)) add(r as Relation, false, spec.text.replace('{s}', '\u0001').replace('{t}', '\u0002'), spec.from);
  // the pretraining corpus's phrasing families (the concise teacher writes its claims in them)
  for (const [r, p] of Object.entries(PHRASINGS))
    for (const tpl of [...p.train, p.heldOut]) add(r as Relation, false, tpl.replace(/[.]$/, '').replace('{s}', '\u0001').replace('{t}', '\u0002'), RELATIONS[r as Relation].from);
  // the teacher's grouped sentences: "X presents with|causes a and b [and shows c]"
  add('has_symptom', false, '\u0001 causes \u0002', RELATIONS.has_symptom.from);
  out.push({
    relation: 'has_symptom',
    negated: false,
    from: RELATIONS.has_symptom.from,
    group: true,
    re: new RegExp(`(?<s>${PH})\\s+(?:presents\\s+with|causes)\\s+(?<t>${LIST})\\s+and\\s+shows\\s+(?<f>${LIST})`, 'gi'),
  });
  return out;
}

/** Reads claims from text; one matcher per graph (the name index is built once). */
export class ClaimMatcher {
  private readonly names: RegExp | null;
  private readonly byName = new Map<string, string[]>();
  private readonly templates = buildTemplates();

  constructor(readonly graph: KnowledgeGraph) {
    for (const n of graph.nodes)
      for (const name of [n.name, ...n.synonyms]) {
        const k = name.toLowerCase().trim();
        if (k.length < 2) continue;
        const ids = this.byName.get(k) ?? [];
        if (!ids.includes(n.id)) ids.push(n.id);
        this.byName.set(k, ids);
      }
    const all = [...this.byName.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.names = all.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${all.map(escapeRe).join('|')})(?![\\p{L}\\p{N}])`, 'giu') : null;
  }

  /** The nodes named in `text`, in order of mention (each mention: the ids sharing that name). */
  mentions(text: string): string[][] {
    if (!this.names) return [];
    return [...text.matchAll(this.names)].map((m) => this.byName.get(m[0].toLowerCase()) ?? []);
  }

  /** The claims stated in `text` (the `<think>` part of a completion, when it has one). */
  read(text: string): { claim: Claim; sentence: string }[] {
    const think = /<think>([\s\S]*?)(?:<\/think>|$)/.exec(text)?.[1] ?? text.replace(/<answer>[\s\S]*?<\/answer>/g, ' ');
    const out: { claim: Claim; sentence: string }[] = [];
    for (const sentence of think.replace(/<\|[a-z_]+\|>/g, ' ').split(/(?<=[.!?;])\s+|\n+/)) {
      if (!sentence.trim() || !this.names) continue;
      const mentions: string[][] = [];
      const ph = sentence.replace(this.names, (m) => {
        mentions.push(this.byName.get(m.toLowerCase()) ?? []);
        return `${OPEN}${mentions.length - 1}${CLOSE}`;
      });
      if (mentions.length < 2) continue;
      const hits: { start: number; end: number; t: Template; g: Record<string, string> }[] = [];
      for (const t of this.templates)
        for (const m of ph.matchAll(t.re)) hits.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, t, g: m.groups ?? {} });
      hits.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
      const taken: [number, number][] = [];
      for (const h of hits) {
        if (taken.some(([s, e]) => h.start < e && s < h.end)) continue;
        taken.push([h.start, h.end]);
        const idx = (s: string) => [...s.matchAll(new RegExp(`${OPEN}(\\d+)${CLOSE}`, 'g'))].map((x) => Number(x[1]));
        const pick = (k: number, types: readonly string[]) => {
          const ids = mentions[k];
          return ids.find((id) => types.includes(this.graph.byId.get(id)?.type ?? '')) ?? ids[0];
        };
        const source = pick(idx(h.g.s)[0], h.t.from);
        const emit = (relation: Relation, list: string) => {
          for (const k of idx(list)) {
            const target = pick(k, RELATIONS[relation].to);
            const claim: Claim = { source, relation, target };
            if (h.t.negated) claim.negated = true;
            out.push({ claim, sentence: sentence.trim() });
          }
        };
        emit(h.t.relation, h.g.t);
        if (h.t.group && h.g.f) emit('has_finding', h.g.f);
      }
    }
    return out;
  }

  /** Whether the claim's endpoint types fit its relation (has_mechanism also runs from a disease: "a treatment of X acts by"). */
  wellTyped(c: Claim): boolean {
    const s = this.graph.byId.get(c.source)?.type;
    const t = this.graph.byId.get(c.target)?.type;
    if (!s || !t) return false;
    return edgeAllowed(c.relation, s, t) || (c.relation === 'has_mechanism' && s === 'disease' && t === 'mechanism');
  }

  /** Claims in `text`, each checked against the graph: supported = well typed and true (claimHolds). */
  verify(text: string): Verification {
    const claims = this.read(text).map(({ claim, sentence }) => {
      const wellTyped = this.wellTyped(claim);
      return { claim, sentence, text: claimText(this.graph, claim), wellTyped, supported: wellTyped && claimHolds(this.graph, claim) };
    });
    return { claims, total: claims.length, supported: claims.filter((c) => c.supported).length };
  }
}
