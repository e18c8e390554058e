import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJsonlSync } from '../../src/core/io';
import { hashString } from '../../src/core/rng';
import { openRun, type RunContext } from '../../src/core/run';
import { itemPrompt } from '../../src/protocol';
import { type EndpointMiningRecord, mineEndpoint, minePool } from '../../src/rlvr/mine';
import { mineTiers } from '../../src/rlvr/plans';
import type { Item } from '../../src/rods/item';
import { serve, type Served } from '../../src/serve';
import { makeRun, removeRuns } from '../export/fixture';
import { useBackend } from '../model/helpers';

type Body = { messages: { role: string; content: string }[]; temperature: number; max_tokens: number; seed?: number };

/** A stand-in policy behind an OpenAI-compatible server: answers each item by a rule of the test. */
let answer: (item: Item, body: Body) => { status: number; content: string } = () => ({ status: 200, content: '' });
const bodies: Body[] = [];
let fake: http.Server;
let fakeUrl = '';
let served: Served | undefined;
let items: Item[] = [];

beforeAll(async () => {
  await useBackend('wasm');
  const byPrompt = () => new Map(items.map((it) => [itemPrompt(it), it]));
  fake = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
      bodies.push(body);
      const r = answer(byPrompt().get(body.messages[body.messages.length - 1].content) as Item, body);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.status === 200 ? JSON.stringify({ choices: [{ message: { role: 'assistant', content: r.content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }) : JSON.stringify({ error: { message: 'prompt too long' } }));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  fake.closeAllConnections();
  await new Promise<void>((resolve) => fake.close(() => resolve()));
  await served?.close();
  removeRuns();
});

/** The fixture run opened with mining settings: 3 samples, ≥ 2 failures, at most 4 mined, the whole train split at once. */
function context(dir: string, rlvr: Record<string, unknown> = {}): RunContext {
  return openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: path.basename(dir), rlvr: { stage2Samples: 3, stage2MinFailures: 2, stage2MaxMined: 4, stage2MinePool: 0, stage2MineTiers: false, maxNewTokens: 12, temperature: 0.7, ...rlvr }, eval: { endpointRetries: 0 } } }), { root: path.dirname(dir), quiet: true, progressMode: 'silent' });
}

