/**
 * The data of an export, gathered once from a run: the RL parts (stage 1 = the Easy + Moderate
 * train items stage 1 draws from, and the order it draws them in; stage 2 = the mined set; test =
 * the test split), the kept CoT traces, the reward weights and what is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkipReport, readJson } from '../core/io';
import { loadTokenizer } from '../model/tokenizer';
import { type RlvrConfig, defaults as rlvrDefaults } from '../rlvr/config';
import { stage1DrawSeed, stage1Draws } from '../rlvr/plans';
import { itemsFitting } from '../rlvr/rollout';
import { type ColdstartConfig, defaults as coldstartDefaults } from '../coldstart/config';
import { untracedItems } from '../coldstart/stage';
import type { Item } from '../rods/item';
import { type MinedRow, readGraphSources, readItems, readKeptTraces, readMinedSet } from './inputs';
import type { KeptTrace } from './rows';

export interface ExportData {
  runDir: string;
  run: { name: string; preset: string; seed: number };
  items: Item[];
  /**
   * Stage 1 of RLVR: the Easy + Moderate train items it draws from (as src/rlvr/stage.ts picks them, rlvr.stage1Items
   * included; with the run's +CoT tokenizer, also its context-length filter), in item order.
   */
  stage1: Item[];
  /**
   * Stage 1's prompts in the order RLVR stage 1 draws them (rlvr.stage1Draw; stage1Draws), rlvr.stage1MaxSteps ×
   * promptsPerStep of them, items repeating: a trainer that reads them unshuffled (verl data.shuffle=False, TRL
   * shuffle_dataset=False) meets the prompts the workbench's stage 1 meets, step by step.
   */
  stage1Stream: Item[];
  /** Stage 2: the mined set of the run's RLVR stage 2, or null when it has not finished. */
  stage2: MinedRow[] | null;
  test: Item[];
  /** Kept CoT traces, or null when not asked for. */
  traces: KeptTrace[] | null;
  traceSkips: SkipReport;
  rewardWeights: Record<string, number>;
  /** The run's RLVR settings (config.json `rlvr` over the defaults). */
  rlvr: RlvrConfig;
  graphSources: Record<string, number>;
  /** What is absent and why, for manifests and the card. */
  notes: string[];
}

/**
 * Reads what an export needs from `runDir`. `traces`: 'required' throws when the cold start has
 * not finished, 'optional' records its absence, 'skip' does not read them.
 */
export function gatherExport(runDir: string, traces: 'required' | 'optional' | 'skip'): ExportData {
  const cfg = readJson<{ preset?: string; seed?: number; rlvr?: Partial<RlvrConfig>; coldstart?: Partial<ColdstartConfig> }>(path.join(runDir, 'config.json'));
  const items = readItems(runDir);
  const rlvr: RlvrConfig = { ...rlvrDefaults, ...cfg.rlvr };
  const byId = new Map(items.map((it) => [it.id, it]));
  const allTrain = items.filter((it) => it.split === 'train');
  const notes: string[] = [];
  // as src/rlvr/setup(): the train items that leave room for rlvr.maxNewTokens in the +CoT model's context
  const fit = fittingItems(runDir, allTrain, rlvr.maxNewTokens);
  if (fit === null) notes.push(`no +CoT tokenizer (coldstart/sft): stage 1's items are not filtered by the context length as RLVR filters them`);
  const train = fit ?? allTrain;
  // as src/rlvr/stage.ts stageItems(): with rlvr.stage1Items 'untraced', the items of the anchors the cold start drew no traces for
  const cs = { ...coldstartDefaults, ...cfg.coldstart };
  const seed = cfg.seed ?? 0;
  const drawn = rlvr.stage1Items === 'untraced' && cs.traceShare < 1 ? untracedItems(train, allTrain, cs, seed) : train;
  const stage1 = drawn.filter((it) => it.difficulty === 'Easy' || it.difficulty === 'Moderate');
  if (stage1.length === 0) throw new Error(`${path.join(runDir, 'rods', 'items.jsonl')}: no Easy or Moderate train item for RL stage 1 (${train.length} train items${drawn !== train ? `, ${train.length - drawn.length} of them traced by the cold start and left out (rlvr.stage1Items untraced)` : ''})`);
  const stage1Stream = stage1Draws(stage1, { seed: stage1DrawSeed(seed), draw: rlvr.stage1Draw }, 0, rlvr.stage1MaxSteps * rlvr.promptsPerStep);
  const stage2 = readMinedSet(runDir, byId);
  if (!stage2) notes.push(`no stage-2 mined set: the run's RLVR stage 2 has not finished (\`fleming rlvr --run ${runDir}\`; on a cluster, \`fleming rlvr mine --endpoint URL\` mines one)`);
  const traceSkips = new SkipReport();
  let kept: KeptTrace[] | null = null;
  if (traces === 'required') kept = readKeptTraces(runDir, byId, traceSkips);
  else if (traces === 'optional') {
    try {
      kept = readKeptTraces(runDir, byId, traceSkips);
    } catch (e) {
      if (!/no finished CoT traces/.test((e as Error).message)) throw e;
      notes.push(`no SFT traces: the run's cold start has not finished (\`fleming coldstart --run ${runDir}\`)`);
    }
  }
  return {
    runDir,
    run: { name: path.basename(runDir), preset: cfg.preset ?? 'unknown', seed: cfg.seed ?? 0 },
    items,
    stage1,
    stage1Stream,
    stage2,
    test: items.filter((it) => it.split === 'test'),
    traces: kept,
    traceSkips,
    rewardWeights: { ...rlvr.rewards },
    rlvr,
    graphSources: readGraphSources(runDir),
    notes,
  };
}

/** Items per origin. */
export function countByOrigin(items: readonly Item[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[it.origin] = (out[it.origin] ?? 0) + 1;
  return out;
}

/** The items that leave room for `maxNewTokens` in the context of the run's +CoT model, or null without one (src/rlvr/rollout.ts itemsFitting). */
function fittingItems(runDir: string, items: Item[], maxNewTokens: number): Item[] | null {
  const dir = path.join(runDir, 'coldstart', 'sft');
  if (!fs.existsSync(path.join(dir, 'tokenizer.json')) || !fs.existsSync(path.join(dir, 'config.json'))) return null;
  const ctxLen = readJson<{ max_position_embeddings: number }>(path.join(dir, 'config.json')).max_position_embeddings;
  return itemsFitting(loadTokenizer(dir), items, maxNewTokens, ctxLen);
}
