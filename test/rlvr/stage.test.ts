import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJson, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { openRun, RunContext } from '../../src/core/run';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { loadTokenizer } from '../../src/model/tokenizer';
import type { Item } from '../../src/rods/item';
import { CotRow, runSft } from '../../src/coldstart/sft';
import { coldstartItems } from '../../src/coldstart/stage';
import { groupOf } from '../../src/rods/split';
import { GrpoRecord, MiningRecord, RolloutRow, StageSummary, rollout, run as rlvr, stageJourneys } from '../../src/rlvr';
import { DIFFICULTY_ORDER, selectHard } from '../../src/rlvr/plans';
import { minePool } from '../../src/rlvr/mine';
import { gatherExport } from '../../src/export/data';
import { tinyBaseRun, tinyPretrain } from '../base/tiny';
import { tempDir } from '../helpers/tmp';

const rlvrSmall = {
  k: 4,
  promptsPerStep: 2,
  maxNewTokens: 20,
  lr: 5e-3,
  minLr: 5e-3,
  warmupSteps: 1,
  rolloutBatch: 16,
  microBatch: 4,
  checkpointEvery: 2,
  stage1MaxSteps: 5,
  stage1MinSteps: 10, // no early stop unless a test lowers it
  stage2Rounds: 2,
  stage2StepsPerRound: 2,
  stage2PromptsPerStep: 2,
  stage2K: 6,
  stage2Samples: 2,
  stage2MinFailures: 1,
  stage2MaxMined: 4,
  stage2MinePool: 8,
  stage2MineTiers: false, // the whole pool each round; the tier-by-tier mining has its own test below
  evalItems: 4,
  evalMaxNewTokens: 20,
  evalBatchSize: 8,
};

function config(rl: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return resolveConfig({
    preset: 'smoke',
    overrides: {
      ...extra,
      runDir: 'run',
      pretrain: tinyPretrain,
      sft: { steps: 30, batchSize: 8, lr: 1e-2, minLr: 1e-3, warmupSteps: 5, checkpointEvery: 50, evalItems: 4, evalMaxNewTokens: 20, evalBatchSize: 8, examples: 2 },
      rlvr: { ...rlvrSmall, ...rl },
    },
  });
}

function cloneRun(template: string, rl: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): RunContext {
  const root = tempDir('fleming-rlvr-');
  fs.cpSync(template, path.join(root, 'run'), { recursive: true });
  return openRun(config(rl, extra), { root, quiet: true, progressMode: 'silent' });
}

const lines = <T>(file: string): T[] => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);

