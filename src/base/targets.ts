/**
 * The Base's targets (issue 15), measured: copy ≤ 0.5 nats on the second copy, option lookup
 * ≥ 95% on 1,000 held-out drills, knowledge ceiling ≥ 90% on the default world's test items, and
 * held-out-phrasing fact recall reported. One table for notebook 03b and eval/report.md.
 */
import type { ProbeRow, ReleaseProbes } from './status';

/** The targets a released Base is held to. */
export const BASE_TARGETS = {
  /** Most nats per token on the copy probe's second copy. */
  copy: 0.5,
  /** Least option-lookup accuracy, on at least `drills` held-out drills. */
  option: 0.95,
  drills: 1000,
  /** Least knowledge ceiling on the default world's test items. */
  ceiling: 0.9,
};

/** One target: what is measured against what, and whether it is met (null: not measured, or not judged). */
export interface TargetRow {
  probe: string;
  target: string;
  measured: string;
  met: boolean | null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const int = (n: number) => n.toLocaleString('en-US');

/** Copy and option rows from a release's final probes. */
function finalRows(p: ReleaseProbes): TargetRow[] {
  const t = BASE_TARGETS;
  return [
    { probe: 'copy: 2nd-copy loss', target: `≤ ${t.copy} nats`, measured: `${p.copy.secondCopyNll.toFixed(2)} nats (1st copy ${p.copy.firstCopyNll.toFixed(2)})`, met: p.copy.secondCopyNll <= t.copy },
    { probe: 'option lookup', target: `≥ ${pct(t.option)} on ${int(t.drills)} held-out drills`, measured: `${pct(p.option.accuracy)} on ${int(p.option.drills)} drills (chance ${pct(p.option.chance)})`, met: p.option.accuracy >= t.option && p.option.drills >= t.drills },
  ];
}

/** Copy and option rows from the latest training-time probe (200 drills: an option accuracy over the target is not judged). */
function latestRows(r: ProbeRow): TargetRow[] {
  const t = BASE_TARGETS;
  const at = `step ${int(r.step)}, training probe`;
  return [
    { probe: 'copy: 2nd-copy loss', target: `≤ ${t.copy} nats`, measured: `${r.copy.toFixed(2)} nats (1st copy ${r.copyFirst.toFixed(2)}; ${at})`, met: r.copy <= t.copy },
    { probe: 'option lookup', target: `≥ ${pct(t.option)} on ${int(t.drills)} held-out drills`, measured: `${pct(r.option)} (${at}, 200 drills)`, met: r.option < t.option ? false : null },
  ];
}

/**
 * The targets table: from a release's final probes (probes.json) when there are any, else from
 * the latest training-time probe, else nothing measured.
 */
export function baseTargets(source: { probes?: ReleaseProbes | null; latest?: ProbeRow | null }): TargetRow[] {
  const t = BASE_TARGETS;
  const p = source.probes;
  const none = 'not measured yet';
  const head = p ? finalRows(p) : source.latest ? latestRows(source.latest) : [
    { probe: 'copy: 2nd-copy loss', target: `≤ ${t.copy} nats`, measured: none, met: null },
    { probe: 'option lookup', target: `≥ ${pct(t.option)} on ${int(t.drills)} held-out drills`, measured: none, met: null },
  ];
  const c = p?.ceiling;
  const ceiling: TargetRow = { probe: 'knowledge ceiling', target: `≥ ${pct(t.ceiling)} on the default world's test items`, measured: c ? `${pct(c.accuracy)} on ${int(c.n)} items` : p ? 'not in probes.json' : none, met: c ? c.accuracy >= t.ceiling : null };
  const r = p?.recall;
  const recall: TargetRow = { probe: 'fact recall, held-out phrasing', target: 'reported', measured: r ? `${pct(r.heldOut.accuracy)} (chance ${pct(r.heldOut.chance)}, ${int(r.heldOut.edges)} edges); seen phrasing ${pct(r.seen.accuracy)}` : p ? 'not in probes.json' : none, met: null };
  return [...head, ceiling, recall];
}

/** 'yes' / 'no' / '—' for a target's `met`. */
export function metText(met: boolean | null): string {
  return met === null ? '—' : met ? 'yes' : 'no';
}
