import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJsonlSync, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun, RunContext } from '../../src/core/run';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { saveTokenizer, trainBpe } from '../../src/model/tokenizer';
import { itemPrompt } from '../../src/protocol';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { ResultStore, SYNTHETIC, run as evaluate } from '../../src/eval';
import type { ResultRow } from '../../src/eval/results';
import { splitNote } from '../../src/eval/report';
import { parseCli } from '../../src/cli';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

const KEY = 'sk-eval-test-SECRET-42';
process.env.FLEMING_NO_PNG = '1'; // Chromium renders are slow; savePlot's PNG path has its own test
const graph = fixtureGraph();
let items: Item[] = [];
let benchDir = '';
let template = '';

/** A tiny random-init Llama + a BPE tokenizer trained on the item prompts, saved as a checkpoint. */
function tinyCheckpoint(dir: string, seed: number): void {
  const { tokenizer } = trainBpe(items.map((it) => itemPrompt(it)), { vocabSize: 320 });
  const model = new Llama({ vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 512 }, seed);
  saveCheckpoint(dir, model);
  saveTokenizer(tokenizer, dir);
  model.dispose();
}

const evalCfg = { testItems: 6, benchmarkItems: 0, maxNewTokens: 8, batchSize: 4, bootstrap: 50, examples: 2 };

function context(root: string): RunContext {
  return openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', eval: evalCfg } }), { root, quiet: true, progressMode: 'silent' });
}

/** A copy of the template run (graph, items, Base and +CoT checkpoints) under a fresh root. */
function cloneRun(): RunContext {
  const root = tempDir('fleming-eval-');
  fs.cpSync(template, path.join(root, 'run'), { recursive: true });
  return context(root);
}

function medqaLine(q: string, answer: string): string {
  return JSON.stringify({ question: q, answer: { A: 'Insulin', B: 'Metformin', C: 'Aspirin', D: 'Omeprazole' }[answer], options: { A: 'Insulin', B: 'Metformin', C: 'Aspirin', D: 'Omeprazole' }, meta_info: 'step1', answer_idx: answer });
}

beforeAll(async () => {
  await useBackend('wasm');
  items = synthesize(graph, { n: 24, options: 4 }, new Rng(5)).items.map((it, i): Item => ({ ...it, split: i % 3 === 0 ? 'test' : i % 3 === 1 ? 'validation' : 'train', meta: { ...it.meta, longTail: i % 2 === 0 } }));
  const root = tempDir('fleming-eval-tpl-');
  const ctx = context(root);
  await graph.save(path.join(ctx.dir, 'graph'));
  writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  tinyCheckpoint(path.join(ctx.dir, 'coldstart', 'base'), 1);
  tinyCheckpoint(path.join(ctx.dir, 'coldstart', 'sft'), 2);
  template = ctx.dir;
  benchDir = tempDir('fleming-eval-bench-');
  fs.mkdirSync(path.join(benchDir, 'medqa'));
  fs.writeFileSync(
    path.join(benchDir, 'medqa', 'medqa_usmle_test.jsonl'),
    [medqaLine('Which drug is first line in type 2 diabetes?', 'B'), medqaLine('Which drug treats type 1 diabetes?', 'A'), medqaLine(`A long vignette. ${'The patient reports more symptoms. '.repeat(150)}Which drug?`, 'C')].join('\n') + '\n',
  );
}, 60_000);

