import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJsonlSync, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun } from '../../src/core/run';
import { run as evaluate } from '../../src/eval';
import type { ResultRow } from '../../src/eval/results';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { Llama } from '../../src/model/llama';
import { saveTokenizer, trainBpe } from '../../src/model/tokenizer';
import { itemPrompt } from '../../src/protocol';
import type { Item } from '../../src/rods/item';
import { synthesize } from '../../src/rods/synth';
import { Served, serve } from '../../src/serve';
import { useBackend } from '../model/helpers';
import { fixtureGraph } from '../rods/synth/fixture';
import { tempDir } from '../helpers/tmp';

process.env.FLEMING_NO_PNG = '1';
const graph = fixtureGraph();
let served: Served;
let ckpt = '';
let root = '';

/** The run under `root`; the endpoint gets the same token budget as the checkpoint (eval.endpointMaxTokens defaults to 1024, past this context). */
const context = () => openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', eval: { testItems: 4, benchmarkItems: 0, maxNewTokens: 10, endpointMaxTokens: 10, batchSize: 4, bootstrap: 20, examples: 1 } } }), { root, quiet: true, progressMode: 'silent' });

beforeAll(async () => {
  await useBackend('wasm');
  root = tempDir('fleming-serve-eval-');
  const items = synthesize(graph, { n: 12, options: 4 }, new Rng(5)).items.map((it, i): Item => ({ ...it, split: i % 2 === 0 ? 'test' : 'train' }));
  const ctx = context();
  await graph.save(path.join(ctx.dir, 'graph'));
  writeJsonlSync(path.join(ctx.dir, 'rods', 'items.jsonl'), items);
  ckpt = path.join(root, 'served');
  const { tokenizer } = trainBpe(items.map((it) => itemPrompt(it)), { vocabSize: 320 });
  const model = new Llama({ vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 512 }, 9);
  saveCheckpoint(ckpt, model);
  saveTokenizer(tokenizer, ckpt);
  model.dispose();
  served = await serve(ckpt, { port: 0 });
}, 60_000);

afterAll(async () => served?.close());

describe('eval against fleming serve', () => {
  it('eval --endpoint on the served checkpoint gives the completions and strict answers of eval --checkpoint', async () => {
    const ctx = context();
    // the held-out items only: an empty benchmarks directory (FLEMING_BENCHMARKS, set in CI, would add every public benchmark)
    const r = await evaluate(ctx, { graph, benchmarksDir: tempDir('no-benchmarks-'), checkpoints: [ckpt], endpoint: { baseUrl: served.url, model: 'served', apiKeyEnv: 'FLEMING_SERVE_UNSET_KEY', maxConcurrency: 4 }, endpointClient: { maxRetries: 0 } });
    expect(r.models.map((m) => m.id)).toEqual(['ckpt:served', 'api:served']);
    expect(fs.existsSync(path.join(ctx.dir, 'eval', 'errors.jsonl')) ? fs.readFileSync(path.join(ctx.dir, 'eval', 'errors.jsonl'), 'utf8') : '').toBe('');
    expect(r.errors).toBe(0);
    const rows = readJsonlSync<ResultRow>(path.join(ctx.dir, 'eval', 'results.jsonl')).map((x) => x.value);
    const of = (model: string) => new Map(rows.filter((x) => x.model === model).map((x) => [x.itemId, x.samples[0]]));
    const local = of('ckpt:served');
    const remote = of('api:served');
    expect(local.size).toBe(4);
    expect([...remote.keys()].sort()).toEqual([...local.keys()].sort());
    for (const [id, s] of local) {
      const e = remote.get(id);
      expect(e?.completion).toBe(s.completion.replace(/<\|eos\|>$/, '')); // the server leaves out the eos token
      expect(e?.strict).toBe(s.strict);
      expect(e?.lenient).toBe(s.lenient);
    }
  }, 120_000);
});
