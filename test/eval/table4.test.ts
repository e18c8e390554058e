import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import type { ResultRow } from '../../src/eval/results';
import { SYNTHETIC, summarizeModel, table4 } from '../../src/eval/summary';

/** A held-out item's row: right when `right`. */
function row(model: string, i: number, right: boolean): ResultRow {
  const strict = right ? 'A' : 'B';
  return { key: `${model}|${i}`, model, benchmark: SYNTHETIC, itemId: `it-${String(i).padStart(2, '0')}`, type: 'diagnosis', difficulty: ['Easy', 'Moderate', 'Difficult'][i % 3], longTail: i % 4 === 0, answer: 'A', options: 4, promptTokens: 10, tooLong: false, samples: [{ completion: `<answer>${strict}</answer>`, strict, lenient: strict, tokens: 3, finish: 'stop', claims: { total: 0, supported: 0 }, anatomy: null }] };
}

describe('table4', () => {
  // 40 items: Base right on 10, +CoT on 20, +RL1 on 30 (each stage keeps what the one before got right)
  const right: Record<string, number> = { base: 10, cot: 20, rl1: 30 };
  const rows = Object.entries(right).flatMap(([m, n]) => Array.from({ length: 40 }, (_, i) => row(m, i, i < n)));
  const scores = (m: string) => new Map(rows.filter((r) => r.model === m).map((r) => [r.itemId, r.samples[0].strict === r.answer ? 1 : 0]));
  const o = { resamples: 400, level: 0.95 };
  const stage = (m: string, label: string) => ({ label, summary: summarizeModel(m, label, rows, [SYNTHETIC], new Rng(1), o) });

  it('ends its note with the last stage against the first, paired on the same items, when three or more ran', () => {
    const t = table4([stage('base', 'Base'), stage('cot', '+CoT'), stage('rl1', '+RL1'), { label: '+RL2', summary: null, missing: 'not run' }], new Rng(2), o, scores);
    const m = /\+RL1 − Base: \+(\d+\.\d) \[(\d+\.\d), (\d+\.\d)\] \(paired bootstrap, 40 items\)\.\n$/.exec(t.markdown);
    expect(m, t.markdown).not.toBeNull();
    const [mean, lo, hi] = m!.slice(1).map(Number);
    expect(mean).toBe(50.0);
    expect(lo).toBeGreaterThan(30);
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    expect(t.rows.map((r) => r.delta)).toEqual([null, 0.25, 0.25, null]);
  });

  it("a model's held-out cells (Avg, by difficulty, long tail) do not move when other benchmarks are read beside them", () => {
    const other = rows.filter((r) => r.model === 'cot').map((r) => ({ ...r, key: `${r.key}|medqa`, benchmark: 'medqa' }));
    const alone = summarizeModel('cot', '+CoT', rows, [SYNTHETIC], new Rng(1), o);
    const beside = summarizeModel('cot', '+CoT', [...other, ...rows], ['medqa', SYNTHETIC], new Rng(1), o);
    expect(beside.benchmarks[SYNTHETIC]).toEqual(alone.benchmarks[SYNTHETIC]);
    expect(beside.byDifficulty).toEqual(alone.byDifficulty);
    expect(beside.byType).toEqual(alone.byType);
    expect(beside.longTail).toEqual(alone.longTail);
    expect(beside.benchmarks.medqa.n).toBe(40);
  });

  it('has no such line with fewer than three stages, and the rows do not depend on it', () => {
    const two = table4([stage('base', 'Base'), stage('cot', '+CoT')], new Rng(2), o, scores);
    expect(two.markdown).not.toMatch(/ − Base:/);
    const three = table4([stage('base', 'Base'), stage('cot', '+CoT'), stage('rl1', '+RL1')], new Rng(2), o, scores);
    expect(three.markdown.split('\n').slice(0, 4)).toEqual(two.markdown.split('\n').slice(0, 4)); // header and the first two rows
  });
});
