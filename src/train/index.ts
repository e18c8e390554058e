/**
 * Training shared by every stage that trains (pretraining, SFT, GRPO): the phased loop, the
 * resume checkpoint with its atomic swap, and metrics.jsonl.
 */
export { TrainingStopped, trainPhases, trainPhasesAsync, trainPhasesReads, trainingStopped } from './loop';
export type { LoopOptions, LoopResult, LrSetting, Phase, StepRecord } from './loop';
export { adoptOptimizer, clearCheckpoints, finishedStage, lastCheckpointDir, resumeCheckpoint, swapInCheckpointReads } from './checkpoint';
export type { ResumeOptions, Resumed } from './checkpoint';
export { readMetrics, truncateSteps } from './metrics';
