import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deepMerge, defaultRunId, defaults, limits, parseOverrides, resolveConfig } from '../../src/core/config';
import { REWARDS } from '../../src/rlvr/rewards';
import { DRAFTERS } from '../../src/rods/synth/mask';
import { STAGE_MODELS } from '../../src/eval/inputs';
import type { MapOf, OneOf } from '../../src/core/schema';
import { redactSecrets } from '../../src/core/config';
import { fileHash, markStageDone, openRun, stageDone } from '../../src/core/run';
import { parseCli } from '../../src/cli';
import { progress } from '../../src/core/progress';
import { MODEL_PRESETS, flopsPerToken } from '../../src/model/bench';
import { tempDir } from '../helpers/tmp';

describe('config', () => {
  it('resolveConfig() applies defaults, then the preset, then overrides', () => {
    const c = resolveConfig({ preset: 'full', overrides: { seed: 9, graph: { includeSider: true } }, now: new Date('2026-01-02T03:04:05.678Z') });
    expect(c.preset).toBe('full');
    expect(c.graph.kg).toBe('open'); // from the full preset
    expect(c.graph.includeSider).toBe(true);
    expect(c.seed).toBe(9);
    expect(c.runDir).toBe('runs/2026-01-02T03-04-05');
  });

  it("resolveConfig({ preset: 'gpu' }) sizes the policy, batches and completions beyond full, on the best available backend", () => {
    const [g, f] = [resolveConfig({ preset: 'gpu' }), resolveConfig({ preset: 'full' })];
    expect(g.backend).toBe('');
    expect(g.pretrain.model).toBe('gpu');
    expect(flopsPerToken(MODEL_PRESETS.gpu.config, 512).train).toBeGreaterThan(4 * flopsPerToken(MODEL_PRESETS.full.config, 512).train);
    expect(g.pretrain.seqLen * g.pretrain.batchSize).toBeGreaterThan(f.pretrain.seqLen * f.pretrain.batchSize);
    expect(g.pretrain.seqLen).toBeLessThanOrEqual(MODEL_PRESETS.gpu.config.max_position_embeddings);
    expect(g.sft.evalMaxNewTokens).toBeGreaterThan(f.sft.evalMaxNewTokens);
    expect(g.sft.batchSize).toBeGreaterThan(f.sft.batchSize);
    // `fleming base --preset gpu`: the same recipe at the gpu policy's shape, released into its own folder
    const d = resolveConfig({}).base;
    expect(g.base).toMatchObject({ release: 'data/base-gpu', schedule: d.schedule, world: d.world, hiddenSize: MODEL_PRESETS.gpu.config.hidden_size, layers: MODEL_PRESETS.gpu.config.num_hidden_layers, heads: MODEL_PRESETS.gpu.config.num_attention_heads, intermediateSize: MODEL_PRESETS.gpu.config.intermediate_size });
    expect(g.base.batchSize * g.base.seqLen).toBeGreaterThan(d.batchSize * d.seqLen);
    expect(g.base.seqLen).toBeLessThanOrEqual(g.base.context);
  });

  it('resolveConfig() rejects unknown keys, presets and kg values', () => {
    expect(() => resolveConfig({ overrides: { graph: { kgg: 'x' } } })).toThrow('unknown config key "graph.kgg"');
    expect(() => resolveConfig({ preset: 'huge' as never })).toThrow(/unknown preset "huge"/);
    expect(() => resolveConfig({ overrides: { graph: { kg: 'wiki' } } })).toThrow(/graph.kg must be/);
  });

  it('resolveConfig() checks every --set value against its setting: one error naming the key, what it allows and its default', () => {
    const bad: [string, string][] = [
      ['rlvr.lr=abc', 'rlvr.lr must be a number > 0 (default 0.00003); got "abc"'],
      ['rlvr.lr=-1e-4', 'rlvr.lr must be a number > 0 (default 0.00003); got -0.0001'],
      ['rlvr.k=1.5', 'rlvr.k must be an integer ≥ 2 (default 8); got 1.5'],
      ['rlvr.advantage=nonee', 'rlvr.advantage must be one of none, std (default "none"); got "nonee"'],
      ['coldstart.style=verbose', 'coldstart.style must be one of concise, clinical (default "concise"); got "verbose"'],
      ['rods.options=11', 'rods.options must be an integer ≥ 2 and ≤ 10 (default 4); got 11'],
      ['rods.testShare=1', 'rods.testShare must be a number > 0 and < 1 (default 0.2); got 1'],
      ['graph.strict=yes', 'graph.strict must be true or false (default false); got "yes"'],
      ['graph.focus=3', 'graph.focus must be a section {diseases, fromScratch}; got 3'],
      ['eval.models=["base","rl3"]', 'eval.models must be a list (in JSON: ["base", ...]) of names from base, cot, rl1, rl2 (default ["base","cot","rl1","rl2"]); got ["base","rl3"]: unknown name "rl3"'],
      ['rlvr.rewards={"lenght":1}', 'unknown name "lenght"'],
      ['base.schedule=KXO', 'base.schedule must be a string of PATTERN or PATTERN*STEPS segments, comma-separated, of the letters K, C, L, O and R (e.g. C*4000,KCOKCLKO) (default "C*2000,KCKRKCKOKCKL*11500,KCKCKOKR"); got "KXO"'],
      ['pretrain.corpusOrder=random', 'pretrain.corpusOrder must be one of entity, shuffled (default "entity"); got "random"'],
      ['coldstart.teacher={"model":"m"}', 'coldstart.teacher must be an endpoint {baseUrl, model, apiKeyEnv, maxConcurrency}; got {"model":"m"}: baseUrl is not a non-empty string'],
      ['backend=gpu', 'backend must be one of "" (none), tensorflow, webgpu, wasm, cpu (default ""); got "gpu"'],
    ];
    for (const [set, message] of bad) expect(() => resolveConfig({ overrides: parseOverrides([set]) }), set).toThrow(message);
    const ok = resolveConfig({ overrides: parseOverrides(['rlvr.lr=1e-4', 'rlvr.advantage=std', 'eval.models=["cot"]', 'rods.validator={"baseUrl":"http://127.0.0.1:9/v1","model":"m","apiKeyEnv":"K","maxConcurrency":2}', 'rods.benchmarksDir=/data']) });
    expect([ok.rlvr.lr, ok.rlvr.advantage, ok.eval.models, ok.rods.validator?.model, ok.rods.benchmarksDir]).toEqual([1e-4, 'std', ['cot'], 'm', '/data']);
  });

  it('limits name exactly the rewards, item types and stages the code registers, and every preset passes them', () => {
    expect([...(limits.rlvr as { rewards: MapOf }).rewards.keys].sort()).toEqual(Object.keys(REWARDS).sort());
    expect([...(limits.rods as { mix: MapOf }).mix.keys].sort()).toEqual(Object.keys(DRAFTERS).sort());
    expect([...(limits.eval as { models: OneOf }).models.values]).toEqual(Object.keys(STAGE_MODELS));
    expect(Object.keys(defaults.rods.mix).sort()).toEqual(Object.keys(DRAFTERS).sort());
    for (const preset of ['smoke', 'default', 'full', 'gpu'] as const) expect(() => resolveConfig({ preset }), preset).not.toThrow();
  });

  it('parseOverrides() nests dotted keys and parses JSON values', () => {
    expect(parseOverrides(['a.b=3', 'a.c=true', 'd=hello', 'e=[1,2]'])).toEqual({ a: { b: 3, c: true }, d: 'hello', e: [1, 2] });
    expect(() => parseOverrides(['novalue'])).toThrow(/key.path=value/);
  });

  it('deepMerge() merges objects and replaces arrays', () => {
    expect(deepMerge({ a: { x: 1, y: [1] }, b: 2 }, { a: { y: [2] } })).toEqual({ a: { x: 1, y: [2] }, b: 2 });
  });

  it('defaultRunId() is a filesystem-safe timestamp', () => {
    expect(defaultRunId(new Date('2026-11-23T10:15:00.000Z'))).toBe('2026-11-23T10-15-00');
  });
});

