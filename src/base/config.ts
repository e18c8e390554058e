import { int, num, oneOf, pattern, type Limits } from '../core/schema';

/**
 * Settings of pretraining → the Base (`fleming pretrain`, src/base/stage.ts): the knowledge LM,
 * the direct-answer tuning that makes Table 4's "Base" row, and the Base's probes; the run
 * config's `pretrain` section. Each field is documented once, at its default below; presets and
 * `--set` overrides are applied by src/core/config.ts.
 */
export interface PretrainConfig {
  model: 'smoke' | 'default' | 'full' | 'gpu';
  vocabSize: number;
  phrasingsPerEdge: number;
  synonymRate: number;
  corpusOrder: 'entity' | 'shuffled';
  seqLen: number;
  batchSize: number;
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  tuneSteps: number;
  tuneBatchSize: number;
  tuneLr: number;
  checkpointEvery: number;
  recallEdges: number;
  recallDistractors: number;
  evalItems: number;
}

export const defaults: PretrainConfig = {
  model: 'default', // MODEL_PRESETS entry giving the architecture (default: 2 layers × 128); the tokenizer sets vocab_size
  vocabSize: 2048, // BPE vocabulary: 9 specials + 256 bytes + merges
  phrasingsPerEdge: 2, // training phrasings rendered per edge in each pass over the graph (of the 4 training families)
  synonymRate: 0.25, // chance that a mention uses a synonym instead of the canonical name
  corpusOrder: 'entity', // 'entity': a pass is short articles, one per source entity (names recur in the context; 25-disease world: ceiling 64% → 98.5%); 'shuffled': sentences in random order
  seqLen: 128, // tokens per packed LM sequence (≤ the model's max_position_embeddings)
  batchSize: 16, // sequences per LM step
  steps: 400, // LM optimiser steps (≈ 4 passes over the seed graph's sentences)
  lr: 3e-3, // peak learning rate of both phases' warm-up + cosine
  minLr: 3e-4, // cosine floor
  warmupSteps: 20, // linear warm-up steps (each phase)
  weightDecay: 0.1, // AdamW decoupled decay
  clipNorm: 1.0, // global gradient-norm clipping
  tuneSteps: 60, // direct-answer tuning steps on the RODS train split (prompt → <answer>X</answer>)
  tuneBatchSize: 16, // items per tuning step
  tuneLr: 3e-4, // peak learning rate of the tuning phase (2e-3 erased most of the LM's knowledge: ceiling 43% → 23% at 50 diseases)
  checkpointEvery: 50, // steps between checkpoints (a killed run resumes from the last one)
  recallEdges: 40, // edges scored per relation in the held-out fact-recall probe
  recallDistractors: 4, // same-type distractor targets per scored edge (chance 1/5)
  evalItems: 300, // RODS test items the Base is evaluated on (0 = all)
};

/**
 * The Base recipe (`fleming base`, src/base/recipe.ts): the pretrained Base every run starts
 * from, trained once and released; the run config's `base` section.
 */
export interface BaseRecipeConfig {
  release: string;
  world: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  context: number;
  bpeVocab: number;
  entityTokens: boolean;
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  schedule: string;
  phrasingsPerEdge: number;
  synonymRate: number;
  copyMin: number;
  copyMax: number;
  lookupPairsMax: number;
  optionsMin: number;
  optionsMax: number;
  checkpointEvery: number;
  probeEvery: number;
}

