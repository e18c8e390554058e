/**
 * The offline CoT teacher: writes a short reasoning trace for a synthetic item from its graph
 * evidence, listing every relation it states as a claim. Two styles:
 *   - 'clinical': the findings, the hypothesis and what supports it, why each distractor is out,
 *     the conclusion, in varied sentences;
 *   - 'concise' (the stage's default): only the claims that single out the hypothesis, each in the
 *     pretraining corpus's sentence with the known side first ("Barrel chest is seen in chronic
 *     obstructive pulmonary disease. Chronic obstructive pulmonary disease is treated with
 *     ipratropium."), so the trace is a continuation the pretrained policy has practised.
 *
 * Its first drafts behave like a fallible teacher, more so on hard items (more hops, more clues):
 *   - it may reason from part of the evidence: each clue is dropped with probability
 *     dropBase + dropSlope·h, and on chained items the linking hop (e.g. the drug's class) may be
 *     missed (hopSlope·h), so several options fit and it picks the more common one;
 *   - it may anchor on the distractor sharing the most context (anchorBase + anchorSlope·h) and
 *     assert relations the graph does not have;
 *   - rarely (formatSlip) it ends without the <answer> tag format.
 * h is the item's hardness in [0, 1] (hops, clue count, and the RODS difficulty label when set).
 *
 * Revisions follow the strategy asked for: 'backtracking' restores dropped evidence (one clue or
 * the missed hop per call), 'path-exploration' tests the current hypothesis and then the next
 * candidate against all the evidence, 'self-correction' retracts false claims and re-derives the
 * final step (and repairs the format). Each revision adds one short reflective sentence.
 */
import type { Rng } from '../../core/rng';
import type { KnowledgeGraph } from '../../graph/graph';
import type { Relation } from '../../graph/schema';
import type { Item } from '../../rods/item';
import type { SynthQuery } from '../../rods/synth/config';
import { GraphFacts, factsOf } from '../../rods/synth/facts';
import { corpusSentence } from '../../base/sentences';
import { satisfies } from '../../rods/synth/solve';
import { joinAnd, upperFirst } from '../../rods/synth/surface';
import { optionLetters, strictAnswer } from '../../protocol/index';
import { Claim, Strategy, TeachContext, Teacher, Trace, formatCompletion, relationHolds } from './trace';

export interface GraphTeacherOptions {
  /** Per-clue drop probability at hardness 0 … */
  dropBase: number;
  /** … plus this times the hardness. */
  dropSlope: number;
  /** Probability of anchoring on a distractor at hardness 0 … */
  anchorBase: number;
  /** … plus this times the hardness. */
  anchorSlope: number;
  /** Probability (times hardness) of missing the linking hop of a chain of ≥ 2 edges. */
  hopSlope: number;
  /** Probability of a malformed ending. */
  formatSlip: number;
  /** Hardness of each RODS difficulty label (averaged with the structural hardness). */
  labelHardness: { Easy: number; Moderate: number; Difficult: number };
  /**
   * 'concise': only the claims that single the answer out, each in the pretraining corpus's own
   * sentence (src/coldstart/pretrain/sentences.ts, known side first: "Wilson's disease is
   * treated with trientine."), 15–60 tokens; 'clinical': findings, hypothesis, support, a
   * sentence per distractor and a conclusion in varied wording (≈ 100 tokens).
   */
  style: 'concise' | 'clinical';
}

export const defaults: GraphTeacherOptions = {
  dropBase: 0.02, // per-clue drop probability at h = 0
  dropSlope: 0.35, // + per unit of hardness
  anchorBase: 0.03, // anchoring on a distractor at h = 0
  anchorSlope: 0.25, // + per unit of hardness
  hopSlope: 0.4, // missing the linking hop, per unit of hardness
  formatSlip: 0.02, // malformed ending
  labelHardness: { Easy: 0.1, Moderate: 0.45, Difficult: 0.8 },
  style: 'clinical', // the stage's default is coldstart.style = 'concise' (with evidence 'discriminating')
};

