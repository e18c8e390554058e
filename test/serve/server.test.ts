import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { generate } from '../../src/model/sample';
import { CHAT, Tokenizer, chatPrompt, loadTokenizer, saveTokenizer, trainBpe } from '../../src/model/tokenizer';
import { BatchQueue, QueueFull, Served, cutAtStop, serve } from '../../src/serve';
import { parseCli } from '../../src/cli';
import { useBackend } from '../model/helpers';
import { tempDir } from '../helpers/tmp';

const KEY = 'sk-serve-test-SECRET-7';
const QUESTION = 'Which drug is first line in type 2 diabetes? A. Insulin B. Metformin C. Aspirin D. Omeprazole';

/** A tiny random-init Llama + a BPE tokenizer, saved as a checkpoint directory. */
function tinyCheckpoint(dir: string): void {
  const texts = [QUESTION, 'Asthma is treated with inhaled corticosteroids.', 'Tuberculosis is treated with isoniazid and rifampicin.', 'Metformin lowers glucose.'];
  const { tokenizer } = trainBpe(texts, { vocabSize: 300 });
  const model = new Llama({ vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 128 }, 3);
  saveCheckpoint(dir, model);
  saveTokenizer(tokenizer, dir);
  model.dispose();
}

let dir = '';
let server: Served;
let client: OpenAI;
let model: Llama;
let tok: Tokenizer;
const logs: string[] = [];

beforeAll(async () => {
  await useBackend('wasm');
  dir = path.join(tempDir('fleming-serve-'), 'sft');
  tinyCheckpoint(dir);
  model = loadCheckpoint(dir).model;
  tok = loadTokenizer(dir);
  server = await serve(dir, { port: 0, maxTokens: 48, maxN: 4, batchWaitMs: 20, log: (m) => logs.push(m) });
  client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await server?.close();
  model?.dispose();
});

/** The project's own greedy decode of `question`: tokens without the final eos. */
function ownGreedy(question: string, maxNewTokens: number): number[] {
  const eos = tok.specialId(CHAT.eos);
  const g = generate(model, [chatPrompt(tok, question)], new Rng(0), { greedy: true, maxNewTokens, stopTokenIds: [eos], padTokenId: tok.specialId(CHAT.pad) });
  const t = g.tokens[0];
  return t[t.length - 1] === eos ? t.slice(0, -1) : t;
}