export const recipeDefaults: BaseRecipeConfig = {
  release: 'data/base', // the released Base (the recipe writes it; runs will start from it)
  world: 0, // anchor diseases of the Base's world (0 = the whole seed graph: 297 diseases, 5,494 edges)
  hiddenSize: 128, // model width
  layers: 3, // decoder layers: 2 form the copy circuit but not the option lookup (22% at chance after 3,000 mix steps), 3 learn it in ≈ 1,500 (docs/findings.md)
  heads: 8, // attention heads (8 × 16 dims formed the copy circuit by step 2,000 in the curriculum experiments)
  kvHeads: 8, // key/value heads (full multi-head attention)
  intermediateSize: 352, // SwiGLU width
  context: 512, // max_position_embeddings (prompts + a whole thought at evaluation)
  bpeVocab: 2048, // byte-level BPE part of the vocabulary (specials + 256 bytes + merges)
  entityTokens: true, // one added token per entity name (" name", mention form)
  steps: 16000, // optimiser steps over the whole schedule
  batchSize: 16, // rows per step
  seqLen: 128, // tokens per knowledge row (packed sentences); skill rows are shorter
  lr: 3e-3, // peak learning rate (warm-up + cosine)
  minLr: 3e-4, // cosine floor
  warmupSteps: 200, // linear warm-up steps
  weightDecay: 0.1, // AdamW decoupled decay
  clipNorm: 1.0, // global gradient-norm clipping
  schedule: 'C*2000,KCKRKCKOKCKL*11500,KCKCKOKR', // segments PATTERN*STEPS, the last to the end; step s of a segment trains pattern[s mod length]: K knowledge, C copy, L lookup, O option, R reverse option lookup. Copy alone first (the induction head forms by ≈ 2,000 steps); then knowledge 1/2, copy 1/4, option, reverse and lookup 1/12 each; the last 2,500 steps drop key → value lookup and keep option and reverse at 1/8 each (without option rows there, lookup drifted from 99.5% to 93.9%)
  phrasingsPerEdge: 2, // training phrasings per edge per pass over the graph
  synonymRate: 0.25, // mentions that use a synonym
  copyMin: 4, // shortest copied span
  copyMax: 24, // longest copied span
  lookupPairsMax: 8, // key → value pairs per lookup row (2..)
  optionsMin: 2, // fewest options per option row
  optionsMax: 10, // most options per option row
  checkpointEvery: 100, // steps between resume checkpoints
  probeEvery: 500, // steps between training-time probes (probes.jsonl)
};

/** What each `pretrain` setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<PretrainConfig> = {
  model: oneOf<PretrainConfig['model']>('smoke', 'default', 'full', 'gpu'),
  vocabSize: int(265), // 9 specials + 256 bytes, at least
  phrasingsPerEdge: int(1),
  synonymRate: num({ min: 0, max: 1 }),
  corpusOrder: oneOf<PretrainConfig['corpusOrder']>('entity', 'shuffled'),
  seqLen: int(2),
  batchSize: int(1),
  steps: int(1),
  lr: num({ gt: 0 }),
  minLr: num({ min: 0 }),
  warmupSteps: int(0),
  weightDecay: num({ min: 0 }),
  clipNorm: num({ min: 0 }),
  tuneSteps: int(0),
  tuneBatchSize: int(1),
  tuneLr: num({ gt: 0 }),
  checkpointEvery: int(1),
  recallEdges: int(0),
  recallDistractors: int(1),
  evalItems: int(0),
};

/** What each `base` setting may be, beyond the type of its default. */
export const recipeLimits: Limits<BaseRecipeConfig> = {
  world: int(0),
  hiddenSize: int(1),
  layers: int(1),
  heads: int(1),
  kvHeads: int(1),
  intermediateSize: int(1),
  context: int(2),
  bpeVocab: int(265),
  steps: int(1),
  batchSize: int(1),
  seqLen: int(2),
  lr: num({ gt: 0 }),
  minLr: num({ min: 0 }),
  warmupSteps: int(0),
  weightDecay: num({ min: 0 }),
  clipNorm: num({ min: 0 }),
  schedule: pattern(/^[KCLOR]+(\*\d+)?(,[KCLOR]+(\*\d+)?)*$/, 'PATTERN or PATTERN*STEPS segments, comma-separated, of the letters K, C, L, O and R (e.g. C*4000,KCOKCLKO)'),
  phrasingsPerEdge: int(1),
  synonymRate: num({ min: 0, max: 1 }),
  copyMin: int(1),
  copyMax: int(1),
  lookupPairsMax: int(2),
  optionsMin: int(2, 10),
  optionsMax: int(2, 10),
  checkpointEvery: int(1),
  probeEvery: int(1),
};