/** Structural hardness in [0, 1]: 0.3 per hop beyond the first, 0.12 per clue beyond two, averaged with the label's. */
export function hardness(item: Item, options: Partial<GraphTeacherOptions> = {}): number {
  const o = { ...defaults, ...options };
  const clues = ((item.meta?.query as SynthQuery | undefined)?.clues ?? []).length;
  const s = Math.min(1, Math.max(0, 0.3 * ((item.hops ?? 1) - 1) + 0.12 * Math.max(0, clues - 2)));
  return item.difficulty ? (s + o.labelHardness[item.difficulty]) / 2 : s;
}

/** What the teacher currently believes about an item (kept per trace for revisions). */
interface Plan {
  /** Clue ids it reasons from (a subset of the query's, in query order). */
  used: string[];
  /** The chain's linking hop is missed: the right option looks unsupported. */
  hopDropped: boolean;
  /** Committed hypothesis (an option id), or null to choose. */
  hypothesis: string | null;
  /** The hypothesis is held against the evidence (it states false relations to keep it). */
  anchored: boolean;
  /** Multi-hop: the disease it identified. */
  subject: string | null;
  /** Options ruled out by exploration. */
  excluded: string[];
  formatSlip: boolean;
  /** Reflective sentences from revisions, with the claims they state. */
  notes: { text: string; claims: Claim[] }[];
}

const clonePlan = (p: Plan): Plan => ({ ...p, used: [...p.used], excluded: [...p.excluded], notes: p.notes.map((n) => ({ text: n.text, claims: [...n.claims] })) });

/** The relation linking a subject to an option for each query kind (contraindicated runs option → subject). */
const ASK_RELATION: Record<Exclude<SynthQuery['ask'], 'disease'>, Relation> = {
  test: 'diagnosed_by',
  treatment: 'treated_by',
  mechanism: 'has_mechanism',
  class: 'in_class',
  contraindicated: 'contraindicated_in',
};

export type Phrase = (s: string, t: string) => string;
/** Sentence templates per relation: positive, then negative (also read by the evaluation's claim matcher, src/eval/claims.ts). */
export const PHRASES: Record<string, [Phrase[], Phrase[]]> = {
  has_symptom: [
    [(s, t) => `${s} presents with ${t}`, (s, t) => `${s} typically causes ${t}`, (s, t) => `${s} explains ${t}`],
    [(s, t) => `${s} lacks ${t}`, (s, t) => `${s} does not cause ${t}`, (s, t) => `${t} is not a feature of ${s}`],
  ],
  has_finding: [
    [(s, t) => `${s} shows ${t}`, (s, t) => `${s} is marked by ${t}`],
    [(s, t) => `${s} does not show ${t}`, (s, t) => `${t} is not seen in ${s}`],
  ],
  diagnosed_by: [
    [(s, t) => `${s} is confirmed by ${t}`, (s, t) => `${t} establishes ${s}`],
    [(s, t) => `${t} does not confirm ${s}`, (s, t) => `${t} is not a test for ${s}`],
  ],
  treated_by: [
    [(s, t) => `${s} is treated with ${t}`, (s, t) => `${t} is a treatment for ${s}`],
    [(s, t) => `${t} is not a treatment for ${s}`, (s, t) => `${s} is not treated with ${t}`],
  ],
  in_class: [
    [(s, t) => `${s} belongs to ${t}`, (s, t) => `${s} is one of the ${t}`],
    [(s, t) => `${s} is not among ${t}`, (s, t) => `${s} does not belong to ${t}`],
  ],
  has_mechanism: [
    [(s, t) => `${s} acts by ${t}`, (s, t) => `${s} works through ${t}`],
    [(s, t) => `${s} does not act by ${t}`, (s, t) => `${t} is not how ${s} works`],
  ],
  disease_mechanism: [
    [(s, t) => `a treatment of ${s} acts by ${t}`],
    [(s, t) => `no treatment of ${s} acts by ${t}`, (s, t) => `${t} is not how drugs for ${s} work`],
  ],
  contraindicated_in: [
    [(s, t) => `${s} is contraindicated in ${t}`, (s, t) => `${s} must be avoided in ${t}`],
    [(s, t) => `${s} is not contraindicated in ${t}`, (s, t) => `nothing rules out ${s} in ${t}`],
  ],
};

