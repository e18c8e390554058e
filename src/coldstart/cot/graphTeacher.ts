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
 *
 * Names are written the way the policy's Base learned them (textStyle, the Base's TextStyle of
 * src/base/sentences.ts): 'sentence' — as the graph spells them, sentences capitalised; 'mention'
 * (a released Base) — every name in its mention form, every sentence with a leading space and
 * written as the Base's corpus writes it (" wilson's disease is treated with trientine."), so a
 * name in a thought is the entity token the Base knows.
 *
 * The class holds the reasoning over the graph and the phrasing; the first drafts' slips are in
 * slips.ts, the strategies in revisions.ts, the two styles in traceStyles.ts, the Plan in plan.ts.
 */
import type { Rng } from '../../core/rng';
import type { KnowledgeGraph } from '../../graph/graph';
import type { Relation } from '../../graph/schema';
import type { Item } from '../../rods/item';
import type { SynthQuery } from '../../rods/synth/config';
import { GraphFacts, factsOf } from '../../rods/synth/facts';
import { type TextStyle, corpusSentence, mentionName } from '../../base/sentences';
import { satisfies } from '../../rods/synth/solve';
import { joinAnd, upperFirst } from '../../rods/synth/surface';
import { optionLetters, strictAnswer } from '../../protocol/index';
import { Claim, Strategy, TeachContext, Teacher, Trace, formatCompletion, relationHolds } from './trace';
import { Plan, PlanView, TeacherParts, clonePlan, freshPlan } from './plan';
import { backtrack, explore, selfCorrect } from './revisions';
import { draftPlan } from './slips';
import { clinicalTrace, conciseTrace } from './traceStyles';

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
   * sentence (src/base/sentences.ts, known side first: "Wilson's disease is
   * treated with trientine."), 15–60 tokens; 'clinical': findings, hypothesis, support, a
   * sentence per distractor and a conclusion in varied wording (≈ 100 tokens).
   */
  style: 'concise' | 'clinical';
  /** How names and sentences are written: the policy's Base's text style (see the module comment). */
  textStyle: TextStyle;
}

/** Every option but `style`, whose one default is the stage's `coldstart.style` (src/coldstart/config.ts). */
export const defaults: Omit<GraphTeacherOptions, 'style'> = {
  dropBase: 0.02, // per-clue drop probability at h = 0
  dropSlope: 0.35, // + per unit of hardness
  anchorBase: 0.03, // anchoring on a distractor at h = 0
  anchorSlope: 0.25, // + per unit of hardness
  hopSlope: 0.4, // missing the linking hop, per unit of hardness
  formatSlip: 0.02, // malformed ending
  labelHardness: { Easy: 0.1, Moderate: 0.45, Difficult: 0.8 },
  textStyle: 'sentence', // a Base pretrained from scratch; 'mention' for a released Base (the stage reads the run's Base)
};

/** Structural hardness in [0, 1]: 0.3 per hop beyond the first, 0.12 per clue beyond two, averaged with the label's. */
export function hardness(item: Item, options: Partial<GraphTeacherOptions> = {}): number {
  const o = { ...defaults, ...options };
  const clues = ((item.meta?.query as SynthQuery | undefined)?.clues ?? []).length;
  const s = Math.min(1, Math.max(0, 0.3 * ((item.hops ?? 1) - 1) + 0.12 * Math.max(0, clues - 2)));
  return item.difficulty ? (s + o.labelHardness[item.difficulty]) / 2 : s;
}

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

/** The graph teacher; see the module comment. */
export class GraphTeacher implements Teacher, TeacherParts {
  readonly name = 'graph';
  readonly options: GraphTeacherOptions;
  /** What the graph proves (closures); read by slips.ts and traceStyles.ts. */
  readonly f: GraphFacts;
  private readonly plans = new WeakMap<Trace, Plan>();

  constructor(
    readonly graph: KnowledgeGraph,
    options: Partial<GraphTeacherOptions> & Pick<GraphTeacherOptions, 'style'>,
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
    const plan = draftPlan(this, item, hardness(item, this.options), ctx.rng);
    return this.render(item, plan, ctx.rng);
  }

