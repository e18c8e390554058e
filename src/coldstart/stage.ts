/**
 * CoT cold start.   Command: `fleming coldstart [--run DIR]`
 *
 * A teacher sees each training item with its known answer and writes a concise chain of thought;
 * flawed traces go through the refinement loop (backtracking, path exploration, self-correction,
 * pass@k); only traces that pass the verifiable filters are kept. Base is then fine-tuned on them
 * (completion-only loss) into the "+CoT" policy, and Base and +CoT are evaluated alike.
 * Writes coldstart/cot.jsonl, cot-failures.jsonl, cot-stats.json and coldstart/sft/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunContext, stageDone, markStageDone, fileHash } from '../core/run';
import { readJson, readJsonlAll, writeJson, writeJsonl } from '../core/io';
import { LlmClient } from '../core/llm';
import type { KnowledgeGraph } from '../graph/graph';
import { loadRunGraph } from '../graph/stage';
import type { Item } from '../rods/item';
import { GraphTeacher, LlmTeacher, refineAll, RefineStats, Teacher } from './cot/index';
import { runSft, SftResult } from './sft';

export interface ColdstartResult {
  stats: RefineStats;
  sft: SftResult;
  reused: boolean;
}

export async function run(ctx: RunContext, opts: { force?: boolean; graph?: KnowledgeGraph } = {}): Promise<ColdstartResult> {
  const cfg = ctx.config.coldstart;
  const dir = ctx.stageDir('coldstart');
  const trainFile = path.join(ctx.dir, 'rods', 'train.jsonl');
  if (!fs.existsSync(trainFile)) throw new Error(`${trainFile}: no training items; run \`fleming rods --run ${ctx.dir}\` first`);
  const cotFile = path.join(dir, 'cot.jsonl');
  const statsFile = path.join(dir, 'cot-stats.json');
  const doneFile = path.join(dir, 'cot-done.json');
  const fingerprint = { coldstart: cfg, seed: ctx.config.seed, train: fileHash(trainFile) };
  let stats: RefineStats;
  let reused = false;
  if (!opts.force && stageDone(doneFile, fingerprint)) {
    ctx.log(`coldstart: reusing ${cotFile} (same settings; --force redoes it)`);
    stats = readJson<RefineStats>(statsFile);
    reused = true;
  } else {
    const graph = opts.graph ?? (await loadRunGraph(ctx.dir));
    const items = await readJsonlAll<Item>(trainFile);
    const teacher: Teacher = cfg.teacher
      ? new LlmTeacher(new LlmClient({ baseUrl: cfg.teacher.baseUrl, model: cfg.teacher.model, apiKeyEnv: cfg.teacher.apiKeyEnv, maxConcurrency: cfg.teacher.maxConcurrency, cacheDir: path.join(ctx.dir, 'cache', 'llm') }), { model: cfg.teacher.model })
      : new GraphTeacher(graph);
    const res = await refineAll(items, teacher, { graph }, { k: cfg.k, depth: cfg.depth, seed: ctx.config.seed, filters: { maxChars: cfg.maxChars } });
    stats = res.stats;
    await writeJsonl(cotFile, res.rows);
    await writeJsonl(path.join(dir, 'cot-failures.jsonl'), res.failures);
    writeJson(statsFile, stats);
    markStageDone(doneFile, fingerprint);
    ctx.log(
      `coldstart: teacher ${teacher.name}: ${stats.verified}/${stats.items} items verified; first drafts right ${stats.firstDraftCorrect}, passing ${stats.firstDraftPassed}; kept strategies ${JSON.stringify(stats.strategies)}`,
    );
  }
  const sft = await runSft(ctx, { cot: cotFile, force: opts.force && !reused });
  ctx.log(`coldstart: test accuracy Base ${(100 * sft.eval.base.accuracy).toFixed(1)}%, +CoT ${(100 * sft.eval.cot.accuracy).toFixed(1)}% (well-formed +CoT ${(100 * sft.eval.cot.wellFormedRate).toFixed(0)}%)`);
  return { stats, sft, reused };
}
