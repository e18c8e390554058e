import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli';
import { resolveConfig } from '../../src/core/config';
import { readJsonlSync, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun, type RunContext } from '../../src/core/run';
import { SYNTHETIC, run as evaluate } from '../../src/eval';
import { itemPrompt } from '../../src/protocol';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

process.env.FLEMING_NO_PNG = '1';
const graph = fixtureGraph();
const items: Item[] = synthesize(graph, { n: 18, options: 4 }, new Rng(5)).items.map((it, i): Item => ({ ...it, split: i % 3 === 0 ? 'test' : 'train' }));
const test = items.filter((it) => it.split === 'test');
const bad = test[2];
const noBenchmarks = tempDir('fleming-eval-endpoint-bench-');

/** How the fake endpoint answers: well, with a number for `bad`'s content, slowly, or refusing the key. */
let mode: 'ok' | 'badContent' | 'slow' | 'unauthorized' = 'ok';
const requests: string[] = [];
const arrivals: number[] = [];
let server: http.Server;
let baseUrl = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const prompt = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: { content: string }[] }).messages[1].content;
      requests.push(prompt);
      arrivals.push(Date.now());
      const content = mode === 'badContent' && prompt === itemPrompt(bad) ? 42 : '<think>Asthma presents with wheezing.</think>\n<answer>A</answer>';
      setTimeout(() => {
        if (res.destroyed) return;
        if (mode === 'unauthorized') {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end('{"error":"bad key"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } }));
      }, mode === 'slow' ? 1000 : 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A run with the graph and the RODS items (no checkpoints: only the endpoint is evaluated). */
function freshRun(eval_: Record<string, unknown> = {}): RunContext {
  const root = tempDir('fleming-eval-endpoint-');
  const config = resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', eval: { testItems: 6, benchmarkItems: 0, bootstrap: 50, examples: 2, endpointRetries: 1, ...eval_ } } });
  const ctx = openRun(config, { root, quiet: true, progressMode: 'silent' });
  writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  return ctx;
}

const endpoint = () => ({ baseUrl, model: 'flaky-med', apiKeyEnv: 'FLEMING_ENDPOINT_TEST_KEY', maxConcurrency: 4 });
const fast = { baseDelayMs: 5 };

describe('eval run() on an endpoint that fails', () => {
  it('run() records an item whose reply is never text as an error, completes the rest, caches nothing for it, and asks only it again on the next run', async () => {
    const ctx = freshRun();
    mode = 'badContent';
    requests.length = 0;
    const r = await evaluate(ctx, { graph, endpoint: endpoint(), benchmarksDir: noBenchmarks, endpointClient: fast });
    expect(requests.filter((p) => p === itemPrompt(bad))).toHaveLength(2); // 1 + eval.endpointRetries
    expect(r.errors).toBe(1);
    expect(r.summaries[0].benchmarks[SYNTHETIC]).toMatchObject({ total: 6, n: 5, tooLong: 0, errors: 1 });
    expect(r.table3.markdown).toContain('(5; 1 error)');
    expect(r.table3.csv.split('\n')[0].endsWith(',rods-test_errors')).toBe(true);
    const d = path.join(ctx.dir, 'eval');
    const errors = readJsonlSync<{ itemId: string; error: string }>(path.join(d, 'errors.jsonl')).map((x) => x.value);
    expect(errors.map((e) => e.itemId)).toEqual([bad.id]);
    expect(errors[0].error).toMatch(/HTTP 200 but choices\[0\]\.message\.content is a number, not text.*gave up after 2 attempts/);
    const stored = readJsonlSync<{ itemId: string }>(path.join(d, 'results.jsonl')).map((x) => x.value.itemId);
    expect(stored).toHaveLength(5);
    expect(stored).not.toContain(bad.id);
    const cached = fs.readdirSync(path.join(d, 'llm-cache'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(cached).toHaveLength(5);
    for (const f of cached) expect(JSON.parse(fs.readFileSync(path.join(f.parentPath, f.name), 'utf8')).texts.every((t: unknown) => typeof t === 'string')).toBe(true);
    expect(fs.readFileSync(path.join(d, 'report.md'), 'utf8')).toContain('errors: 1 (items whose request failed for good, listed in errors.jsonl');
    expect(JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8')).errors).toBe(1);

    mode = 'ok';
    requests.length = 0;
    const again = await evaluate(ctx, { graph, endpoint: endpoint(), benchmarksDir: noBenchmarks, endpointClient: fast });
    expect(requests).toEqual([itemPrompt(bad)]);
    expect([again.errors, again.generated, again.reused]).toEqual([0, 1, 5]);
    expect(again.summaries[0].benchmarks[SYNTHETIC]).toMatchObject({ n: 6, errors: 0 });
    expect(fs.existsSync(path.join(d, 'errors.jsonl'))).toBe(false);
    expect(again.table3.csv.split('\n')[0]).not.toContain('errors'); // the CSV columns of a run without errors are unchanged
    expect(fs.readFileSync(path.join(d, 'report.md'), 'utf8')).toContain('errors: 0.');
  });

  it('run() stops at an endpoint that refuses the key (401): no item could succeed', async () => {
    mode = 'unauthorized';
    await expect(evaluate(freshRun(), { graph, endpoint: endpoint(), benchmarksDir: noBenchmarks, endpointClient: fast })).rejects.toThrow(/HTTP 401/);
    mode = 'ok';
  });

  it('fleming eval --set eval.endpointTimeoutS / endpointRetries / endpointConcurrency reach the requests: slow items time out as errors, at most that many in flight', async () => {
    const ctx = freshRun();
    const a = parseCli(['eval', '--run', ctx.dir, '--endpoint', baseUrl, '--model', 'slow-med', '--set', 'eval.endpointTimeoutS=0.2', '--set', 'eval.endpointRetries=0', '--set', 'eval.endpointConcurrency=2']);
    expect(a.eval.endpoint?.maxConcurrency).toBe(2);
    expect([a.config.eval.endpointTimeoutS, a.config.eval.endpointRetries]).toEqual([0.2, 0]);
    expect(() => parseCli(['eval', '--run', ctx.dir, '--set', 'eval.endpointTimeoutS=0'])).toThrow('eval.endpointTimeoutS must be a number > 0 (default 120); got 0');
    mode = 'slow';
    requests.length = 0;
    arrivals.length = 0;
    const t0 = Date.now();
    const r = await evaluate(openRun(a.config, { quiet: true, progressMode: 'silent' }), { ...a.eval, graph, benchmarksDir: noBenchmarks });
    mode = 'ok';
    expect(r.errors).toBe(6);
    expect(requests).toHaveLength(6); // no retry
    // two at a time, each abandoned after 0.2 s: three waves, not six 1-s replies (let alone 120 s timeouts)
    expect(arrivals.filter((t) => t - arrivals[0] < 150)).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(Date.now() - t0).toBeLessThan(5000);
    const errors = readJsonlSync<{ error: string }>(path.join(ctx.dir, 'eval', 'errors.jsonl')).map((x) => x.value.error);
    expect(errors.every((e) => /timed out after 200 ms/.test(e))).toBe(true);
    expect(r.summaries[0].benchmarks[SYNTHETIC]).toMatchObject({ total: 6, n: 0, errors: 6 });
    expect(r.table3.markdown).toContain('— (0 of 6 answered; 6 errors)');
  });
});