async function parquetRows(file: string): Promise<Record<string, any>[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const b = fs.readFileSync(file);
  return (await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('mineEndpoint()', () => {
  it('counts failures by the strict answer, keeps repeated failures Difficult first, leaves out items whose requests fail, and writes the round as verl rows', async () => {
    const run = makeRun({ stage2: false });
    items = run.items;
    const train = items.filter((it) => it.split === 'train');
    const wrong = (it: Item) => Object.keys(it.options).find((l) => l !== it.answer) as string;
    // item k of the train split: k % 4 = 0 always right, 1 right once, 2 never right, 3 its request is refused (400)
    const rule = (it: Item) => train.indexOf(it) % 4;
    answer = (it, body) => {
      const s = bodies.filter((b) => b.messages[0].content === itemPrompt(it)).length - 1; // this item's sample index
      if (rule(it) === 3) return { status: 400, content: '' };
      const right = rule(it) === 0 || (rule(it) === 1 && s === 0);
      return { status: 200, content: `<think>x</think>\n<answer>${right ? it.answer : wrong(it)}</answer>` };
    };
    bodies.length = 0;
    const ctx = context(run.dir);
    const r = await mineEndpoint(ctx, { baseUrl: fakeUrl, model: 'policy', apiKeyEnv: 'FLEMING_MINE_TEST_UNSET' });
    const rec = r.record;
    expect(minePool(ctx, items)).toEqual(train);
    const expected = train.filter((it) => rule(it) === 1 || rule(it) === 2);
    expect(rec).toMatchObject({ round: 1, evaluated: train.length - train.filter((it) => rule(it) === 3).length, samplesPerItem: 3, failing: expected.length, mined: Math.min(4, expected.length), previousStillFailing: null, errors: train.filter((it) => rule(it) === 3).length });
    expect(rec.errorExamples[0]).toMatch(/: .*400/);
    const rank = (d?: string) => ['Difficult', 'Moderate', 'Easy'].indexOf(d as string);
    const mined = rec.minedItems;
    for (let i = 1; i < mined.length; i++) expect(rank(mined[i - 1].difficulty) * 10 - mined[i - 1].failures).toBeLessThanOrEqual(rank(mined[i].difficulty) * 10 - mined[i].failures);
    for (const m of mined) expect(m.failures).toBe(rule(items.find((it) => it.id === m.id) as Item) === 1 ? 2 : 3);
    // the requests: the policy's prompt alone (no system turn), the run's temperature and token budget, a seed per sample
    expect(bodies.every((b) => b.messages.length === 1 && b.messages[0].role === 'user' && b.temperature === 0.7 && b.max_tokens === 12)).toBe(true);
    expect(bodies.find((b) => b.messages[0].content === itemPrompt(train[0]))?.seed).toBe(hashString(`${ctx.config.seed}:rlvr:mine:1:${train[0].id}:0`));
    const rows = await parquetRows(path.join(r.out, 'stage2_train.parquet'));
    expect(rows.map((x) => [x.extra_info.id, x.extra_info.mined_rounds, x.extra_info.failures])).toEqual(mined.map((m) => [m.id, [1], m.failures]));
    expect(rows[0].prompt).toEqual([{ role: 'user', content: itemPrompt(items.find((it) => it.id === mined[0].id) as Item) }]);
    expect(await parquetRows(path.join(r.out, 'stage2_round1.parquet'))).toEqual(rows);
    expect(r.out).toBe(path.join(run.dir, 'rlvr', 'mine'));

    // round 2: everything right now; the previous set is no longer failing and nothing is mined
    answer = (it) => ({ status: 200, content: `<think>x</think>\n<answer>${it.answer}</answer>` });
    const r2 = await mineEndpoint(ctx, { baseUrl: fakeUrl, model: 'policy', apiKeyEnv: 'FLEMING_MINE_TEST_UNSET' });
    expect(r2.record).toMatchObject({ round: 2, mined: 0, previousStillFailing: 0, errors: 0, passRate: 1 });
    expect(readJsonlSync<EndpointMiningRecord>(path.join(r.out, 'mining.jsonl')).map((x) => x.value.round)).toEqual([1, 2]);
    expect(await parquetRows(path.join(r.out, 'stage2_train.parquet'))).toEqual([]);
    expect(fs.existsSync(path.join(r.out, 'stage2_round1.parquet'))).toBe(true);
  });

  it('rlvr.stage2MineTiers asks the hardest tier first (Difficult, Moderate, Easy) and stops once the cap has failed: the same hard set from fewer requests', async () => {
    const run = makeRun({ stage2: false });
    items = run.items;
    const train = items.filter((it) => it.split === 'train');
    const tiers = mineTiers(train);
    expect(tiers.length).toBeGreaterThan(1); // (this fixture's train split has no Difficult item: its first tier is Moderate)
    const [first, hard] = tiers[0];
    expect(first).toBe(train.some((it) => it.difficulty === 'Difficult') ? 'Difficult' : 'Moderate');
    // every item of the first tier always wrong, every second other item too: the cap (the first tier's size) fills in the first tier
    const wrongItem = (it: Item) => hard.includes(it) || train.indexOf(it) % 2 === 1;
    answer = (it) => ({ status: 200, content: `<think>x</think>\n<answer>${wrongItem(it) ? Object.keys(it.options).find((l) => l !== it.answer) : it.answer}</answer>` });
    const ep = { baseUrl: fakeUrl, model: 'policy', apiKeyEnv: 'FLEMING_MINE_TEST_UNSET' };
    const rounds: { record: EndpointMiningRecord; requests: number }[] = [];
    for (const [sub, tiers] of [['whole', false], ['tiers', true]] as const) {
      bodies.length = 0;
      const r = await mineEndpoint(context(run.dir, { stage2MineTiers: tiers, stage2MaxMined: hard.length }), ep, { out: path.join(run.dir, sub) });
      rounds.push({ record: r.record, requests: bodies.length });
    }
    const [whole, tiered] = rounds;
    expect(whole.record).toMatchObject({ evaluated: train.length, mined: hard.length });
    expect(whole.record.tiers).toBeUndefined();
    expect(whole.requests).toBe(train.length * 3);
    expect(tiered.record).toMatchObject({ evaluated: hard.length, mined: hard.length, tiers: [first], pool: train.length, failing: hard.length });
    expect(tiered.requests).toBe(hard.length * 3);
    expect(tiered.record.minedItems.map((m) => m.id).sort()).toEqual(whole.record.minedItems.map((m) => m.id).sort());
    expect(tiered.record.minedItems.map((m) => m.id).sort()).toEqual(hard.map((it) => it.id).sort());
  });

  it('throws, writing nothing, when the endpoint refuses every request or the key', async () => {
    const run = makeRun({ stage2: false });
    items = run.items;
    const out = path.join(run.dir, 'mined');
    answer = () => ({ status: 400, content: '' });
    await expect(mineEndpoint(context(run.dir), { baseUrl: fakeUrl, model: 'policy', apiKeyEnv: 'X' }, { out })).rejects.toThrow(/every request failed, nothing was written/);
    expect(fs.existsSync(path.join(out, 'mining.jsonl'))).toBe(false);
  });

  it("mines against the project's own `fleming serve` on 127.0.0.1: every pool item asked n times, the round recorded", async () => {
    const run = makeRun({ stage2: false, checkpoint: true });
    items = run.items;
    served = await serve(path.join(run.dir, 'coldstart', 'sft'), { port: 0, modelName: 'cot' });
    const ctx = context(run.dir, { maxNewTokens: 6, stage2Samples: 2 });
    const before = served.stats.completions;
    const r = await mineEndpoint(ctx, { baseUrl: served.url, model: 'cot', apiKeyEnv: 'FLEMING_MINE_TEST_UNSET' });
    const train = items.filter((it) => it.split === 'train');
    expect(served.stats.completions - before).toBe(train.length * 2);
    expect(r.record).toMatchObject({ round: 1, evaluated: train.length, samplesPerItem: 2, errors: 0, endpoint: { baseUrl: served.url, model: 'cot' } });
    expect(r.record.failureHistogram.reduce((a, b) => a + b, 0)).toBe(train.length);
    expect(r.record.mined).toBe(Math.min(4, r.record.failing));
    expect((await parquetRows(r.files[1])).map((x) => x.extra_info.id)).toEqual(r.record.minedItems.map((m) => m.id));
  });
});
