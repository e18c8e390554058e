import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBaseOrigin } from '../../src/base/status';
import { Rng } from '../../src/core/rng';
import { baseSection, linksByColumn, renderReport } from '../../src/eval/report';
import type { ResultRow } from '../../src/eval/results';
import { SYNTHETIC, summarizeModel } from '../../src/eval/summary';
import { FIXTURE_PROBES, fixtureRelease, sha } from '../base/status-fixture';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-report-base-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A run directory whose coldstart/base was tuned from `release` (done.json, trainer_state.json as src/base/stage.ts writes them), or pretrained its own. */
function fixtureRun(name: string, o: { release?: string; from?: boolean; done?: boolean } = {}): string {
  const run = path.join(root, name);
  const base = path.join(run, 'coldstart', 'base');
  fs.mkdirSync(base, { recursive: true });
  fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ seed: 1234, base: { release: o.release ?? '' } }));
  if (o.done === false) return run;
  const files = o.release ? (JSON.parse(fs.readFileSync(path.join(o.release, 'manifest.json'), 'utf8')) as { files: Record<string, string> }).files : undefined;
  fs.writeFileSync(path.join(base, 'done.json'), JSON.stringify({ fingerprint: { pretrain: {}, seed: 1234, items: 'x', graph: 'y', ...(files ? { release: files } : {}) }, finishedAt: '2025-01-01T00:00:00Z' }));
  const extra = { phases: o.release ? { tune: 60 } : { lm: 400, tune: 60 }, stage: 'base', ...(o.release && o.from !== false ? { from: o.release } : {}) };
  fs.writeFileSync(path.join(base, 'trainer_state.json'), JSON.stringify({ step: 60, extra }));
  return run;
}

describe('eval report: the Base', () => {
  it('runBaseOrigin() of a run without a finished Base is none, and the report has no Base section', () => {
    const run = fixtureRun('unfinished', { done: false });
    expect(runBaseOrigin(run)).toEqual({ kind: 'none' });
    expect(baseSection(runBaseOrigin(run))).toBe('');
    expect(baseSection(undefined)).toBe('');
  });

  it('a run that pretrained its own Base says so in one line', () => {
    const run = fixtureRun('own');
    expect(runBaseOrigin(run)).toEqual({ kind: 'own', dir: path.join(run, 'coldstart', 'base') });
    const s = baseSection(runBaseOrigin(run));
    expect(s.trim().split('\n')).toEqual(['## The Base', 'This run pretrained its own Base (knowledge pretraining, then direct-answer tuning, in `coldstart/base`), not starting from a released one.']);
  });

  it('a run tuned from a release shows the release’s probes against the targets, the weights’ sha256 and the recipe’s command', () => {
    const rel = fixtureRelease(path.join(root, 'r1'));
    const run = fixtureRun('from-release', { release: rel });
    const o = runBaseOrigin(run);
    expect(o).toMatchObject({ kind: 'release', dir: rel, changed: [] });
    const s = baseSection(o);
    expect(s).toContain(`This run started from the released Base in \`${rel}\` (model.safetensors sha256 \`${sha(path.join(rel, 'model.safetensors'))}\`) and only tuned it to answer directly.`);
    expect(s).toContain('It was trained by `fleming base --hours 2` (seed 1234, 12 steps, 2.0 h on wasm).');
    expect(s).toContain('| probe | target | release | met |');
    expect(s).toContain('| copy: 2nd-copy loss | ≤ 0.5 nats | 0.43 nats (1st copy 8.12) | yes |');
    expect(s).toContain('| option lookup | ≥ 95.0% on 1,000 held-out drills | 90.0% on 1,000 drills (chance 21.0%) | no |');
    expect(s).toContain("| knowledge ceiling | ≥ 90.0% on the default world's test items | not in probes.json | — |");
    expect(s).toContain('| fact recall, held-out phrasing | reported | 61.0% (chance 20.0%, 480 edges); seen phrasing 70.0% | — |');
    expect(s).not.toMatch(/changed|no longer|does not match/);
  });

  it('without the checkpoint’s `from`, the run’s config names the release; a release changed since, or gone, is said', () => {
    const rel = fixtureRelease(path.join(root, 'r2'));
    const run = fixtureRun('from-config', { release: rel, from: false });
    expect(runBaseOrigin(run)).toMatchObject({ kind: 'release', dir: rel, changed: [] });
    // a newer release in the same place: other probes, other manifest
    fs.writeFileSync(path.join(rel, 'probes.json'), JSON.stringify({ ...FIXTURE_PROBES, option: { ...FIXTURE_PROBES.option, accuracy: 0.97 } }));
    const manifest = JSON.parse(fs.readFileSync(path.join(rel, 'manifest.json'), 'utf8'));
    manifest.files['probes.json'] = sha(path.join(rel, 'probes.json'));
    fs.writeFileSync(path.join(rel, 'manifest.json'), JSON.stringify(manifest));
    const changed = baseSection(runBaseOrigin(run));
    expect(changed).toContain('Since this run used it, the release changed (probes.json): the probes below are of the release there now.');
    expect(changed).toContain('| option lookup | ≥ 95.0% on 1,000 held-out drills | 97.0% on 1,000 drills (chance 21.0%) | yes |');
    // tampered after release: the manifest check's problems
    fs.appendFileSync(path.join(rel, 'log.jsonl'), ' ');
    expect(baseSection(runBaseOrigin(run))).toContain('does not match its manifest now (log.jsonl: sha256 differs from manifest.json)');
    fs.rmSync(rel, { recursive: true });
    const gone = baseSection(runBaseOrigin(run));
    expect(gone).toContain(`The release is no longer in \`${rel}\`; its probes cannot be shown.`);
    expect(gone).not.toContain('| probe |');
  });

  it('renderReport() puts the Base section after the header and before Table 3', () => {
    const rel = fixtureRelease(path.join(root, 'r3'));
    const run = fixtureRun('report', { release: rel });
    const table = { markdown: '| t |\n|---|\n| 1 |\n', csv: '', rows: [] };
    const input = { runDir: run, models: [], summaries: [], columns: [], sets: [], note: null, t3: table, t4: table, plots: '', examples: [], decoding: { samples: 1, temperature: 0, maxNewTokens: 8, batchSize: 1, seed: 1 }, seconds: 1, generated: 0, reused: 0, errors: 0, rewardSeries: 0, splits: null, config: {} };
    const md = renderReport({ ...input, base: runBaseOrigin(run) });
    const at = (s: string) => md.indexOf(s);
    expect(at('# Evaluation report')).toBe(0);
    expect(at('## The Base')).toBeGreaterThan(0);
    expect(at('## The Base')).toBeLessThan(at('## Table 3'));
    expect(md).toContain('| copy: 2nd-copy loss | ≤ 0.5 nats | 0.43 nats (1st copy 8.12) | yes |');
    expect(renderReport(input)).not.toContain('## The Base');
  });
});

