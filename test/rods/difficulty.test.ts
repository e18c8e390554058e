import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LlmClient } from '../../src/core/llm';
import type { Difficulty, Item } from '../../src/rods/item';
import {
  DIFFICULTY_RUBRIC,
  combineDifficulty,
  difficultyAgreement,
  graphDifficulty,
  graphScore,
  llmDifficultyJudge,
  pairwiseAgreement,
  parseDifficulty,
  passRateDifficulty,
  renderJudgePrompt,
} from '../../src/rods/difficulty';

const E: Difficulty = 'Easy';
const M: Difficulty = 'Moderate';
const D: Difficulty = 'Difficult';

const item: Item = {
  id: 'q1',
  origin: 'synthetic',
  question: 'Which drug treats gout flares?',
  options: { A: 'Colchicine', B: 'Warfarin', C: 'Insulin' },
  answer: 'A',
  type: 'treatment',
};

describe('parseDifficulty', () => {
  const cases: [string, Difficulty | null][] = [
    ['One step, common drug.\nDifficulty: Easy', E],
    ['**Difficulty:** Moderate', M],
    ['Difficulty = hard', D],
    ['Not easy: two hops and close distractors.\nDifficulty: Moderate', M],
    ['<think>Difficulty: Easy?</think>Difficulty: Difficult', D],
    ['<difficulty>Medium</difficulty>', M],
    ['It needs rare knowledge.\nDifficult', D],
    ['Moderate.', M],
    ['I would call this easy overall.', E],
    ['No idea.', null],
    ['', null],
  ];
  for (const [text, want] of cases) it(`parseDifficulty(${JSON.stringify(text)}) → ${want}`, () => expect(parseDifficulty(text)).toBe(want));
});

describe('renderJudgePrompt', () => {
  it('renderJudgePrompt() fills question, options and the answer with its text', () => {
    const p = renderJudgePrompt(DIFFICULTY_RUBRIC, item);
    expect(p).toContain('Question: Which drug treats gout flares?');
    expect(p).toContain('A. Colchicine\nB. Warfarin\nC. Insulin');
    expect(p).toContain('Correct answer: A. Colchicine');
    expect(p).toMatch(/Reasoning depth[\s\S]*Knowledge rarity[\s\S]*Distractor closeness/);
    expect(p).not.toMatch(/\{(question|options|answer|letters)\}/);
  });
});

