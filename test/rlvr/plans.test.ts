import { describe, expect, it } from 'vitest';
import { anchorEpochItems, capFilled, epochItems, selectHard, stage1Stop } from '../../src/rlvr/plans';

const rules = { minSteps: 4, sparsityThreshold: 0.75, sparsityWindow: 3, plateauWindow: 2, plateauDelta: 0.01 };

describe('plans', () => {
  it('epochItems() visits every item once per epoch, in a seeded order, whatever the batch boundaries', () => {
    const xs = ['a', 'b', 'c', 'd', 'e'];
    const all = epochItems(xs, 's', 0, 10);
    expect([...all.slice(0, 5)].sort()).toEqual(xs);
    expect([...all.slice(5)].sort()).toEqual(xs);
    expect([...epochItems(xs, 's', 0, 3), ...epochItems(xs, 's', 3, 7)]).toEqual(all);
    expect(epochItems(xs, 'other', 0, 10)).not.toEqual(all);
  });

  it('anchorEpochItems() meets every anchor once per pass, each anchor cycling through its own items, whatever the batch boundaries', () => {
    // anchor a has 6 items, b 2, c 1: item-wise epochs would meet a 6× as often as c
    const xs = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1', 'b2', 'c1'];
    const group = (x: string) => x[0];
    const all = anchorEpochItems(xs, group, 's', 0, 18); // 6 passes of 3 anchors
    for (let p = 0; p < 6; p++) expect(all.slice(3 * p, 3 * p + 3).map(group).sort()).toEqual(['a', 'b', 'c']);
    const of = (g: string) => all.filter((x) => group(x) === g);
    expect([...of('a')].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']); // 6 passes: each of a's items once
    expect(of('b').slice(0, 2).sort()).toEqual(['b1', 'b2']);
    expect(of('b').slice(2, 4).sort()).toEqual(['b1', 'b2']);
    expect(of('c')).toEqual(Array(6).fill('c1'));
    expect([...anchorEpochItems(xs, group, 's', 0, 4), ...anchorEpochItems(xs, group, 's', 4, 14)]).toEqual(all);
    expect(anchorEpochItems(xs, group, 'other', 0, 18)).not.toEqual(all);
    expect(() => anchorEpochItems([], group, 's', 0, 1)).toThrow(/no items/);
  });

  it('stage1Stop() fires on sustained sparsity (moving average ≥ threshold) only after minSteps', () => {
    expect(stage1Stop([1, 1, 1], [0.1, 0.2, 0.3], rules)).toBeNull(); // 3 < minSteps
    expect(stage1Stop([0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4], rules)?.rule).toBe('sparsity');
    expect(stage1Stop([0, 1, 1, 0.5], [0.1, 0.2, 0.3, 0.4], rules)?.detail).toMatch(/averaged 0\.833 over the last 3 steps/); // one dip: the average still holds
    expect(stage1Stop([1, 1, 0.5, 0.5], [0.1, 0.2, 0.3, 0.4], rules)).toBeNull(); // (1 + 0.5 + 0.5)/3 = 0.667 < 0.75
  });

  it('stage1Stop() fires on a reward plateau: the last window not above the one before by more than delta', () => {
    const noSparse = [0, 0, 0, 0, 0, 0];
    expect(stage1Stop(noSparse.slice(0, 4), [0.1, 0.2, 0.3, 0.4], rules)).toBeNull(); // rising
    const p = stage1Stop(noSparse.slice(0, 4), [0.1, 0.4, 0.3, 0.205], rules);
    expect(p?.rule).toBe('plateau'); // mean(0.3, 0.205) = 0.2525 ≤ mean(0.1, 0.4) + 0.01 = 0.26
    expect(p?.detail).toMatch(/0\.253 over the last 2 steps vs 0\.250/);
    expect(stage1Stop(noSparse.slice(0, 4), [0.1, 0.4, 0.3, 0.23], rules)).toBeNull(); // 0.265 > 0.26
  });

  it('selectHard() keeps repeated failures, Difficult first, then more failures, capped', () => {
    const r = [
      { id: 'e3', difficulty: 'Easy', failures: 4 },
      { id: 'd2', difficulty: 'Difficult', failures: 2 },
      { id: 'm4', difficulty: 'Moderate', failures: 4 },
      { id: 'd1', difficulty: 'Difficult', failures: 1 },
      { id: 'd4', difficulty: 'Difficult', failures: 4 },
      { id: 'm3', difficulty: 'Moderate', failures: 3 },
    ];
    expect(selectHard(r, { minFailures: 2, maxMined: 0, tieSeed: 's' }).map((x) => x.id)).toEqual(['d4', 'd2', 'm4', 'm3', 'e3']);
    expect(selectHard(r, { minFailures: 3, maxMined: 3, tieSeed: 's' }).map((x) => x.id)).toEqual(['d4', 'm4', 'm3']);
  });

  it('capFilled() says when mining by tier may stop: maxMined items failed ≥ minFailures times; never without a cap', () => {
    const r = [{ id: 'a', difficulty: 'Difficult', failures: 3 }, { id: 'b', difficulty: 'Difficult', failures: 2 }, { id: 'c', difficulty: 'Difficult', failures: 4 }];
    expect(capFilled(r, { minFailures: 3, maxMined: 2 })).toBe(true);
    expect(capFilled(r, { minFailures: 3, maxMined: 3 })).toBe(false);
    expect(capFilled(r, { minFailures: 2, maxMined: 3 })).toBe(true);
    expect(capFilled(r, { minFailures: 1, maxMined: 0 })).toBe(false);
  });
});
