import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli';
import { resolveConfig } from '../../src/core/config';
import { openRun } from '../../src/core/run';
import { loadBenchmarkSets, userSpecs } from '../../src/eval/inputs';
import { readSpec } from '../../src/rods/curated/spec';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '../..');
const SAMPLE = path.join(ROOT, 'data/benchmarks/examples/jmed-format-sample.yaml');
const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function ctxWith(evalOverrides: Record<string, unknown> = {}) {
  const root = temp('fleming-eval-specs-');
  return openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', eval: { bootstrap: 20, ...evalOverrides } } }), { root, quiet: true, progressMode: 'silent' });
}

/** A spec directory holding copies of specs, each renamed (name → spec text). */
function specDir(specs: Record<string, string>): string {
  const dir = temp('fleming-eval-specdir-');
  for (const [file, text] of Object.entries(specs)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const sampleAs = (name: string) => fs.readFileSync(SAMPLE, 'utf8').replace('name: jmed-format-sample', `name: ${name}`).replace('file: jmed-format-sample.jsonl', `file: ${path.join(path.dirname(SAMPLE), 'jmed-format-sample.jsonl')}`);

describe('benchmark specs in evaluation', () => {
  it('parseCli() reads --benchmark-spec FILE (repeatable)', () => {
    const run = ctxWith().dir;
    expect(parseCli(['eval', '--run', run, '--benchmark-spec', 'a.yaml', '--benchmark-spec', 'b.yaml']).eval.specs).toEqual(['a.yaml', 'b.yaml']);
  });

  it('userSpecs() reads eval.benchmarkSpecsDir, then the files given; a built-in name or a name used twice is refused', () => {
    const dir = specDir({ 'one.yaml': sampleAs('one'), 'two.yml': sampleAs('two'), 'notes.txt': 'not a spec' });
    expect(userSpecs(ctxWith({ benchmarkSpecsDir: dir }), [SAMPLE]).map((s) => s.name)).toEqual(['one', 'two', 'jmed-format-sample']);
    const clash = specDir({ 'medqa.yaml': sampleAs('medqa') });
    expect(() => userSpecs(ctxWith({ benchmarkSpecsDir: clash }))).toThrow("name 'medqa' is a built-in benchmark; give the spec another name");
    expect(() => userSpecs(ctxWith(), [SAMPLE, SAMPLE])).toThrow("name 'jmed-format-sample' is also the name of");
  });

  it('loadBenchmarkSets() evaluates a spec with no benchmarks directory set, drawing at most the cap', async () => {
    const ctx = ctxWith();
    const { sets, note } = await loadBenchmarkSets(ctx, null, [], 5, new Set(), [readSpec(SAMPLE)]);
    expect(note).toContain('no benchmarks directory');
    expect(sets.map((s) => [s.name, s.loaded, s.drawn, s.skipped])).toEqual([['jmed-format-sample', 7, 5, 1]]);
  });
});

describe('fleming eval --benchmark-spec FILE, end to end on an OpenAI-compatible endpoint', () => {
  let server: http.Server;
  let baseUrl = '';
  let asked = 0;
  beforeAll(async () => {
    // A model that always answers U: right on the sample's one item whose answer is U (the 21st option).
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        asked += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '<think>Action tremor that eases with alcohol.</think>\n<answer>U</answer>' } }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('evaluates the spec\'s benchmark: 7 items asked, an answer U on the 21-option item scores, the column is in Table 3', async () => {
    const run = ctxWith().dir;
    const env = { ...process.env, FLEMING_QUIET: '1', FLEMING_NO_PNG: '1', FLEMING_SPEC_TEST_KEY: 'sk-test', FLEMING_BENCHMARKS: '' };
    const args = [path.join(ROOT, 'bin/fleming.cjs'), 'eval', '--run', run, '--benchmark-spec', SAMPLE, '--endpoint', baseUrl, '--model', 'always-u', '--api-key-env', 'FLEMING_SPEC_TEST_KEY'];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, env, maxBuffer: 10 * 2 ** 20 });
    expect(stdout).toContain('evaluation written to');
    expect(asked).toBe(7);
    const summary = JSON.parse(fs.readFileSync(path.join(run, 'eval', 'summary.json'), 'utf8'));
    expect(summary.benchmarks.map((b: { name: string; loaded: number; skipped: number }) => [b.name, b.loaded, b.skipped])).toEqual([['jmed-format-sample', 7, 1]]);
    const s = summary.summaries[0].benchmarks['jmed-format-sample'];
    expect(s.strict.mean).toBeCloseTo(1 / 7);
    expect(s.parseFailure).toBe(0);
    expect(s.predicted).toEqual({ U: 7 });
    expect(fs.readFileSync(path.join(run, 'eval', 'table3.md'), 'utf8')).toContain('jmed-format-sample');
  }, 120_000);
});
