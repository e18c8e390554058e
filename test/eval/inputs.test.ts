import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { InputError } from '../../src/core/io';
import { openRun } from '../../src/core/run';
import { loadBenchmarkSets } from '../../src/eval/inputs';
import { BUILTIN_SPECS_DIR } from '../../src/rods/curated/registry';
import { tempDir } from '../helpers/tmp';

/** A benchmarks directory whose MedQA file has `good` good lines and then one broken line. */
function benchDir(good = 10): string {
  const dir = tempDir('fleming-eval-inputs-');
  fs.mkdirSync(path.join(dir, 'medqa'));
  const ok = { question: 'Which drug?', answer: 'two', options: { A: 'one', B: 'two', C: 'three', D: 'four' }, meta_info: 'step1', answer_idx: 'B' };
  fs.writeFileSync(path.join(dir, 'medqa', 'medqa_usmle_test.jsonl'), `${`${JSON.stringify(ok)}\n`.repeat(good)}{"question": "broken"\n`);
  return dir;
}

function ctxWith(strict: boolean) {
  const root = tempDir('fleming-eval-inputs-run-');
  return openRun(resolveConfig({ overrides: { runDir: 'run', strict } }), { root, quiet: true, progressMode: 'silent' });
}

describe('loadBenchmarkSets', () => {
  it('loadBenchmarkSets() counts a malformed benchmark row, and with strict (fleming eval --strict) stops at it naming file and line', async () => {
    const dir = benchDir();
    const file = path.join(dir, 'medqa', 'medqa_usmle_test.jsonl');
    const lenient = await loadBenchmarkSets(ctxWith(false), dir, ['medqa'], 0, new Set());
    expect(lenient.sets.map((s) => [s.name, s.loaded, s.skipped])).toEqual([['medqa', 10, 1]]);
    const strict = loadBenchmarkSets(ctxWith(true), dir, ['medqa'], 0, new Set());
    await expect(strict).rejects.toThrow(`${file}:11: invalid JSON`);
    await expect(loadBenchmarkSets(ctxWith(true), dir, ['medqa'], 0, new Set())).rejects.toBeInstanceOf(InputError);
  });

  it('loadBenchmarkSets() refuses a benchmark that skips more rows than its spec allows (1 of 2 > 10%), naming the reason and the row', async () => {
    const dir = benchDir(1);
    const file = path.join(dir, 'medqa', 'medqa_usmle_test.jsonl');
    await expect(loadBenchmarkSets(ctxWith(false), dir, ['medqa'], 0, new Set())).rejects.toThrow(
      `benchmark 'medqa' (spec ${path.join(BUILTIN_SPECS_DIR, 'medqa.yaml')}): 1 of 2 rows of ${file} skipped (50%), more than the 10% it allows (maxSkipShare 0.1)`,
    );
    await expect(loadBenchmarkSets(ctxWith(false), dir, ['medqa'], 0, new Set())).rejects.toThrow(`  1 × invalid JSON\n    first at ${file}:2: {"question": "broken"`);
  });
});
