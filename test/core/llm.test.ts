import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LlmClient, LlmError } from '../../src/core/llm';
import { cacheKey } from '../../src/core/llmCache';
import { backoffMs, retryAfterMs } from '../../src/core/llmHttp';
import { Semaphore } from '../../src/core/semaphore';
import { Rng } from '../../src/core/rng';
import { tempDir } from '../helpers/tmp';

/** What the fake endpoint answers for the i-th request (0-based). */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/** A real OpenAI-style endpoint on 127.0.0.1 with a scripted reply per request. */
interface FakeServer {
  baseUrl: string;
  requests: { auth: string | undefined; body: Record<string, unknown> }[];
  maxInFlight: number;
  close(): Promise<void>;
}

const KEY = 'sk-test-SECRET-0123456789';

function ok(content: string, usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 }): Reply {
  return { status: 200, body: JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }], usage }) };
}

async function startServer(script: (i: number, body: Record<string, unknown>) => Reply): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const i = requests.length;
      requests.push({ auth: req.headers.authorization, body });
      inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      const r = script(i, body);
      setTimeout(() => {
        inFlight -= 1;
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...(r.headers ?? {}) });
        res.end(r.body ?? '');
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const servers: FakeServer[] = [];
async function serve(script: (i: number, body: Record<string, unknown>) => Reply): Promise<FakeServer> {
  const s = await startServer(script);
  servers.push(s);
  return s;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

const tmp = () => tempDir('fleming-llm-');
const env = { MY_KEY: KEY };
const fast = { baseDelayMs: 5, maxDelayMs: 1000 };
const msgs = [{ role: 'user' as const, content: 'Which letter?' }];

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

describe('LlmClient.chat', () => {
  it('chat() posts model, messages, temperature and max_tokens and returns the choices and usage', async () => {
    const s = await serve(() => ok('B'));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm1', apiKeyEnv: 'MY_KEY' }, { env });
    const r = await c.chat(msgs, { temperature: 0.7, maxTokens: 16, seed: 3 });
    expect(r).toEqual({ texts: ['B'], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 }, cached: false });
    expect(s.requests[0].body).toEqual({ model: 'm1', messages: msgs, temperature: 0.7, max_tokens: 16, seed: 3 });
    expect(s.requests[0].auth).toBe(`Bearer ${KEY}`);
    expect(c.stats()).toEqual({ requests: 1, cacheHits: 0, retries: 0, promptTokens: 10, completionTokens: 2, totalTokens: 12 });
  });

  it('chat() sends no Authorization header when the key variable is unset, and says so on 401', async () => {
    const s = await serve(() => ({ status: 401, body: '{"error":"missing key"}' }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', apiKeyEnv: 'NOT_SET_ANYWHERE' }, { env: {} });
    await expect(c.chat(msgs)).rejects.toThrow(/HTTP 401 \(no API key: environment variable NOT_SET_ANYWHERE is not set\)/);
    expect(s.requests[0].auth).toBeUndefined();
  });

  it('chat() waits Retry-After on 429, then succeeds', async () => {
    const s = await serve((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' }, body: '{"error":"rate"}' } : ok('C')));
    const waits: number[] = [];
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', ...fast, maxDelayMs: 10_000 }, { env, sleep: async (ms) => void waits.push(ms) });
    const r = await c.chat(msgs);
    expect(r.texts).toEqual(['C']);
    expect(waits).toEqual([2000]);
    expect(c.stats()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('chat() honours retry-after-ms with a real wait', async () => {
    const s = await serve((i) => (i === 0 ? { status: 429, headers: { 'retry-after-ms': '120' } } : ok('A')));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', ...fast }, { env });
    const t0 = performance.now();
    expect((await c.chat(msgs)).texts).toEqual(['A']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('chat() retries a 500 with backoff, then succeeds', async () => {
    const s = await serve((i) => (i < 2 ? { status: 500, body: 'boom' } : ok('D')));
    const waits: number[] = [];
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', baseDelayMs: 100, maxDelayMs: 10_000 }, { env, sleep: async (ms) => void waits.push(ms) });
    expect((await c.chat(msgs)).texts).toEqual(['D']);
    expect(s.requests).toHaveLength(3);
    // attempt 0 waits in [50, 100), attempt 1 in [100, 200)
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThan(100);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThan(200);
  });

  it('chat() fails at once on 400 with status and body excerpt, never the key', async () => {
    const s = await serve(() => ({ status: 400, body: JSON.stringify({ error: { message: `bad request from key ${KEY}` } }) }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', apiKeyEnv: 'MY_KEY', ...fast }, { env });
    const err = await c.chat(msgs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).status).toBe(400);
    expect((err as Error).message).toMatch(/HTTP 400: .*bad request from key \*\*\*/);
    expect((err as Error).message).not.toContain(KEY);
    expect(s.requests).toHaveLength(1);
  });

  it('chat() redacts the key from an error after retries run out, even when the URL carries it', async () => {
    const s = await serve(() => ({ status: 502, body: `upstream rejected ${KEY}` }));
    const c = new LlmClient({ baseUrl: `${s.baseUrl.replace('/v1', '')}/${KEY}/v1`, model: 'm', apiKeyEnv: 'MY_KEY', maxRetries: 1, ...fast }, { env });
    const err = (await c.chat(msgs).catch((e: unknown) => e)) as LlmError;
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/\/\*\*\*\/v1\/chat\/completions: HTTP 502: upstream rejected \*\*\* \(gave up after 2 attempts\)/);
    expect(err.message).not.toContain(KEY);
  });

  it('chat() gives up after maxRetries with the last status', async () => {
    const s = await serve(() => ({ status: 503, body: 'down' }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', maxRetries: 2, ...fast }, { env });
    await expect(c.chat(msgs)).rejects.toThrow(/HTTP 503: down \(gave up after 3 attempts\)/);
    expect(s.requests).toHaveLength(3);
  });

  it('chat() times out a slow response and retries', async () => {
    const s = await serve((i) => (i === 0 ? { ...ok('slow'), delayMs: 1500 } : ok('fast')));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', timeoutMs: 200, ...fast }, { env });
    const t0 = performance.now();
    expect((await c.chat(msgs)).texts).toEqual(['fast']);
    expect(performance.now() - t0).toBeLessThan(1400);
    expect(c.stats()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('chat() retries a refused connection and reports a network error', async () => {
    const s = await serve(() => ok('x'));
    const url = s.baseUrl;
    await servers.pop()!.close();
    const c = new LlmClient({ baseUrl: url, model: 'm', maxRetries: 1, ...fast }, { env });
    await expect(c.chat(msgs)).rejects.toThrow(/network error .*gave up after 2 attempts/);
    expect(c.stats()).toMatchObject({ requests: 2, retries: 1 });
  });
});

describe('LlmClient cache', () => {
  it('chatMany() a second time makes zero requests, and cache files never hold the key', async () => {
    const s = await serve((_i, body) => ok(`echo:${(body.messages as { content: string }[])[0].content}`));
    const dir = tmp();
    const reqs = [0, 1, 2].flatMap((q) => [0, 1].map((sampleIndex) => ({ messages: [{ role: 'user' as const, content: `q${q}` }], opts: { sampleIndex, temperature: 0.7 } })));
    const c1 = new LlmClient({ baseUrl: s.baseUrl, model: 'm', apiKeyEnv: 'MY_KEY', cacheDir: dir }, { env });
    const r1 = await c1.chatMany(reqs);
    expect(s.requests).toHaveLength(6);
    expect(r1.map((r) => r.texts[0])).toEqual(['echo:q0', 'echo:q0', 'echo:q1', 'echo:q1', 'echo:q2', 'echo:q2']);
    const c2 = new LlmClient({ baseUrl: s.baseUrl, model: 'm', apiKeyEnv: 'MY_KEY', cacheDir: dir }, { env });
    const r2 = await c2.chatMany(reqs);
    expect(s.requests).toHaveLength(6); // nothing new
    expect(c2.stats()).toMatchObject({ requests: 0, cacheHits: 6 });
    expect(r2.map((r) => r.texts)).toEqual(r1.map((r) => r.texts));
    expect(r2.every((r) => r.cached)).toBe(true);
    const files = allFiles(dir);
    expect(files).toHaveLength(6);
    for (const f of files) {
      expect(f).toMatch(/\.json$/); // no temporary files left behind
      expect(fs.readFileSync(f, 'utf8')).not.toContain(KEY);
    }
  });

  it('chat() with a different temperature, model or sample index misses the cache', async () => {
    const s = await serve(() => ok('A'));
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir }, { env });
    await c.chat(msgs, { temperature: 0 });
    await c.chat(msgs, { temperature: 0 });
    await c.chat(msgs, { temperature: 0.5 });
    await c.chat(msgs, { temperature: 0, sampleIndex: 1 });
    await new LlmClient({ baseUrl: s.baseUrl, model: 'other', cacheDir: dir }, { env }).chat(msgs, { temperature: 0 });
    expect(s.requests).toHaveLength(4);
    expect(c.stats().cacheHits).toBe(1);
  });

  it('chat() shares one request between identical concurrent calls', async () => {
    const s = await serve(() => ({ ...ok('A'), delayMs: 50 }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: tmp() }, { env });
    const rs = await Promise.all([c.chat(msgs), c.chat(msgs), c.chat(msgs)]);
    expect(rs.map((r) => r.texts[0])).toEqual(['A', 'A', 'A']);
    expect(s.requests).toHaveLength(1);
  });

  it('cacheKey() changes with each keyed field and ignores a trailing slash', () => {
    const base = cacheKey('http://h/v1', 'm', msgs, 0, 10, 0);
    expect(cacheKey('http://h/v1/', 'm', msgs, 0, 10, 0)).toBe(base);
    for (const k of [cacheKey('http://g/v1', 'm', msgs, 0, 10, 0), cacheKey('http://h/v1', 'n', msgs, 0, 10, 0), cacheKey('http://h/v1', 'm', [{ role: 'user', content: 'x' }], 0, 10, 0), cacheKey('http://h/v1', 'm', msgs, 1, 10, 0), cacheKey('http://h/v1', 'm', msgs, 0, 11, 0), cacheKey('http://h/v1', 'm', msgs, 0, 10, 1)])
      expect(k).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('LlmClient on malformed replies', () => {
  const reply = (content: unknown): Reply => ({ status: 200, body: JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }) });

  it('chat() retries a 200 whose content is not text (a number, an object, missing), then returns the good reply; only that is cached', async () => {
    const s = await serve((i) => [reply(42), reply({ text: 'B' }), { status: 200, body: '{"choices":[{"text":"B"}]}' }, reply('<answer>B</answer>')][i]);
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir, ...fast }, { env, sleep: async () => undefined });
    expect((await c.chat(msgs)).texts).toEqual(['<answer>B</answer>']);
    expect(c.stats()).toMatchObject({ requests: 4, retries: 3 });
    const files = allFiles(dir);
    expect(files).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(files[0], 'utf8')).texts).toEqual(['<answer>B</answer>']);
  });

  it('chat() on a 200 whose content is never text fails with an LlmError saying so, and caches nothing', async () => {
    const s = await serve(() => reply(42));
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir, maxRetries: 2, ...fast }, { env, sleep: async () => undefined });
    const err = await c.chat(msgs).catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err.message).toMatch(/HTTP 200 but choices\[0\]\.message\.content is a number, not text: .*\(gave up after 3 attempts\)/);
    expect(allFiles(dir)).toEqual([]);
  });

  it('chat() reads null content as an empty answer and odd usage counts as 0', async () => {
    const s = await serve(() => ({ status: 200, body: JSON.stringify({ choices: [{ message: { content: null } }], usage: { prompt_tokens: '7', completion_tokens: 3 } }) }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm' }, { env });
    expect(await c.chat(msgs)).toEqual({ texts: [''], usage: { prompt_tokens: 0, completion_tokens: 3, total_tokens: 3 }, cached: false });
  });

  it('chat() ignores a cache entry whose texts are not strings (written by an older version) and asks again', async () => {
    const s = await serve(() => ok('C'));
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir }, { env });
    await c.chat(msgs);
    const [f] = allFiles(dir);
    fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), texts: [42] }));
    expect((await new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir }, { env }).chat(msgs)).texts).toEqual(['C']);
    expect(s.requests).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(f, 'utf8')).texts).toEqual(['C']);
  });

  it('chatSettled() gives each request its result or its LlmError, and caches only the answers', async () => {
    const s = await serve((_i, body) => ((body.messages as { content: string }[])[0].content === 'bad' ? { status: 500, body: 'down' } : ok('fine')));
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir, maxRetries: 1, ...fast }, { env, sleep: async () => undefined });
    const rs = await c.chatSettled(['a', 'bad', 'c'].map((content) => ({ messages: [{ role: 'user' as const, content }] })));
    expect(rs.map((r) => (r instanceof LlmError ? `error ${r.status}` : r.texts[0]))).toEqual(['fine', 'error 500', 'fine']);
    expect(allFiles(dir)).toHaveLength(2);
  });
});