describe('eval report: the links by column', () => {
  /** A held-out row of `model` on item i: a thought that reads (names the subject) when `reads`, and is right when `right`. */
  const row = (model: string, i: number, o: { reads: boolean; right: boolean; thought: boolean }): ResultRow => {
    const strict = o.right ? 'A' : 'B';
    const anatomy = o.thought ? { reads: o.reads, recalls: o.right, named: strict } : null;
    return { key: `${model}|${i}`, model, benchmark: SYNTHETIC, itemId: `it-${i}`, type: 'mechanism', difficulty: ['Easy', 'Moderate', 'Difficult'][i % 3], longTail: i >= 6, answer: 'A', options: 4, promptTokens: 10, tooLong: false, samples: [{ completion: o.thought ? `<think>x</think>\n<answer>${strict}</answer>` : `<answer>${strict}</answer>`, strict, lenient: strict, tokens: 3, finish: 'stop', claims: { total: 0, supported: 0 }, anatomy }] };
  };
  // 12 items, the last 6 long-tail: +CoT reads all but the long tail's, and is right where it reads; the Base has no thoughts
  const rows = Array.from({ length: 12 }, (_, i) => [row('base', i, { reads: false, right: i % 4 === 0, thought: false }), row('cot', i, { reads: i < 6, right: i < 6, thought: true })]).flat();
  const o = { resamples: 50, level: 0.95 };
  const summary = (m: string, label: string) => summarizeModel(m, label, rows, [SYNTHETIC], new Rng(1), o);

  it("linksByColumn() gives each model with thoughts its reads / recalls / strict per Table 4 column; without thoughts, nothing", () => {
    const t = linksByColumn([summary('base', 'Base'), summary('cot', '+CoT')]);
    const lines = t.trim().split('\n');
    expect(lines[0]).toMatch(/^By Table 4's column, \*reads\* \/ \*recalls\* \/ strict \(items\)/);
    expect(lines.slice(2)).toEqual([
      '| model | Easy | Moderate | Difficult | long tail |',
      '|---|---|---|---|---|',
      // Easy = items 0, 3, 6, 9 (two of them long-tail, unread): reads 50%; the long tail (items 6–11) is never read
      '| +CoT | 50.0% / 50.0% / 50.0% (4) | 50.0% / 50.0% / 50.0% (4) | 50.0% / 50.0% / 50.0% (4) | 0.0% / 0.0% / 0.0% (6) |',
    ]);
    expect(linksByColumn([summary('base', 'Base')])).toBe('');
  });
});
