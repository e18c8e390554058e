/**
 * Pretraining → the Base: the knowledge corpus (sentences), its batches, the probes (fact recall,
 * copy), direct-answer evaluation, the stage (`fleming pretrain`), and where the released Base
 * stands (status, targets, figures, the recipe as tables).
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
export { baseStatus, checkManifest, currentRunRows, runBaseOrigin, skillCurves, statusLines } from './status';
export type { BaseOrigin, BaseStatus, ProbeRow, RecipeRecord, ReleaseProbes, ReleaseStatus, SkillCurve, TrainingStatus } from './status';
export { BASE_TARGETS, baseTargets, metText } from './targets';
export type { TargetRow } from './targets';
export { probeFigure, skillLossFigure } from './figures';
export { fieldComments, recipeSettings, scheduleTable } from './settings';
