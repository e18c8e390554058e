/**
 * Export (`fleming export`): a run's data in the formats full-scale trainers read.
 *   export.ts    runExport: the command (format check, gather, write, manifest)
 *   data.ts      gatherExport: stage 1 / stage 2 / test parts, kept traces, weights, notes
 *   inputs.ts    what is read from the run (items, cot.jsonl, mining.jsonl, config, graph stats, checkpoints)
 *   rows.ts      the rows: verl RL rows, TRL SFT / GRPO rows, item rows, and their schemas
 *   formats.ts   the layouts: verl/, trl/, hf/ (+ manifest.json)
 *   parquet.ts   nested Parquet through hyparquet-writer, from one schema DSL
 *   card.ts      the Hugging Face dataset card (YAML header + prose) and LICENSE.md
 *   licences.ts  origins and licences of the graph sources and benchmarks
 *   logits.ts    reference logits of the run's checkpoints (for scripts/check-export.py)
 *   verl.ts      the run's RLVR settings as verl overrides (for recipes/verl/)
 * The reward in Python: python/fleming_reward.py. The verl recipe: recipes/verl/.
 */
export { exportFormat, runExport } from './export';
export type { ExportOptions, ExportResult } from './export';
export { FORMATS, writeHf, writeTrl, writeVerl } from './formats';
export type { ExportFile, ExportFormat, Manifest } from './formats';
export { countByOrigin, gatherExport } from './data';
export type { ExportData } from './data';
export { CHECKPOINTS, RUN_FILES, readItems, readKeptTraces, readMinedSet, runCheckpoints } from './inputs';
export type { MinedRow } from './inputs';
export { ABILITY, ITEM_FIELDS, RL_FIELDS, SFT_FIELDS, dataSource, grpoRow, itemRow, policyMessages, rlRow, sftMessages, sftPromptCompletion, sftRow } from './rows';
export type { KeptTrace, Message, MinedInfo, RlPart } from './rows';
export { fieldProblem, float64, int32, list, parquetSchema, str, struct, writeParquet } from './parquet';
export type { Field, LeafType, SchemaElement } from './parquet';
export { cardHeader, datasetCard, featureYaml, licenceText } from './card';
export { BENCHMARK_SOURCES, GRAPH_SOURCES, datasetSources } from './licences';
export { LOGIT_PROMPTS, writeReferenceLogits } from './logits';
export { LOSS_AGG_MODE, verlSettings } from './verl';
export type { VerlSettings } from './verl';
export type { LogitsReference } from './logits';