describe('llmDifficultyJudge', () => {
  it('llmDifficultyJudge() asks through LlmClient at temperature 0 and parses the label', async () => {
    const bodies: { temperature: number; max_tokens: number; messages: { role: string; content: string }[] }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as (typeof bodies)[number]);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { content: 'Two steps with a close distractor.\n**Difficulty:** Moderate' } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = new LlmClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'judge' }, { env: {} });
      const judge = llmDifficultyJudge(client, { system: 'You are a medical educator.' });
      expect(await judge(item)).toBe(M);
      expect(bodies).toHaveLength(1);
      expect(bodies[0].temperature).toBe(0);
      expect(bodies[0].max_tokens).toBe(256);
      expect(bodies[0].messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(bodies[0].messages[1].content).toContain('Correct answer: A. Colchicine');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('graphScore / graphDifficulty', () => {
  it('graphScore() of 1 hop, a common entity and no close distractor is 0 → Easy', () => {
    const f = { hops: 1, minDegree: 50, distractorOverlap: 0 };
    expect(graphScore(f)).toEqual({ score: 0, parts: { hops: 0, rarity: 0, distractors: 0 } });
    expect(graphDifficulty(f)).toBe(E);
  });

  it('graphScore() of 2 hops, degree 7, overlap 0.5 = 0.2 + 0.3·(1 − ln 8 / ln 51) + 0.15 ≈ 0.4913 → Moderate', () => {
    const f = { hops: 2, minDegree: 7, distractorOverlap: 0.5 };
    const { score, parts } = graphScore(f);
    expect(parts.hops).toBe(0.5);
    expect(parts.rarity).toBeCloseTo(1 - Math.log(8) / Math.log(51), 12); // 0.47113
    expect(score).toBeCloseTo(0.49134, 4);
    expect(graphDifficulty(f)).toBe(M);
  });

  it('graphScore() of 3 hops, degree 1, overlap 0.8 ≈ 0.4 + 0.2471 + 0.24 = 0.8871 → Difficult', () => {
    const f = { hops: 3, minDegree: 1, distractorOverlap: 0.8 };
    expect(graphScore(f).score).toBeCloseTo(0.88712, 4);
    expect(graphDifficulty(f)).toBe(D);
  });

  it('graphScore() clamps out-of-range features', () => {
    expect(graphScore({ hops: 9, minDegree: 0, distractorOverlap: 3 }).parts).toEqual({ hops: 1, rarity: 1, distractors: 1 });
    expect(graphScore({ hops: 0, minDegree: 5000, distractorOverlap: -1 }).score).toBe(0);
  });

  it('graphDifficulty() follows custom thresholds and weights', () => {
    const f = { hops: 2, minDegree: 50, distractorOverlap: 0 }; // score 0.2
    expect(graphDifficulty(f)).toBe(E);
    expect(graphDifficulty(f, { thresholds: { moderate: 0.2, difficult: 0.5 } })).toBe(M);
    expect(graphDifficulty(f, { weights: { hops: 1, rarity: 0, distractors: 0 } })).toBe(M); // 0.5 < 0.6
  });
});

describe('passRateDifficulty', () => {
  const cases: [number, number, Difficulty | null][] = [
    [5, 5, E],
    [4, 5, E], // 0.8
    [3, 5, M], // 0.6
    [2, 5, M], // 0.4
    [1, 5, D], // 0.2
    [0, 5, D],
    [0, 0, null],
  ];
  for (const [p, n, want] of cases) it(`passRateDifficulty(${p}, ${n}) → ${want}`, () => expect(passRateDifficulty(p, n)).toBe(want));

  it('passRateDifficulty() honours custom thresholds and rejects impossible counts', () => {
    expect(passRateDifficulty(4, 5, { easy: 0.9 })).toBe(M);
    expect(passRateDifficulty(1, 5, { moderate: 0.2 })).toBe(M);
    expect(() => passRateDifficulty(6, 5)).toThrow(/not in 0..5/);
  });
});

describe('combineDifficulty', () => {
  it('combineDifficulty() takes the majority', () => {
    expect(combineDifficulty({ judge: M, graph: M, passRate: D })).toBe(M);
    expect(combineDifficulty({ judge: E, graph: null, passRate: E })).toBe(E);
  });

  it('combineDifficulty() breaks a tie by the primary order, or harder / easier', () => {
    const three = { judge: E, graph: D, passRate: M };
    expect(combineDifficulty(three)).toBe(M); // passRate first in the default order
    expect(combineDifficulty(three, { kind: 'majority', tie: 'primary', order: ['graph'] })).toBe(D);
    expect(combineDifficulty(three, { kind: 'majority', tie: 'harder', order: [] })).toBe(D);
    expect(combineDifficulty(three, { kind: 'majority', tie: 'easier', order: [] })).toBe(E);
    // a 2–2 tie where the first ordered signal did not vote falls to the next one
    expect(combineDifficulty({ a: E, b: E, c: D, d: D }, { kind: 'majority', tie: 'primary', order: ['x', 'c'] })).toBe(D);
    // no ordered signal voted: harder
    expect(combineDifficulty({ a: E, b: M }, { kind: 'majority', tie: 'primary', order: ['z'] })).toBe(M);
  });

  it('combineDifficulty() with a primary takes the first signal that has a label', () => {
    const s = { judge: E, graph: D, passRate: null };
    expect(combineDifficulty(s, { kind: 'primary', order: ['passRate', 'graph', 'judge'] })).toBe(D);
    expect(combineDifficulty({}, { kind: 'primary', order: ['judge'] })).toBeNull();
    expect(combineDifficulty({ judge: null })).toBeNull();
  });
});

describe('difficultyAgreement', () => {
  it('difficultyAgreement() on a 20-item confusion matrix: po = 0.7, pe = 0.33, kappa = 0.37 / 0.67', () => {
    // rows (a) Easy, Moderate, Difficult; columns (b) the same
    const m = [
      [5, 2, 0],
      [1, 4, 1],
      [0, 2, 5],
    ];
    const a: Difficulty[] = [];
    const b: Difficulty[] = [];
    const L = [E, M, D];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < m[i][j]; k++) (a.push(L[i]), b.push(L[j]));
    const r = difficultyAgreement(a, b);
    expect(r.confusion).toEqual(m);
    expect(r.n).toBe(20);
    expect(r.agreement).toBeCloseTo(0.7, 12);
    // rows 7, 6, 7; columns 6, 8, 6 → pe = (42 + 48 + 42) / 400 = 0.33
    expect(r.kappa).toBeCloseTo(0.37 / 0.67, 12); // 0.55224
  });

  it('difficultyAgreement() on four items: po 0.75, pe 0.5, kappa 0.5; null labels skipped', () => {
    const r = difficultyAgreement([E, E, M, M, null, D], [E, M, M, M, D, undefined]);
    expect(r).toEqual({
      n: 4,
      skipped: 2,
      agreement: 0.75,
      kappa: 0.5,
      confusion: [
        [1, 1, 0],
        [0, 2, 0],
        [0, 0, 0],
      ],
    });
  });

  it('difficultyAgreement() edge cases: perfect, constant, chance-level, empty, length mismatch', () => {
    expect(difficultyAgreement([E, M, D], [E, M, D]).kappa).toBe(1);
    expect(difficultyAgreement([M, M], [M, M])).toMatchObject({ agreement: 1, kappa: null });
    // a: E,E,D,D  b: E,D,E,D → po 0.5, pe 0.5 → kappa 0
    expect(difficultyAgreement([E, E, D, D], [E, D, E, D]).kappa).toBe(0);
    expect(difficultyAgreement([], [])).toMatchObject({ n: 0, agreement: null, kappa: null });
    expect(() => difficultyAgreement([E], [])).toThrow(/differ in length/);
  });

  it('pairwiseAgreement() reports every pair of signals in name order', () => {
    const rows = pairwiseAgreement({ passRate: [E, M, D, D], judge: [E, M, D, M], graph: [E, E, D, D] });
    expect(rows.map((r) => [r.a, r.b, r.agreement])).toEqual([
      ['graph', 'judge', 0.5],
      ['graph', 'passRate', 0.75],
      ['judge', 'passRate', 0.75],
    ]);
  });
});
