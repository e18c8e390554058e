import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { groupStats, mean } from '../../src/rlvr/advantage';
import { type Stage1Rules, stage1Stop } from '../../src/rlvr/plans';
import { tempDir } from '../helpers/tmp';

const SCRIPT = path.resolve(__dirname, '..', '..', 'recipes', 'verl', 'stage1_stop.py');
const tmp = tempDir('fleming-stage1-stop-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Steps of 4 prompts × 4 rollouts; scores drawn from the reward's values, more uniform groups as steps go on. */
function dumps(dir: string, seed: number, steps: number): number[][] {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const values = [0, 0.25, 1, 1.25];
  const all: number[][] = [];
  for (let s = 1; s <= steps; s++) {
    const scores: number[] = [];
    const lines: string[] = [];
    for (let g = 0; g < 4; g++) {
      const same = rng.next() < s / steps; // later steps: more zero-spread groups
      const v0 = values[rng.int(4)];
      for (let i = 0; i < 4; i++) {
        const score = same ? v0 : values[rng.int(4)];
        scores.push(score);
        lines.push(JSON.stringify({ input: `<|user|>question ${s}-${g}<|assistant|>`, output: 'x', gts: 'A', score, step: s, correctness: score >= 1 ? 1 : 0 }));
      }
    }
    fs.writeFileSync(path.join(dir, `${s}.jsonl`), lines.join('\n') + '\n');
    all.push(scores);
  }
  return all;
}

/** The step and rule at which the workbench's stage1Stop fires on these steps, as its loop applies it after each step. */
function workbench(steps: number[][], rules: Stage1Rules): [string, number] | null {
  const zero: number[] = [];
  const reward: number[] = [];
  for (const [i, scores] of steps.entries()) {
    zero.push(groupStats(scores, scores.map((x) => x >= 1), 4).zeroSpread);
    reward.push(mean(scores));
    const f = stage1Stop(zero, reward, rules);
    if (f) return [f.rule, i + 1];
  }
  return null;
}

describe('recipes/verl/stage1_stop.py', () => {
  it("fires the workbench's stage-1 rule (src/rlvr/plans.ts stage1Stop) at the same step, on verl's rollout dumps", () => {
    const seen = new Set<string>();
    const rulesets: Stage1Rules[] = [
      { minSteps: 4, sparsityThreshold: 0.7, sparsityWindow: 3, plateauWindow: 0, plateauDelta: 0 },
      { minSteps: 2, sparsityThreshold: 1.1, sparsityWindow: 3, plateauWindow: 2, plateauDelta: 0 },
      { minSteps: 8, sparsityThreshold: 0.7, sparsityWindow: 4, plateauWindow: 4, plateauDelta: 0.05 },
      { minSteps: 0, sparsityThreshold: 1.1, sparsityWindow: 1, plateauWindow: 0, plateauDelta: 0 },
    ];
    for (const [i, rules] of rulesets.entries())
      for (const seed of [1, 2, 3]) {
        const dir = path.join(tmp, `r${i}s${seed}`);
        const want = workbench(dumps(dir, seed, 12), rules);
        const manifest = path.join(dir, 'manifest.json');
        fs.writeFileSync(manifest, JSON.stringify({ verl: { stage1Stop: rules } }));
        const r = spawnSync('python3', [SCRIPT, '--rollouts', dir, '--manifest', manifest], { encoding: 'utf8' });
        if (r.error) throw new Error(`python3 could not run (${r.error.message}): the test needs the standard-library Python on PATH`);
        const m = /stage 1 stop: (\w+) after step (\d+)/.exec(r.stdout);
        expect(m ? [m[1], Number(m[2])] : null, `rules ${i}, seed ${seed}: ${r.stdout}`).toEqual(want);
        expect(r.status).toBe(want ? 0 : 3);
        seen.add(want ? want[0] : 'none');
      }
    expect([...seen].sort()).toEqual(['none', 'plateau', 'sparsity']); // the table reaches every outcome
  });
});
