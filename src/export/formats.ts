/**
 * The three export layouts, each written into its own folder with a manifest.json (files, rows,
 * bytes, reward weights, notes):
 *
 *   verl/  stage1/train.parquet  stage2/train.parquet  test.parquet          (RL rows, verl's columns)
 *   trl/   sft.jsonl  sft_messages.jsonl  grpo_stage1.jsonl  grpo_stage2.jsonl  grpo_test.jsonl
 *          (verl's and TRL's stage 1: the prompts in the order RLVR stage 1 draws them, to be read unshuffled)
 *   hf/    README.md (dataset card)  LICENSE.md  rl/{stage1,stage2,test}.parquet  sft/train.parquet
 *          items/{train,test}.parquet
 *   logits/ <stage>.json <stage>.f32   reference logits of the run's checkpoints (src/export/logits.ts)
 *
 * stage2 files exist only when the run's RLVR stage 2 has finished (its mined set).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJson, writeJsonlSync } from '../core/io';
import { type CardConfig, datasetCard, licenceText } from './card';
import { type ExportData, countByOrigin } from './data';
import { type Field, writeParquet } from './parquet';
import type { VerlSettings } from './verl';
import { ITEM_FIELDS, RL_FIELDS, SFT_FIELDS, grpoRow, itemRow, rlRow, sftMessages, sftPromptCompletion, sftRow } from './rows';

/** One written file, relative to the export folder. */
export interface ExportFile {
  path: string;
  rows: number;
  bytes: number;
}

export const FORMATS = ['verl', 'trl', 'hf', 'logits'] as const;
export type ExportFormat = (typeof FORMATS)[number];

/** manifest.json of an export folder. */
export interface Manifest {
  format: ExportFormat;
  run: string;
  files: ExportFile[];
  rewardWeights: Record<string, number>;
  notes: string[];
  /** verl: the run's RLVR settings as verl overrides (src/export/verl.ts). */
  verl?: VerlSettings;
}

/**
 * The RL parts of a run as verl rows (index = position in its file). Stage 1: for a trainer (verl) the prompts in
 * the order RLVR stage 1 draws them (stage1Stream), for the dataset (hf) each item once.
 */
function rlParts(d: ExportData, stage1: 'stream' | 'items'): [string, Record<string, unknown>[]][] {
  const parts: [string, Record<string, unknown>[]][] = [['stage1', (stage1 === 'stream' ? d.stage1Stream : d.stage1).map((it, i) => rlRow(it, 'stage1', i))]];
  if (d.stage2) parts.push(['stage2', d.stage2.map((m, i) => rlRow(m.item, 'stage2', i, m.mined))]);
  parts.push(['test', d.test.map((it, i) => rlRow(it, 'test', i))]);
  return parts;
}

function parquetFile(out: string, rel: string, fields: Field[], rows: Record<string, unknown>[]): ExportFile {
  return { path: rel, rows: rows.length, bytes: writeParquet(path.join(out, rel), fields, rows) };
}

function jsonlFile(out: string, rel: string, rows: unknown[]): ExportFile {
  writeJsonlSync(path.join(out, rel), rows);
  return { path: rel, rows: rows.length, bytes: fs.statSync(path.join(out, rel)).size };
}

/** verl: one Parquet file per RL stage (train; stage 1 in its draw order, read with data.shuffle=False) and the test split (data.val_files). */
export function writeVerl(d: ExportData, out: string): ExportFile[] {
  return rlParts(d, 'stream').map(([part, rows]) => parquetFile(out, part === 'test' ? 'test.parquet' : `${part}/train.parquet`, RL_FIELDS, rows));
}

/**
 * TRL: SFTTrainer JSONL (conversational prompt/completion, and messages) of the kept traces; GRPOTrainer JSONL per
 * RL part (stage 1 in its draw order: GRPOConfig(shuffle_dataset=False) keeps it).
 */
export function writeTrl(d: ExportData, out: string): ExportFile[] {
  const traces = d.traces ?? [];
  const files = [jsonlFile(out, 'sft.jsonl', traces.map(sftPromptCompletion)), jsonlFile(out, 'sft_messages.jsonl', traces.map(sftMessages))];
  files.push(jsonlFile(out, 'grpo_stage1.jsonl', d.stage1Stream.map((it) => grpoRow(it, 'stage1'))));
  if (d.stage2) files.push(jsonlFile(out, 'grpo_stage2.jsonl', d.stage2.map((m) => grpoRow(m.item, 'stage2', m.mined))));
  files.push(jsonlFile(out, 'grpo_test.jsonl', d.test.map((it) => grpoRow(it, 'test'))));
  return files;
}

/** The configs of the Hugging Face folder (rl first: the default config). */
function hfConfigs(d: ExportData, out: string): CardConfig[] {
  const split = (name: string, fields: Field[], rows: Record<string, unknown>[]) => ({ ...parquetFile(out, `${name}.parquet`, fields, rows), split: path.basename(name) });
  const configs: CardConfig[] = [
    { name: 'rl', description: "RL prompts in verl's columns (data_source, prompt, ability, reward_model.ground_truth, extra_info): stage1 = the Easy + Moderate train items RLVR stage 1 draws from (rlvr.stage1Items), stage2 = the items RLVR stage 2 mined (repeated failures, Difficult first), test = the held-out split.", fields: RL_FIELDS, splits: rlParts(d, 'items').map(([part, rows]) => split(`rl/${part}`, RL_FIELDS, rows)) },
  ];
  if (d.traces) configs.push({ name: 'sft', description: "the cold start's verified CoT traces of train items, as TRL conversational prompt/completion and messages.", fields: SFT_FIELDS, splits: [split('sft/train', SFT_FIELDS, d.traces.map(sftRow))] });
  // validation when the run has one (settings are chosen on it; runs made before it existed have none)
  const itemSplits = (['train', 'validation', 'test'] as const).filter((s) => s !== 'validation' || d.items.some((it) => it.split === s));
  configs.push({ name: 'items', description: 'every RODS item (question, lettered options, answer, type, difficulty, split, hops) and its prompt text.', fields: ITEM_FIELDS, splits: itemSplits.map((s) => split(`items/${s}`, ITEM_FIELDS, d.items.filter((it) => it.split === s).map(itemRow))) });
  return configs;
}

/** Hugging Face: a dataset folder (Parquet per config and split) with its card and licence file. */
export function writeHf(d: ExportData, out: string): ExportFile[] {
  const configs = hfConfigs(d, out);
  const info = { title: `Fleming-R1 workbench data (${d.run.name})`, run: d.run, configs, graphSources: d.graphSources, itemsByOrigin: countByOrigin(d.items), rewardWeights: d.rewardWeights, notes: d.notes };
  writeFileAtomic(path.join(out, 'README.md'), datasetCard(info));
  writeFileAtomic(path.join(out, 'LICENSE.md'), licenceText(info));
  return configs.flatMap((c) => c.splits.map(({ path: p, rows, bytes }) => ({ path: p, rows, bytes })));
}

/** Writes manifest.json beside the files. */
export function writeManifest(out: string, m: Manifest): void {
  writeJson(path.join(out, 'manifest.json'), m);
}
