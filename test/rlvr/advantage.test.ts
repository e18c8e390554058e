import { describe, expect, it } from 'vitest';
import { clippedTerm, groupAdvantages, groupStats, grpoLossValue, k3, sampleStd, tokenWeights } from '../../src/rlvr/advantage';

const close = (a: readonly number[], b: readonly number[], digits = 5) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], digits));

describe('advantage', () => {
  it('groupAdvantages(r, k) is r − group mean by default (Eq. 2), zero for a group with no spread', () => {
    close(groupAdvantages([1.25, 0.25, 0, 0.5, 1, 1, 1, 1], 4), [0.75, -0.25, -0.5, 0, 0, 0, 0, 0]);
  });

  it("groupAdvantages(r, k, {scale: 'std'}) divides by the group's sample std (n − 1) + eps", () => {
    // deviations 0.75, −0.25, −0.5, 0: Σd² = 0.875, std = √(0.875/3) = 0.540062
    expect(sampleStd([1.25, 0.25, 0, 0.5])).toBeCloseTo(0.540062, 5);
    close(groupAdvantages([1.25, 0.25, 0, 0.5], 4, { scale: 'std', eps: 0 }), [1.38873, -0.46291, -0.92582, 0]);
    // a zero-spread group stays 0 (0 / eps), it does not blow up
    close(groupAdvantages([1, 1], 2, { scale: 'std', eps: 1e-4 }), [0, 0]);
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/not whole groups of 2/);
  });

  it('tokenWeights() implements the four normalisations', () => {
    close(tokenWeights([2, 4], 'sequence', 8), [0.5, 0.5]);
    close(tokenWeights([2, 4], 'sequence-mean', 8), [0.25, 0.125]);
    close(tokenWeights([2, 4], 'token', 8), [1 / 6, 1 / 6]);
    close(tokenWeights([2, 4], 'constant', 8), [1 / 16, 1 / 16]);
    expect(() => tokenWeights([0, 2], 'token', 8)).toThrow(/≥ 1 token/);
    expect(() => tokenWeights([1], 'bogus' as never, 8)).toThrow(/unknown loss normalisation/);
  });

  it('grpoLossValue() on-policy is −Σ w·A·logp: worked by hand for each normalisation', () => {
    // s1: logp −1, −2 with A = 0.5 (Σ logp·A = −1.5); s2: logp −0.5 with A = −0.5 (0.25)
    const seqs = [{ logp: [-1, -2], adv: 0.5 }, { logp: [-0.5], adv: -0.5 }];
    const o = { maxNewTokens: 4, clip: { low: 0.2, high: 0.2 }, klCoef: 0 };
    expect(grpoLossValue(seqs, { ...o, norm: 'sequence' })).toBeCloseTo(0.625, 6); // −½(−1.5) − ½(0.25)
    expect(grpoLossValue(seqs, { ...o, norm: 'sequence-mean' })).toBeCloseTo(0.25, 6); // −¼(−1.5) − ½(0.25)
    expect(grpoLossValue(seqs, { ...o, norm: 'token' })).toBeCloseTo(1.25 / 3, 6); // −⅓(−1.5 + 0.25)
    expect(grpoLossValue(seqs, { ...o, norm: 'constant' })).toBeCloseTo(0.15625, 6); // −⅛(−1.25)
  });

  it('clippedTerm() is min(ρA, clip(ρ)A): clipped only in the direction that would over-reward', () => {
    const clip = { low: 0.2, high: 0.2 };
    expect(clippedTerm(0, Math.log(0.5), 1, clip)).toBeCloseTo(1.2, 6); // ρ = 2, A > 0: capped at 1.2
    expect(clippedTerm(0, Math.log(0.5), -1, clip)).toBeCloseTo(-2, 6); // ρ = 2, A < 0: not capped
    expect(clippedTerm(Math.log(0.5), 0, 1, clip)).toBeCloseTo(0.5, 6); // ρ = 0.5, A > 0: not capped
    expect(clippedTerm(Math.log(0.5), 0, -1, clip)).toBeCloseTo(-0.8, 6); // ρ = 0.5, A < 0: capped at 0.8
    expect(clippedTerm(0, Math.log(0.5), 1, { low: 0.2, high: 0.28 })).toBeCloseTo(1.28, 6); // clip-higher
  });

  it('k3() is exp(ref − new) − (ref − new) − 1, and the KL term enters the loss with β', () => {
    expect(k3(Math.log(0.5), 0)).toBeCloseTo(2 - Math.LN2 - 1, 6); // 0.306853
    expect(k3(0, Math.log(0.5))).toBeCloseTo(0.5 + Math.LN2 - 1, 6); // 0.193147
    expect(k3(-1.3, -1.3)).toBe(0);
    const seq = { logp: [0], old: [Math.log(0.5)], ref: [Math.log(0.5)], adv: 1 };
    expect(grpoLossValue([seq], { norm: 'sequence', maxNewTokens: 4, clip: { low: 0.2, high: 0.2 }, klCoef: 0.1 })).toBeCloseTo(-(1.2 - 0.1 * 0.193147), 5);
  });

  it('groupStats() counts zero-spread groups and splits them into all-right and all-wrong', () => {
    const r = [1, 1, 0, 0, 1, 0, 0.25, 0.25];
    const c = [true, true, false, false, true, false, false, false];
    expect(groupStats(r, c, 2)).toEqual({ groups: 4, zeroSpread: 0.75, allRight: 0.25, allWrong: 0.5 });
  });
});