  async revise(item: Item, previous: Trace, feedback: readonly string[], strategy: Strategy, ctx: TeachContext): Promise<Trace> {
    const rng = ctx.rng;
    const prev = this.plans.get(previous);
    const p: Plan = prev ? clonePlan(prev) : freshPlan(this.query(item).clues ?? []);
    const view = this.resolve(item, p, rng);
    const H = p.hypothesis ?? view.hypothesis; // the previous trace's conclusion
    if (strategy === 'backtracking') backtrack(this, item, p, view, H, rng);
    else if (strategy === 'path-exploration') explore(this, item, p, H, rng);
    else selfCorrect(this, item, p, view, H, feedback, rng);
    return this.render(item, p, rng);
  }

  // ---- reasoning and phrasing, shared with slips.ts, revisions.ts and traceStyles.ts ----------

  /** The graph query the item was synthesized from. */
  query(item: Item): SynthQuery {
    return item.meta?.query as SynthQuery;
  }

  /** Graph node id of each option letter. */
  optionIds(item: Item): Record<string, string> {
    return item.meta?.optionIds as Record<string, string>;
  }

  /** Display name: as the graph writes it ('sentence'), or its mention form ('mention'). */
  nm(id: string): string {
    const name = this.f.node(id).name;
    return this.options.textStyle === 'mention' ? mentionName(name) : name;
  }

  /** A step that may start with a name: capitalised ('sentence'), or as written ('mention': names keep their mention form). */
  cap(text: string): string {
    return this.options.textStyle === 'mention' ? text : upperFirst(text);
  }

  /** The evidence edges past the clues: the chain from the subject to the answer. */
  chain(item: Item): Claim[] {
    const clues = new Set((this.query(item).clues ?? []) as string[]);
    return (item.evidence?.edges ?? []).filter((e) => e.relation !== 'measured_by' && !clues.has(e.target)).map((e) => ({ source: e.source, relation: e.relation, target: e.target }));
  }

  /** Relation of a feature claim: has_finding for findings, has_symptom otherwise. */
  featureRelation(c: string): Relation {
    return this.f.node(c).type === 'finding' ? 'has_finding' : 'has_symptom';
  }

  /** The claim linking subject and option for a non-diagnosis query. */
  link(ask: SynthQuery['ask'], subject: string, x: string, negated = false): Claim {
    const r = ASK_RELATION[ask as Exclude<SynthQuery['ask'], 'disease'>];
    const c: Claim = r === 'contraindicated_in' ? { source: x, relation: r, target: subject } : { source: subject, relation: r, target: x };
    return negated ? { ...c, negated: true } : c;
  }

  /** Whether option x fits under the plan (its used clues, its subject, a missed hop). */
  fits(item: Item, p: Plan, subject: string | null, x: string): boolean {
    const q = this.query(item);
    if (q.ask === 'disease') return p.used.every((c) => this.f.features(x).has(c));
    if (p.hopDropped && x === this.optionIds(item)[item.answer]) return false;
    const s = q.given ?? subject ?? this.subjects(p)[0];
    return s !== undefined && relationHolds(this.graph, ...this.linkArgs(q.ask, s, x));
  }

  /** The (source, relation, target) of the claim linking subject s and option x. */
  linkArgs(ask: SynthQuery['ask'], s: string, x: string): [string, Relation, string] {
    const c = this.link(ask, s, x);
    return [c.source, c.relation, c.target];
  }

  /** Diseases having every used clue (multi-hop). */
  subjects(p: Plan): string[] {
    return this.f.diseasesWithAll(p.used);
  }

  /** Picks among ids with probability ∝ degree + 1 (the common one comes to mind first). */
  common(ids: readonly string[], rng: Rng): string {
    return ids.length === 1 ? ids[0] : ids[rng.weighted(ids.map((x) => this.graph.degree(x) + 1))];
  }

