import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SkipReport } from '../../../src/core/io';
import { BUILTIN_ORDER, BUILTIN_SPECS_DIR, CURATED_BENCHMARKS, loadAllBenchmarks, loadBenchmark } from '../../../src/rods/curated/registry';
import { HAVE_MIRROR, MIRROR_BENCHMARKS, reasons, skippedIn, tempDir } from './helpers';

/** A benchmarks directory holding a tiny medqa file only. */
function tinyDir(): string {
  const dir = tempDir('fleming-bench-');
  fs.mkdirSync(path.join(dir, 'medqa'));
  const row = { question: 'Q', answer: 'b', options: { A: 'a', B: 'b' }, meta_info: 'step1', answer_idx: 'B' };
  fs.writeFileSync(path.join(dir, CURATED_BENCHMARKS.medqa.relPath), JSON.stringify(row) + '\n');
  return dir;
}

describe('loadBenchmark', () => {
  it('loadBenchmark() loads a registered benchmark from the benchmarks directory', async () => {
    const items = await loadBenchmark('medqa', tinyDir(), new SkipReport());
    expect(items.map((i) => [i.id, i.answer])).toEqual([['medqa-1', 'B']]);
  });

  it('loadBenchmark() names the missing directory or file and says what to pass', async () => {
    await expect(loadBenchmark('medqa', '/nonexistent/benchmarks', new SkipReport())).rejects.toThrow(
      /benchmarks directory not found: \/nonexistent\/benchmarks \(set FLEMING_BENCHMARKS=DIR or --set rods\.benchmarksDir=DIR, e\.g\. \.\.\/shared\/data\/benchmarks\)/,
    );
    await expect(loadBenchmark('careqa', tinyDir(), new SkipReport())).rejects.toThrow(
      /benchmark 'careqa': file not found: .*careqa\/care_qa_en\.jsonl .*FLEMING_BENCHMARKS=DIR/,
    );
    await expect(loadBenchmark('nope', tinyDir(), new SkipReport())).rejects.toThrow(/unknown benchmark 'nope'; known: pubmedqa, medqa/);
  });
});

describe('loadAllBenchmarks', () => {
  it('loadAllBenchmarks() fails on a missing required file but passes over an absent optional one (cmexam)', async () => {
    const dir = tinyDir();
    await expect(loadAllBenchmarks(dir, new SkipReport())).rejects.toThrow("benchmark 'pubmedqa': file not found");
    const { items, counts } = await loadAllBenchmarks(dir, new SkipReport(), ['medqa', 'cmexam']);
    expect(items).toHaveLength(1);
    expect(counts.map((c) => [c.name, c.rows, c.loaded, c.skipped])).toEqual([['medqa', 1, 1, 0]]);
    await expect(loadAllBenchmarks('/nonexistent/benchmarks', new SkipReport())).rejects.toThrow('FLEMING_BENCHMARKS=DIR');
  });
});

