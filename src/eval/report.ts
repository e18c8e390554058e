/** eval/report.md: the report card (tables, fit counts, verifiability, plots, examples, config). */
import * as path from 'node:path';
import { type BaseOrigin, duration, trainedOn } from '../base/status';
import { baseTargets, metText } from '../base/targets';
import { markdownTable } from '../core/markdown';
import type { SavedPlot } from '../core/plot';
import type { Decoding } from './generators';
import type { BenchmarkSet, ModelEntry } from './inputs';
import { type Cell, type ModelSummary, SYNTHETIC, type Table } from './summary';

export interface ReportExample {
  model: string;
  itemId: string;
  answer: string;
  difficulty: string;
  completion: string;
  strict: string | null;
  lenient: string | null;
  claims: { text: string; supported: boolean; sentence: string }[];
}

export interface ReportInput {
  runDir: string;
  models: readonly ModelEntry[];
  summaries: readonly ModelSummary[];
  columns: readonly string[];
  sets: readonly BenchmarkSet[];
  note: string | null;
  t3: Table;
  t4: Table;
  /** Markdown of the plots (image links relative to eval/). */
  plots: string;
  examples: readonly ReportExample[];
  decoding: Decoding;
  seconds: number;
  generated: number;
  reused: number;
  /** Items whose request failed for good (errors.jsonl). */
  errors: number;
  rewardSeries: number;
  /** The run's RODS items per held-out split (null: the run has none). */
  splits: { validation: number; test: number } | null;
  config: unknown;
  /** Which Base the run's coldstart/base started from (src/base/status.ts runBaseOrigin); no section when absent or 'none'. */
  base?: BaseOrigin;
}

/** Which split Table 4 reads and which one the settings were chosen on. */
export function splitNote(splits: ReportInput['splits']): string {
  if (!splits) return '';
  const test = `Held-out synthetic items: the RODS test split (${splits.test} items; the first eval.testItems of them are decoded, all when 0), read only by this evaluation.`;
  if (!splits.validation) return `${test} This run's items have no validation split (rods.validationShare = 0, or made before it existed): the stages' own evaluations read the test split too.\n`;
  return `${test} Settings were chosen on the validation split (${splits.validation} items; whole anchor groups, disjoint from train and test): the stages' own evaluations (coldstart/base/eval.json, coldstart/sft/eval.json, rlvr/eval.json) read it.\n`;
}

/** Image links (PNG when rendered, else the HTML), relative to the eval directory. */
export function plotsSection(plots: Record<string, SavedPlot>, evalDir: string): string {
  return Object.entries(plots)
    .map(([name, p]) => (p.png ? `![${name}](${path.relative(evalDir, p.png)})` : `- ${name}: [${path.relative(evalDir, p.html)}](${path.relative(evalDir, p.html)}) (no PNG: ${p.pngSkipped})`))
    .join('\n\n');
}

/**
 * "The Base": for a run tuned from a released Base, the release's probes against the targets, the
 * sha256 of the weights the run started from and the recipe's command; for a run that pretrained
 * its own, one line; nothing when the run has no finished Base.
 */
export function baseSection(o: BaseOrigin | undefined): string {
  if (!o || o.kind === 'none') return '';
  if (o.kind === 'own') return `\n## The Base\nThis run pretrained its own Base (knowledge pretraining, then direct-answer tuning, in \`coldstart/base\`), not starting from a released one.\n`;
  const st = o.now;
  const model = o.trainedFrom['model.safetensors'] ?? '—';
  const r = st?.recipe;
  const made = r ? ` It was trained by \`${r.command}\` (seed ${r.seed}, ${r.steps.toLocaleString('en-US')} steps, ${duration(r.wallSeconds)} on ${trainedOn(r)}).` : '';
  const changed = o.changed.length ? ` Since this run used it, the release changed (${o.changed.join(', ')}): the probes below are of the release there now.` : '';
  const broken = st && !st.manifest.ok ? ` The release there does not match its manifest now (${st.manifest.problems.join('; ')}).` : '';
  const drift = st ? changed + broken : ` The release is no longer in \`${o.dir}\`; its probes cannot be shown.`;
  const table = st ? `\n\n${markdownTable(['probe', 'target', 'release', 'met'], baseTargets({ probes: st.probes }).map((t) => [t.probe, t.target, t.measured, metText(t.met)]))}` : '';
  return `\n## The Base\nThis run started from the released Base in \`${o.dir}\` (model.safetensors sha256 \`${model}\`) and only tuned it to answer directly.${made}${drift}${table}\n`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);

/** Table 4's columns, each a model's cell. */
const COLUMNS: [string, (s: ModelSummary) => Cell | null | undefined][] = [
  ...(['Easy', 'Moderate', 'Difficult'] as const).map((d): [string, (s: ModelSummary) => Cell | undefined] => [d, (s) => s.byDifficulty[d]]),
  ['long tail', (s) => s.longTail],
];

/**
 * The thoughts' links by Table 4's column (reads / recalls / strict, with the items), for the models with thoughts:
 * which link a column's gain, or its lag, comes from. Empty when no model has thoughts.
 */
export function linksByColumn(summaries: readonly ModelSummary[]): string {
  const cellText = (c: Cell | null | undefined) => (!c ? '—' : `${c.anatomy.n ? `${pct(c.anatomy.reads)} / ${pct(c.anatomy.recalls)}` : '— / —'} / ${pct(c.strict.mean)} (${c.n})`);
  const rows = summaries.filter((s) => s.benchmarks[SYNTHETIC]?.anatomy.n).map((s) => [s.label, ...COLUMNS.map(([, get]) => cellText(get(s)))]);
  if (!rows.length) return '';
  return `\nBy Table 4's column, *reads* / *recalls* / strict (items): a column's gain, or its lag, shows in the link that moves.\n\n${markdownTable(['model', ...COLUMNS.map(([name]) => name)], rows)}\n`;
}

