/**
 * The graph teacher's two trace styles, written from a plan: 'clinical' (the findings, the
 * hypothesis and what supports it, why each distractor is out, the conclusion, in varied
 * sentences) and 'concise' (only the claims that single out the hypothesis, in the pretraining
 * corpus's sentences). Each returns the steps, the claims they state, and the letter concluded.
 */
import type { Rng } from '../../core/rng';
import type { Item } from '../../rods/item';
import { joinAnd } from '../../rods/synth/surface';
import { Plan, clonePlan, type TeacherParts } from './plan';
import type { Claim } from './trace';
import { CONCLUSIONS } from '../../base/skills';

/** A trace before its ending: the resolved plan, the steps, the claims they state, the letter concluded. */
export interface TraceBody {
  p: Plan;
  steps: string[];
  claims: Claim[];
  letter: string;
}

const FINDINGS = [(x: string) => `Key findings: ${x}.`, (x: string) => `The patient has ${x}.`, (x: string) => `Presentation: ${x}.`];
const CONCLUDE = CONCLUSIONS; // shared with the Base's option drills (src/base/skills.ts)
const POINTS_TO = [(d: string) => `These point to ${d}.`, (d: string) => `The likely condition is ${d}.`, (d: string) => `This suggests ${d}.`];
const GIVEN = [(s: string) => `Start from ${s}.`, (s: string) => `The key entity is ${s}.`, (s: string) => `Consider ${s}.`];

/** The clinical trace: findings or the given entity, revision notes, the subject, support, each other option ruled out, the conclusion. */
export function clinicalTrace(t: TeacherParts, item: Item, plan: Plan, rng: Rng): TraceBody {
  const q = t.query(item);
  const ids = t.optionIds(item);
  const { subject, hypothesis: H, consistent } = t.resolve(item, plan, rng);
  const p: Plan = { ...clonePlan(plan), hypothesis: H, subject: q.given || q.ask === 'disease' ? plan.subject : subject };
  const steps: string[] = [];
  const claims: Claim[] = [];
  if (q.clues) steps.push(rng.pick(FINDINGS)(joinAnd(p.used.map((c) => t.nm(c)))));
  else if (q.given) steps.push(rng.pick(GIVEN)(t.nm(q.given)));
  for (const n of p.notes) (steps.push(n.text), claims.push(...n.claims));
  // the subject (multi-hop): the disease the used clues point to
  if (q.clues && q.ask !== 'disease' && subject) {
    const feats = p.used.map((c): Claim => ({ source: subject, relation: t.featureRelation(c), target: c }));
    steps.push(rng.pick(POINTS_TO)(t.nm(subject)), ...t.groupSentence(feats, rng));
    claims.push(...feats);
  }
  // support for the hypothesis
  const support = supportClaims(t, item, p, subject, H);
  steps.push(...t.groupSentence(support, rng));
  claims.push(...support);
  ruleOutOthers(t, item, p, subject, H, consistent, rng, steps, claims);
  const letter = Object.keys(ids).find((l) => ids[l] === H) as string;
  steps.push(rng.pick(CONCLUDE)(item.options[letter], letter));
  return { p, steps, claims, letter };
}

/** The claims supporting hypothesis H: its features (diagnosis), the evidence chain (the true path), or the one link to it. */
function supportClaims(t: TeacherParts, item: Item, p: Plan, subject: string | null, H: string | null): Claim[] {
  const q = t.query(item);
  const answerId = t.optionIds(item)[item.answer];
  const trueSubject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
  if (q.ask === 'disease') return p.used.map((c) => ({ source: H as string, relation: t.featureRelation(c), target: c }));
  if (H === answerId && subject === trueSubject && !p.hopDropped) return t.chain(item);
  return subject && H ? [t.link(q.ask, subject, H)] : [];
}

/** A step per other option (in letter order, unless a note already denied it): a refuting claim, or why it is less typical or less likely. */
function ruleOutOthers(t: TeacherParts, item: Item, p: Plan, subject: string | null, H: string | null, consistent: string[], rng: Rng, steps: string[], claims: Claim[]): void {
  const ids = t.optionIds(item);
  const noted = new Set(p.notes.flatMap((n) => n.claims.filter((c) => c.negated).flatMap((c) => [c.source, c.target])));
  for (const l of Object.keys(ids).sort()) {
    const x = ids[l];
    if (x === H || noted.has(x)) continue;
    const c = t.refutation(item, p, x, rng, subject);
    if (c) (steps.push(t.cap(`${t.sentence(c, rng)}.`)), claims.push(c));
    else if (consistent.includes(x)) steps.push(t.cap(`${t.nm(x)} also fits, but ${t.nm(H as string)} is more typical.`));
    else steps.push(t.cap(`${t.nm(x)} is less likely.`));
  }
}

/** The concise trace: revision notes, then the claims that single out the hypothesis. */
export function conciseTrace(t: TeacherParts, item: Item, plan: Plan, rng: Rng): TraceBody {
  const q = t.query(item);
  const ids = t.optionIds(item);
  const answerId = ids[item.answer];
  const { subject, hypothesis: H } = t.resolve(item, plan, rng);
  const p: Plan = { ...clonePlan(plan), hypothesis: H, subject: q.given || q.ask === 'disease' ? plan.subject : subject };
  const steps: string[] = [];
  const claims: Claim[] = [];
  const say = (c: Claim) => (steps.push(t.corpusSentence(c, rng)), claims.push(c));
  for (const n of p.notes) (steps.push(n.text), claims.push(...n.claims));
  const options = Object.keys(ids).sort().map((l) => ids[l]);
  const trueSubject = q.given ?? (item.meta?.hidden as string | undefined) ?? null;
  if (q.ask === 'disease' && H) {
    for (const c of tellingClues(t, p.used, options.filter((x) => x !== H), p.used.length)) say({ source: H, relation: t.featureRelation(c), target: c });
  } else if (H) {
    if (q.clues && subject) {
      const rivals = [...new Set(p.used.flatMap((c) => t.f.diseasesWithAll([c])))].filter((d) => d !== subject);
      for (const c of tellingClues(t, p.used, rivals, 2)) say({ source: subject, relation: t.featureRelation(c), target: c });
    }
    const support = H === answerId && subject === trueSubject && !p.hopDropped ? t.chain(item) : subject ? [t.link(q.ask, subject, H)] : [];
    for (const c of support) say(c);
  }
  const letter = Object.keys(ids).find((l) => ids[l] === H) as string;
  // Close as the Base's option drills do ("So the answer is x (B)."): the answer named, then its letter.
  if (letter && H) steps.push(rng.pick(CONCLUDE)(t.nm(H), letter));
  return { p, steps, claims, letter };
}

/**
 * Clues to state for a disease, most telling first (fewest rivals having it, then the rarer
 * clue), until every rival lacks one of them or `most` are stated.
 */
function tellingClues(t: TeacherParts, used: readonly string[], rivals: readonly string[], most: number): string[] {
  const has = (x: string, c: string) => t.f.features(x).has(c);
  const order = [...used].sort((a, b) => rivals.filter((x) => has(x, a)).length - rivals.filter((x) => has(x, b)).length || t.graph.degree(a) - t.graph.degree(b) || (a < b ? -1 : 1));
  const out: string[] = [];
  for (const c of order) {
    if (out.length >= most) break;
    out.push(c);
    if (rivals.every((x) => out.some((k) => !has(x, k)))) break;
  }
  return out;
}