describe('LlmClient concurrency', () => {
  it('chatMany() never has more than maxConcurrency requests in flight', async () => {
    const s = await serve((i) => ({ ...ok(`r${i}`), delayMs: 30 }));
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', maxConcurrency: 3 }, { env });
    const reqs = Array.from({ length: 12 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `q${i}` }] }));
    const rs = await c.chatMany(reqs);
    expect(rs).toHaveLength(12);
    expect(s.requests).toHaveLength(12);
    expect(s.maxInFlight).toBe(3);
  });

  it('chatMany() settles every request, then throws the first failure', async () => {
    const s = await serve((_i, body) => ((body.messages as { content: string }[])[0].content === 'bad' ? { status: 422, body: 'nope' } : ok('fine')));
    const dir = tmp();
    const c = new LlmClient({ baseUrl: s.baseUrl, model: 'm', cacheDir: dir }, { env });
    const reqs = ['a', 'bad', 'c'].map((content) => ({ messages: [{ role: 'user' as const, content }] }));
    await expect(c.chatMany(reqs)).rejects.toThrow(/HTTP 422: nope/);
    expect(allFiles(dir)).toHaveLength(2); // the good ones are cached
  });

  it('Semaphore.run() holds at most `limit` at once and runs waiters in order', async () => {
    const sem = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        sem.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          active -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(() => new Semaphore(0)).toThrow(/positive integer/);
  });
});

describe('retry helpers', () => {
  const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] ?? null });
  it('retryAfterMs() reads retry-after-ms, seconds and an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:05 GMT' }), Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterMs(h({}))).toBeNull();
  });

  it('backoffMs() doubles per attempt within [0.5, 1) of the step, capped, and is seeded', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 5; i++) {
      const d = backoffMs(i, a, 100, 1000);
      const step = Math.min(1000, 100 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThan(step + 1e-9);
      expect(backoffMs(i, b, 100, 1000)).toBe(d);
    }
  });
});
