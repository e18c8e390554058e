/**
 * The tiny pretraining shared by the stage tests that need a finished Base (cold start, SFT, RLVR):
 * seconds of CPU, a real tokenizer, checkpoint and evaluation.
 */
export const tinyPretrain = { vocabSize: 400, seqLen: 32, batchSize: 4, steps: 6, warmupSteps: 2, tuneSteps: 3, tuneBatchSize: 4, checkpointEvery: 10, recallEdges: 2, recallDistractors: 2, evalItems: 4 };