const FINDINGS = [(x: string) => `Key findings: ${x}.`, (x: string) => `The patient has ${x}.`, (x: string) => `Presentation: ${x}.`];
const CONCLUDE = [(x: string, l: string) => `So the answer is ${x} (${l}).`, (x: string, l: string) => `Therefore ${x} (${l}).`, (x: string, l: string) => `Best answer: ${x} (${l}).`];
const POINTS_TO = [(d: string) => `These point to ${d}.`, (d: string) => `The likely condition is ${d}.`, (d: string) => `This suggests ${d}.`];
const GIVEN = [(s: string) => `Start from ${s}.`, (s: string) => `The key entity is ${s}.`, (s: string) => `Consider ${s}.`];

/** The graph teacher; see the module comment. */
export class GraphTeacher implements Teacher {
  readonly name = 'graph';
  readonly options: GraphTeacherOptions;
  private readonly f: GraphFacts;
  private readonly plans = new WeakMap<Trace, Plan>();

  constructor(
    readonly graph: KnowledgeGraph,
    options: Partial<GraphTeacherOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
    this.f = factsOf(graph);
  }

  /** Items without a graph query, option ids or evidence (curated items) cannot be taught. */
  unsupported(item: Item): string | null {
    const q = item.meta?.query as SynthQuery | undefined;
    const ids = item.meta?.optionIds as Record<string, string> | undefined;
    if (!q || typeof q.ask !== 'string' || !ids || !item.evidence) return 'no graph query (not a synthetic item)';
    if (Object.values(ids).some((id) => !this.graph.byId.has(id))) return 'option not in the graph';
    return null;
  }

  async draft(item: Item, ctx: TeachContext): Promise<Trace> {
    const why = this.unsupported(item);
    if (why) throw new Error(`GraphTeacher: item ${item.id}: ${why}`);
    const o = this.options;
    const rng = ctx.rng;
    const q = this.query(item);
    const h = hardness(item, o);
    const clues = q.clues ?? [];
    const pDrop = o.dropBase + o.dropSlope * h;
    let used = clues.filter(() => rng.next() >= pDrop);
    if (!used.length && clues.length) used = [rng.pick(clues)];
    const chainLen = this.chain(item).length;
    const plan: Plan = {
      used,
      hopDropped: chainLen >= 2 && rng.next() < o.hopSlope * h,
      hypothesis: null,
      anchored: false,
      subject: null,
      excluded: [],
      formatSlip: rng.next() < o.formatSlip,
      notes: [],
    };
    if (rng.next() < o.anchorBase + o.anchorSlope * h) {
      plan.hypothesis = this.anchorCandidate(item, rng);
      plan.anchored = true;
    }
    return this.render(item, plan, rng);
  }