describe('rlvr stage', () => {
  let template = '';
  let items: Item[] = [];
  /** The uninterrupted run of the second test, the reference for the resume test. */
  let full: RunContext | undefined;

  const png = process.env.FLEMING_NO_PNG;
  afterAll(() => {
    if (png === undefined) delete process.env.FLEMING_NO_PNG;
    else process.env.FLEMING_NO_PNG = png;
  });

  beforeAll(async () => {
    process.env.FLEMING_NO_PNG = '1'; // HTML plots only: Chromium renders would dominate the test's time
    // A tiny +CoT: fixture graph, 48 items, a few pretraining steps, SFT on one-sentence traces.
    const diff = ['Easy', 'Moderate', 'Difficult'] as const;
    const base = await tinyBaseRun(config(), { prefix: 'fleming-rlvr-base-', seed: 5, label: (_, i) => ({ difficulty: diff[i % 3] }) });
    items = base.items;
    const ctx = base.ctx;
    const cot: CotRow[] = items.filter((it) => it.split === 'train').map((it) => ({ itemId: it.id, completion: `<think>Option ${it.answer}.</think>\n<answer>${it.answer}</answer>`, teacher: 'toy', attempts: 1, strategies: [], verified: true }));
    await runSft(ctx, { cot });
    template = ctx.dir;
  }, 120_000);

  it('rollout() leaves tf.memory().numTensors unchanged and scores k completions per prompt', () => {
    const dir = path.join(template, 'coldstart', 'sft');
    const model = loadCheckpoint(dir).model;
    const tok = loadTokenizer(dir);
    const o = { k: 3, maxNewTokens: 12, temperature: 1, batchSize: 8, rewards: { correctness: 1, format: 0.25 }, advantage: {} };
    rollout(model, tok, items.slice(0, 2), new Rng(1), o); // burn-in
    const n0 = tf.memory().numTensors;
    const b = rollout(model, tok, items.slice(0, 3), new Rng(2), o);
    expect(tf.memory().numTensors).toBe(n0);
    expect(b.rollouts).toHaveLength(9);
    expect(b.rollouts.map((r) => r.group)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (let g = 0; g < 3; g++) expect(Math.abs(b.rollouts.slice(3 * g, 3 * g + 3).reduce((a, r) => a + r.advantage, 0))).toBeLessThan(1e-9);
    for (const r of b.rollouts) expect(r.reward).toBeCloseTo((r.correct ? 1 : 0) + (r.wellFormed ? 0.25 : 0), 9);
    expect(b.rollouts.every((r) => r.tokens.length === r.logprobs.length && r.entropy > 0)).toBe(true);
    model.dispose();
  });

  it('run() trains +RL1 and +RL2, writes checkpoints, metrics, rollouts, mining rounds, plots and evaluations; a second run reuses them', async () => {
    const ctx = cloneRun(template);
    const res = await rlvr(ctx);
    full = ctx;
    const d1 = path.join(ctx.dir, 'rlvr', 'stage1');
    const d2 = path.join(ctx.dir, 'rlvr', 'stage2');
    for (const d of [d1, d2])
      for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json', 'done.json', 'metrics.jsonl', 'rollouts.jsonl', 'summary.json', 'eval.json', 'plots/reward.html', 'plots/sparsity.html'])
        expect(fs.existsSync(path.join(d, f)), `${d}/${f}`).toBe(true);
    for (const f of ['mining.jsonl', 'plots/mining.html']) expect(fs.existsSync(path.join(d2, f)), f).toBe(true);
    for (const f of ['eval.json', 'plots/reward.html']) expect(fs.existsSync(path.join(ctx.dir, 'rlvr', f)), f).toBe(true);
    expect(fs.existsSync(path.join(d1, 'last'))).toBe(false);

    const m1 = lines<GrpoRecord>(path.join(d1, 'metrics.jsonl'));
    expect(m1).toHaveLength(5);
    expect(m1.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    for (const key of ['rewardMean', 'rewardStd', 'correctRate', 'formatRate', 'zeroSpread', 'allRight', 'allWrong', 'meanLength', 'entropy', 'loss', 'gradNorm', 'lr', 'seconds'] as const)
      expect(Number.isFinite(m1[0][key]), key).toBe(true);
    expect(m1[0].prompts).toBe(2);
    expect(m1[0].allRight + m1[0].allWrong).toBeLessThanOrEqual(m1[0].zeroSpread + 1e-9);
    const s1 = readJson<StageSummary>(path.join(d1, 'summary.json'));
    expect(s1.stop).toMatchObject({ rule: 'max steps', step: 5 });
    expect(res.stage1.summary.steps).toBe(5);
    const ro = lines<RolloutRow>(path.join(d1, 'rollouts.jsonl'));
    expect(ro).toHaveLength(5 * 2 * 4);
    expect(ro.filter((r) => r.step === 1 && r.group === 0).reduce((a, r) => a + r.advantage, 0)).toBeCloseTo(0, 5);

    const mining = lines<MiningRecord>(path.join(d2, 'mining.jsonl'));
    expect(mining.map((r) => r.round)).toEqual([1, 2]);
    expect(mining[0]).toMatchObject({ evaluated: 8, samplesPerItem: 2, step: 0 });
    expect(mining[1].step).toBe(2);
    expect(mining[0].failureHistogram.reduce((a, b) => a + b, 0)).toBe(8);
    expect(mining[0].mined).toBeLessThanOrEqual(4);
    for (const r of mining) {
      expect(r.minedItems.map((m) => m.id)).toHaveLength(r.mined); // the hard set itself, for `fleming export`
      for (const m of r.minedItems) expect(m.failures).toBeGreaterThanOrEqual(1); // stage2MinFailures
    }
    expect(mining[1].previousStillFailing).not.toBeNull();
    const m2 = lines<GrpoRecord>(path.join(d2, 'metrics.jsonl'));
    expect(m2.map((r) => r.phase)).toEqual(['round 1', 'round 1', 'round 2', 'round 2'].slice(0, m2.length));
    expect(m2[0].k).toBe(6);
    expect(res.stage2!.summary.mining).toEqual(mining);

    // checkpoints load; both stages and +CoT were evaluated with one protocol
    const tok = loadTokenizer(d2);
    expect(tok.vocab.length).toBe(loadCheckpoint(d2).model.config.vocab_size);
    const ev = readJson<{ cot: { protocol: unknown }; rl1: { protocol: unknown; n: number }; rl2: { protocol: unknown } }>(path.join(ctx.dir, 'rlvr', 'eval.json'));
    expect(ev.rl1.protocol).toEqual(ev.cot.protocol);
    expect(ev.rl2.protocol).toEqual(ev.cot.protocol);
    expect(ev.rl1.n).toBeGreaterThan(0);

    const again = await rlvr(ctx);
    expect(again.stage1.reused).toBe(true);
    expect(again.stage2!.reused).toBe(true);
    expect(again.eval).toEqual(res.eval);

    // other stage-2 settings retrain stage 2 only (in a copy: this run is the resume test's reference)
    const root2 = tempDir('fleming-rlvr-s2-');
    fs.cpSync(ctx.dir, path.join(root2, 'run'), { recursive: true });
    const ctx2 = openRun(config({ stage2StepsPerRound: 1, stage2Lr: 1e-3, stage2KlCoef: 0.05 }), { root: root2, quiet: true, progressMode: 'silent' });
    const other = await rlvr(ctx2);
    expect(other.stage1.reused).toBe(true);
    expect(other.stage2!.reused).toBe(false);
    expect(other.stage2!.summary.steps).toBe(2);
    // rlvr.stage2Lr sets stage 2's learning rate (peak and floor); stage 1 kept rlvr.lr
    expect(m2.every((r) => r.lr <= 5e-3 + 1e-12) && m2.some((r) => Math.abs(r.lr - 5e-3) < 1e-12)).toBe(true);
    expect(other.stage2!.metrics.map((r) => r.lr)).toEqual([1e-3, 1e-3]);
    expect(other.stage1.metrics.map((r) => r.lr)).toEqual(m1.map((r) => r.lr));
    // rlvr.stage2KlCoef: stage 2 alone measures (and pays) a KL to its start, +RL1; the KL's growth under training is
    // the TRL/verl options test's (this fixture's mined groups have no reward spread, so stage 2 barely moves)
    expect(m1.every((r) => r.kl === undefined)).toBe(true);
    expect(other.stage2!.metrics.map((r) => typeof r.kl)).toEqual(['number', 'number']);
    for (const r of other.stage2!.metrics) expect(r.kl).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('stageJourneys() decodes the same validation items with +CoT, +RL1 and +RL2, gains first; without validation items or checkpoints it says what to run', async () => {
    const src = full ?? cloneRun(template);
    if (!full) await rlvr(src);
    const dir = path.join(tempDir('fleming-rlvr-journey-'), 'run');
    fs.cpSync(src.dir, dir, { recursive: true });
    await expect(stageJourneys(dir)).rejects.toThrow(`${path.join(dir, 'rods', 'validation.jsonl')}: no validation items; run \`fleming rods --run ${dir}\` first`);
    const held = items.filter((it) => it.split === 'test');
    writeJsonlSync(path.join(dir, 'rods', 'validation.jsonl'), held);
    const js = await stageJourneys(dir, ['cot', 'rl1', 'rl2'], { items: 12, limit: 3, maxNewTokens: 24 });
    expect(js).toHaveLength(3);
    for (const j of js) {
      expect(held.slice(0, 12).map((it) => it.id)).toContain(j.itemId);
      expect(j.stages.map((s) => s.model)).toEqual(['cot', 'rl1', 'rl2']);
      for (const s of j.stages) expect(s.correct).toBe(s.strict === j.answer);
    }
    expect(await stageJourneys(dir, ['cot', 'rl1', 'rl2'], { items: 12, limit: 3, maxNewTokens: 24 })).toEqual(js); // greedy: the same text again
    for (const d of ['coldstart/sft', 'rlvr/stage1', 'rlvr/stage2']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    await expect(stageJourneys(dir)).rejects.toThrow(`${dir}: no policy checkpoint (coldstart/sft, rlvr/stage1, rlvr/stage2); run \`fleming coldstart --run ${dir}\` first`);
    await expect(stageJourneys(dir, ['cot', 'rl3'])).rejects.toThrow('stageJourneys: unknown stage rl3 (stages: base, cot, rl1, rl2)');
  }, 120_000);

  it('run() killed in stage 1 and again in stage 2 resumes and ends bitwise equal to an uninterrupted run', async () => {
    const a = full ?? cloneRun(template);
    if (!full) await rlvr(a);
    const b = cloneRun(template);
    const kill = new Error('killed');
    await expect(rlvr(b, { onStep: (stage, r) => { if (stage === 1 && r.step === 3) throw kill; } })).rejects.toBe(kill);
    await expect(rlvr(b, { onStep: (stage, r) => { if (stage === 2 && r.step === 3) throw kill; } })).rejects.toBe(kill);
    const resumed = await rlvr(b);
    expect(resumed.stage1.reused).toBe(true);
    expect(resumed.stage2!.resumedFrom).toBe(2);
    const file = (c: RunContext, f: string) => fs.readFileSync(path.join(c.dir, 'rlvr', f));
    for (const f of ['stage1/model.safetensors', 'stage2/model.safetensors']) expect(Buffer.compare(file(a, f), file(b, f)), f).toBe(0);
    // the same rows, apart from timings
    const strip = (rows: (GrpoRecord | MiningRecord)[]) => rows.map((r) => JSON.stringify({ ...r, seconds: 0, sampleSeconds: 0, trainSeconds: 0 }));
    for (const f of ['stage1/metrics.jsonl', 'stage2/metrics.jsonl', 'stage2/mining.jsonl']) expect(strip(lines(path.join(b.dir, 'rlvr', f))), f).toEqual(strip(lines(path.join(a.dir, 'rlvr', f))));
    expect(file(b, 'stage2/rollouts.jsonl').toString()).toBe(file(a, 'stage2/rollouts.jsonl').toString());
  }, 180_000);

  it('stage 1 ends on the sparsity rule when the threshold is reachable, and says so in metrics and summary.json', async () => {
    const ctx = cloneRun(template, { stage1MinSteps: 2, stage1SparsityThreshold: 0, stage1SparsityWindow: 1 });
    const res = await rlvr(ctx, { stage1Only: true });
    expect(res.stage2).toBeUndefined();
    expect(fs.existsSync(path.join(ctx.dir, 'rlvr', 'stage2'))).toBe(false);
    expect(res.stage1.summary.stop).toMatchObject({ rule: 'sparsity', step: 2 });
    expect(res.stage1.summary.stop.detail).toMatch(/zero-spread fraction averaged/);
    const m = lines<GrpoRecord>(path.join(ctx.dir, 'rlvr', 'stage1', 'metrics.jsonl'));
    expect(m).toHaveLength(2);
    expect(m[1].stop).toBe('sparsity');
  }, 120_000);

  it('run() with the TRL/verl options (std advantages, DAPO token loss, 2 clipped updates per batch, KL to +CoT) logs KL from ≈ 0 upward', async () => {
    const ctx = cloneRun(template, { advantage: 'std', lossNorm: 'token', updatesPerBatch: 2, clipHigh: 0.28, klCoef: 0.05, stage1MaxSteps: 3 });
    const res = await rlvr(ctx, { stage1Only: true });
    const m = res.stage1.metrics;
    expect(m).toHaveLength(3);
    expect(m[0].kl).toBeGreaterThanOrEqual(0);
    expect(m[0].kl).toBeLessThan(1e-4); // the policy starts as the reference
    expect(m[2].kl).toBeGreaterThan(m[0].kl as number);
    expect(m.every((r) => r.updates === 2 || r.updates === 0)).toBe(true);
  }, 60_000);

  it('rlvr.stage2MineTiers mines the pool one difficulty at a time, Difficult first, and stops once the cap has failed', async () => {
    const ctx = cloneRun(template, { stage2MineTiers: true, stage2MinePool: 24, stage2MaxMined: 3, stage2MinFailures: 2, stage1MaxSteps: 1, stage2Rounds: 2, stage2StepsPerRound: 1 });
    await rlvr(ctx);
    const pool = minePool(ctx, items);
    const tierOf = (it: Item) => (it.difficulty && DIFFICULTY_ORDER.includes(it.difficulty) ? it.difficulty : 'unlabelled');
    const present = [...DIFFICULTY_ORDER, 'unlabelled'].filter((t) => pool.some((it) => tierOf(it) === t));
    expect(present.length).toBeGreaterThan(1);
    const mining = lines<MiningRecord>(path.join(ctx.dir, 'rlvr', 'stage2', 'mining.jsonl'));
    expect(mining).toHaveLength(2);
    let stoppedEarly = 0;
    for (const r of mining) {
      // the tiers mined are a prefix of the tiers present, in order, and exactly their items were sampled
      expect(r.tiers).toEqual(present.slice(0, r.tiers!.length));
      expect(r.pool).toBe(24);
      expect(r.evaluated).toBe(pool.filter((it) => r.tiers!.includes(tierOf(it))).length);
      expect(r.failureHistogram.reduce((a, b) => a + b, 0)).toBe(r.evaluated);
      // a tier is left out only once the cap has failed; the set is selectHard's over what was mined
      if (r.tiers!.length < present.length) {
        stoppedEarly++;
        expect(r.failing).toBeGreaterThanOrEqual(3);
      }
      expect(r.mined).toBe(Math.min(3, r.failing));
      expect(selectHard(r.minedItems, { minFailures: 2, maxMined: 3, tieSeed: 'any' }).map((m) => m.id).sort()).toEqual(r.minedItems.map((m) => m.id).sort());
    }
    expect(stoppedEarly).toBeGreaterThan(0);
  }, 60_000);

  it("rlvr.stage1Draw 'anchors' meets every anchor of stage 1's items once before any anchor again; 'items' does not; the export lists the prompts in the order trained on", async () => {
    const easy = items.filter((it) => it.split === 'train' && (it.difficulty === 'Easy' || it.difficulty === 'Moderate'));
    const anchors = new Set(easy.map(groupOf));
    expect(anchors.size).toBeGreaterThan(2);
    expect(anchors.size).toBeLessThan(easy.length); // some anchor has several items
    const steps = Math.ceil(anchors.size / 2); // 2 prompts per step
    const draws = async (draw: string) => {
      const ctx = cloneRun(template, { stage1Items: 'all', stage1Draw: draw, stage1MaxSteps: steps });
      await rlvr(ctx, { stage1Only: true });
      const byId = new Map(items.map((it) => [it.id, it]));
      // a row per completion; the prompts in order are the distinct (step, group) pairs
      const prompts = new Map<string, string>();
      for (const r of lines<RolloutRow>(path.join(ctx.dir, 'rlvr', 'stage1', 'rollouts.jsonl'))) prompts.set(`${r.step}:${r.group}`, r.itemId);
      expect(prompts.size).toBe(2 * steps);
      // the export's stage-1 stream (verl and TRL read it unshuffled) is the order this run trained on
      const stream = gatherExport(ctx.dir, 'skip').stage1Stream.map((it) => it.id);
      expect(stream.length).toBe(2 * steps);
      expect(stream).toEqual([...prompts.values()]);
      return [...prompts.values()].map((id) => groupOf(byId.get(id) as Item));
    };
    const a = await draws('anchors');
    expect(new Set(a.slice(0, anchors.size)).size).toBe(anchors.size);
    const i = await draws('items');
    expect(new Set(i.slice(0, anchors.size)).size).toBeLessThan(anchors.size);
  }, 120_000);

  it("rlvr.stage1Items / stage2Items 'untraced' train and mine only the anchors the cold start drew no traces for; with every anchor traced they say why not", async () => {
    const ctx = cloneRun(template, { stage1Items: 'untraced', stage2Items: 'untraced', stage1MaxSteps: 2, stage2Rounds: 1, stage2StepsPerRound: 1 }, { coldstart: { traceShare: 0.5 } });
    await rlvr(ctx);
    const train = items.filter((it) => it.split === 'train');
    const traced = new Set(coldstartItems(train, 0.5, 'anchor', ctx.config.seed).map((it) => it.id));
    expect(traced.size).toBeGreaterThan(0);
    expect(traced.size).toBeLessThan(train.length);
    const seen = lines<RolloutRow>(path.join(ctx.dir, 'rlvr', 'stage1', 'rollouts.jsonl')).map((r) => r.itemId);
    const mining = lines<MiningRecord>(path.join(ctx.dir, 'rlvr', 'stage2', 'mining.jsonl'));
    expect(seen.length).toBe(2 * 2 * 4);
    expect(mining[0].evaluated).toBe(Math.min(8, train.length - traced.size));
    for (const id of [...seen, ...mining.flatMap((r) => r.minedItems.map((m) => m.id))]) expect(traced.has(id), id).toBe(false);
    const all = cloneRun(template, { stage1Items: 'untraced' }, { coldstart: { traceShare: 1 } });
    await expect(rlvr(all)).rejects.toThrow(/rlvr.stage1Items 'untraced' needs coldstart.traceShare < 1 \(it is 1/);
    const all2 = cloneRun(template, { stage1Items: 'all', stage2Items: 'untraced' }, { coldstart: { traceShare: 1 } });
    await expect(rlvr(all2)).rejects.toThrow(/rlvr.stage2Items 'untraced' needs coldstart.traceShare < 1 \(it is 1/);
  }, 60_000);

  it('run() without a +CoT says what to run', async () => {
    const root = tempDir('fleming-rlvr-none-');
    const ctx = openRun(config(), { root, quiet: true, progressMode: 'silent' });
    await expect(rlvr(ctx)).rejects.toThrow(/coldstart[/\\]sft: no finished \+CoT model; run `fleming coldstart/);
  });
});
