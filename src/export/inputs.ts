/**
 * What an export reads from a run directory: the RODS items (required), the kept CoT traces of the
 * cold start, the stage-2 mined set of RLVR, the graph's sources and the checkpoints. A missing
 * stage is an error naming the command that makes it, for the exports that need it; the others
 * record that it is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, SkipReport, readJson, readJsonlSync } from '../core/io';
import { CHAT } from '../model/tokenizer/chat';
import { isWellFormedCot, optionLetters, strictAnswer } from '../protocol/index';
import type { MinedItem, MiningRecord } from '../rlvr/plans';
import type { Item } from '../rods/item';
import type { KeptTrace, MinedInfo } from './rows';

/** A stage-2 item with its mining result, in first-mined order. */
export interface MinedRow {
  item: Item;
  mined: MinedInfo;
}

/** The checkpoints of a run's policy stages that exist (HF layout: model.safetensors, config.json, tokenizer.json). */
export const CHECKPOINTS: readonly { id: string; label: string; dir: string }[] = [
  { id: 'base', label: 'Base', dir: 'coldstart/base' },
  { id: 'cot', label: '+CoT', dir: 'coldstart/sft' },
  { id: 'rl1', label: '+RL1', dir: 'rlvr/stage1' },
  { id: 'rl2', label: '+RL2', dir: 'rlvr/stage2' },
];

/** Where each input lives in a run directory. */
export const RUN_FILES = {
  items: 'rods/items.jsonl',
  cot: 'coldstart/cot.jsonl',
  cotDone: 'coldstart/cot-done.json',
  mining: 'rlvr/stage2/mining.jsonl',
  stage2Done: 'rlvr/stage2/done.json',
  graphStats: 'graph/stats.json',
} as const;

/** The RODS items of a run (rods/items.jsonl); throws naming `fleming rods` when the stage has not run. */
export function readItems(runDir: string): Item[] {
  const file = path.join(runDir, RUN_FILES.items);
  if (!fs.existsSync(file)) throw new Error(`${file}: no RODS items; run \`fleming rods --run ${runDir}\` first`);
  const items = readJsonlSync<Item>(file).map(({ value, line }) => {
    if (typeof value?.id !== 'string' || typeof value.question !== 'string' || typeof value.answer !== 'string' || typeof value.options !== 'object' || value.options === null)
      throw new InputError(file, line, 'not an item (id, question, options, answer)');
    if (!optionLetters(value).includes(value.answer)) throw new InputError(file, line, `answer ${JSON.stringify(value.answer)} is not one of the options ${optionLetters(value).join('')}`);
    return value;
  });
  if (items.length === 0) throw new Error(`${file}: no items`);
  return items;
}

type CotLike = { itemId?: unknown; completion?: unknown; verified?: unknown; teacher?: unknown };

/** Why a cot row is not a kept trace (as the SFT stage decides, src/coldstart/sft/data.ts), or null. */
function traceProblem(row: CotLike, item: Item | undefined): { reason: string; byDesign: boolean } | null {
  if (typeof row?.completion !== 'string') return { reason: 'not a cot row (itemId and completion must be strings)', byDesign: false };
  if (row.verified !== true) return { reason: 'not verified', byDesign: true };
  if (!item) return { reason: 'item not among the RODS items', byDesign: false };
  if (item.split !== 'train') return { reason: `item is in the ${item.split ?? 'unlabelled'} split, not train`, byDesign: true };
  const letters = optionLetters(item);
  if (!isWellFormedCot(row.completion, letters)) return { reason: 'completion is not <think>…</think>\\n<answer>X</answer>', byDesign: false };
  if (strictAnswer(row.completion, letters) !== item.answer) return { reason: "trace's answer is not the item's answer", byDesign: false };
  return null;
}

/**
 * The cold start's kept traces (coldstart/cot.jsonl rows the SFT stage trains on): verified, of a
 * train item, in the exact format, answering the item's letter; one trailing `<|eos|>` removed
 * (chat templates append it). Every other row is counted in `skips`. Throws naming
 * `fleming coldstart` when the traces are not finished.
 */
export function readKeptTraces(runDir: string, byId: ReadonlyMap<string, Item>, skips: SkipReport): KeptTrace[] {
  const file = path.join(runDir, RUN_FILES.cot);
  if (!fs.existsSync(path.join(runDir, RUN_FILES.cotDone)) || !fs.existsSync(file)) throw new Error(`${file}: no finished CoT traces; run \`fleming coldstart --run ${runDir}\` first`);
  const out: KeptTrace[] = [];
  for (const { value: row, line } of readJsonlSync<CotLike>(file)) {
    skips.read(file);
    const item = typeof row?.itemId === 'string' ? byId.get(row.itemId) : undefined;
    const why = traceProblem(row, item);
    if (why) {
      if (why.byDesign) skips.skipByDesign(file, line, why.reason);
      else skips.skip(file, line, why.reason);
      continue;
    }
    const c = row.completion as string;
    out.push({ item: item as Item, completion: c.endsWith(CHAT.eos) ? c.slice(0, -CHAT.eos.length) : c, teacher: typeof row.teacher === 'string' ? row.teacher : 'unknown' });
  }
  return out;
}

/**
 * The stage-2 mined set as the run's RLVR stage 2 wrote it (rlvr/stage2/mining.jsonl, one row per
 * round with its hard set): every item mined in any round, in first-mined order, with the rounds
 * that mined it and its failures in the last of them. Null when stage 2 has not finished.
 */
export function readMinedSet(runDir: string, byId: ReadonlyMap<string, Item>): MinedRow[] | null {
  const file = path.join(runDir, RUN_FILES.mining);
  if (!fs.existsSync(path.join(runDir, RUN_FILES.stage2Done)) || !fs.existsSync(file)) return null;
  const rows = new Map<string, MinedRow>();
  for (const { value: r, line } of readJsonlSync<MiningRecord>(file)) {
    if (!Array.isArray(r?.minedItems))
      throw new InputError(file, line, `round ${r?.round} has no minedItems (written by an older version, which did not record the mined ids): redo stage 2 with \`fleming rlvr --run ${runDir} --force\``);
    for (const m of r.minedItems as MinedItem[]) {
      const item = byId.get(m.id);
      if (!item) throw new InputError(file, line, `mined item ${JSON.stringify(m.id)} is not among the RODS items`);
      const prev = rows.get(m.id);
      const rounds = [...(prev?.mined.rounds ?? []), r.round];
      rows.set(m.id, { item, mined: { rounds, failures: m.failures, samples: r.samplesPerItem } });
    }
  }
  return [...rows.values()];
}

/** Edges per knowledge-graph source (graph/stats.json bySource.edges), or {} when the graph stage left no stats. */
export function readGraphSources(runDir: string): Record<string, number> {
  const file = path.join(runDir, RUN_FILES.graphStats);
  if (!fs.existsSync(file)) return {};
  return readJson<{ bySource?: { edges?: Record<string, number> } }>(file).bySource?.edges ?? {};
}

/** The run's checkpoint directories that hold a model (absolute), by stage id. */
export function runCheckpoints(runDir: string): { id: string; label: string; dir: string }[] {
  return CHECKPOINTS.map((c) => ({ ...c, dir: path.join(runDir, c.dir) })).filter((c) => fs.existsSync(path.join(c.dir, 'model.safetensors')) && fs.existsSync(path.join(c.dir, 'done.json')));
}