  async revise(item: Item, previous: Trace, feedback: readonly string[], strategy: Strategy, ctx: TeachContext): Promise<Trace> {
    const rng = ctx.rng;
    const q = this.query(item);
    const all = q.clues ?? [];
    const prev = this.plans.get(previous);
    const p: Plan = prev ? clonePlan(prev) : { used: [...all], hopDropped: false, hypothesis: null, anchored: false, subject: null, excluded: [], formatSlip: false, notes: [] };
    const ids = this.optionIds(item);
    const view = this.resolve(item, p, rng);
    const H = p.hypothesis ?? view.hypothesis; // the previous trace's conclusion
    if (strategy === 'backtracking') {
      const dropped = all.filter((c) => !p.used.includes(c));
      if (dropped.length) {
        // restore the dropped clue that rules out most of the options that fit now
        const score = (c: string) => view.consistent.filter((x) => !this.fits(item, { ...p, used: [...p.used, c] }, view.subject, x)).length;
        const best = Math.max(...dropped.map(score));
        const c = rng.pick(dropped.filter((x) => score(x) === best));
        p.used = all.filter((x) => x === c || p.used.includes(x));
        p.subject = null;
        p.notes.push({ text: `Re-examining the presentation, ${this.nm(c)} was left out.`, claims: [] });
        if (p.anchored && H && !this.fits(item, p, null, H)) p.anchored = false;
        if (H && !p.anchored && !this.fits(item, p, null, H)) p.hypothesis = null;
      } else if (p.hopDropped) {
        p.hopDropped = false;
        const link = this.chain(item).find((e) => e.relation === 'in_class') ?? this.chain(item)[0];
        p.notes.push({ text: `Re-checking the link: ${this.sentence(link, rng)}.`, claims: [link] });
        p.anchored = false;
        p.hypothesis = null;
      } else {
        p.notes.push({ text: 'Re-examining the first assumption.', claims: [] });
        p.anchored = false;
        p.hypothesis = null;
      }
    } else if (strategy === 'path-exploration') {
      const letters = Object.keys(ids).sort();
      const truth = (x: string) => satisfies(this.f, q, x);
      const full: Plan = { ...p, used: [...all], hopDropped: false, subject: null };
      const start = H ? letters.indexOf(letters.find((l) => ids[l] === H) as string) : -1;
      const queue = H ? [H] : [];
      for (let i = 1; i <= letters.length; i++) {
        const x = ids[letters[(start + i + letters.length) % letters.length]];
        if (x !== H && !p.excluded.includes(x)) queue.push(x);
      }
      for (const x of queue.slice(0, 2)) {
        if (truth(x)) {
          p.notes.push({ text: `Testing ${this.nm(x)} against all the evidence: it fits.`, claims: [] });
          Object.assign(p, { used: full.used, hopDropped: false, subject: null, hypothesis: x, anchored: false });
          break;
        }
        const c = this.refutation(item, full, x, rng);
        p.excluded.push(x);
        p.notes.push({ text: `Testing ${this.nm(x)} against all the evidence: ${c ? this.sentence(c, rng) : 'it does not fit'}.`, claims: c ? [c] : [] });
        if (x === H) (p.hypothesis = null), (p.anchored = false);
      }
    } else {
      p.formatSlip = false;
      if (feedback.some((r) => r.startsWith('length'))) p.notes = p.notes.slice(-1);
      if (H && !this.fits(item, p, view.subject, H)) {
        const c = this.refutation(item, p, H, rng, view.subject);
        p.notes.push({ text: `Correction: ${c ? this.sentence(c, rng) : `${this.nm(H)} does not fit`}.`, claims: c ? [c] : [] });
        p.excluded.push(H);
        p.hypothesis = null;
      }
      p.anchored = false;
    }
    return this.render(item, p, rng);
  }

  // -------------------------------------------------------------------------------------------

  private query(item: Item): SynthQuery {
    return item.meta?.query as SynthQuery;
  }

  private optionIds(item: Item): Record<string, string> {
    return item.meta?.optionIds as Record<string, string>;
  }

  /** Display name (as the graph writes it; sentences start upper-case). */
  private nm(id: string): string {
    return this.f.node(id).name;
  }

  /** The evidence edges past the clues: the chain from the subject to the answer. */
  private chain(item: Item): Claim[] {
    const clues = new Set((this.query(item).clues ?? []) as string[]);
    return (item.evidence?.edges ?? []).filter((e) => e.relation !== 'measured_by' && !clues.has(e.target)).map((e) => ({ source: e.source, relation: e.relation, target: e.target }));
  }

  /** Relation of a feature claim: has_finding for findings, has_symptom otherwise. */
  private featureRelation(c: string): Relation {
    return this.f.node(c).type === 'finding' ? 'has_finding' : 'has_symptom';
  }

  /** The claim linking subject and option for a non-diagnosis query. */
  private link(ask: SynthQuery['ask'], subject: string, x: string, negated = false): Claim {
    const r = ASK_RELATION[ask as Exclude<SynthQuery['ask'], 'disease'>];
    const c: Claim = r === 'contraindicated_in' ? { source: x, relation: r, target: subject } : { source: subject, relation: r, target: x };
    return negated ? { ...c, negated: true } : c;
  }

