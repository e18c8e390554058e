/**
 * Settings of the CoT cold start (`fleming coldstart`, src/coldstart/stage.ts): the teachers and
 * refinement loop (`coldstart` section) and SFT of the Base on verified traces → +CoT (`sft`
 * section). Each field is documented once, at its default below; presets and `--set` overrides
 * are applied by src/core/config.ts.
 */
import { int, num, oneOf, optional, type Limits } from '../core/schema';
import type { EndpointConfig } from '../core/endpoint';

export interface ColdstartConfig {
  teacher?: EndpointConfig;
  k: number;
  depth: number;
  maxChars: number;
  style: 'concise' | 'clinical';
  traceShare: number;
  traceShareBy: 'anchor' | 'item';
}

export const defaults: ColdstartConfig = {
  // teacher (optional): an LLM teacher endpoint (the paper used GPT-OSS-120B); absent = the graph-grounded teacher
  k: 4, // drafts per item (pass@k)
  depth: 3, // most revisions per draft
  maxChars: 1200, // longest trace kept, in characters
  // graph teacher's trace style: 'concise' (the claims that single out the answer, in the pretraining corpus's
  // sentences; evidence filter 'discriminating') or 'clinical' (findings, support, a denial per distractor,
  // conclusion; evidence filter 'full')
  style: 'concise',
  // share of the training items (a seeded draw) that get teacher traces for SFT; the rest reach the policy first
  // through its own rollouts (rlvr.stage1Items 'untraced' trains stage 1 on them alone; 1 = traces for every training
  // item). 0.75 with stage 1 on the untraced: the only setting whose +RL1 rose on validation at every seed tried
  // (docs/findings.md, fifth session)
  traceShare: 0.75,
  traceShareBy: 'anchor', // draw whole anchor groups ('anchor') or single items ('item') for traceShare
};

export interface SftConfig {
  steps: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  answerWeight: number;
  replayEvery: number;
  checkpointEvery: number;
  evalItems: number;
  evalMaxNewTokens: number;
  evalBatchSize: number;
  examples: number;
}

export const sftDefaults: SftConfig = {
  // SFT optimiser steps: with replayEvery 2, 300 of traces (≈ 1.7 epochs of the default run's traces) and 300 of
  // knowledge replay. Validation +CoT from the release (406 items): 59.1% at 600, 56.7% at 900 (docs/findings.md)
  steps: 600,
  batchSize: 16, // traces per step
  // peak learning rate, warm-up + cosine. From the released Base, validation +CoT: 37.0% at 3e-4 vs 28.0% at 1e-3
  // (same traces; a high rate undoes the Base's copy and option-lookup circuits: docs/findings.md)
  lr: 3e-4,
  minLr: 1e-4, // cosine floor
  warmupSteps: 10, // linear warm-up steps
  weightDecay: 0.1, // AdamW decoupled decay
  clipNorm: 1.0, // global gradient-norm clipping
  // loss weight of the answer letter relative to the other completion tokens (1 = plain SFT); the letter is one token
  // of a trace's ~20 and choosing it is an in-context lookup the tiny policy learns slowly (10 made +CoT pick the
  // option its thought names 39% vs 22–25%)
  answerWeight: 10,
  // knowledge replay: every N-th update is a batch of the Base's knowledge sentences instead of traces; 0 = traces
  // only. From the release (validation +CoT, 406 items): 59.1% at 2, 53.9% at 3 (450 steps), 39.4% without (300
  // steps of traces alone): SFT on traces alone overwrites the knowledge the thoughts must recall (docs/findings.md)
  replayEvery: 2,
  checkpointEvery: 50, // steps between checkpoints (a killed run resumes from the last one)
  evalItems: 200, // RODS validation items Base and +CoT are evaluated on, for choosing settings (0 = all; the eval stage reads test)
  evalMaxNewTokens: 128, // tokens generated per evaluated item (room for a short <think> trace and the answer)
  evalBatchSize: 16, // prompts decoded together
  examples: 8, // Base vs +CoT completions written to examples.jsonl
};

/** What each setting may be, beyond the type of its default (src/core/schema.ts). */
export const limits: Limits<ColdstartConfig> = {
  teacher: optional('endpoint'),
  k: int(1),
  depth: int(0),
  maxChars: int(1),
  style: oneOf<ColdstartConfig['style']>('concise', 'clinical'),
  traceShare: num({ gt: 0, max: 1 }),
  traceShareBy: oneOf<ColdstartConfig['traceShareBy']>('anchor', 'item'),
};

export const sftLimits: Limits<SftConfig> = {
  steps: int(1),
  batchSize: int(1),
  lr: num({ gt: 0 }),
  minLr: num({ min: 0 }),
  warmupSteps: int(0),
  weightDecay: num({ min: 0 }),
  clipNorm: num({ min: 0 }),
  answerWeight: num({ gt: 0 }),
  replayEvery: int(0),
  checkpointEvery: int(1),
  evalItems: int(0),
  evalMaxNewTokens: int(1),
  evalBatchSize: int(1),
  examples: int(0),
};