describe('cli', () => {
  it('parseCli() maps the common options onto the config', () => {
    const a = parseCli(['graph', '--preset', 'smoke', '--run', 'runs/x', '--kg', 'open', '--sources', '/data', '--seed', '5', '--set', 'graph.strict=true']);
    expect(a.command).toBe('graph');
    expect(a.config.preset).toBe('smoke');
    expect(a.config.runDir).toBe('runs/x');
    expect(a.config.graph).toMatchObject({ kg: 'open', sourcesDir: '/data', strict: true });
    expect(a.config.seed).toBe(5);
  });

  it('parseCli() rejects unknown options and bad seeds with a clear message', () => {
    expect(() => parseCli(['graph', '--bogus'])).toThrow(/bogus/);
    expect(() => parseCli(['graph', '--seed', 'abc'])).toThrow('--seed expects an integer, got "abc"');
  });
});

describe('run directory', () => {
  it('openRun() writes config.json without secrets and refuses a run made with another seed', () => {
    const root = tempDir('fleming-run-');
    const cfg = resolveConfig({ overrides: { runDir: 'r1' } });
    const ctx = openRun(cfg, { root, quiet: true });
    expect(JSON.parse(fs.readFileSync(path.join(root, 'r1', 'config.json'), 'utf8')).seed).toBe(cfg.seed);
    expect(fs.existsSync(ctx.stageDir('graph'))).toBe(true);
    ctx.log('hello');
    expect(fs.readFileSync(path.join(root, 'r1', 'log.txt'), 'utf8')).toMatch(/hello/);
    expect(ctx.rng('x').next()).toBe(openRun(cfg, { root, quiet: true }).rng('x').next());
    expect(() => openRun({ ...cfg, seed: cfg.seed + 1 }, { root, quiet: true })).toThrow(/made with seed=/);
  });

  it('stageDone() is true only for the fingerprint markStageDone() recorded', () => {
    const dir = tempDir('fleming-done-');
    const done = path.join(dir, 'done.json');
    expect(stageDone(done, { a: 1 })).toBe(false);
    markStageDone(done, { a: 1 }, { seconds: 2 });
    expect(stageDone(done, { a: 1 })).toBe(true);
    expect(stageDone(done, { a: 2 })).toBe(false);
    expect(JSON.parse(fs.readFileSync(done, 'utf8')).seconds).toBe(2);
  });

  it('fileHash() changes when a file changes at the same size', () => {
    const f = path.join(tempDir('fleming-hash-'), 'x.jsonl');
    fs.writeFileSync(f, '{"a":1}\n');
    const h = fileHash(f);
    fs.writeFileSync(f, '{"a":2}\n');
    expect(fileHash(f)).not.toBe(h);
  });

  it('redactSecrets() hides API keys and tokens', () => {
    expect(redactSecrets({ llm: { apiKey: 'sk-123', model: 'm' }, token: 't' })).toEqual({ llm: { apiKey: '[redacted]', model: 'm' }, token: '[redacted]' });
    // the name of the variable that holds a key is not a secret: a run's endpoints read back from config.json
    expect(redactSecrets({ teacher: { apiKeyEnv: 'MY_KEY', apiKey: 'sk-1' } })).toEqual({ teacher: { apiKeyEnv: 'MY_KEY', apiKey: '[redacted]' } });
  });
});

describe('progress', () => {
  it('progress() in log mode prints start, quarter steps and the end', () => {
    const lines: string[] = [];
    const p = progress('work', 8, { mode: 'log', write: (l) => lines.push(l) });
    for (let i = 0; i < 8; i++) p.tick();
    p.done('ok');
    expect(lines[0]).toBe('work: started (8 steps)');
    expect(lines.slice(1, 4).map((l) => l.split(' (')[0])).toEqual(['work: 25%', 'work: 50%', 'work: 75%']);
    expect(lines[4]).toMatch(/^work: done in \d+\.\d s — ok$/);
  });

  it('progress() in silent mode prints nothing', () => {
    const lines: string[] = [];
    const p = progress('quiet', 3, { mode: 'silent', write: (l) => lines.push(l) });
    p.tick(3);
    p.done();
    expect(lines).toEqual([]);
  });
});
