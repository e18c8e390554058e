import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkBenchmark, firstMiddleLast, formatCheck, formatList, runBenchmarksCommand } from '../../../src/rods/curated/check';
import { jsonl, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(ROOT, 'data/benchmarks/examples/jmed-format-sample.yaml');
const run = promisify(execFile);
const fleming = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [path.join(ROOT, 'bin/fleming.cjs'), ...args], { cwd: ROOT, env: { ...process.env, FLEMING_QUIET: '1', ...env }, maxBuffer: 10 * 2 ** 20 });

/** A spec whose options hold objects but map no text field: every row is skipped. */
function brokenSpec(): string {
  const dir = tempDir('fleming-check-');
  fs.writeFileSync(path.join(dir, 'qa.jsonl'), jsonl([{ q: 'Q1', o: [{ k: 'A', t: 'x' }, { k: 'B', t: 'y' }], a: 'A' }]));
  fs.writeFileSync(path.join(dir, 'spec.yaml'), 'name: broken\nfile: qa.jsonl\nfields: {question: q, options: o, answer: a}\n');
  return path.join(dir, 'spec.yaml');
}

describe('checkBenchmark', () => {
  it('firstMiddleLast() picks first, middle and last, fewer when there are fewer', () => {
    expect(firstMiddleLast([1, 2, 3, 4, 5, 6, 7])).toEqual([1, 4, 7]);
    expect(firstMiddleLast([1, 2])).toEqual([1, 2]);
    expect(firstMiddleLast([1])).toEqual([1]);
    expect(firstMiddleLast([])).toEqual([]);
  });

  it('checkBenchmark(spec) reports rows, items, skips by reason with the mapping and first row, and three items as the model sees them', async () => {
    const r = await checkBenchmark(SAMPLE, { benchmarksDir: null });
    expect(r.error).toBeUndefined();
    expect(r.shown.map((i) => [i.id, i.answer])).toEqual([
      ['jmed-format-sample-1', 'U'],
      ['jmed-format-sample-4', 'J'],
      ['jmed-format-sample-7', 'C'],
    ]);
    const lines = formatCheck(r).split('\n');
    expect(lines.slice(2, 6)).toEqual([
      '  fields: question ← question, options ← options, answer ← answer (letter), id ← line number',
      'rows 8: 7 items loaded, 1 skipped (12.5%; the spec allows 20%)',
      'skipped rows by reason:',
      '  1 × answer field "answer" holds several answers (an item has one right option) [fields.answer = "answer"]',
    ]);
    expect(lines[6]).toMatch(/^ {4}first at .*jmed-format-sample\.jsonl:8: \{"question":"Patient age: 40 years/);
    expect(lines).toContain('── jmed-format-sample-1 (line 1) · answer U · 21 options');
    expect(lines).toContain('U. Essential tremor');
  });

  it('runBenchmarksCommand(check) writes the report, then throws the error of a benchmark that loads 0 items', async () => {
    let out = '';
    const err = await runBenchmarksCommand(['check', brokenSpec()], { benchmarksDir: null }, false, (t) => (out += t)).catch((e) => e);
    expect(out).toContain('rows 1: 0 items loaded, 1 skipped (100%; the spec allows 10%)');
    expect(out).toContain('options field "o" holds objects: map their text field with fields.optionText (the objects have: k, t) [fields.options = "o"]');
    expect(err.message).toContain("benchmark 'broken'");
    expect(err.message).toContain('loaded 0 items');
    await expect(runBenchmarksCommand(['check', 'no-such-thing'], { benchmarksDir: null }, false, () => {})).rejects.toThrow('"no-such-thing" is neither a spec file nor a built-in benchmark (pubmedqa, medqa');
    await expect(runBenchmarksCommand(['frobnicate'], { benchmarksDir: null }, false, () => {})).rejects.toThrow('usage: fleming benchmarks check FILE|NAME');
  });

  it('formatList() lists the built-ins, how each is read, and whether its file is in the benchmarks directory', () => {
    const dir = tempDir('fleming-check-bench-');
    fs.mkdirSync(path.join(dir, 'medqa'));
    fs.writeFileSync(path.join(dir, 'medqa', 'medqa_usmle_test.jsonl'), '{}\n');
    const lines = formatList(dir).split('\n');
    expect(lines[0]).toMatch(/^name +reads with +lang +items +file \(under the benchmarks directory\) +in \//);
    expect(lines.find((l) => l.startsWith('medqa '))).toMatch(/^medqa +fields +en +1273 +medqa\/medqa_usmle_test\.jsonl +present$/);
    expect(lines.find((l) => l.startsWith('jmed '))).toMatch(/^jmed +fields +zh +1000 +jmed\/JMED\.jsonl +absent \(optional\)$/);
    expect(lines.find((l) => l.startsWith('pubmedqa '))).toMatch(/^pubmedqa +code: pubmedqa +en +1000 +pubmedqa\/ori_pqal\.json +absent$/);
  });
});

describe('fleming benchmarks', () => {
  it('fleming benchmarks check FILE prints counts, skips and three items, and exits 0', async () => {
    const { stdout } = await fleming(['benchmarks', 'check', SAMPLE]);
    expect(stdout).toContain('rows 8: 7 items loaded, 1 skipped (12.5%; the spec allows 20%)');
    expect(stdout).toContain('3 items (first, middle, last), as the model sees them:');
    expect(stdout.trimEnd().split('\n').pop()).toBe('benchmarks check: jmed-format-sample is usable (7 items)');
  });

  it('fleming benchmarks check on a spec that maps nothing exits 1, naming the mapping that failed', async () => {
    const err = await fleming(['benchmarks', 'check', brokenSpec()]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toContain('rows 1: 0 items loaded');
    expect(err.stderr).toContain("fleming: benchmark 'broken'");
    expect(err.stderr).toContain('[fields.options = "o"]');
  });

  it('fleming benchmarks list shows the registry', async () => {
    const { stdout } = await fleming(['benchmarks', 'list'], { FLEMING_BENCHMARKS: '' });
    expect(stdout).toMatch(/^careqa +fields +en +5621 +careqa\/care_qa_en\.jsonl$/m);
    expect(stdout).toContain('(no benchmarks directory set)');
  });
});
