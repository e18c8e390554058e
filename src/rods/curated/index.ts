/**
 * Curated public QA for RODS: loaders for each benchmark's original format, a generic mapped
 * loader, the benchmark registry, and public/synthetic mixing.
 */
export { toItem, readJsonlLenient, parseLenient, lettered, quirksOf, type CuratedLoader, type RawItem } from './common';
export { loadPubmedqa, pubmedqaQuestion, topLevelKeys, PUBMEDQA_OPTIONS, type PubmedqaOptions } from './pubmedqa';
export { loadMedqa, medqaRecord } from './medqa';
export { loadMedmcqa, medmcqaRecord, splitAnswerChoices, singleLabel, ANSWER_CHOICES_MARKER } from './medmcqa';
export { loadMedxpertqa, medxpertqaRecord } from './medxpertqa';
export { mmluProLoader, mmluProRecord } from './mmlupro';
export { loadCareqa, careqaRecord } from './careqa';
export { loadCmexam, parseCmexamOptions, CMEXAM_COLUMNS } from './cmexam';
export { loadGeneric, genericLoader, genericRecord, answerFieldLetter, optionsOf, getField, type FieldMapping, type AnswerFormat } from './generic';
export {
  CURATED_BENCHMARKS,
  loadBenchmark,
  loadAllBenchmarks,
  benchmarkPath,
  type BenchmarkSpec,
  type BenchmarkCount,
} from './registry';
export { mixItems, maxTotalAt, type MixOptions, type MixResult } from './mix';
