import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlmClient } from '../../src/core/llm';
import type { Item } from '../../src/rods/item';
import { DEFAULT_VALIDATOR_PROMPT, llmValidator, parseLetter, renderPrompt, reviewReason, verifyLabels, type Validator } from '../../src/rods/verify';
import { tempDir } from '../helpers/tmp';

const item = (id: string, answer = 'A'): Item => ({
  id,
  origin: 'synthetic',
  question: `Question ${id}?`,
  options: { A: 'Pneumonia', B: 'Asthma', C: 'Gout', D: 'Migraine' },
  answer,
  type: 'diagnosis',
});

/** A deterministic fake: a fixed answer script per item id, indexed by sample. */
const scripted =
  (script: Record<string, (string | null)[]>): Validator =>
  async (it, s) =>
    script[it.id][s];

describe('verifyLabels', () => {
  it('verifyLabels() sends items failed k/k to review with their answers, and keeps the rest', async () => {
    const items = [item('ok'), item('once'), item('never'), item('blank')];
    const v = scripted({
      ok: ['A', 'A', 'A', 'A', 'A'],
      once: ['C', 'C', 'A', 'D', 'C'],
      never: ['C', 'C', 'D', 'C', 'C'],
      blank: [null, 'B', null, null, 'B'],
    });
    const r = await verifyLabels(items, v);
    expect(r.kept.map((i) => i.id)).toEqual(['ok', 'once']);
    expect(r.review.map((x) => [x.item.id, x.reason])).toEqual([
      ['never', 'validator failed 5/5: answered C,C,D,C,C'],
      ['blank', 'validator failed 5/5: answered -,B,-,-,B'],
    ]);
    expect(r.verdicts.map((x) => [x.id, x.passes, x.status])).toEqual([
      ['ok', 5, 'kept'],
      ['once', 1, 'kept'],
      ['never', 0, 'review'],
      ['blank', 0, 'review'],
    ]);
    expect(r.verdicts[1].answers).toEqual(['C', 'C', 'A', 'D', 'C']);
  });

  it('verifyLabels() with k = 3 asks sample indices 0..2 once each', async () => {
    const calls: string[] = [];
    const v: Validator = async (it, s) => {
      calls.push(`${it.id}:${s}`);
      return 'B';
    };
    const r = await verifyLabels([item('x'), item('y', 'B')], v, { k: 3 });
    expect(calls.sort()).toEqual(['x:0', 'x:1', 'x:2', 'y:0', 'y:1', 'y:2']);
    expect(r.review[0].reason).toBe('validator failed 3/3: answered B,B,B');
    expect(r.verdicts[1].passes).toBe(3);
  });

  it('verifyLabels() with stopAtFirstPass stops an item at its first right answer', async () => {
    let calls = 0;
    const v: Validator = async (_it, s) => {
      calls++;
      return s === 1 ? 'A' : 'C';
    };
    const r = await verifyLabels([item('x')], v, { stopAtFirstPass: true });
    expect(r.verdicts[0].answers).toEqual(['C', 'A']);
    expect(calls).toBe(2);
  });

  it('verifyLabels() keeps at most `concurrency` validator calls in flight', async () => {
    let active = 0;
    let peak = 0;
    const v: Validator = async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
      return 'A';
    };
    await verifyLabels(Array.from({ length: 10 }, (_, i) => item(`i${i}`)), v, { concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('verifyLabels() passes a validator error through', async () => {
    await expect(verifyLabels([item('x')], async () => Promise.reject(new Error('endpoint down')))).rejects.toThrow('endpoint down');
    await expect(verifyLabels([item('x')], async () => 'A', { k: 0 })).rejects.toThrow(/positive integer/);
  });

  it('reviewReason() writes - for a missing answer', () => {
    expect(reviewReason(['C', null])).toBe('validator failed 2/2: answered C,-');
  });
});

describe('parseLetter', () => {
  const L = ['A', 'B', 'C', 'D'];
  const opts = { A: 'Pneumonia', B: 'Asthma', C: 'Gout', D: 'Migraine' };
  const cases: [string, string | null][] = [
    ['<answer>B</answer>', 'B'],
    ['<answer> (C) </answer>', 'C'],
    ['<answer>Option D</answer>', 'D'],
    ['<think>maybe A? no.</think>\n<answer>B</answer>', 'B'],
    ['<answer>A</answer> wait, <answer>C</answer>', 'C'],
    ['<answer>B', 'B'],
    ['<answer>The answer is D</answer>', 'D'],
    ['<answer>E</answer>', null],
    ['The answer is C.', 'C'],
    ['Answer: (B)', 'B'],
    ['**Answer:** **D**', 'D'],
    ['Final answer: A', 'A'],
    ['I first thought answer A, but the correct option is D', 'D'],
    ['B', 'B'],
    ['**B**', 'B'],
    ['(C) Gout', 'C'],
    ['D. Migraine', 'D'],
    ['B - Asthma', 'B'],
    ['Gout', 'C'],
    ['gout.', 'C'],
    ['A patient like this has pneumonia', null],
    ['Answer: Aspirin', null],
    ['I am not sure.', null],
    ['', null],
    ['F', null],
  ];
  for (const [text, want] of cases) it(`parseLetter(${JSON.stringify(text)}) → ${want}`, () => expect(parseLetter(text, L, opts)).toBe(want));

  it('parseLetter() on a 4-option item reads letters after J as before (not letters): an "Answer: X-ray" after "answer is B" keeps B', () => {
    expect(parseLetter('The answer is B. Answer: X-ray first.', L)).toBe('B');
    expect(parseLetter('<answer>U</answer>', L)).toBeNull();
    expect(parseLetter('K. Something', L)).toBeNull();
  });
});

describe('parseLetter on a 21-option item (JMED, A–U)', () => {
  const AU = 'ABCDEFGHIJKLMNOPQRSTU'.split('');
  const cases: [string, string | null][] = [
    ['<answer>U</answer>', 'U'],
    ['<answer>Option T</answer>', 'T'],
    ['The answer is (S).', 'S'],
    ['Answer: K', 'K'],
    ['**U**', 'U'],
    ['U. Tension headache', 'U'],
    ['<answer>V</answer>', null],
    ['Answer: V', null],
  ];
  for (const [text, want] of cases) it(`parseLetter(${JSON.stringify(text)}, A–U) → ${want}`, () => expect(parseLetter(text, AU)).toBe(want));
});

describe('renderPrompt', () => {
  it('renderPrompt() fills question, options and letters', () => {
    const p = renderPrompt('Q: {question}\n{options}\nPick {letters}', { ...item('x'), options: { A: 'Yes', B: 'No' } });
    expect(p).toBe('Q: Question x?\nA. Yes\nB. No\nPick A, B');
    expect(renderPrompt(DEFAULT_VALIDATOR_PROMPT, item('x'))).toContain('D. Migraine');
  });
});

describe('llmValidator', () => {
  it('llmValidator() through LlmClient against a 127.0.0.1 server: 5 samples per item, one review, rerun from cache', async () => {
    // The fake model answers B for every question except "Question good?", where it answers A on samples 0 and 3.
    const seen: { content: string; temperature: number; seed?: number }[] = [];
    let n = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const b = JSON.parse(body) as { messages: { content: string }[]; temperature: number; seed?: number };
        seen.push({ content: b.messages[b.messages.length - 1].content, temperature: b.temperature, seed: b.seed });
        const good = b.messages[b.messages.length - 1].content.includes('Question good?');
        const k = (b.seed ?? 0) - 100;
        const letter = good && (k === 0 || k === 3) ? 'A' : 'B';
        n++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { content: `Reasoning...\n<answer>${letter}</answer>` } }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const cacheDir = tempDir('fleming-verify-');
      const client = new LlmClient({ baseUrl, model: 'validator', cacheDir, maxConcurrency: 4 }, { env: {} });
      const v = llmValidator(client, { seed: 100, system: 'You are a physician.' });
      const items = [item('good'), item('bad')];
      const r = await verifyLabels(items, v);
      expect(n).toBe(10);
      expect(seen.every((s) => s.temperature === 0.7)).toBe(true);
      expect(seen.map((s) => s.seed).sort()).toEqual([100, 100, 101, 101, 102, 102, 103, 103, 104, 104]);
      expect(r.verdicts.map((x) => [x.id, x.answers.join(''), x.passes])).toEqual([
        ['good', 'ABBAB', 2],
        ['bad', 'BBBBB', 0],
      ]);
      expect(r.review.map((x) => x.reason)).toEqual(['validator failed 5/5: answered B,B,B,B,B']);
      // rerun: everything from the cache
      const client2 = new LlmClient({ baseUrl, model: 'validator', cacheDir }, { env: {} });
      const r2 = await verifyLabels(items, llmValidator(client2, { seed: 100, system: 'You are a physician.' }));
      expect(n).toBe(10);
      expect(client2.stats()).toMatchObject({ requests: 0, cacheHits: 10 });
      expect(r2.verdicts).toEqual(r.verdicts);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
