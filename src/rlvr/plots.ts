/** Figures of the GRPO stages: reward and zero-spread curves per step, the mined set per round. */
import * as path from 'node:path';
import { Figure, pngSkipNote, savePlot } from '../core/plot';
import type { RunContext } from '../core/run';
import type { GrpoRecord } from './loop';
import type { MiningRecord } from './plans';

/** A vertical line after `step` with a label (a stop rule, the stage switch). */
export interface StepMark {
  step: number;
  label: string;
}

/** The layout shapes and annotations that draw `marks` between steps. */
function markLayout(marks: readonly StepMark[]): Record<string, unknown> {
  return {
    shapes: marks.map((m) => ({ type: 'line', x0: m.step + 0.5, x1: m.step + 0.5, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#555' } })),
    annotations: marks.map((m) => ({ x: m.step + 0.5, yref: 'paper', y: 1.02, text: m.label, showarrow: false })),
  };
}

/** Line traces of per-step metrics: [name, value of a row, extra trace fields]. */
function stepLines(metrics: readonly GrpoRecord[], lines: [string, (m: GrpoRecord) => number, Record<string, unknown>?][]): Figure['data'] {
  const x = metrics.map((m) => m.step);
  return lines.map(([name, y, extra]) => ({ type: 'scatter', mode: 'lines', name, x, y: metrics.map(y), ...extra }));
}

/** Reward, correctness and format rates per step; vertical lines at `marks` (e.g. the stage switch). */
export function rewardFigure(metrics: readonly GrpoRecord[], title: string, marks: StepMark[] = []): Figure {
  return {
    data: stepLines(metrics, [
      ['reward (mean)', (m) => m.rewardMean],
      ['correct', (m) => m.correctRate],
      ['well-formed', (m) => m.formatRate],
      ['truncated', (m) => m.truncatedRate, { line: { dash: 'dot' } }],
    ]),
    layout: { title: { text: title }, xaxis: { title: { text: 'GRPO step' } }, yaxis: { title: { text: 'rate / reward' } }, ...markLayout(marks) },
  };
}

/** Zero-spread fraction per step, split into all-right and all-wrong groups. */
export function sparsityFigure(metrics: readonly GrpoRecord[], title: string, marks: StepMark[] = []): Figure {
  return {
    data: stepLines(metrics, [
      ['zero spread (all)', (m) => m.zeroSpread, { line: { width: 4 } }],
      ['all right', (m) => m.allRight, { line: { dash: 'dash' } }],
      ['all wrong', (m) => m.allWrong, { line: { dash: 'dot' } }],
    ]),
    layout: { title: { text: title }, xaxis: { title: { text: 'GRPO step' } }, yaxis: { title: { text: 'fraction of groups' }, range: [0, 1.05] }, ...markLayout(marks) },
  };
}

/** Mined-set size per round, by difficulty. */
export function miningFigure(rounds: readonly MiningRecord[]): Figure {
  const diffs = ['Difficult', 'Moderate', 'Easy'];
  return {
    data: diffs.map((d) => ({ type: 'bar', name: d, x: rounds.map((r) => `round ${r.round}`), y: rounds.map((r) => r.minedByDifficulty[d] ?? 0) })),
    layout: { title: { text: 'Stage 2: the mined hard set per round' }, barmode: 'stack', yaxis: { title: { text: 'items' } } },
  };
}

/** Writes figures to `<dir>/plots/` (HTML, and PNG where Chromium exists; a missing Chromium is said once). */
export function savePlots(ctx: RunContext, dir: string, figs: [string, Figure][]): void {
  for (const [name, fig] of figs) {
    const p = savePlot(fig, path.join(dir, 'plots'), name);
    const why = pngSkipNote(p);
    if (why) ctx.log(`rlvr: PNGs not written: ${why}`);
  }
}
