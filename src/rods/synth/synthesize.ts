/**
 * RODS synthesis: sample an anchor (rare-biased), mask its neighbourhood into a draft, pick
 * relation-preserving distractors, prove on the whole graph that exactly one option is right,
 * write the question in a varied surface form, and place the answer at a balanced letter.
 */
import type { KnowledgeGraph } from '../../graph/graph';
import { normalizeName } from '../../graph/schema';
import type { Rng } from '../../core/rng';
import { Item, LETTERS } from '../item';
import { Rejection, RejectReason, SYNTH_TYPES, SynthConfig, SynthType, resolveConfig } from './config';
import { GraphFacts, factsOf } from './facts';
import { DRAFTERS, Draft } from './mask';
import { AnchorSampler } from './sample';
import { satisfyingLetters } from './solve';
import { Register, samplePatient } from './surface';

export interface SynthStats {
  requested: number;
  produced: number;
  /** Drafts tried (kept + rejected). */
  attempts: number;
  /** Items per type. */
  byType: Partial<Record<SynthType, number>>;
  /** Rejections per reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Right answers per letter. */
  letters: Record<string, number>;
  /** Nodes able to anchor each type. */
  anchors: Partial<Record<SynthType, number>>;
  /** Distinct anchors among kept items. */
  distinctAnchors: number;
}

export interface SynthResult {
  items: Item[];
  rejected: Rejection[];
  stats: SynthStats;
}

