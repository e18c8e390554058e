/**
 * Pretraining → the Base: the knowledge corpus (sentences), its batches, the probes (fact recall,
 * copy), direct-answer evaluation, and the stage (`fleming pretrain`).
 */
export { PHRASINGS, fillTemplate, heldOutPrompt, mentionName, recallPrompt, renderCorpus } from './sentences';
export { LmBatches, TuneBatches, directAnswerExample, packSentences, padBatch, passSentences } from './data';
export { distractorPool, factRecall, scoreCompletions } from './recall';
export type { RecallReport, RelationRecall } from './recall';
export { copyProbe, copyProbeReads, copyNllSums } from './copy';
export type { CopyProbe } from './copy';
export { evalDirectAnswer } from './evaluate';
export type { DirectAnswerReport } from './evaluate';
export { loadBase, lossFigure, modelConfig, run } from './stage';
export type { PretrainResult, PretrainRunOptions } from './stage';