export function renderReport(r: ReportInput): string {
  const notRun = r.models.filter((m) => m.notRun);
  const fitHeader = ['model', ...r.columns.map((c) => `${c} (fit / drawn)`)];
  const fitRows = r.summaries.map((s) => [s.label, ...r.columns.map((c) => `${s.benchmarks[c].n} / ${s.benchmarks[c].total}`)]);
  const k = r.decoding.samples;
  const verRows = r.summaries.map((s) => {
    const c = s.benchmarks[SYNTHETIC];
    const letters = c ? Object.entries(c.predicted).map(([l, n]) => `${l} ${n}`).join(', ') : '—';
    const row = c ? [s.label, pct(c.strict.mean), pct(c.chance), pct(c.lenient.mean), pct(c.n ? c.parseFailure : null), letters, c.claims.total, pct(c.claims.share), c.meanTokens.toFixed(1)] : [s.label, '—', '—', '—', '—', '—', 0, '—', '—'];
    return k > 1 ? [...row, pct(c?.passAtK?.mean)] : row;
  });
  const anatomyRows = r.summaries.map((s) => {
    const c = s.benchmarks[SYNTHETIC];
    const a = c?.anatomy;
    const copy = s.copy ? `${s.copy.secondCopyNll.toFixed(2)} / ${s.copy.firstCopyNll.toFixed(2)}` : '—';
    return a && a.n ? [s.label, a.n, pct(a.reads), pct(a.recalls), pct(a.namesOption), pct(a.picks), pct(c.strict.mean), copy] : [s.label, 0, '— (no thought)', '—', '—', '—', pct(c?.strict.mean), copy];
  });
  const decoding = r.decoding.samples > 1 ? `${r.decoding.samples} samples per item at temperature ${r.decoding.temperature} (mean accuracy; pass@k in summary.json)` : 'greedy';
  const ex = r.examples
    .map((e) => [
      `**${e.model}** on \`${e.itemId}\` (${e.difficulty}; answer ${e.answer}; strict ${e.strict ?? 'none'}, lenient ${e.lenient ?? 'none'})`,
      '```',
      e.completion.trim(),
      '```',
      e.claims.length ? e.claims.map((c) => `- ${c.supported ? '✓ supported' : '✗ unsupported'}: ${c.text}`).join('\n') : '- no claim read',
    ].join('\n'))
    .join('\n\n');
  return `# Evaluation report

Run: \`${r.runDir}\`. Decoding: ${decoding}, at most ${r.decoding.maxNewTokens} new tokens (checkpoints). Answer: the letter in the last \`<answer>X</answer>\` (strict, as the paper); lenient: the MMLU-Pro cascade.
${r.generated} completions generated and ${r.reused} reused from results.jsonl in ${r.seconds.toFixed(1)} s; errors: ${r.errors}${r.errors ? ' (items whose request failed for good, listed in errors.jsonl, left out of the accuracy and asked again on the next run)' : ''}.
${notRun.length ? `\nNot run: ${notRun.map((m) => `${m.label} (${m.notRun?.replace(/^not run \((.*)\)$/, "$1")})`).join('; ')}.\n` : ''}${r.note ? `\nBenchmarks: ${r.note}.\n` : ''}${baseSection(r.base)}
## Table 3: models × benchmarks
${r.t3.markdown}
## Table 4: the stages on held-out synthetic items
${splitNote(r.splits)}${r.t4.markdown}
## What fit the context
Items whose prompt plus the generation budget exceed a model's context are not decoded; they are counted here and left out of the accuracy.
${markdownTable(fitHeader, fitRows)}

${r.sets.length ? markdownTable(['benchmark', 'items loaded', 'rows skipped by the loader', 'in the training mix', 'drawn'], r.sets.map((s) => [s.name, s.loaded, s.skipped, s.inTraining, s.drawn])) : ''}

## Reasoning verifiability (held-out synthetic items)
Relations stated inside \`<think>\`, read by the template matcher (src/eval/claims.ts: the teacher's and the pretraining phrasings over node names; paraphrases are not read) and checked on the graph.
${markdownTable(['model', k > 1 ? `strict (mean of ${k})` : 'strict', 'chance', 'lenient', 'parse failure', 'letters predicted', 'claims read', 'supported', 'tokens per completion', ...(k > 1 ? [`pass@${k}`] : [])], verRows)}

## Where the thoughts break (held-out synthetic items)
Each thought is read with the graph's names (src/eval/anatomy.ts). *Reads*: it names the item's subject (the drug or disease in the question, or one of a diagnosis's clues). *Recalls*: it names the right option's entity. *Picks*: of the thoughts naming an option, the share whose answer letter is the option named last (an in-context lookup; 1 / options by chance). An answer the thought earns needs all three; the others are guesses (chance 1 / options), so the lowest share is the missing skill. *Copy probe*: the checkpoint's loss on the second copy of a repeated random token sequence against the first (src/base/copy.ts); reading and picking are copies from the context, and a model that can copy brings the second near 0.

${markdownTable(['model', 'thoughts', 'reads the question', 'recalls the answer', 'names an option', 'picks its letter', 'strict', 'copy probe (2nd / 1st copy loss)'], anatomyRows)}
${linksByColumn(r.summaries)}
## Plots
${r.plots}
${r.rewardSeries ? '' : '\nReward curves: no rlvr/stage*/metrics.jsonl in this run yet.\n'}
## Examples
${ex || 'none'}

## Configuration
<details><summary>config.json of the run</summary>

\`\`\`json
${JSON.stringify(r.config, null, 2)}
\`\`\`
</details>
`;
}
