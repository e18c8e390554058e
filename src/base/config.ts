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
