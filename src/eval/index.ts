/** Benchmarks and the paper's tables: the evaluation harness (`fleming eval`, notebook 08). */
export { bootstrapMean, bootstrapMacro, bootstrapDiff, quantile, bootstrapDefaults, type Interval, type BootstrapOptions } from './bootstrap';
export { ClaimMatcher, type ReadClaim, type Verification } from './claims';
export { thoughtAnatomy, summarizeAnatomy, type Anatomy, type AnatomySummary } from './anatomy';
export { CheckpointGenerator, EndpointGenerator, ENDPOINT_SYSTEM, readSample, type Generator, type Decoding, type Sample, type EndpointSpec, type ItemFailure } from './generators';
export { ResultStore, resultKey, protocolKey, answered, type ResultRow, type ClaimCount } from './results';
export { cell, summarizeModel, table3, table4, fmtInterval, strictScore, lenientScore, passScore, SYNTHETIC, type Cell, type ModelSummary, type StageRow, type Table } from './summary';
export { accuracyByStageFigure, rewardFigure, modelBarFigure, readRewardSeries, type RewardSeries } from './plots';
export { itemJourneys, journeyText, type ItemJourney, type StageCompletion } from './journey';
export { baseSection, renderReport, plotsSection, type ReportExample } from './report';
export { run, modelEntries, loadBenchmarkSets, benchmarksDirOf, STAGE_MODELS, type EvalRunOptions, type EvalResult, type ModelEntry, type BenchmarkSet } from './stage';
