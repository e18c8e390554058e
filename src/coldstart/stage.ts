/**
 * CoT cold start.   Command: `fleming coldstart [--run DIR]`
 * Settings: src/coldstart/config.ts (configs `coldstart` and `sft`), one commented default per field.
 *
 * 1. distill(): a teacher sees each training item with its known answer and writes a concise
 *    chain of thought; flawed traces go through the refinement loop (backtracking, path
 *    exploration, self-correction, pass@k); only traces that pass the verifiable filters are
 *    kept. The offline graph teacher (default style 'concise') states the claims that single out
 *    the answer in the pretraining corpus's own sentences ("Wilson's disease is treated with
 *    trientine."; with a released Base, in its mention style: " wilson's disease is treated with
 *    trientine."), so writing the thought is a continuation the pretrained model has practised.
 *    Writes coldstart/cot.jsonl, cot-failures.jsonl, cot-stats.json.
 * 2. runSft() (src/coldstart/sft.ts): Base is fine-tuned on the kept traces (completion-only
 *    loss) into the "+CoT" policy, and Base and +CoT are evaluated alike. Writes coldstart/sft/.
 * Each step is reused when its inputs are unchanged (force redoes both).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunContext, stageDone, markStageDone, fileHash } from '../core/run';
import { readJson, readJsonlAll, writeJson, writeJsonl } from '../core/io';
import { LlmClient } from '../core/llm';
import type { KnowledgeGraph } from '../graph/graph';
import { loadRunGraph } from '../graph/stage';
import type { Item } from '../rods/item';
import { groupOf } from '../rods/split';
import { Rng } from '../core/rng';
import type { ColdstartConfig } from './config';
import { FilterOptions, GraphTeacher, LlmTeacher, refineAll, RefineStats, Teacher } from './cot/index';
import { runSft, SftResult } from './sft';
import { baseStyle } from '../base/stage';

export interface DistillResult {
  /** coldstart/cot.jsonl. */
  cotFile: string;
  stats: RefineStats;
  /** Whether finished traces were reused. */
  reused: boolean;
}

export interface ColdstartResult extends DistillResult {
  sft: SftResult;
}

/**
 * The stage's teacher: the LLM endpoint when configured, else the graph teacher in the configured
 * style, naming entities the way the run's Base learned them (its text style, recorded by the
 * pretrain stage: base/stage.ts baseStyle).
 */
export function stageTeacher(ctx: RunContext, graph: KnowledgeGraph): Teacher {
  const cfg = ctx.config.coldstart;
  if (!cfg.teacher) return new GraphTeacher(graph, { style: cfg.style, textStyle: baseStyle(ctx.dir) });
  const t = cfg.teacher;
  return new LlmTeacher(new LlmClient({ baseUrl: t.baseUrl, model: t.model, apiKeyEnv: t.apiKeyEnv, maxConcurrency: t.maxConcurrency, cacheDir: path.join(ctx.dir, 'cache', 'llm') }), { model: t.model });
}

/** The filters' options for the stage's teacher: evidence 'discriminating' for concise graph traces, 'full' for clinical ones and free text. */
export function stageFilters(cfg: ColdstartConfig): Partial<FilterOptions> {
  return { maxChars: cfg.maxChars, evidence: cfg.teacher || cfg.style === 'clinical' ? 'full' : 'discriminating' };
}

/**
 * Step 1: teacher traces for rods/train.jsonl through the refinement loop and the filters
 * (evidence 'discriminating' for concise graph traces, 'full' for clinical ones and free text).
 */
