import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recipeDefaults } from '../../src/base/config';
import { probeFigure, skillLossFigure } from '../../src/base/figures';
import { fieldComments, recipeSettings, scheduleTable } from '../../src/base/settings';
import { baseStatus, currentRunRows, skillCurves, statusLines, trainedOn } from '../../src/base/status';
import { BASE_TARGETS, baseTargets, metText } from '../../src/base/targets';
import { FIXTURE_PROBES, fixtureRelease, fixtureTraining } from './status-fixture';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'base-status-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const fresh = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));

describe('baseStatus()', () => {
  it('baseStatus(empty dir) is none, and says how to train the Base', () => {
    const dir = fresh('none');
    const st = baseStatus(dir);
    expect(st).toEqual({ kind: 'none', dir });
    expect(statusLines(st).join(' ')).toMatch(/no recipe in progress: `fleming base` trains it/);
    expect(baseStatus(path.join(dir, 'not-there')).kind).toBe('none');
  });

  it('baseStatus(recipe in progress) reads the checkpoint settings, drops cut last lines and an earlier run’s rows, and counts this run’s sessions', () => {
    const dir = fixtureTraining(fresh('training'));
    const st = baseStatus(dir, { bins: 4 });
    if (st.kind !== 'training') throw new Error(`expected training, got ${st.kind}`);
    expect(st).toMatchObject({ step: 24, checkpointStep: 20, steps: 40, schedule: 'C*8,KO', settingsFrom: 'checkpoint', earlierProbeRows: 3, unrecordedSeconds: 12 });
    expect([...st.differs].sort()).toEqual(['schedule', 'steps']);
    expect(st.sessions).toEqual({ count: 2, seconds: 300, backends: ['tensorflow', 'wasm'] });
    expect(st.probeRows.map((r) => [r.step, r.copy])).toEqual([[10, 5], [20, 4]]);
    // bins of 6 steps; steps 1-8 copy, then K on odd and O on even steps; loss = step
    expect(st.curves).toEqual([
      { skill: 'knowledge', step: [10, 15, 21], loss: [10, 15, 21], steps: 8 },
      { skill: 'copy', step: [4, 8], loss: [3.5, 7.5], steps: 8 },
      { skill: 'option', step: [11, 16, 22], loss: [11, 16, 22], steps: 8 },
    ]);
    const text = statusLines(st).join('\n');
    expect(text).toContain('step 24 of 40 (60%), schedule C*8,KO; resume checkpoint at step 20; 2 paused sessions, 5 min on tensorflow, wasm; 12 s since (a session running now, or one killed before it paused).');
    expect(text).toContain('other settings than the recipe\'s (steps, schedule)');
    expect(text).toContain('3 rows of an earlier run');
  });

  it('baseStatus() of metrics without a checkpoint takes the recipe’s schedule; a bad line before the last is an error naming file and line', () => {
    const dir = fresh('early');
    fs.mkdirSync(path.join(dir, 'train'));
    const rows = [1, 2, 3].map((step) => JSON.stringify({ phase: 'recipe', step, loss: 9, seconds: step }));
    fs.writeFileSync(path.join(dir, 'train', 'metrics.jsonl'), rows.join('\n') + '\n');
    const st = baseStatus(dir, { recipe: { ...recipeDefaults, schedule: 'KO', steps: 10 } });
    expect(st).toMatchObject({ kind: 'training', step: 3, checkpointStep: null, steps: 10, settingsFrom: 'recipe', differs: [], unrecordedSeconds: 3 });
    if (st.kind === 'training') expect(st.curves.map((c) => [c.skill, c.steps])).toEqual([['knowledge', 2], ['option', 1]]);
    fs.writeFileSync(path.join(dir, 'train', 'metrics.jsonl'), [rows[0], '{"step": 2, cut', rows[2]].join('\n') + '\n');
    expect(() => baseStatus(dir)).toThrow(/metrics\.jsonl:2: invalid JSON/);
  });

  it('baseStatus(release) holds the final probes, the recipe, a passing manifest check, and the log’s loss per skill', () => {
    const dir = fixtureRelease(fresh('release'));
    const st = baseStatus(dir, { bins: 200 });
    if (st.kind !== 'release') throw new Error(`expected release, got ${st.kind}`);
    expect(st.manifest.ok).toBe(true);
    expect(st.manifest.problems).toEqual([]);
    expect(st).toMatchObject({ steps: 12, schedule: 'C*4,KO', probes: FIXTURE_PROBES, recipe: { command: 'fleming base --hours 2', seed: 1234 } });
    expect(st.probeRows.map((r) => r.step)).toEqual([5, 10]);
    expect(st.curves.map((c) => [c.skill, c.steps, c.step.length])).toEqual([['knowledge', 4, 4], ['copy', 4, 4], ['option', 4, 4]]);
    expect(st.differs.sort()).toEqual(['schedule', 'steps']);
    expect(statusLines(st).join('\n')).toMatch(/12 steps, schedule C\*4,KO; `fleming base --hours 2` \(seed 1234\), 2\.0 h on wasm\.\nEvery file matches manifest\.json.*\nIts settings \(recipe\.json\) differ from this configuration's `base` section in schedule, steps\.$/);
    expect(baseStatus(dir, { recipe: { ...recipeDefaults, steps: 12, schedule: 'C*4,KO' } })).toMatchObject({ differs: [] });
    // a release trained natively says so, not the tfjs backend that only set up the run
    expect(statusLines({ ...st, recipe: { ...st.recipe!, trainRuntime: 'onnxruntime' } })[0]).toContain('(seed 1234), 2.0 h on onnxruntime (native CPU).');
    expect([trainedOn({ backend: 'wasm', trainRuntime: 'onnxruntime' }), trainedOn({ backend: 'wasm', trainRuntime: 'tfjs' }), trainedOn({ backend: 'cpu' })]).toEqual(['onnxruntime (native CPU)', 'wasm', 'cpu']);
  });

  it('baseStatus(release) reports, without throwing, a changed file, a missing one, and a changed seed graph', () => {
    const dir = fixtureRelease(fresh('tampered'));
    fs.appendFileSync(path.join(dir, 'log.jsonl'), '\n');
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.seedGraph['data/seed/diseases.jsonl'] = '0'.repeat(64);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const st = baseStatus(dir);
    if (st.kind !== 'release') throw new Error(`expected release, got ${st.kind}`);
    expect(st.manifest.ok).toBe(false);
    expect(st.manifest.problems).toEqual(['tokenizer.json: missing', 'log.jsonl: sha256 differs from manifest.json', 'data/seed/diseases.jsonl: the seed graph changed since the release was trained']);
    expect(statusLines(st)[1]).toMatch(/^Manifest check: tokenizer\.json: missing; /);
  });

  it('currentRunRows() keeps the rows after the last step that does not go forward; skillCurves() skips non-finite losses but counts their steps', () => {
    expect(currentRunRows([{ step: 1 }, { step: 2 }, { step: 1 }, { step: 2 }, { step: 3 }], 2)).toEqual({ rows: [{ step: 1 }, { step: 2 }], earlier: 2 });
    expect(currentRunRows([])).toEqual({ rows: [], earlier: 0 });
    expect(skillCurves([{ step: 1, skill: 'copy', loss: 2 }, { step: 2, skill: 'copy', loss: NaN }, { step: 3, skill: 'copy', loss: 4 }], 1)).toEqual([{ skill: 'copy', step: [2], loss: [3], steps: 3 }]);
  });
});

describe('baseTargets()', () => {
  it('baseTargets({probes}) judges copy ≤ 0.5 and option ≥ 95% on ≥ 1,000 drills, reports recall, and says when the ceiling is not in probes.json', () => {
    const rows = baseTargets({ probes: FIXTURE_PROBES });
    expect(rows.map((r) => [r.probe, r.met])).toEqual([['copy: 2nd-copy loss', true], ['option lookup', false], ['knowledge ceiling', null], ['fact recall, held-out phrasing', null]]);
    expect(rows[0].measured).toBe('0.43 nats (1st copy 8.12)');
    expect(rows[1].measured).toBe('90.0% on 1,000 drills (chance 21.0%)');
    expect(rows[2].measured).toBe('not in probes.json');
    expect(rows[3].measured).toBe('61.0% (chance 20.0%, 480 edges); seen phrasing 70.0%');
    const better = baseTargets({ probes: { ...FIXTURE_PROBES, option: { ...FIXTURE_PROBES.option, accuracy: 0.96 }, ceiling: { n: 300, accuracy: 0.91 } } });
    expect(better.map((r) => r.met)).toEqual([true, true, true, null]);
    expect(baseTargets({ probes: { ...FIXTURE_PROBES, option: { ...FIXTURE_PROBES.option, accuracy: 0.99, drills: 200 } } })[1].met).toBe(false);
  });

  it('baseTargets({latest}) judges a training probe’s copy loss but not an option accuracy on 200 drills above the target; nothing measured gives no verdict', () => {
    const r = { step: 9500, copy: 0.3, copyFirst: 9, option: 0.97 };
    expect(baseTargets({ latest: r }).map((t) => t.met)).toEqual([true, null, null, null]);
    expect(baseTargets({ latest: { ...r, copy: 6.6, option: 0.22 } }).map((t) => t.met)).toEqual([false, false, null, null]);
    expect(baseTargets({ latest: r })[1].measured).toBe('97.0% (step 9,500, training probe, 200 drills)');
    expect(baseTargets({}).map((t) => [t.measured, metText(t.met)])).toEqual(Array(4).fill(['not measured yet', '—']));
    expect([metText(true), metText(false)]).toEqual(['yes', 'no']);
  });
});

describe('the Base figures', () => {
  it('probeFigure() draws both copies on the top axis and option lookup (%) on the bottom one, the targets as lines across the run, the release as markers', () => {
    const rows = [{ step: 5, copy: 9, copyFirst: 9.5, option: 0.3 }, { step: 10, copy: 0.6, copyFirst: 9.4, option: 0.805 }];
    const fig = probeFigure(rows, { steps: 12, schedule: 'C*4,KO', final: FIXTURE_PROBES });
    const by = Object.fromEntries(fig.data.map((t) => [t.name as string, t]));
    expect(by['copy probe: 2nd copy']).toMatchObject({ x: [5, 10], y: [9, 0.6], yaxis: 'y' });
    expect(by['copy probe: 1st copy']).toMatchObject({ y: [9.5, 9.4], yaxis: 'y' });
    expect(by['option lookup (200 drills)']).toMatchObject({ y: [30, 80.5], yaxis: 'y2' });
    expect(by[`target: 2nd copy ≤ ${BASE_TARGETS.copy} nats`]).toMatchObject({ x: [0, 12], y: [0.5, 0.5], yaxis: 'y' });
    expect(by['target: option lookup ≥ 95%']).toMatchObject({ x: [0, 12], y: [95, 95], yaxis: 'y2' });
    expect(by['release: 2nd copy 0.43']).toMatchObject({ x: [12], y: [0.4321], yaxis: 'y' });
    expect(by['release: option lookup 90.0% (1,000 drills)']).toMatchObject({ x: [12], y: [90], yaxis: 'y2' });
    expect(fig.layout).toMatchObject({ xaxis: { range: [0, 12.36], anchor: 'y2' }, yaxis2: { range: [0, 100] } });
    expect(fig.layout?.shapes).toEqual([expect.objectContaining({ x0: 4, x1: 4 })]);
    expect(fig.layout?.annotations).toEqual([expect.objectContaining({ text: 'C → KO' })]);
    expect(probeFigure([], {}).data).toHaveLength(5);
  });

  it('skillLossFigure() has one line per skill named with its steps, and no segment line past the run', () => {
    const curves = [{ skill: 'copy', step: [2, 4], loss: [8, 7], steps: 4 }, { skill: 'knowledge', step: [6], loss: [5], steps: 1 }];
    const fig = skillLossFigure(curves, { steps: 3, schedule: 'C*4,KO' });
    expect(fig.data.map((t) => [t.name, t.x, t.y])).toEqual([['copy (4 steps)', [2, 4], [8, 7]], ['knowledge (1 steps)', [6], [5]]]);
    expect(fig.layout?.shapes).toEqual([]);
    expect(skillLossFigure(curves, { schedule: 'C*4,KO' }).layout?.shapes).toHaveLength(1);
  });
});

describe('the recipe as tables', () => {
  it('recipeSettings() gives every base setting its value, default and the comment at recipeDefaults', () => {
    const rows = recipeSettings({ ...recipeDefaults, steps: 99 });
    expect(rows.map((r) => r.setting)).toEqual(Object.keys(recipeDefaults));
    expect(rows.filter((r) => !r.meaning)).toEqual([]);
    expect(rows.find((r) => r.setting === 'steps')).toEqual({ setting: 'steps', value: 99, default: recipeDefaults.steps, meaning: 'optimiser steps over the whole schedule' });
    expect(rows.find((r) => r.setting === 'schedule')?.meaning).toMatch(/^segments PATTERN\*STEPS/);
    expect(() => fieldComments(path.resolve(__dirname, '../../src/base/config.ts'), 'nothingLikeThis')).toThrow(/config\.ts: no `export const nothingLikeThis`/);
  });

  it('scheduleTable() splits the run into its segments with steps per skill summing to the run', () => {
    const rows = scheduleTable('C*5000,KCOKOLKO', 17000);
    expect(rows).toEqual([
      { segment: 1, pattern: 'C', from: 1, to: 5000, knowledge: 0, copy: 5000, lookup: 0, option: 0, reverse: 0 },
      { segment: 2, pattern: 'KCOKOLKO', from: 5001, to: 17000, knowledge: 4500, copy: 1500, lookup: 1500, option: 4500, reverse: 0 },
    ]);
    expect(scheduleTable('C*5000,KO', 3000)).toEqual([{ segment: 1, pattern: 'C', from: 1, to: 3000, knowledge: 0, copy: 3000, lookup: 0, option: 0, reverse: 0 }]);
    expect(scheduleTable('KCL', 7).map((r) => [r.knowledge, r.copy, r.lookup])).toEqual([[3, 2, 2]]);
    expect(scheduleTable('C*4,KR*6,KC', 12).map((r) => [r.knowledge, r.copy, r.reverse])).toEqual([[0, 4, 0], [3, 0, 3], [1, 1, 0]]);
  });
});