  /** Whether option x fits under the plan (its used clues, its subject, a missed hop). */
  private fits(item: Item, p: Plan, subject: string | null, x: string): boolean {
    const q = this.query(item);
    if (q.ask === 'disease') return p.used.every((c) => this.f.features(x).has(c));
    if (p.hopDropped && x === this.optionIds(item)[item.answer]) return false;
    const s = q.given ?? subject ?? this.subjects(p)[0];
    return s !== undefined && relationHolds(this.graph, ...this.linkArgs(q.ask, s, x));
  }

  private linkArgs(ask: SynthQuery['ask'], s: string, x: string): [string, Relation, string] {
    const c = this.link(ask, s, x);
    return [c.source, c.relation, c.target];
  }

  /** Diseases having every used clue (multi-hop). */
  private subjects(p: Plan): string[] {
    return this.f.diseasesWithAll(p.used);
  }

  /** Picks among ids with probability ∝ degree + 1 (the common one comes to mind first). */
  private common(ids: readonly string[], rng: Rng): string {
    return ids.length === 1 ? ids[0] : ids[rng.weighted(ids.map((x) => this.graph.degree(x) + 1))];
  }

  /** The distractor sharing the most context with the item (anchoring). */
  private anchorCandidate(item: Item, rng: Rng): string {
    const q = this.query(item);
    const ids = this.optionIds(item);
    const wrong = Object.keys(ids).sort().filter((l) => l !== item.answer).map((l) => ids[l]);
    const subject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
    const score = (x: string): number => {
      if (q.ask === 'disease') return (q.clues ?? []).filter((c) => this.f.features(x).has(c)).length;
      if (!subject) return 0;
      return this.f.similarDiseases(this.f.node(subject).type === 'disease' ? subject : x).filter(([d]) => this.f.node(d).type === 'disease' && relationHolds(this.graph, ...this.linkArgs(q.ask, d, x))).length;
    };
    const s = wrong.map(score);
    const best = Math.max(...s);
    return rng.pick(wrong.filter((_, i) => s[i] === best));
  }

  /** A true denial that rules x out under the plan (null when none exists). */
  private refutation(item: Item, p: Plan, x: string, rng: Rng, subject: string | null = null): Claim | null {
    const q = this.query(item);
    if (q.ask === 'disease') {
      const lacks = p.used.filter((c) => !this.f.features(x).has(c));
      if (!lacks.length) return null;
      const c = rng.pick(lacks);
      return { source: x, relation: this.featureRelation(c), target: c, negated: true };
    }
    const s = q.given ?? subject ?? this.subjects(p)[0];
    if (!s) return null;
    const c = this.link(q.ask, s, x, true);
    return relationHolds(this.graph, c.source, c.relation, c.target) ? null : c;
  }

  /** Subject and hypothesis under the plan; which options fit. */
  private resolve(item: Item, p: Plan, rng: Rng): { subject: string | null; hypothesis: string | null; consistent: string[] } {
    const q = this.query(item);
    const ids = this.optionIds(item);
    let subject: string | null = q.given ?? null;
    if (!q.given && q.ask !== 'disease') {
      const subs = this.subjects(p);
      subject = p.subject && subs.includes(p.subject) ? p.subject : subs.length ? this.common(subs, rng) : ((item.meta?.hidden as string) ?? null);
    }
    const options = Object.keys(ids).sort().map((l) => ids[l]);
    const consistent = options.filter((x) => !p.excluded.includes(x) && this.fits(item, p, subject, x));
    let h = p.hypothesis;
    if (h && !p.anchored && !consistent.includes(h)) h = null;
    if (!h) {
      const open = options.filter((x) => !p.excluded.includes(x));
      h = consistent.length ? this.common(consistent, rng) : this.common(open.length ? open : options, rng);
    }
    return { subject, hypothesis: h, consistent };
  }

