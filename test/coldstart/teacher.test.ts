import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmClient } from '../../src/core/llm';
import { Rng } from '../../src/core/rng';
import { GraphTeacher, LlmTeacher, Trace, checkFormat, checkTrace, claimHolds, hardness, parseTeacherReply, refineAll } from '../../src/coldstart/cot/index';
import type { Item } from '../../src/rods/item';
import { SynthQuery, synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';
import { mentionName } from '../../src/base/sentences';
import { baseTokenizer } from '../../src/base/recipe';
import { recipeDefaults } from '../../src/base/config';
import { upperFirst } from '../../src/rods/synth/surface';

const g = fixtureGraph();
const items = synthesize(g, { n: 160, mix: { diagnosis: 3, multi_hop: 3, treatment: 1, contraindication: 1, mechanism: 1, test_selection: 1 } }, new Rng(11)).items;
const ctx = (seed: string, sample = 0) => ({ rng: new Rng(seed), sample });
const clueCount = (it: Item) => ((it.meta?.query as SynthQuery).clues ?? []).length;

describe('GraphTeacher.draft', () => {
  const t = new GraphTeacher(g, { style: 'clinical' });

  it('GraphTeacher.draft writes a short <think>…</think>\\n<answer>X</answer> trace whose claims are listed', async () => {
    const t0 = new GraphTeacher(g, { style: 'clinical', formatSlip: 0 });
    for (const it of items.slice(0, 40)) {
      const tr = await t0.draft(it, ctx(`a|${it.id}`));
      expect(tr.grounded).toBe(true);
      expect(tr.claims.length).toBeGreaterThan(0);
      expect(tr.steps!.length).toBeGreaterThanOrEqual(3);
      expect(tr.completion.length).toBeLessThan(1200);
      expect(checkFormat(tr.completion, it)).toEqual({ name: 'format', ok: true });
      expect(tr.completion.endsWith(`</think>\n<answer>${tr.answer}</answer>`)).toBe(true);
    }
  });

  it('GraphTeacher.draft is deterministic for a seed and varies across seeds', async () => {
    const a = await Promise.all(items.slice(0, 30).map((it) => t.draft(it, ctx(`s|${it.id}`))));
    const b = await Promise.all(items.slice(0, 30).map((it) => t.draft(it, ctx(`s|${it.id}`))));
    const c = await Promise.all(items.slice(0, 30).map((it) => t.draft(it, ctx(`other|${it.id}`))));
    expect(a.map((x) => x.completion)).toEqual(b.map((x) => x.completion));
    expect(a.map((x) => x.completion)).not.toEqual(c.map((x) => x.completion));
  });

  it('GraphTeacher.draft: first drafts are sometimes wrong on hard items, rarely on easy ones', async () => {
    const hard = items.filter((it) => it.type === 'multi_hop' || (it.type === 'diagnosis' && clueCount(it) >= 4));
    const easy = items.filter((it) => it.type === 'test_selection' || (it.type === 'diagnosis' && clueCount(it) <= 2));
    expect(hard.length).toBeGreaterThan(30);
    const wrongRate = async (xs: Item[]) => {
      let wrong = 0;
      for (const it of xs) for (let s = 0; s < 4; s++) if ((await t.draft(it, ctx(`w|${it.id}|${s}`, s))).answer !== it.answer) wrong++;
      return wrong / (xs.length * 4);
    };
    const h = await wrongRate(hard);
    const e = await wrongRate(easy);
    console.info(`wrong first drafts: hard ${h.toFixed(3)} (${hard.length} items), easy ${e.toFixed(3)} (${easy.length} items)`);
    expect(h).toBeGreaterThan(0.05);
    expect(h).toBeLessThan(0.6);
    expect(e).toBeLessThan(h);
    expect(hardness(hard[0])).toBeGreaterThan(0);
    expect(hardness({ ...hard[0], difficulty: 'Difficult' })).toBeGreaterThan(hardness({ ...hard[0], difficulty: 'Easy' }));
  });

  it('GraphTeacher.draft: drafts that pass every filter state only true relations and end with the right letter', async () => {
    let passed = 0;
    for (const it of items) {
      const tr = await t.draft(it, ctx(`p|${it.id}`));
      if (!checkTrace(it, tr, g).ok) continue;
      passed++;
      expect(tr.answer).toBe(it.answer);
      for (const c of tr.claims) expect(claimHolds(g, c)).toBe(true);
    }
    expect(passed).toBeGreaterThan(items.length / 2);
  });

  it("GraphTeacher.draft in a released Base's mention style: the same reasoning, each sentence after a space as the Base's corpus writes it, every name its entity token", async () => {
    const opts = { style: 'concise' as const, formatSlip: 0 };
    const sentence = new GraphTeacher(g, opts);
    const mention = new GraphTeacher(g, { ...opts, textStyle: 'mention' });
    const tok = baseTokenizer(g, { ...recipeDefaults, bpeVocab: 300 }, items.map((it) => it.question));
    const capitalised = g.nodes.map((n) => n.name).filter((n) => mentionName(n) !== n);
    expect(capitalised.length).toBeGreaterThan(20); // the fixture's names are capitalised: the two styles differ
    let checked = 0;
    for (const it of items.slice(0, 60)) {
      const a = await sentence.draft(it, ctx(`m|${it.id}`));
      const b = await mention.draft(it, ctx(`m|${it.id}`));
      expect([b.claims, b.answer]).toEqual([a.claims, a.answer]);
      expect(b.completion).toBe(`<think> ${b.steps!.join(' ')}</think>\n<answer>${b.answer}</answer>`);
      // 'sentence' is the same text, capitalised (its names as the graph writes them: the conclusion's may be capitalised)
      expect(b.steps!.map((s) => upperFirst(s).toLowerCase())).toEqual(a.steps!.map((s) => s.toLowerCase()));
      for (const [i, s] of b.steps!.entries()) expect(upperFirst(s)[0]).toBe(a.steps![i][0]);
      const think = b.completion.slice('<think>'.length, b.completion.indexOf('</think>'));
      for (const n of capitalised) expect(think).not.toContain(n);
      const ids = tok.encode(think, { allowSpecial: false });
      for (const c of b.claims) for (const x of [c.source, c.target]) expect(ids, `${it.id}: ${x}`).toContain(tok.tokenToId(` ${mentionName(g.node(x).name)}`));
      checked++;
    }
    expect(checked).toBe(60);
  });

  it('GraphTeacher.unsupported refuses curated items; draft throws for them', async () => {
    const cur: Item = { id: 'm1', origin: 'medqa', question: 'Q?', options: { A: 'x', B: 'y' }, answer: 'A', type: 'curated' };
    expect(t.unsupported(cur)).toMatch(/no graph query/);
    expect(t.unsupported(items[0])).toBeNull();
    await expect(t.draft(cur, ctx('c'))).rejects.toThrow(/m1: no graph query/);
  });
});

describe('GraphTeacher.revise', () => {
  it('GraphTeacher.revise self-correction retracts an anchored hypothesis and its false claims', async () => {
    const t = new GraphTeacher(g, { style: 'clinical', anchorBase: 1, anchorSlope: 0, dropBase: 0, dropSlope: 0, hopSlope: 0, formatSlip: 0 });
    let fixed = 0;
    const diag = items.filter((it) => it.type === 'diagnosis').slice(0, 20);
    for (const it of diag) {
      const d = await t.draft(it, ctx(`x|${it.id}`));
      expect(d.answer).not.toBe(it.answer); // anchored on a distractor
      const c = checkTrace(it, d, g);
      expect(c.failed).toContain('answer');
      const r = await t.revise(it, d, c.failures, 'self-correction', ctx(`y|${it.id}`));
      expect(r.completion).toContain('Correction: ');
      for (const cl of r.claims) expect(claimHolds(g, cl)).toBe(true);
      if (checkTrace(it, r, g).ok) fixed++;
    }
    expect(fixed).toBe(diag.length); // all clues in view: one option fits
  });

  it('GraphTeacher.revise backtracking restores one dropped clue per call', async () => {
    const t = new GraphTeacher(g, { style: 'clinical', dropBase: 1, dropSlope: 0, anchorBase: 0, anchorSlope: 0, hopSlope: 0, formatSlip: 0 });
    const it = items.find((x) => x.type === 'diagnosis' && clueCount(x) >= 3)!;
    const count = (tr: Trace) => tr.claims.filter((c) => !c.negated && (c.relation === 'has_symptom' || c.relation === 'has_finding')).length;
    let tr = await t.draft(it, ctx('b0'));
    expect(count(tr)).toBe(1); // every clue but one dropped
    for (let i = 1; i < clueCount(it); i++) {
      tr = await t.revise(it, tr, ['evidence: proof not stated'], 'backtracking', ctx(`b${i}`));
      expect(count(tr)).toBe(i + 1);
      expect(tr.completion).toContain('Re-examining the presentation');
    }
    expect(checkTrace(it, tr, g).ok).toBe(true);
  });

  it('GraphTeacher.revise path-exploration tests the hypothesis, then the next candidate, against all the evidence', async () => {
    const t = new GraphTeacher(g, { style: 'clinical', anchorBase: 1, anchorSlope: 0, dropBase: 0, dropSlope: 0, hopSlope: 0, formatSlip: 0 });
    const it = items.find((x) => x.type === 'treatment')!;
    let tr = await t.draft(it, ctx('e0'));
    const wrong = tr.answer;
    expect(wrong).not.toBe(it.answer);
    for (let i = 1; i <= 3 && tr.answer !== it.answer; i++) tr = await t.revise(it, tr, ['answer: wrong'], 'path-exploration', ctx(`e${i}`));
    expect(tr.answer).toBe(it.answer);
    expect(tr.completion).toContain(`Testing ${g.node((it.meta!.optionIds as Record<string, string>)[wrong!]).name} against all the evidence`);
    expect(checkTrace(it, tr, g).ok).toBe(true);
  });

  it('GraphTeacher.revise self-correction repairs a malformed ending', async () => {
    const t = new GraphTeacher(g, { style: 'clinical', formatSlip: 1, anchorBase: 0, anchorSlope: 0, dropBase: 0, dropSlope: 0, hopSlope: 0 });
    const it = items.find((x) => x.type === 'test_selection')!;
    const d = await t.draft(it, ctx('f'));
    const c = checkTrace(it, d, g);
    expect(c.failed).toContain('format');
    const r = await t.revise(it, d, c.failures, 'self-correction', ctx('f1'));
    expect(checkTrace(it, r, g).ok).toBe(true);
  });
});

describe('parseTeacherReply', () => {
  const L = ['A', 'B', 'C', 'D'];
  const table: [string, string, string | null][] = [
    ['<think>Fever and cough point to pneumonia.</think>\n<answer>B</answer>', 'Fever and cough point to pneumonia.', 'B'],
    ['```\n<think>\n  Two   lines\nhere\n</think>\n\n<answer> C </answer>\n```', 'Two lines here', 'C'],
    ['<think>Unclosed reasoning.\n<answer>A</answer>', 'Unclosed reasoning.', 'A'],
    ['Fever and cough point to pneumonia.\nAnswer: D', 'Fever and cough point to pneumonia.', 'D'],
    ['<|channel|>analysis<|message|>scratch<|end|><|start|>assistant<|channel|>final<|message|><think>Short.</think>\n<answer>B</answer>', 'Short.', 'B'],
    ['<think>No letter at all.</think>', 'No letter at all.', null],
    ['<think>Out of range.</think>\n<answer>F</answer>', 'Out of range.', null],
  ];
  it.each(table)('parseTeacherReply(%j)', (text, reasoning, letter) => {
    expect(parseTeacherReply(text, L)).toEqual({ reasoning, letter });
  });
});

/** A real OpenAI-style endpoint on 127.0.0.1 whose reply depends on the prompt. */
interface Server {
  baseUrl: string;
  bodies: { messages: { role: string; content: string }[] }[];
  close(): Promise<void>;
}

async function startServer(reply: (messages: { role: string; content: string }[]) => string): Promise<Server> {
  const bodies: Server['bodies'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Server['bodies'][number];
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: reply(body.messages) } }], usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('LlmTeacher against a local server', () => {
  let srv: Server;
  beforeAll(async () => {
    // first drafts answer A in a sloppy format; any revision answers with the label
    srv = await startServer((messages) => {
      const last = messages[messages.length - 1].content;
      const label = /The correct answer is ([A-J])\./.exec(messages.find((m) => m.role === 'user')!.content)![1];
      const name = /The correct answer is [A-J]\. (.*)/.exec(messages.find((m) => m.role === 'user')!.content)![1];
      if (messages.length <= 2) return '```\n<think>\nThe findings suggest the first option.\n</think>\n\n<answer> A </answer>\n```';
      return `<think>${last.includes('Explore another path') ? 'Testing each option: ' : ''}the findings fit ${name}.</think>\n<answer>${label}</answer>`;
    });
  });
  afterAll(async () => srv.close());

  it('LlmTeacher.draft sends question, options and the known answer, and canonicalises the reply', async () => {
    const client = new LlmClient({ baseUrl: srv.baseUrl, model: 'gpt-oss-120b', cacheDir: '', maxRetries: 0 });
    const t = new LlmTeacher(client, { model: 'gpt-oss-120b' });
    const it = items.find((x) => x.answer === 'C')!;
    const n0 = srv.bodies.length;
    const tr = await t.draft(it, ctx('l'));
    const sent = srv.bodies[n0].messages;
    expect(sent[0].role).toBe('system');
    expect(sent[1].content).toContain(it.question);
    expect(sent[1].content).toContain(`C. ${it.options.C}`);
    expect(sent[1].content).toContain(`The correct answer is C. ${it.options.C}`);
    expect(tr).toEqual({ completion: '<think>The findings suggest the first option.</think>\n<answer>A</answer>', claims: [], answer: 'A', grounded: false });
    expect(t.name).toBe('llm:gpt-oss-120b');
  });

  it('LlmTeacher.revise sends the previous trace, the feedback and the strategy prompt', async () => {
    const client = new LlmClient({ baseUrl: srv.baseUrl, model: 'm', cacheDir: '', maxRetries: 0 });
    const t = new LlmTeacher(client, { model: 'm' });
    const it = items.find((x) => x.answer === 'B')!;
    const d = await t.draft(it, ctx('l'));
    const n0 = srv.bodies.length;
    const r = await t.revise(it, d, ['answer: answer A but the label is B'], 'backtracking', ctx('l'));
    const sent = srv.bodies[n0].messages;
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent[2].content).toBe(d.completion);
    expect(sent[3].content).toContain('Your reasoning has a problem: answer: answer A but the label is B.');
    expect(sent[3].content).toContain('Backtrack:');
    expect(r.answer).toBe('B');
  });

  it('refineAll with the LlmTeacher: wrong drafts are fixed by path-exploration, curated items included', async () => {
    const client = new LlmClient({ baseUrl: srv.baseUrl, model: 'm', cacheDir: '', maxRetries: 0 });
    const t = new LlmTeacher(client, { model: 'm' });
    const cur: Item = { id: 'medqa-1', origin: 'medqa', question: 'A child with wheezing. Best rescue drug?', options: { A: 'Montelukast', B: 'Salbutamol' }, answer: 'B', type: 'curated' };
    const xs = [...items.filter((x) => x.answer !== 'A').slice(0, 3), cur];
    const res = await refineAll(xs, t, { graph: g }, { k: 1, depth: 2, seed: 1 });
    expect(res.failures).toEqual([]);
    expect(res.rows.map((r) => r.itemId)).toEqual(xs.map((x) => x.id));
    for (const r of res.rows) {
      expect(r.teacher).toBe('llm:m');
      expect(r.strategies).toEqual(['path-exploration']);
      expect(r.attempts).toBe(2);
      expect(r.firstDraft).toContain('<answer>A</answer>');
      expect(r.completion).toMatch(/^<think>Testing each option: the findings fit .*<\/think>\n<answer>[B-D]<\/answer>$/);
    }
    expect(res.rows[3].difficulty).toBeNull();
    expect(res.stats.firstDraftCorrect).toBe(0);
  });
});