  /** A true denial that rules x out under the plan (null when none exists). */
  refutation(item: Item, p: Plan, x: string, rng: Rng, subject: string | null = null): Claim | null {
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

  /** Whether option x truly answers the item's query, on the whole graph. */
  holds(item: Item, x: string): boolean {
    return satisfies(this.f, this.query(item), x);
  }

  /** Subject and hypothesis under the plan; which options fit. */
  resolve(item: Item, p: Plan, rng: Rng): PlanView {
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
  sentence(c: Claim, rng: Rng): string {
    const key = c.relation === 'has_mechanism' && this.f.node(c.source).type === 'disease' ? 'disease_mechanism' : c.relation;
    const [pos, neg] = PHRASES[key] ?? [[(s: string, t: string) => `${s} ${c.relation} ${t}`], [(s: string, t: string) => `not ${s} ${c.relation} ${t}`]];
    return rng.pick(c.negated ? neg : pos)(this.nm(c.source), this.nm(c.target));
  }

  /** One sentence for several positive claims sharing a source and relation family ("X presents with a and b"). */
  groupSentence(claims: Claim[], rng: Rng): string[] {
    const out: string[] = [];
    const sx = claims.filter((c) => c.relation === 'has_symptom');
    const fx = claims.filter((c) => c.relation === 'has_finding');
    const rest = claims.filter((c) => c.relation !== 'has_symptom' && c.relation !== 'has_finding');
    if (sx.length || fx.length) {
      const s = this.nm((sx[0] ?? fx[0]).source);
      const parts: string[] = [];
      if (sx.length) parts.push(`${rng.pick(['presents with', 'causes'])} ${joinAnd(sx.map((c) => this.nm(c.target)))}`);
      if (fx.length) parts.push(`shows ${joinAnd(fx.map((c) => this.nm(c.target)))}`);
      out.push(this.cap(`${s} ${parts.join(' and ')}.`));
    }
    for (const c of rest) out.push(this.cap(`${this.sentence(c, rng)}.`));
    return out;
  }

  /** Writes the trace for a plan in the configured style and remembers the plan for revisions. */
  private render(item: Item, plan: Plan, rng: Rng): Trace {
    const { p, steps, claims, letter } = this.options.style === 'concise' ? conciseTrace(this, item, plan, rng) : clinicalTrace(this, item, plan, rng);
    return this.finish(item, p, steps, claims, letter, rng);
  }

  /**
   * A positive claim as the pretraining corpus writes it, the side the reader already knows first
   * (the finding for a disease's feature, the disease for a contraindicated drug, else the
   * source); denials keep the teacher's own phrases.
   */
  corpusSentence(c: Claim, rng: Rng): string {
    if (!c.negated) {
      const known = c.relation === 'has_symptom' || c.relation === 'has_finding' || c.relation === 'contraindicated_in' ? 'target' : 'source';
      const s = corpusSentence(c.relation, this.nm(c.source), this.nm(c.target), known, this.options.textStyle);
      if (s) return s.trimStart(); // 'mention': the leading space is the join's (finish())
    }
    return this.cap(`${this.sentence(c, rng)}.`);
  }

  /** The trace of `steps` concluding on `letter`; a plan with a format slip gets one of three malformed endings. */
  private finish(item: Item, p: Plan, steps: string[], claims: Claim[], letter: string, rng: Rng): Trace {
    // 'mention': every sentence after a space, the first too (" x presents with y. y is seen in z."), as the Base read them
    const lead = this.options.textStyle === 'mention' ? ' ' : '';
    const reasoning = lead + steps.join(' ');
    let completion = formatCompletion(reasoning, letter, lead);
    if (p.formatSlip) {
      const k = rng.int(3);
      completion = k === 0 ? `<think>${reasoning}</think>\nThe answer is ${letter}.` : k === 1 ? `<think>${reasoning}\n<answer>${letter}</answer>` : `<think>${reasoning}</think>\n<answer>${item.options[letter]}</answer>`;
    }
    const trace: Trace = { completion, steps, claims, answer: strictAnswer(completion, optionLetters(item)), grounded: true };
    this.plans.set(trace, p);
    return trace;
  }
}
