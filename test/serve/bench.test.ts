import * as fs from 'node:fs';
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { ServeBench, benchQuestions, benchServe, percentile, serveFigures } from '../../src/serve/bench';

const tinyModel = { vocab_size: 300, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256 };
const benchDirs = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('fleming-serve-bench-'));

describe('serve bench', () => {
  it('percentile(values, p) is the nearest-rank value of the sorted values', () => {
    const v = [50, 10, 40, 20, 30, 100, 60, 70, 90, 80];
    expect(percentile(v, 0.5)).toBe(50);
    expect(percentile(v, 0.95)).toBe(100);
    expect(percentile(v, 0)).toBe(10);
    expect(percentile([7], 0.95)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow('no values');
  });

  it('benchQuestions(n, rng) is the same list for the same seed, another for another seed', () => {
    const a = benchQuestions(8, new Rng(1));
    expect(a).toEqual(benchQuestions(8, new Rng(1)));
    expect(a).not.toEqual(benchQuestions(8, new Rng(2)));
    expect(new Set(a).size).toBe(8);
    expect(a[0]).toMatch(/^Q1\. A patient with .+ A\. \w+ B\. \w+ C\. \w+ D\. \w+$/);
  });

  it('serveFigures(r) gives per level a throughput row (ratio to the first level) and a latency row (p95 beside p50)', () => {
    const level = (clients: number, rps: number) => ({ clients, requests: 64, seconds: 64 / rps, requestsPerSec: rps, completionTokens: 2048, tokensPerSec: rps * 32, p50Ms: 1000 / rps, p95Ms: 1500 / rps, speedup: rps / 4 });
    const r: ServeBench = { model: 'default preset', params: 512000, backend: 'wasm', url: 'http://127.0.0.1:1/v1', maxTokens: 32, levels: [level(1, 4), level(8, 12.5)] };
    expect(serveFigures(r)).toEqual([
      { bench: 'serve default preset (512,000 params), wasm, max_tokens 32: 1 client, throughput', value: '4.0 req/s', note: '128 tok/s, 64 requests in 16.0 s' },
      { bench: 'serve default preset (512,000 params), wasm, max_tokens 32: 1 client, latency p50', value: '250 ms', note: 'p95 375 ms' },
      { bench: 'serve default preset (512,000 params), wasm, max_tokens 32: 8 clients, throughput', value: '12.5 req/s', note: '×3.13 vs 1 client; 400 tok/s, 64 requests in 5.1 s' },
      { bench: 'serve default preset (512,000 params), wasm, max_tokens 32: 8 clients, latency p50', value: '80 ms', note: 'p95 120 ms' },
    ]);
  });

  it('benchServe({levels: [1, 2]}) runs fleming serve on a tiny checkpoint, answers every request, and stops it', async () => {
    const before = benchDirs();
    const r = await benchServe({ levels: [1, 2], requests: 4, maxTokens: 4, model: tinyModel, modelLabel: 'tiny', backend: 'wasm' });
    expect(r.backend).toBe('wasm');
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(r.levels.map((l) => [l.clients, l.requests])).toEqual([[1, 4], [2, 4]]);
    for (const l of r.levels) {
      expect(l.requestsPerSec).toBeCloseTo(l.requests / l.seconds, 6);
      expect(l.p50Ms).toBeLessThanOrEqual(l.p95Ms);
    }
    expect(r.levels[0].speedup).toBe(1);
    // the same greedy work at every level, whatever the batches
    expect(r.levels[0].completionTokens).toBeGreaterThan(0);
    expect(r.levels[1].completionTokens).toBe(r.levels[0].completionTokens);
    const names = serveFigures(r).map((f) => f.bench.replace(/^serve tiny \([\d,]+ params\), wasm, max_tokens 4: /, ''));
    expect(names).toEqual(['1 client, throughput', '1 client, latency p50', '2 clients, throughput', '2 clients, latency p50']);
    expect(serveFigures(r)[2].note).toMatch(/^×[\d.]+ vs 1 client; /);
    await expect(fetch(`${r.url}/models`)).rejects.toThrow(); // the server process is gone
    expect(benchDirs()).toEqual(before); // its checkpoint directory too
    await expect(benchServe({ levels: [4], requests: 2 })).rejects.toThrow('2 requests per level cannot keep 4 clients busy');
  }, 120_000);
});
