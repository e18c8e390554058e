/**
 * Curated public QA for RODS and evaluation, table of contents:
 *   spec         benchmark specs: the schema of a spec file (YAML / JSON), readSpec, where its file is
 *   records      the records of a file: JSON Lines, JSON, CSV / TSV, Parquet
 *   mapping      a spec's field mapping on one record (options and answers in every common shape)
 *   specLoader   a file loaded with a spec's mapping; renamed fields are errors, not skips
 *   usable       0 items or too many skipped rows is an error naming the mapping and a row
 *   source       the local file of a spec (a path, or a URL downloaded once into the cache)
 *   registry     the built-in benchmarks (data/benchmarks/*.yaml) and loadSpec / loadBenchmark
 *   check        `fleming benchmarks check|list`: counts, skips by reason, three rendered items
 *   codeLoaders  formats that need code: pubmedqa, medmcqa, medxpertqa, cmexam
 *   generic      loadGeneric: a field mapping given in code
 *   mix          public/synthetic mixing
 */
export { toItem, checkItem, readJsonlLenient, parseLenient, lettered, quirksOf, type CuratedLoader, type RawItem } from './common';
export { readSpec, parseSpec, specFilesIn, formatOf, specFilePath, SpecError, SPEC_FORMATS, ANSWER_FORMATS, DEFAULT_MAX_SKIP_SHARE, BENCHMARKS_DIR, type BenchmarkSpec, type SpecFields } from './spec';
export { readRecords, childLines, type SourceRecord } from './records';
export { mapRecord, optionTexts, answerLetter, getField, type Skip } from './mapping';
export { loadFieldsSpec, SkipHints } from './specLoader';
export { assertUsable, loadReport, BenchmarkLoadError, type LoadReport, type SkipLine } from './usable';
export { specSource, DEFAULT_BENCHMARK_CACHE, type SourceOptions } from './source';
export { CODE_LOADERS, CODE_LOADER_NAMES } from './codeLoaders';
export { loadPubmedqa, pubmedqaQuestion, topLevelKeys, PUBMEDQA_OPTIONS, type PubmedqaOptions } from './pubmedqa';
export { loadMedmcqa, medmcqaRecord, splitAnswerChoices, singleLabel, ANSWER_CHOICES_MARKER } from './medmcqa';
export { loadMedxpertqa, medxpertqaRecord } from './medxpertqa';
export { loadCmexam, parseCmexamOptions, CMEXAM_COLUMNS } from './cmexam';
export { loadGeneric, genericLoader, type FieldMapping, type AnswerFormat } from './generic';
export {
  CURATED_BENCHMARKS,
  BUILTIN_ORDER,
  BUILTIN_SPECS_DIR,
  entryOf,
  loadSpec,
  loadBenchmark,
  loadAllBenchmarks,
  benchmarkPath,
  type BenchmarkEntry,
  type BenchmarkCount,
  type LoadedBenchmark,
} from './registry';
export { mixItems, maxTotalAt, type MixOptions, type MixResult } from './mix';