describe('eval run()', () => {
  let ctx: RunContext;
  let first: Awaited<ReturnType<typeof evaluate>>;

  beforeAll(async () => {
    ctx = cloneRun();
    first = await evaluate(ctx, { benchmarksDir: benchDir, graph });
  }, 120_000);

  it('evaluates the stages that have checkpoints and reports the others as not run', () => {
    expect(first.models.map((m) => [m.id, m.notRun ?? 'ran'])).toEqual([
      ['base', 'ran'],
      ['cot', 'ran'],
      ['rl1', 'not run (rlvr/stage1 has no checkpoint)'],
      ['rl2', 'not run (rlvr/stage2 has no checkpoint)'],
    ]);
    expect(first.summaries.map((s) => s.label)).toEqual(['Base', '+CoT']);
    expect(first.table4.markdown).toMatch(/\| \+RL1 \| not run \(rlvr\/stage1 has no checkpoint\)/);
    expect(first.table4.rows.map((r) => r.status)).toEqual(['ran', 'ran', 'not run (rlvr/stage1 has no checkpoint)', 'not run (rlvr/stage2 has no checkpoint)']);
  });

  it('counts a benchmark prompt longer than the context as too long, not as decoded', () => {
    for (const s of first.summaries) {
      expect(s.benchmarks.medqa).toMatchObject({ total: 3, n: 2, tooLong: 1 });
      expect(s.benchmarks[SYNTHETIC]).toMatchObject({ total: 6, n: 6, tooLong: 0 });
    }
    expect(first.generated).toBe(2 * (6 + 2));
    expect(first.table3.markdown).toContain('1 too long');
  });

  it('writes results, tables (markdown + CSV), plots, examples and the report card', () => {
    const d = path.join(ctx.dir, 'eval');
    for (const f of ['results.jsonl', 'table3.md', 'table3.csv', 'table4.md', 'table4.csv', 'summary.json', 'examples.jsonl', 'report.md', 'plots/accuracy_by_stage.html', 'plots/reward.html', 'plots/models.html'])
      expect(fs.existsSync(path.join(d, f)), f).toBe(true);
    const rows = readJsonlSync<{ model: string; benchmark: string; samples: unknown[]; tooLong: boolean }>(path.join(d, 'results.jsonl')).map((r) => r.value);
    expect(rows).toHaveLength(2 * (6 + 3));
    expect(rows.filter((r) => r.tooLong).every((r) => r.samples.length === 0)).toBe(true);
    const csv = fs.readFileSync(path.join(d, 'table4.csv'), 'utf8').trim().split('\n');
    expect(csv[0].startsWith('stage,avg,avg_lo,avg_hi,delta')).toBe(true);
    expect(csv).toHaveLength(5);
    const report = fs.readFileSync(path.join(d, 'report.md'), 'utf8');
    // each synthetic sample of a thinking stage carries its anatomy; the Base (no <think>) none
    const synth = readJsonlSync<{ model: string; benchmark: string; tooLong: boolean; samples: { completion: string; anatomy?: unknown }[] }>(path.join(d, 'results.jsonl'))
      .map((r) => r.value)
      .filter((r) => r.benchmark === 'rods-test' && !r.tooLong);
    for (const r of synth) for (const x of r.samples) expect(x.anatomy === null, x.completion).toBe(!x.completion.includes('<think>'));
    // Table 4 reads test; the report says the settings were chosen on validation
    expect(report).toContain('Held-out synthetic items: the RODS test split (8 items; the first eval.testItems of them are decoded, all when 0), read only by this evaluation. Settings were chosen on the validation split (8 items;');
    expect(splitNote({ validation: 0, test: 5 })).toMatch(/no validation split .*the stages' own evaluations read the test split too/);
    for (const s of ['# Evaluation report', '## Table 3', '## Table 4', 'Not run: +RL1', '## Reasoning verifiability', '## Where the thoughts break', '"preset": "smoke"', 'no rlvr/stage*/metrics.jsonl', 'copy probe (2nd / 1st copy loss)']) expect(report).toContain(s);
    // every checkpoint that ran has its copy probe, in the summaries and on its row of the report
    for (const s of first.summaries) {
      expect(s.copy?.sequences, s.label).toBe(64);
      expect(Number.isFinite(s.copy?.firstCopyNll) && Number.isFinite(s.copy?.secondCopyNll), s.label).toBe(true);
      expect(report).toContain(`${(s.copy?.secondCopyNll ?? NaN).toFixed(2)} / ${(s.copy?.firstCopyNll ?? NaN).toFixed(2)}`);
    }
    expect(first.summaries.length).toBeGreaterThan(0);
  });

  it('a second run makes 0 generations, gives the same tables and writes no file (summary.json and report.md keep their counts)', async () => {
    const d = path.join(ctx.dir, 'eval');
    const files = () => Object.fromEntries((fs.readdirSync(d, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(d, f)).isFile()).map((f) => [f, `${fs.statSync(path.join(d, f)).ino}:${fs.statSync(path.join(d, f)).mtimeMs}`]));
    const before = files();
    const summary = fs.readFileSync(path.join(d, 'summary.json'), 'utf8');
    const again = await evaluate(ctx, { benchmarksDir: benchDir, graph });
    expect(again.generated).toBe(0);
    expect(again.reused).toBe(2 * (6 + 3));
    expect(again.table3.markdown).toBe(first.table3.markdown);
    expect(again.table4.csv).toBe(first.table4.csv);
    expect(files()).toEqual(before);
    expect(JSON.parse(summary)).toMatchObject({ generated: first.generated, reused: 0 });
    expect(fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8')).toContain('eval: nothing new (every result was in results.jsonl);');
  });

  it('k samples per item: mean accuracy and pass@k, no tensor leaked (a new protocol decodes again)', async () => {
    const before = tf.memory().numTensors;
    const r = await evaluate(ctx, { benchmarksDir: benchDir, graph, models: ['base'], samples: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.generated).toBe(2 * (6 + 2));
    const c = r.summaries[0].benchmarks[SYNTHETIC];
    expect(c.k).toBe(2);
    expect(c.passAtK?.mean).toBeGreaterThanOrEqual(c.strict.mean);
    expect(fs.readFileSync(path.join(ctx.dir, 'eval', 'report.md'), 'utf8')).toContain('pass@2');
  });

  it('reads RL reward curves when a stage wrote metrics.jsonl', async () => {
    const m = path.join(ctx.dir, 'rlvr', 'stage1');
    fs.mkdirSync(m, { recursive: true });
    writeJsonlSync(path.join(m, 'metrics.jsonl'), [{ step: 1, reward: 0.2 }, { step: 2, rewardMean: 0.4 }, { step: 3, kind: 'eval' }]);
    const r = await evaluate(ctx, { benchmarksDir: benchDir, graph, models: ['base'] });
    expect(r.generated).toBe(0);
    const html = fs.readFileSync(r.plots.reward.html, 'utf8');
    expect(html).toContain('"x":[1,2]');
    expect(html).toContain('"y":[0.2,0.4]');
  });
});

describe('eval run() on an OpenAI-compatible endpoint', () => {
  const requests: { auth?: string; body: { messages: { content: string }[]; temperature: number } }[] = [];
  let server: http.Server;
  let baseUrl = '';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '<think>Asthma presents with wheezing. Asthma presents with fever.</think>\n<answer>A</answer>' } }], usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    process.env.FLEMING_EVAL_TEST_KEY = KEY;
  });
  afterAll(async () => {
    delete process.env.FLEMING_EVAL_TEST_KEY;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('asks each item once with the key from the env, scores the letters, checks the claims, never writes the key; a rerun asks nothing', async () => {
    const ctx = cloneRun();
    const endpoint = { baseUrl, model: 'fake-med', apiKeyEnv: 'FLEMING_EVAL_TEST_KEY', maxConcurrency: 4 };
    const r = await evaluate(ctx, { benchmarksDir: benchDir, graph, endpoint, endpointClient: { maxRetries: 0 } });
    expect(r.models.map((m) => m.id)).toEqual(['api:fake-med']); // an explicit endpoint replaces the default stages
    expect(requests).toHaveLength(6 + 3); // endpoints have no local context limit
    expect(requests.every((q) => q.auth === `Bearer ${KEY}` && q.body.temperature === 0)).toBe(true);
    const test = items.filter((it) => it.split === 'test').slice(0, 6);
    const c = r.summaries[0].benchmarks[SYNTHETIC];
    expect(c.strict.mean).toBeCloseTo(test.filter((it) => it.answer === 'A').length / 6);
    expect(c.parseFailure).toBe(0);
    expect(c.predicted).toEqual({ A: 6 }); // a constant guesser is visible
    expect(c.claims).toEqual({ total: 12, supported: 6, share: 0.5 }); // wheezing yes, fever no
    expect(r.summaries[0].benchmarks.medqa.strict.mean).toBeCloseTo(1 / 3);
    const files = fs.readdirSync(ctx.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files) expect(fs.readFileSync(path.join(f.parentPath, f.name), 'utf8').includes(KEY), f.name).toBe(false);
    const again = await evaluate(ctx, { benchmarksDir: benchDir, graph, endpoint });
    expect(requests).toHaveLength(6 + 3);
    expect(again.generated).toBe(0);
  });
});

