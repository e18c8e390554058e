/**
 * The evaluation's figures (plain plotly data; savePlot writes HTML + PNG):
 *   accuracy by stage and difficulty (grouped bars), reward curves of the RL stages (from
 *   rlvr/stage{1,2}/metrics.jsonl when present), and a MedXpertQA-style horizontal bar chart of
 *   accuracy across models.
 */
import * as fs from 'node:fs';
import type { Figure } from '../core/plot';
import { DIFFICULTIES } from '../rods/item';
import { type ModelSummary, SYNTHETIC } from './summary';

const pct = (x: number) => Math.round(1000 * x) / 10;

/** Grouped bars: one group per difficulty (and overall), one bar per stage, with CI whiskers. */
export function accuracyByStageFigure(stages: readonly ModelSummary[]): Figure {
  const groups = ['all', ...DIFFICULTIES];
  return {
    data: stages.map((m) => {
      const cells = groups.map((g) => (g === 'all' ? m.benchmarks[SYNTHETIC] : m.byDifficulty[g]));
      return {
        type: 'bar',
        name: m.label,
        x: groups,
        y: cells.map((c) => (c?.n ? pct(c.strict.mean) : null)),
        error_y: { type: 'data', symmetric: false, array: cells.map((c) => (c?.n ? pct(c.strict.hi - c.strict.mean) : 0)), arrayminus: cells.map((c) => (c?.n ? pct(c.strict.mean - c.strict.lo) : 0)) },
        hovertext: cells.map((c) => `n=${c?.n ?? 0}`),
      };
    }),
    layout: { title: { text: 'Held-out synthetic items: strict accuracy by stage and difficulty (95% CI)' }, barmode: 'group', yaxis: { title: { text: 'accuracy (%)' }, range: [0, 100] } },
  };
}

/** One RL stage's reward series, read loosely from its metrics.jsonl. */
export interface RewardSeries {
  stage: string;
  file: string;
  steps: number[];
  reward: number[];
}

const REWARD_KEYS = ['reward', 'rewardMean', 'reward_mean', 'meanReward', 'reward/mean', 'rewards/mean'];

/**
 * The mean-reward series of a metrics.jsonl (null when the file is missing). Each line may carry
 * the reward under any of REWARD_KEYS (or `reward: {mean}`), and the step as `step` (else its line
 * number); lines without a reward (e.g. evaluation records) are skipped.
 */
export function readRewardSeries(stage: string, file: string): RewardSeries | null {
  if (!fs.existsSync(file)) return null;
  const steps: number[] = [];
  const reward: number[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    let v: unknown = REWARD_KEYS.map((k) => r[k]).find((x) => x !== undefined);
    if (v && typeof v === 'object') v = (v as { mean?: unknown }).mean;
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    steps.push(typeof r.step === 'number' ? r.step : i + 1);
    reward.push(v);
  });
  return { stage, file, steps, reward };
}

export function rewardFigure(series: readonly RewardSeries[]): Figure {
  return {
    data: series.map((s) => ({ type: 'scatter', mode: 'lines', name: s.stage, x: s.steps, y: s.reward })),
    layout: {
      title: { text: series.length ? 'GRPO: mean reward per step' : 'GRPO: no RL stage has run yet (no rlvr/stage*/metrics.jsonl)' },
      xaxis: { title: { text: 'step' } },
      yaxis: { title: { text: 'mean reward' } },
    },
  };
}

/** Horizontal bars of one benchmark's accuracy across models (the paper's MedXpertQA figure). */
export function modelBarFigure(models: readonly ModelSummary[], benchmark: string): Figure {
  const ms = models.filter((m) => m.benchmarks[benchmark]?.n);
  const sorted = [...ms].sort((a, b) => a.benchmarks[benchmark].strict.mean - b.benchmarks[benchmark].strict.mean);
  return {
    data: [
      {
        type: 'bar',
        orientation: 'h',
        y: sorted.map((m) => `${m.label}  ${pct(m.benchmarks[benchmark].strict.mean)}% (n=${m.benchmarks[benchmark].n})`),
        x: sorted.map((m) => pct(m.benchmarks[benchmark].strict.mean)),
        error_x: { type: 'data', symmetric: false, array: sorted.map((m) => pct(m.benchmarks[benchmark].strict.hi - m.benchmarks[benchmark].strict.mean)), arrayminus: sorted.map((m) => pct(m.benchmarks[benchmark].strict.mean - m.benchmarks[benchmark].strict.lo)) },
        marker: { color: sorted.map((_, i) => (i === sorted.length - 1 ? '#c0392b' : '#7f8c8d')) },
      },
    ],
    layout: { title: { text: `${benchmark}: strict accuracy across models (95% CI)` }, xaxis: { title: { text: 'accuracy (%)' }, range: [0, 100] }, margin: { l: 220 } },
  };
}
