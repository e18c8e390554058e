import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli';
import { makeRun, removeRuns } from './fixture';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'fleming.cjs');
const tmp = tempDir('fleming-export-cli-');
afterAll(() => {
  removeRuns();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const fleming = (args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FLEMING_NO_PNG: '1' } });
const failure = (args: string[]) => fleming(args).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);

describe('fleming export', () => {
  it('writes the format into --out and prints what it wrote', async () => {
    const run = makeRun();
    const out = path.join(tmp, 'verl');
    const { stdout } = await fleming(['export', '--format', 'verl', '--run', run.dir, '--out', out]);
    expect(stdout).toMatch(/^verl export written to .*verl \(stage1\/train\.parquet: \d+ rows, stage2\/train\.parquet: 4 rows, test\.parquet: 8 rows\)/);
    for (const f of ['manifest.json', 'stage1/train.parquet', 'stage2/train.parquet', 'test.parquet']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
  });

  it('exits 1 naming an unknown format, a missing --format, a run without the needed stage, and a directory that is not a run', async () => {
    const noCot = makeRun({ cot: false });
    const noRods = makeRun({ rods: false });
    const cases: [string[], RegExp][] = [
      [['export', '--format', 'parquet', '--run', noCot.dir], /unknown export format "parquet" \(choose verl, trl, hf, logits\)/],
      [['export', '--run', noCot.dir], /fleming export needs --format verl\|trl\|hf\|logits/],
      [['export', '--format', 'trl', '--run', noCot.dir], /no finished CoT traces; run `fleming coldstart --run/],
      [['export', '--format', 'verl', '--run', noRods.dir], /no RODS items; run `fleming rods --run/],
      [['export', '--format', 'hf', '--run', path.join(tmp, 'nowhere')], /is not a run directory \(no such directory\); `fleming export` works on a run/],
    ];
    for (const [args, message] of await Promise.all(cases.map(async ([a, m]) => [await failure(a), m] as const))) {
      expect(args.code).toBe(1);
      expect(args.stderr).toMatch(message);
    }
    expect(fs.existsSync(path.join(noCot.dir, 'export'))).toBe(false);
  });
});

describe('parseCli() of rlvr mine', () => {
  it('takes `rlvr mine` with an endpoint and model; refuses it without them and refuses other words after rlvr', () => {
    const run = makeRun();
    const a = parseCli(['rlvr', 'mine', '--run', run.dir, '--endpoint', 'http://127.0.0.1:8000/v1', '--model', 'rl1', '--out', 'x']);
    expect(a.command).toBe('rlvr');
    expect(a.export).toEqual({ format: undefined, out: 'x', mine: true });
    expect(a.eval.endpoint).toMatchObject({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'rl1' });
    expect(parseCli(['rlvr', '--run', run.dir]).export.mine).toBe(false);
    expect(() => parseCli(['rlvr', 'mine', '--run', run.dir])).toThrow('fleming rlvr mine needs --endpoint URL --model NAME');
    expect(() => parseCli(['rlvr', 'mine', '--run', run.dir, '--endpoint', 'http://x/v1'])).toThrow('--endpoint needs --model NAME');
    expect(() => parseCli(['rlvr', 'mines', '--run', run.dir])).toThrow('unexpected argument "mines"');
    expect(() => parseCli(['rlvr', 'mine', 'again', '--run', run.dir, '--endpoint', 'http://x/v1', '--model', 'm'])).toThrow('unexpected argument "again"');
  });
});