export async function distill(ctx: RunContext, opts: { force?: boolean; graph?: KnowledgeGraph } = {}): Promise<DistillResult> {
  const cfg = ctx.config.coldstart;
  const dir = ctx.stageDir('coldstart');
  const trainFile = path.join(ctx.dir, 'rods', 'train.jsonl');
  if (!fs.existsSync(trainFile)) throw new Error(`${trainFile}: no training items; run \`fleming rods --run ${ctx.dir}\` first`);
  const cotFile = path.join(dir, 'cot.jsonl');
  const statsFile = path.join(dir, 'cot-stats.json');
  const doneFile = path.join(dir, 'cot-done.json');
  const textStyle = cfg.teacher ? 'sentence' : baseStyle(ctx.dir);
  // the Base's text style only when it is not the default, so a run pretrained from scratch keeps its fingerprint
  const fingerprint = { coldstart: cfg, seed: ctx.config.seed, train: fileHash(trainFile), ...(textStyle === 'mention' ? { textStyle } : {}) };
  if (!opts.force && stageDone(doneFile, fingerprint)) {
    ctx.log(`coldstart: reusing ${cotFile} (same settings; --force redoes it)`);
    return { cotFile, stats: readJson<RefineStats>(statsFile), reused: true };
  }
  const graph = opts.graph ?? (await loadRunGraph(ctx.dir));
  const all = await readJsonlAll<Item>(trainFile);
  const items = coldstartItems(all, cfg.traceShare, cfg.traceShareBy, ctx.config.seed);
  if (items.length < all.length) ctx.log(`coldstart: traces for ${items.length} of ${all.length} training items (coldstart.traceShare ${cfg.traceShare} of the ${cfg.traceShareBy === 'anchor' ? 'anchor groups' : 'items'}); RLVR meets the rest first`);
  const teacher = stageTeacher(ctx, graph);
  const res = await refineAll(items, teacher, { graph }, { k: cfg.k, depth: cfg.depth, seed: ctx.config.seed, filters: stageFilters(cfg) });
  const stats = res.stats;
  await writeJsonl(cotFile, res.rows);
  await writeJsonl(path.join(dir, 'cot-failures.jsonl'), res.failures);
  writeJson(statsFile, stats);
  markStageDone(doneFile, fingerprint);
  ctx.log(
    `coldstart: teacher ${teacher.name}: ${stats.verified}/${stats.items} items verified; first drafts right ${stats.firstDraftCorrect}, passing ${stats.firstDraftPassed}; ` +
      `kept strategies ${JSON.stringify(stats.strategies)}; ${stats.meanChars.toFixed(0)} characters per kept trace`,
  );
  return { cotFile, stats, reused: false };
}

/**
 * The training items the cold start writes traces for, in file order: a seeded draw of
 * ceil(share × n) anchor groups (src/rods/split.ts groupOf) with all their items, or of
 * ceil(share × n) single items.
 */
export function coldstartItems(items: readonly Item[], share: number, by: 'anchor' | 'item', seed: number): Item[] {
  if (share >= 1) return items.slice();
  const key = by === 'anchor' ? groupOf : (it: Item) => it.id;
  const units = [...new Set(items.map(key))].sort();
  const keep = new Set(new Rng(`coldstart-${by}s|${seed}`).sample(units, Math.ceil(share * units.length)));
  return items.filter((it) => keep.has(key(it)));
}

/**
 * The items of `items` whose anchors the cold start draws no traces for: coldstartItems() over
 * `train` (every training item, as the cold start draws them) with the run's trace share. RLVR's
 * 'untraced' draws (rlvr.stage1Items / stage2Items) and the export's stage-1 data both use it.
 */
export function untracedItems(items: readonly Item[], train: readonly Item[], cs: Pick<ColdstartConfig, 'traceShare' | 'traceShareBy'>, seed: number): Item[] {
  const traced = new Set(coldstartItems(train, cs.traceShare, cs.traceShareBy, seed).map((it) => it.id));
  return items.filter((it) => !traced.has(it.id));
}

/** The stage: distill(), then SFT of Base on the kept traces → +CoT (see the file comment). */
export async function run(ctx: RunContext, opts: { force?: boolean; graph?: KnowledgeGraph } = {}): Promise<ColdstartResult> {
  const d = await distill(ctx, opts);
  const sft = await runSft(ctx, { cot: d.cotFile, force: opts.force });
  ctx.log(`coldstart: ${sft.eval.split} accuracy Base ${(100 * sft.eval.base.accuracy).toFixed(1)}%, +CoT ${(100 * sft.eval.cot.accuracy).toFixed(1)}% (well-formed +CoT ${(100 * sft.eval.cot.wellFormedRate).toFixed(0)}%)`);
  return { ...d, sft };
}