  /** One sentence stating a claim. */
  private sentence(c: Claim, rng: Rng): string {
    const key = c.relation === 'has_mechanism' && this.f.node(c.source).type === 'disease' ? 'disease_mechanism' : c.relation;
    const [pos, neg] = PHRASES[key] ?? [[(s: string, t: string) => `${s} ${c.relation} ${t}`], [(s: string, t: string) => `not ${s} ${c.relation} ${t}`]];
    return rng.pick(c.negated ? neg : pos)(this.nm(c.source), this.nm(c.target));
  }

  /** One sentence for several positive claims sharing a source and relation family ("X presents with a and b"). */
  private groupSentence(claims: Claim[], rng: Rng): string[] {
    const out: string[] = [];
    const sx = claims.filter((c) => c.relation === 'has_symptom');
    const fx = claims.filter((c) => c.relation === 'has_finding');
    const rest = claims.filter((c) => c.relation !== 'has_symptom' && c.relation !== 'has_finding');
    if (sx.length || fx.length) {
      const s = this.nm((sx[0] ?? fx[0]).source);
      const parts: string[] = [];
      if (sx.length) parts.push(`${rng.pick(['presents with', 'causes'])} ${joinAnd(sx.map((c) => this.nm(c.target)))}`);
      if (fx.length) parts.push(`shows ${joinAnd(fx.map((c) => this.nm(c.target)))}`);
      out.push(upperFirst(`${s} ${parts.join(' and ')}.`));
    }
    for (const c of rest) out.push(upperFirst(`${this.sentence(c, rng)}.`));
    return out;
  }

  /** Writes the trace for a plan and remembers the plan for revisions. */
  private render(item: Item, plan: Plan, rng: Rng): Trace {
    if (this.options.style === 'concise') return this.renderConcise(item, plan, rng);
    const q = this.query(item);
    const ids = this.optionIds(item);
    const answerId = ids[item.answer];
    const { subject, hypothesis: H, consistent } = this.resolve(item, plan, rng);
    const p: Plan = { ...clonePlan(plan), hypothesis: H, subject: q.given || q.ask === 'disease' ? plan.subject : subject };
    const steps: string[] = [];
    const claims: Claim[] = [];
    const trueSubject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
    if (q.clues) steps.push(rng.pick(FINDINGS)(joinAnd(p.used.map((c) => this.nm(c)))));
    else if (q.given) steps.push(rng.pick(GIVEN)(this.nm(q.given)));
    for (const n of p.notes) (steps.push(n.text), claims.push(...n.claims));
    // the subject (multi-hop): the disease the used clues point to
    if (q.clues && q.ask !== 'disease' && subject) {
      const feats = p.used.map((c): Claim => ({ source: subject, relation: this.featureRelation(c), target: c }));
      steps.push(rng.pick(POINTS_TO)(this.nm(subject)), ...this.groupSentence(feats, rng));
      claims.push(...feats);
    }
    // support for the hypothesis
    let support: Claim[];
    if (q.ask === 'disease') support = p.used.map((c) => ({ source: H as string, relation: this.featureRelation(c), target: c }));
    else if (H === answerId && subject === trueSubject && !p.hopDropped) support = this.chain(item);
    else support = subject && H ? [this.link(q.ask, subject, H)] : [];
    steps.push(...this.groupSentence(support, rng));
    claims.push(...support);
    // rule out the others
    const noted = new Set(p.notes.flatMap((n) => n.claims.filter((c) => c.negated).flatMap((c) => [c.source, c.target])));
    for (const l of Object.keys(ids).sort()) {
      const x = ids[l];
      if (x === H || noted.has(x)) continue;
      const c = this.refutation(item, p, x, rng, subject);
      if (c) (steps.push(upperFirst(`${this.sentence(c, rng)}.`)), claims.push(c));
      else if (consistent.includes(x)) steps.push(upperFirst(`${this.nm(x)} also fits, but ${this.nm(H as string)} is more typical.`));
      else steps.push(upperFirst(`${this.nm(x)} is less likely.`));
    }
    const letter = Object.keys(ids).find((l) => ids[l] === H) as string;
    steps.push(rng.pick(CONCLUDE)(item.options[letter], letter));
    return this.finish(item, p, steps, claims, letter, rng);
  }

