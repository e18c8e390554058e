/**
 * The Base's figures (plain plotly data, like lossFigure): the probes over training (copy loss on
 * the second copy against the first, option-lookup accuracy) with the targets drawn, and the
 * training loss of each skill. Dotted lines mark where a segment of the schedule ends.
 */
import type { Figure } from '../core/plot';
import { scheduleSegments } from './recipe';
import type { ProbeRow, ReleaseProbes, SkillCurve } from './status';
import { BASE_TARGETS } from './targets';

/** Options of the figures: the run's steps (x range) and schedule (segment boundaries). */
export interface BaseFigureOptions {
  steps?: number;
  schedule?: string | null;
  /** A release's final probes, drawn as markers at the last step. */
  final?: ReleaseProbes | null;
}

const SKILL_COLOURS: Record<string, string> = { knowledge: '#1f77b4', copy: '#d62728', lookup: '#2ca02c', option: '#9467bd' };

/** Vertical dotted lines (and labels) at the ends of the schedule's finite segments, within `steps`. */
function segmentMarks(schedule: string | null | undefined, steps: number): { shapes: Record<string, unknown>[]; annotations: Record<string, unknown>[] } {
  if (!schedule) return { shapes: [], annotations: [] };
  const segs = scheduleSegments(schedule);
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  let at = 0;
  for (let i = 0; i < segs.length - 1; i++) {
    at += segs[i].steps;
    if (at >= steps) break;
    shapes.push({ type: 'line', xref: 'x', yref: 'paper', x0: at, x1: at, y0: 0, y1: 1, line: { dash: 'dot', width: 1, color: '#888' } });
    annotations.push({ xref: 'x', yref: 'paper', x: at, y: 1, yanchor: 'bottom', showarrow: false, text: `${segs[i].pattern} → ${segs[i + 1].pattern}`, font: { size: 10, color: '#666' } });
  }
  return { shapes, annotations };
}

/** A dashed horizontal target line across [0, end] on axis `yaxis`. */
function targetLine(name: string, y: number, end: number, yaxis: string): Record<string, unknown> {
  return { type: 'scatter', mode: 'lines', name, x: [0, end], y: [y, y], yaxis, line: { dash: 'dash', color: '#2a2', width: 1.5 }, hoverinfo: 'name+y' };
}

/**
 * The probes over training: top, the copy probe's loss on the second copy and on the first (nats
 * per token) with the ≤ 0.5 target; bottom, option-lookup accuracy (%) with the ≥ 95% target.
 */
export function probeFigure(rows: readonly ProbeRow[], o: BaseFigureOptions = {}): Figure {
  const end = o.steps ?? rows[rows.length - 1]?.step ?? 1;
  const x = rows.map((r) => r.step);
  const line = (name: string, y: number[], yaxis: string, color: string, dash?: string) => ({ type: 'scatter', mode: 'lines+markers', name, x, y, yaxis, line: { color, ...(dash ? { dash } : {}) }, marker: { size: 4 } });
  const data: Record<string, unknown>[] = [
    line('copy probe: 2nd copy', rows.map((r) => r.copy), 'y', '#d62728'),
    line('copy probe: 1st copy', rows.map((r) => r.copyFirst), 'y', '#ff9896', 'dot'),
    targetLine(`target: 2nd copy ≤ ${BASE_TARGETS.copy} nats`, BASE_TARGETS.copy, end, 'y'),
    line('option lookup (200 drills)', rows.map((r) => Math.round(1000 * r.option) / 10), 'y2', '#9467bd'),
    targetLine(`target: option lookup ≥ ${100 * BASE_TARGETS.option}%`, 100 * BASE_TARGETS.option, end, 'y2'),
  ];
  const f = o.final;
  if (f) {
    const marker = (name: string, y: number, yaxis: string, color: string) => ({ type: 'scatter', mode: 'markers', name, x: [end], y: [y], yaxis, marker: { symbol: 'star', size: 12, color } });
    data.push(marker(`release: 2nd copy ${f.copy.secondCopyNll.toFixed(2)}`, f.copy.secondCopyNll, 'y', '#d62728'));
    data.push(marker(`release: option lookup ${(100 * f.option.accuracy).toFixed(1)}% (${f.option.drills.toLocaleString('en-US')} drills)`, Math.round(1000 * f.option.accuracy) / 10, 'y2', '#9467bd'));
  }
  const marks = segmentMarks(o.schedule, end);
  return {
    data,
    layout: {
      title: { text: 'The Base over training: copy probe and option lookup, against the targets' },
      xaxis: { title: { text: 'step' }, range: [0, 1.03 * end], anchor: 'y2' },
      yaxis: { title: { text: 'copy loss (nats / token)' }, domain: [0.55, 1], rangemode: 'tozero' },
      yaxis2: { title: { text: 'option lookup (%)' }, domain: [0, 0.42], range: [0, 100], anchor: 'x' },
      legend: { font: { size: 10 } },
      ...marks,
    },
  };
}

/** Training loss of each skill (mean over bins of steps; SkillCurve). */
export function skillLossFigure(curves: readonly SkillCurve[], o: BaseFigureOptions = {}): Figure {
  const end = o.steps ?? Math.max(1, ...curves.flatMap((c) => c.step));
  const marks = segmentMarks(o.schedule, end);
  return {
    data: curves.map((c) => ({ type: 'scatter', mode: 'lines', name: `${c.skill} (${c.steps.toLocaleString('en-US')} steps)`, x: c.step, y: c.loss, line: { color: SKILL_COLOURS[c.skill] } })),
    layout: {
      title: { text: 'The Base: training loss per skill (mean over bins of steps)' },
      xaxis: { title: { text: 'step' }, range: [0, end] },
      yaxis: { title: { text: 'token cross-entropy (nats)' }, rangemode: 'tozero' },
      ...marks,
    },
  };
}