describe('ResultStore', () => {
  it('new ResultStore(file) names file:line of a line that is not a result row', () => {
    const f = path.join(tempDir('fleming-eval-store-'), 'results.jsonl');
    fs.writeFileSync(f, '{"key":"a","samples":[]}\n{"model":"x"}\n');
    expect(() => new ResultStore(f)).toThrow(`${f}:2: not a result row`);
    fs.writeFileSync(f, '{"key":"a","samples":[]}\n{oops\n{"key":"b","samples":[]}\n');
    expect(() => new ResultStore(f)).toThrow(`${f}:2: invalid JSON`);
  });

  it('new ResultStore(file) leaves out a last line cut short (a kill, a full disk), says where, and cuts it off so the next row starts clean', () => {
    const f = path.join(tempDir('fleming-eval-store-'), 'results.jsonl');
    fs.writeFileSync(f, '{"key":"a","samples":[]}\n{"key":"b","sam');
    const store = new ResultStore(f);
    expect(store.size).toBe(1);
    expect(store.cut).toMatch(`${f}:2: last line cut short`);
    store.put({ key: 'b', samples: [] } as unknown as ResultRow);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"key":"a","samples":[]}\n{"key":"b","samples":[]}\n');
    expect(new ResultStore(f).size).toBe(2);
  });
});

describe('fleming eval options', () => {
  it('parseCli() reads the eval options', () => {
    const run = cloneRun().dir;
    const a = parseCli(['eval', '--run', run, '--models', 'base,cot', '--samples', '3', '--benchmarks', 'medqa,pubmedqa', '--checkpoint', 'a', '--checkpoint', 'b', '--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--api-key-env', 'MY_KEY']);
    expect(a.command).toBe('eval');
    expect(a.eval).toEqual({ models: ['base', 'cot'], samples: 3, benchmarks: ['medqa', 'pubmedqa'], checkpoints: ['a', 'b'], endpoint: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKeyEnv: 'MY_KEY', maxConcurrency: 8 } });
    expect(() => parseCli(['eval', '--endpoint', 'http://x/v1'])).toThrow(/--model/);
    expect(() => parseCli(['eval', '--samples', '0'])).toThrow(/positive integer/);
  });
});