// The real files of the open data mirror (../shared/data/benchmarks from the repository root).
describe.skipIf(!HAVE_MIRROR)(`real benchmark files${HAVE_MIRROR ? '' : ' (skipped: open data mirror not found at ../shared/data/benchmarks)'}`, () => {
  /** Real item counts (SOURCES.md) and the rows each file holds. */
  const REAL: Record<string, { rows: number; loaded: number; skips: Record<string, number> }> = {
    pubmedqa: { rows: 1000, loaded: 1000, skips: {} },
    medqa: { rows: 1273, loaded: 1273, skips: {} },
    medmcqa: { rows: 4183, loaded: 4183, skips: {} },
    medxpertqa: { rows: 625, loaded: 625, skips: {} },
    'mmlu-pro-biology': { rows: 717, loaded: 717, skips: {} },
    'mmlu-pro-health': { rows: 818, loaded: 818, skips: {} },
    careqa: { rows: 5623, loaded: 5621, skips: { 'empty row (all fields null or NaN)': 2 } },
  };

  it('loadAllBenchmarks() on the mirror: loaded + skipped equals the rows of each file, loaded equals the real count', async () => {
    const skips = new SkipReport();
    const { items, counts } = await loadAllBenchmarks(MIRROR_BENCHMARKS, skips);
    expect(counts.map((c) => c.name)).toEqual(Object.keys(REAL));
    for (const c of counts) {
      const want = REAL[c.name];
      expect({ name: c.name, rows: c.rows, loaded: c.loaded, skips: reasons(skips, c.file) }).toEqual({ name: c.name, ...want });
      expect(c.loaded + skippedIn(skips, c.file)).toBe(c.rows);
      expect(c.loaded).toBe(c.expected);
    }
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    for (const it of items) {
      const letters = Object.keys(it.options);
      expect(letters).toEqual('ABCDEFGHIJ'.slice(0, letters.length).split(''));
      expect(letters).toContain(it.answer);
      expect(Object.values(it.options).every((o) => o.trim() !== '')).toBe(true);
      expect(it.question.trim()).not.toBe('');
      expect(it.type).toBe('curated');
      expect(it.id.startsWith(`${it.origin}-`)).toBe(true);
    }
  });

  it('loadBenchmark() on the mirror reads each format faithfully (spot checks)', async () => {
    const skips = new SkipReport();
    const medxpert = await loadBenchmark('medxpertqa', MIRROR_BENCHMARKS, skips);
    expect(medxpert.every((i) => Object.keys(i.options).length === 10)).toBe(true);
    expect(medxpert.some((i) => i.question.includes('Answer Choices:'))).toBe(false);
    const pubmed = await loadBenchmark('pubmedqa', MIRROR_BENCHMARKS, skips);
    expect(pubmed[0].id).toBe('pubmedqa-21645374'); // first key of the file, not the smallest PMID
    expect(pubmed.filter((i) => i.answer === 'A').length).toBe(552); // yes 552, no 338, maybe 110
    expect(pubmed.filter((i) => i.answer === 'C').length).toBe(110);
    const medmcqa = await loadBenchmark('medmcqa', MIRROR_BENCHMARKS, skips);
    expect(medmcqa.find((i) => i.options.D === 'Both (A) & (C)')?.options.A).toBe('Commissure of Ganser');
    const careqa = await loadBenchmark('careqa', MIRROR_BENCHMARKS, skips);
    expect(careqa.filter((i) => (i.meta?.quirks as string[] | undefined)?.includes('duplicate options')).length).toBe(12);
    const health = await loadBenchmark('mmlu-pro-health', MIRROR_BENCHMARKS, skips);
    expect(Math.max(...health.map((i) => Object.keys(i.options).length))).toBe(10);
  });
});

describe('the registry of built-in specs', () => {
  it('CURATED_BENCHMARKS lists every spec of data/benchmarks/ in BUILTIN_ORDER, field mappings and code loaders both', () => {
    const onDisk = fs.readdirSync(BUILTIN_SPECS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect([...BUILTIN_ORDER].sort()).toEqual(onDisk);
    expect(Object.keys(CURATED_BENCHMARKS)).toEqual([...BUILTIN_ORDER]);
    const kinds = Object.fromEntries(Object.values(CURATED_BENCHMARKS).map((e) => [e.name, e.kind === 'code' ? `code:${e.spec.loader}` : 'fields']));
    expect(kinds).toEqual({
      pubmedqa: 'code:pubmedqa',
      medqa: 'fields',
      medmcqa: 'code:medmcqa',
      medxpertqa: 'code:medxpertqa',
      'mmlu-pro-biology': 'fields',
      'mmlu-pro-health': 'fields',
      careqa: 'fields',
      jmed: 'fields',
      cmexam: 'code:cmexam',
    });
  });

  it("the paper's eight benchmarks (Table 1) each have a spec, with the paper's item counts where the mirror holds the whole set", () => {
    const table1: Record<string, number> = { medqa: 1273, medmcqa: 4183, pubmedqa: 1000, 'mmlu-pro-biology': 717, 'mmlu-pro-health': 818, careqa: 5621, jmed: 1000, medxpertqa: 625 };
    for (const [name, n] of Object.entries(table1)) expect([name, CURATED_BENCHMARKS[name]?.expectedCount]).toEqual([name, n]);
    expect(CURATED_BENCHMARKS.jmed).toMatchObject({ relPath: 'jmed/JMED.jsonl', optional: true });
  });
});