/** Splits n into per-type quotas proportional to the weights (largest remainder, ties by type order). */
export function quotas(n: number, weights: Partial<Record<SynthType, number>>): Partial<Record<SynthType, number>> {
  const types = SYNTH_TYPES.filter((t) => (weights[t] ?? 0) > 0);
  const total = types.reduce((s, t) => s + (weights[t] ?? 0), 0);
  const out: Partial<Record<SynthType, number>> = {};
  if (!types.length || n === 0) return out;
  const raw = types.map((t) => (n * (weights[t] ?? 0)) / total);
  const base = raw.map(Math.floor);
  let left = n - base.reduce((s, x) => s + x, 0);
  const order = raw.map((r, i) => [r - base[i], i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) base[i] += 1;
  types.forEach((t, i) => (out[t] = base[i]));
  return out;
}

/**
 * Answer positions for a batch: letters are dealt from a shuffled cycle of the first `k` letters,
 * reshuffled when used up, so per-letter counts differ by at most one.
 */
export class LetterCycle {
  private pending: string[] = [];
  constructor(
    private readonly k: number,
    private readonly rng: Rng,
  ) {}
  next(): string {
    if (!this.pending.length) this.pending = this.rng.shuffle(LETTERS.slice(0, this.k));
    return this.pending.pop() as string;
  }
}

/**
 * Distractors for a draft: ranked candidates first, then (with fillRandom) random nodes of the
 * option type. Skips the answer and every node the subgraph shows in the answer's role.
 */
export function pickDistractors(f: GraphFacts, draft: Draft, k: number, fillRandom: boolean, rng: Rng): string[] {
  const out: string[] = [];
  const seen = new Set<string>([draft.answer]);
  const ok = (id: string) => !seen.has(id) && !draft.known.has(id) && f.node(id).type === draft.optionType;
  for (const id of draft.ranked) {
    if (out.length >= k) break;
    if (ok(id)) (out.push(id), seen.add(id));
  }
  if (out.length < k && fillRandom) {
    const pool = f.idsOfType.get(draft.optionType) ?? [];
    if (pool.length <= 64) {
      for (const id of rng.shuffle(pool)) if (out.length < k && ok(id)) (out.push(id), seen.add(id));
    } else
      for (let tries = 0; out.length < k && tries < 12 * k; tries++) {
        const id = pool[rng.int(pool.length)];
        if (ok(id)) (out.push(id), seen.add(id));
      }
  }
  return out;
}

/** Whole-word containment on normalised text. */
function mentions(normQuestion: string, text: string): boolean {
  const t = normalizeName(text);
  return t.length > 0 && normQuestion.includes(` ${t} `);
}

/**
 * Produces `config.n` items (fewer if slots run out of attempts) with the configured type mix.
 * Deterministic for a given graph, config and rng state. Ids are `syn-<type>-<n>` in order.
 */
export function synthesize(graph: KnowledgeGraph, config: Partial<SynthConfig>, rng: Rng): SynthResult {
  const cfg = resolveConfig(config);
  const f = factsOf(graph);
  const samplers = new Map<SynthType, AnchorSampler>();
  const stats: SynthStats = { requested: cfg.n, produced: 0, attempts: 0, byType: {}, rejected: {}, letters: {}, anchors: {}, distinctAnchors: 0 };
  const weights: Partial<Record<SynthType, number>> = {};
  for (const t of SYNTH_TYPES) {
    if (!((cfg.mix[t] ?? 0) > 0)) continue;
    const s = new AnchorSampler(graph, t, cfg.alpha);
    stats.anchors[t] = s.size;
    if (s.size > 0) (samplers.set(t, s), (weights[t] = cfg.mix[t]));
  }
  const q = quotas(cfg.n, weights);
  const schedule = rng.shuffle(SYNTH_TYPES.flatMap((t) => Array<SynthType>(q[t] ?? 0).fill(t)));
  const letters = new LetterCycle(cfg.options, rng);
  const items: Item[] = [];
  const rejected: Rejection[] = [];
  const seenText = new Set<string>();
  const counters: Partial<Record<SynthType, number>> = {};
  const anchorsUsed = new Set<string>();
  const reject = (r: Rejection) => {
    rejected.push(r);
    stats.rejected[r.reason] = (stats.rejected[r.reason] ?? 0) + 1;
  };

  for (const type of schedule) {
    const sampler = samplers.get(type) as AnchorSampler;
    let item: Item | undefined;
    let lastAnchor = '';
    for (let attempt = 0; attempt < cfg.attemptsPerItem && !item; attempt++) {
      stats.attempts += 1;
      const anchor = (lastAnchor = sampler.draw(rng));
      const made = DRAFTERS[type](f, anchor, cfg, rng);
      if ('reject' in made) {
        reject({ reason: made.reject, type, anchor, ...(made.variant ? { variant: made.variant } : {}), ...(made.detail ? { detail: made.detail } : {}) });
        continue;
      }
      const built = finish(f, made, cfg, rng, seenText);
      if ('reason' in built) {
        reject(built);
        continue;
      }
      item = built;
    }
    if (!item) {
      reject({ reason: 'exhausted', type, anchor: lastAnchor });
      continue;
    }
    // Place the answer at the next balanced letter.
    const answerText = item.options.A;
    const answerId = (item.meta as { optionIds: Record<string, string> }).optionIds.A;
    const target = letters.next();
    const keys = LETTERS.slice(0, cfg.options);
    const ti = keys.indexOf(target);
    const texts = keys.map((l) => item!.options[l]);
    const ids = keys.map((l) => (item!.meta as { optionIds: Record<string, string> }).optionIds[l]);
    [texts[0], texts[ti]] = [texts[ti], answerText];
    [ids[0], ids[ti]] = [ids[ti], answerId];
    const n = counters[type] ?? 0;
    counters[type] = n + 1;
    const options: Record<string, string> = {};
    const optionIds: Record<string, string> = {};
    keys.forEach((l, i) => ((options[l] = texts[i]), (optionIds[l] = ids[i])));
    items.push({ ...item, id: `syn-${type}-${n}`, options, answer: target, meta: { ...item.meta, optionIds } });
    stats.letters[target] = (stats.letters[target] ?? 0) + 1;
    stats.byType[type] = (stats.byType[type] ?? 0) + 1;
    anchorsUsed.add(item.meta?.anchor as string);
  }
  stats.produced = items.length;
  stats.distinctAnchors = anchorsUsed.size;
  return { items, rejected, stats };
}

/**
 * Turns a draft into an item with the answer at A (synthesize moves it), or a rejection:
 * too few distractors, a distractor the whole graph proves right, an unproven answer, the answer
 * named in the question, duplicate option texts, or an exact repeat.
 */
function finish(f: GraphFacts, d: Draft, cfg: SynthConfig, rng: Rng, seenText: Set<string>): Item | Rejection {
  const base = { type: d.type, anchor: d.anchor, variant: d.variant };
  const distractors = pickDistractors(f, d, cfg.options - 1, cfg.fillRandom, rng);
  if (distractors.length < cfg.options - 1) return { ...base, reason: 'too-few-distractors', detail: `${distractors.length}/${cfg.options - 1}` };
  const ids = [d.answer, ...rng.shuffle(distractors)];
  const keys = LETTERS.slice(0, cfg.options);
  const byLetter: Record<string, string[]> = {};
  keys.forEach((l, i) => (byLetter[l] = [ids[i]]));
  const right = satisfyingLetters(f, d.query, byLetter);
  if (!right.includes('A')) return { ...base, reason: 'answer-unproven', detail: d.answer };
  if (right.length > 1) return { ...base, reason: 'ambiguous-distractor', detail: right.filter((l) => l !== 'A').map((l) => byLetter[l][0]).join(',') };
  const texts = ids.map((id) => f.node(id).name);
  if (new Set(texts.map(normalizeName)).size < texts.length) return { ...base, reason: 'duplicate-option' };

  const nodes = [...new Set([...ids, ...d.mentions, d.anchor])].map((id) => f.node(id));
  const patient = samplePatient(nodes, cfg.sexOf, rng);
  const u = rng.next();
  const register: Register = u < cfg.layShare ? 'lay' : u < cfg.layShare + (1 - cfg.layShare) / 2 ? 'synonym' : 'clinical';
  const r = d.render({ patient, register }, rng);
  const normQ = ` ${normalizeName(r.question)} `;
  for (const id of d.hidden ? [d.answer, d.hidden] : [d.answer]) {
    const n = f.node(id);
    if ([n.name, ...n.synonyms].some((s) => mentions(normQ, s))) return { ...base, reason: 'answer-in-question', detail: id };
  }
  const options: Record<string, string> = {};
  const optionIds: Record<string, string> = {};
  keys.forEach((l, i) => ((options[l] = texts[i]), (optionIds[l] = ids[i])));
  if (cfg.dedupe) {
    const key = `${r.question}\u0000${[...texts].sort().join('\u0000')}`;
    if (seenText.has(key)) return { ...base, reason: 'duplicate' };
    seenText.add(key);
  }
  return {
    id: '',
    origin: 'synthetic',
    question: r.question,
    options,
    answer: 'A',
    type: d.type,
    evidence: d.evidence,
    hops: d.hops,
    meta: {
      anchor: d.anchor,
      variant: d.variant,
      template: r.template,
      register,
      patient: { age: patient.age, sex: patient.sex },
      query: d.query,
      clueTexts: r.clueTexts,
      optionIds,
      ...(d.hidden ? { hidden: d.hidden } : {}),
    },
  };
}