  /**
   * A positive claim as the pretraining corpus writes it, the side the reader already knows first
   * (the finding for a disease's feature, the disease for a contraindicated drug, else the
   * source); denials keep the teacher's own phrases.
   */
  private corpusSentence(c: Claim, rng: Rng): string {
    if (!c.negated) {
      const known = c.relation === 'has_symptom' || c.relation === 'has_finding' || c.relation === 'contraindicated_in' ? 'target' : 'source';
      const s = corpusSentence(c.relation, this.nm(c.source), this.nm(c.target), known);
      if (s) return s;
    }
    return upperFirst(`${this.sentence(c, rng)}.`);
  }

  /**
   * Clues to state for `disease`, most telling first (fewest rivals having it, then the rarer
   * clue), until every rival lacks one of them or `most` are stated.
   */
  private tellingClues(used: readonly string[], rivals: readonly string[], most: number): string[] {
    const has = (x: string, c: string) => this.f.features(x).has(c);
    const order = [...used].sort((a, b) => rivals.filter((x) => has(x, a)).length - rivals.filter((x) => has(x, b)).length || this.graph.degree(a) - this.graph.degree(b) || (a < b ? -1 : 1));
    const out: string[] = [];
    for (const c of order) {
      if (out.length >= most) break;
      out.push(c);
      if (rivals.every((x) => out.some((k) => !has(x, k)))) break;
    }
    return out;
  }

  /** The concise trace (style 'concise'): revision notes, then the claims that single out the hypothesis. */
  private renderConcise(item: Item, plan: Plan, rng: Rng): Trace {
    const q = this.query(item);
    const ids = this.optionIds(item);
    const answerId = ids[item.answer];
    const { subject, hypothesis: H } = this.resolve(item, plan, rng);
    const p: Plan = { ...clonePlan(plan), hypothesis: H, subject: q.given || q.ask === 'disease' ? plan.subject : subject };
    const steps: string[] = [];
    const claims: Claim[] = [];
    const say = (c: Claim) => (steps.push(this.corpusSentence(c, rng)), claims.push(c));
    for (const n of p.notes) (steps.push(n.text), claims.push(...n.claims));
    const options = Object.keys(ids).sort().map((l) => ids[l]);
    const trueSubject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
    if (q.ask === 'disease' && H) {
      for (const c of this.tellingClues(p.used, options.filter((x) => x !== H), p.used.length)) say({ source: H, relation: this.featureRelation(c), target: c });
    } else if (H) {
      if (q.clues && subject) {
        const rivals = [...new Set(p.used.flatMap((c) => this.f.diseasesWithAll([c])))].filter((d) => d !== subject);
        for (const c of this.tellingClues(p.used, rivals, 2)) say({ source: subject, relation: this.featureRelation(c), target: c });
      }
      const support = H === answerId && subject === trueSubject && !p.hopDropped ? this.chain(item) : subject ? [this.link(q.ask, subject, H)] : [];
      for (const c of support) say(c);
    }
    const letter = Object.keys(ids).find((l) => ids[l] === H) as string;
    return this.finish(item, p, steps, claims, letter, rng);
  }

  /** The trace of `steps` concluding on `letter`; a plan with a format slip gets one of three malformed endings. */
  private finish(item: Item, p: Plan, steps: string[], claims: Claim[], letter: string, rng: Rng): Trace {
    const reasoning = steps.join(' ');
    let completion = formatCompletion(reasoning, letter);
    if (p.formatSlip) {
      const k = rng.int(3);
      completion = k === 0 ? `<think>${reasoning}</think>\nThe answer is ${letter}.` : k === 1 ? `<think>${reasoning}\n<answer>${letter}</answer>` : `<think>${reasoning}</think>\n<answer>${item.options[letter]}</answer>`;
    }
    const trace: Trace = { completion, steps, claims, answer: strictAnswer(completion, optionLetters(item)), grounded: true };
    this.plans.set(trace, p);
    return trace;
  }
}
