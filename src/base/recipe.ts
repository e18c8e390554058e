/**
 * The Base recipe (`fleming base`): what the paper's pretrained LLM brings, grown once, for as long
 * as it needs, and released in the repository (data/base/). Settings: src/base/config.ts
 * (config section `base`).
 *
 *   world       the seed graph (every entity, held-out anchors too: world knowledge), or a focus
 *   tokenizer   byte-level BPE on the corpus + one added token per entity name (" name"), so that
 *               copying a name or looking up its option letter is a one-token operation
 *   corpus      steps cycle through `schedule`: K = knowledge (graph sentences in 4 training
 *               phrasing families, 'mention' style, one article per entity; the 5th family is
 *               held out for probing), C = copy, L = key → value lookup, O = option lookup,
 *               R = reverse option lookup (dense)
 *               (src/base/skills.ts). No RODS item and no question about a graph fact.
 *   probes      copy (second-copy loss), option lookup (held-out drills), fact recall; every
 *               `probeEvery` steps into probes.jsonl, and at the end (src/base/probes.ts)
 *
 * Deterministic and resumable: every batch is a function of the step, the loop checkpoints to
 * `<work>/last/` (src/train/), and a killed run resumes to the same bytes.
 */
import type { Rng } from '../core/rng';
import { Rng as SeededRng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import type { Batch } from '../model/llama';
import { CHAT, Tokenizer, textsWithout, trainBpe, withAddedTokens } from '../model/tokenizer';
import type { Phase } from '../train/index';
import { LmBatches, padBatch } from './data';
import type { BaseRecipeConfig } from './config';
import { mentionName } from './sentences';
import { NamePools, Skill, copyRow, drawableIds, lookupRow, namePools, optionRow, reverseRow } from './skills';

const SKILL_OF: Record<string, Skill | 'knowledge'> = { K: 'knowledge', C: 'copy', L: 'lookup', O: 'option', R: 'reverse' };

/** One segment of a schedule: `pattern` repeated for `steps` steps (the last segment: to the end). */
interface Segment {
  pattern: string;
  steps: number;
}

/**
 * A schedule's segments: `PATTERN` or `PATTERN*STEPS`, comma-separated, e.g. `C*4000,KCOKCLKO` (4,000
 * copy steps, then the mix to the end). A bare pattern is one segment that runs to the end.
 */
export function scheduleSegments(schedule: string): Segment[] {
  const parts = schedule.split(',');
  return parts.map((part, i) => {
    const m = /^([A-Z]+)(?:\*(\d+))?$/.exec(part);
    if (!m) throw new Error(`base.schedule: "${part}" is not PATTERN or PATTERN*STEPS (letters K, C, L, O, R)`);
    for (const c of m[1]) if (!SKILL_OF[c]) throw new Error(`base.schedule: "${c}" is not one of K, C, L, O, R`);
    const last = i === parts.length - 1;
    if (!last && m[2] === undefined) throw new Error(`base.schedule: segment "${part}" needs *STEPS (only the last runs to the end)`);
    return { pattern: m[1], steps: m[2] === undefined ? Infinity : Number(m[2]) };
  });
}

/** The segment holding `step` and the step's offset inside it. */
function locate(segments: readonly Segment[], step: number): { index: number; offset: number } {
  let offset = step;
  for (let i = 0; i < segments.length; i++) {
    if (offset < segments[i].steps || i === segments.length - 1) return { index: i, offset };
    offset -= segments[i].steps;
  }
  throw new Error('unreachable');
}

/** How many of the first `n` steps of a pattern train `skill`. */
function countIn(pattern: string, n: number, skill: Skill | 'knowledge'): number {
  const per = [...pattern].filter((c) => SKILL_OF[c] === skill).length;
  let k = Math.floor(n / pattern.length) * per;
  for (let i = 0; i < n % pattern.length; i++) if (SKILL_OF[pattern[i]] === skill) k++;
  return k;
}

/** The skill trained at step `step` (0-based). */
export function skillAt(schedule: string, step: number): Skill | 'knowledge' {
  const segments = scheduleSegments(schedule);
  const { index, offset } = locate(segments, step);
  const p = segments[index].pattern;
  return SKILL_OF[p[offset % p.length]];
}

/** How many steps before `step` trained `skill` (its own batch counter, so resuming sees the same batches). */
export function skillIndex(schedule: string, step: number, skill: Skill | 'knowledge'): number {
  const segments = scheduleSegments(schedule);
  const { index, offset } = locate(segments, step);
  let k = 0;
  for (let i = 0; i < index; i++) k += countIn(segments[i].pattern, segments[i].steps, skill);
  return k + countIn(segments[index].pattern, offset, skill);
}

/** The entity names of a graph as added tokens: " " + mention form of every name and synonym, sorted, distinct. */
export function entityTokens(graph: KnowledgeGraph): string[] {
  const out = new Set<string>();
  for (const n of graph.nodes) for (const name of [n.name, ...n.synonyms]) out.add(` ${mentionName(name)}`);
  return [...out].sort();
}

/**
 * The Base's tokenizer: byte-level BPE trained on the text between entity names (the first
 * knowledge pass and a sample of skill rows' text), then one added token per entity name.
 */
export function baseTokenizer(graph: KnowledgeGraph, cfg: BaseRecipeConfig, corpus: readonly string[]): Tokenizer {
  const names = cfg.entityTokens ? entityTokens(graph) : [];
  const { tokenizer } = trainBpe([...textsWithout(corpus, names)], { vocabSize: cfg.bpeVocab });
  return names.length ? withAddedTokens(tokenizer, names) : tokenizer;
}

/** Batches of the recipe: step → the schedule's skill, each a pure function of the step. */
export class RecipeBatches {
  private readonly lm: LmBatches;
  private readonly ids: number[];
  private readonly pools: NamePools;

  constructor(
    readonly graph: KnowledgeGraph,
    readonly tok: Tokenizer,
    readonly cfg: BaseRecipeConfig,
    readonly seed: string,
  ) {
    this.lm = new LmBatches(graph, tok, { seqLen: cfg.seqLen, batchSize: cfg.batchSize, seed: `${seed}:knowledge`, phrasingsPerEdge: cfg.phrasingsPerEdge, synonymRate: cfg.synonymRate, order: 'entity', style: 'mention' });
    this.ids = drawableIds(tok);
    this.pools = namePools(graph);
  }

  /** Tokens in one knowledge pass (for logs). */
  passTokens(): number {
    return this.lm.passTokens(0);
  }

  /** The rows of one skill batch `k` (rng `${seed}:${skill}:${k}`). */
  skillBatch(skill: Skill, k: number): Batch {
    const rng: Rng = new SeededRng(`${this.seed}:${skill}:${k}`);
    const c = this.cfg;
    const rows = Array.from({ length: c.batchSize }, () => {
      if (skill === 'copy') return copyRow(this.tok, this.ids, rng, c.copyMin, Math.min(c.copyMax, Math.floor((c.seqLen - 1) / 2)));
      if (skill === 'lookup') return lookupRow(this.tok, this.pools, rng, 2 + rng.int(Math.max(1, c.lookupPairsMax - 1)));
      if (skill === 'reverse') return reverseRow(this.tok, this.pools, rng, c.optionsMin, c.optionsMax, c.seqLen);
      return optionRow(this.tok, this.pools, rng, c.optionsMin, c.optionsMax).row;
    });
    return padBatch(rows, this.tok.specialId(CHAT.pad));
  }

  /** The batch of step `step` (0-based). */
  batch(step: number): Batch {
    const skill = skillAt(this.cfg.schedule, step);
    const k = skillIndex(this.cfg.schedule, step, skill);
    return skill === 'knowledge' ? this.lm.batch(k) : this.skillBatch(skill, k);
  }
}

/** The recipe as one training phase (AdamW, warm-up + cosine over all steps). */
export function recipePhase(batches: RecipeBatches): Phase {
  const c = batches.cfg;
  return {
    name: 'recipe',
    steps: c.steps,
    optimizer: { lr: c.lr, minLr: Math.min(c.minLr, c.lr), warmupSteps: Math.min(c.warmupSteps, c.steps), weightDecay: c.weightDecay, clipNorm: c.clipNorm },
    batch: (s) => batches.batch(s),
  };
}