describe('serve()', () => {
  it('serve() binds to 127.0.0.1 and lists the checkpoint as a model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['sft']);
  });

  it('serve() greedy completion equals generate() of the chat prompt token for token', async () => {
    const r = await client.chat.completions.create({ model: 'sft', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: QUESTION }], temperature: 0, max_tokens: 20 });
    const own = ownGreedy(QUESTION, 20);
    expect(r.object).toBe('chat.completion');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].message.content).toBe(tok.decode(own));
    expect(r.usage?.completion_tokens).toBe(own.length);
    expect(r.usage?.prompt_tokens).toBe(chatPrompt(tok, QUESTION).length);
    expect(own.length).toBeGreaterThan(0);
  });

  it('serve() streamed chunks concatenate to the non-streamed text and end with [DONE]', async () => {
    const req = { model: 'sft', messages: [{ role: 'user' as const, content: QUESTION }], temperature: 0, max_tokens: 16 };
    const whole = await client.chat.completions.create(req);
    const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const c of stream) {
      expect(c.object).toBe('chat.completion.chunk');
      if (c.usage) usage = c.usage;
      if (!c.choices.length) continue;
      text += c.choices[0].delta.content ?? '';
      finish = c.choices[0].finish_reason ?? finish;
      chunks++;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(usage).toEqual(whole.usage);
    expect(chunks).toBeGreaterThan(2);
    expect(finish).toBe(whole.choices[0].finish_reason);
    // raw wire format: data: lines, last one [DONE]
    const raw = await (await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...req, stream: true }) })).text();
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(raw.split('\n\n').filter(Boolean).every((l) => l.startsWith('data: '))).toBe(true);
  });

  it('serve() n=2 with a seed gives two choices, the same for the same seed', async () => {
    const req = { model: 'sft', messages: [{ role: 'user' as const, content: QUESTION }], temperature: 1, top_p: 0.95, max_tokens: 12, n: 2, seed: 42 };
    const a = await client.chat.completions.create(req);
    const b = await client.chat.completions.create(req);
    const c = await client.chat.completions.create({ ...req, seed: 43 });
    expect(a.choices.map((x) => x.index)).toEqual([0, 1]);
    expect(b.choices.map((x) => x.message.content)).toEqual(a.choices.map((x) => x.message.content));
    expect(c.choices.map((x) => x.message.content)).not.toEqual(a.choices.map((x) => x.message.content));
  });

  it('serve() cuts the text at a stop string (string or array)', async () => {
    const req = { model: 'sft', messages: [{ role: 'user' as const, content: QUESTION }], temperature: 0, max_tokens: 20 };
    const full = (await client.chat.completions.create(req)).choices[0].message.content ?? '';
    expect(full.length).toBeGreaterThan(4);
    const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 2);
    const cut = await client.chat.completions.create({ ...req, stop });
    expect(cut.choices[0].message.content).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.choices[0].finish_reason).toBe('stop');
    const cut2 = await client.chat.completions.create({ ...req, stop: ['\u0000never', stop] });
    expect(cut2.choices[0].message.content).toBe(full.slice(0, full.indexOf(stop)));
    expect(cutAtStop('abcXdeY', ['Y', 'X'])).toEqual({ text: 'abc', cut: true });
  });

  it('serve() answers malformed requests with 400 and an OpenAI-style error body', async () => {
    const post = (body: string) => fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const bad = await post('{"model": "sft", "messages": [');
    expect(bad.status).toBe(400);
    const e = (await bad.json()) as { error: Record<string, unknown> };
    expect(e.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(typeof e.error.message).toBe('string');
    const missing = await post(JSON.stringify({ model: 'sft' }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('messages');
    await expect(client.chat.completions.create({ model: 'sft', messages: [] })).rejects.toMatchObject({ status: 400, param: 'messages' });
    await expect(client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: 'hi' }], max_tokens: 49 })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
    await expect(client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: 'hi' }], n: 5 })).rejects.toMatchObject({ status: 400, param: 'n' });
    await expect(client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: 'hi' }], temperature: -1 })).rejects.toMatchObject({ status: 400, param: 'temperature' });
    await expect(client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: QUESTION.repeat(20) }], max_tokens: 4 })).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    const big = await post(JSON.stringify({ model: 'sft', messages: [{ role: 'user', content: 'x'.repeat(2 << 20) }] }));
    expect(big.status).toBe(413);
    const unknown = await fetch(`${server.url}/completions`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('serve() batches concurrent requests: 8 at once are all answered in fewer generate calls', async () => {
    const before = server.stats.generateCalls;
    const questions = Array.from({ length: 8 }, (_, i) => `${QUESTION} (case ${i})`);
    const rs = await Promise.all(questions.map((q) => client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 10 })));
    const calls = server.stats.generateCalls - before;
    expect(rs.every((r) => r.choices.length === 1 && typeof r.choices[0].message.content === 'string')).toBe(true);
    expect(calls).toBeLessThan(8);
    // batching does not change what a greedy request gets
    rs.forEach((r, i) => expect(r.usage?.completion_tokens).toBe(ownGreedy(questions[i], 10).length));
  });

  it('serve() leaks no tensors over a burst of requests', async () => {
    const burst = () =>
      Promise.all([0, 1, 2, 3].map((i) => client.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: `${QUESTION} ${i}` }], temperature: i % 2 ? 0.8 : 0, max_tokens: 8, n: 2 })));
    await burst(); // burn-in
    const before = tf.memory().numTensors;
    await burst();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('serve() with a short queue', () => {
  it('serve({maxPending}) answers 429 with a rate_limit_error body when the queue is full', async () => {
    const small = await serve(dir, { port: 0, maxPending: 2, batchWaitMs: 50 });
    try {
      const post = () => fetch(`${small.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: QUESTION }], temperature: 0, max_tokens: 4 }) });
      const rs = await Promise.all(Array.from({ length: 6 }, post));
      const statuses = rs.map((r) => r.status).sort();
      expect(statuses.filter((st) => st === 200).length).toBeGreaterThanOrEqual(2);
      expect(statuses).toContain(429);
      const refused = rs.find((r) => r.status === 429) as Response;
      expect(((await refused.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    } finally {
      await small.close();
    }
  });
});

describe('serve() with an API key', () => {
  let keyed: Served;
  const keyedLogs: string[] = [];
  beforeAll(async () => {
    keyed = await serve(dir, { port: 0, apiKey: KEY, modelName: 'cot', log: (m) => keyedLogs.push(m) });
  });
  afterAll(async () => keyed?.close());

  it('serve({apiKey}) refuses requests without the key (401) and never logs it', async () => {
    const none = await fetch(`${keyed.url}/models`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    await expect(new OpenAI({ baseURL: keyed.url, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
    const ok = new OpenAI({ baseURL: keyed.url, apiKey: KEY, maxRetries: 0 });
    expect((await ok.models.list()).data[0].id).toBe('cot');
    const r = await ok.chat.completions.create({ model: 'cot', messages: [{ role: 'user', content: QUESTION }], temperature: 0, max_tokens: 4 });
    expect(r.choices).toHaveLength(1);
    expect(keyedLogs.length).toBeGreaterThanOrEqual(4);
    expect(keyedLogs.join('\n')).not.toContain(KEY);
  });
});

describe('BatchQueue', () => {
  it('BatchQueue batches jobs of one key pushed together and refuses past maxPending', async () => {
    const calls: number[][] = [];
    const q = new BatchQueue<number, number>((jobs) => {
      calls.push(jobs);
      return jobs.map((j) => j * 10);
    }, { maxPending: 5, maxBatchRows: 3, waitMs: 0 });
    const ps = [q.push(1, 'a', 1), q.push(2, 'b', 1), q.push(3, 'a', 1), q.push(4, 'a', 1), q.push(5, 'a', 1)];
    expect(() => q.push(6, 'a', 1)).toThrow(QueueFull);
    expect(await Promise.all(ps)).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1, 3, 4], [2], [5]]);
    expect(q.batches).toBe(3);
  });
});

describe('fleming serve', () => {
  it('parseCli(["serve", ...]) reads --checkpoint, --host, --port, --api-key-env and --model; needs one checkpoint', () => {
    const a = parseCli(['serve', '--checkpoint', dir, '--port', '0', '--api-key-env', 'SERVE_KEY', '--model', 'cot']);
    expect(a.serve).toEqual({ checkpoint: dir, host: '127.0.0.1', port: 0, apiKeyEnv: 'SERVE_KEY', model: 'cot' });
    expect(parseCli(['serve', '--checkpoint', dir]).serve).toMatchObject({ host: '127.0.0.1', port: 8000, apiKeyEnv: undefined });
    expect(() => parseCli(['serve'])).toThrow('fleming serve needs one --checkpoint DIR');
    expect(() => parseCli(['serve', '--checkpoint', dir, '--port', '70000'])).toThrow('--port expects');
  });

  it('fleming serve --checkpoint DIR answers on 127.0.0.1, keeps the key out of its log, and stops on SIGINT', async () => {
    const bin = path.join(__dirname, '..', '..', 'bin', 'fleming.cjs');
    const child = spawn(process.execPath, [bin, 'serve', '--checkpoint', dir, '--port', '0', '--backend', 'wasm', '--api-key-env', 'SERVE_TEST_KEY'], { env: { ...process.env, SERVE_TEST_KEY: KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(err);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const c = new OpenAI({ baseURL: url, apiKey: KEY, maxRetries: 0 });
    const r = await c.chat.completions.create({ model: 'sft', messages: [{ role: 'user', content: QUESTION }], temperature: 0, max_tokens: 6 });
    expect(r.choices[0].message.content).toBe(tok.decode(ownGreedy(QUESTION, 6)));
    expect((await fetch(`${url}/models`)).status).toBe(401);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toContain('serve: stopped');
    expect(err).toContain('POST /v1/chat/completions 200');
    expect(err + out).not.toContain(KEY);
  }, 60_000);
});
