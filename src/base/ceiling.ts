/**
 * The released Base's knowledge ceiling on the default world's test items (target ≥ 90%,
 * src/base/targets.ts): the graph and RODS stages of a run with this config (whose world follows
 * the release: src/graph/world.ts) in a scratch directory, then knowledgeCeiling()
 * (src/coldstart/sft/ceiling.ts) of the released model on the run's test split, in the release's
 * 'mention' text. `fleming base` adds it to probes.json once the release is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunConfig } from '../core/config';
import { readJsonlAll } from '../core/io';
import { openRun } from '../core/run';
import * as graphStage from '../graph/stage';
import { loadCheckpoint } from '../model/checkpoint';
import { loadTokenizer } from '../model/tokenizer';
import type { Item } from '../rods/item';
import * as rodsStage from '../rods/stage';
import { groupOf } from '../rods/split';
import { knowledgeCeiling } from '../coldstart/sft/ceiling';

/** What probes.json records of the ceiling. */
export interface ReleaseCeiling {
  /** Test items scored (synthetic items with a graph query). */
  n: number;
  accuracy: number;
  accuracyPerToken: number;
  byType: Record<string, { n: number; accuracy: number }>;
  /** Anchor groups of the test split (src/rods/split.ts groupOf), and how many of them are diseases. */
  anchors: number;
  anchorDiseases: number;
}

/** The ceiling of the release in `releaseDir` on the test items of a run with `config` (built in a scratch directory, then removed). */
export async function releaseCeiling(config: RunConfig, releaseDir: string, log: (m: string) => void): Promise<ReleaseCeiling> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-base-ceiling-'));
  try {
    const ctx = openRun({ ...config, runDir: scratch, base: { ...config.base, release: releaseDir } }, { quiet: true });
    const g = await graphStage.run(ctx);
    await rodsStage.run(ctx, { graph: g.graph });
    const test = (await readJsonlAll<Item>(path.join(ctx.dir, 'rods', 'items.jsonl'))).filter((it) => it.split === 'test');
    const { model } = loadCheckpoint(releaseDir);
    try {
      const r = knowledgeCeiling(model, loadTokenizer(releaseDir), g.graph, test, 'mention');
      const groups = [...new Set(test.map(groupOf))];
      const anchorDiseases = groups.filter((id) => g.graph.nodes.some((n) => n.id === id && n.type === 'disease')).length;
      log(`base: knowledge ceiling ${(100 * r.accuracy).toFixed(1)}% on ${r.n} test items of the default world (${groups.length} anchors, ${anchorDiseases} of them diseases; target ≥ 90%)`);
      return { n: r.n, accuracy: r.accuracy, accuracyPerToken: r.accuracyPerToken, byType: r.byType, anchors: groups.length, anchorDiseases };
    } finally {
      model.dispose();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
