import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJson, writeJsonlSync } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import { loadCheckpoint } from '../../src/model/checkpoint';
import { CHAT, loadTokenizer } from '../../src/model/tokenizer';
import { probeBase } from '../../src/base/probes';
import { entityTokens, skillAt, skillIndex } from '../../src/base/recipe';
import { mentionName } from '../../src/base/sentences';
import { addToReleaseProbes, baseWorld, findRelease, runBase } from '../../src/base/release';
import { releaseCeiling } from '../../src/base/ceiling';
import { baseStyle, run as pretrainStage } from '../../src/base/stage';
import { distill } from '../../src/coldstart/stage';
import { runSft } from '../../src/coldstart/sft';
import { readMetrics } from '../../src/train/index';
import { tinyBaseRun, tinyPretrain } from './tiny';
import { copyRow, namePools, optionRow, lookupRow, drawableIds, reverseRow } from '../../src/base/skills';
import { strictAnswer } from '../../src/protocol/index';
import { useBackend } from '../model/helpers';
import { tempDir } from '../helpers/tmp';

/** A recipe small enough for seconds of CPU: a 5-disease world, a 1-layer model, every skill within 24 steps (the default schedule starts with 5,000 copy steps). */
const TINY = { world: 5, steps: 24, schedule: 'C*4,KCOKOLKR', checkpointEvery: 8, probeEvery: 12, hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 2, bpeVocab: 600, batchSize: 4, seqLen: 64 };

function tinyConfig(release: string) {
  return resolveConfig({ overrides: { base: { ...TINY, release } } });
}

const quiet = { command: 'fleming base (test)', log: () => undefined };
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('Base recipe', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('skillAt() and skillIndex() walk the schedule; each skill counts its own batches', () => {
    const s = 'KCOKCLKO';
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => skillAt(s, i))).toEqual(['knowledge', 'copy', 'option', 'knowledge', 'copy', 'lookup', 'knowledge', 'option', 'knowledge']);
    expect(skillIndex(s, 8, 'knowledge')).toBe(3);
    expect(skillIndex(s, 9, 'copy')).toBe(2);
    expect(skillIndex(s, 13, 'lookup')).toBe(1);
    expect(skillIndex(s, 14, 'lookup')).toBe(2);
    expect(() => skillAt('KX', 1)).toThrow(/not one of K, C, L, O, R/);
  });

  it('segmented schedules: PATTERN*STEPS segments in order, the last to the end; skillIndex counts across segments', () => {
    const s = 'C*5,KO*4,KCL';
    const skills = Array.from({ length: 20 }, (_, i) => skillAt(s, i));
    expect(skills.slice(0, 12)).toEqual(['copy', 'copy', 'copy', 'copy', 'copy', 'knowledge', 'option', 'knowledge', 'option', 'knowledge', 'copy', 'lookup']);
    for (let step = 0; step < 20; step++)
      for (const skill of ['knowledge', 'copy', 'lookup', 'option'] as const)
        expect(skillIndex(s, step, skill)).toBe(skills.slice(0, step).filter((x) => x === skill).length);
    expect(() => skillAt('C,KO', 0)).toThrow(/needs \*STEPS/);
    expect(() => skillAt('C*x', 0)).toThrow(/PATTERN or PATTERN\*STEPS/);
  });

  it('entityTokens() gives one " name" per graph name and synonym, sorted and distinct', () => {
    const g = baseWorld({ ...tinyConfig('/unused').base }, 1234);
    const names = entityTokens(g);
    expect(names.length).toBeGreaterThan(g.nodes.length - 1);
    expect(names.every((n) => n.startsWith(' '))).toBe(true);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
    for (const n of g.nodes.slice(0, 20)) expect(names).toContain(` ${mentionName(n.name)}`);
  });

  it('fleming base trains, pauses at a checkpoint, resumes, and releases the same bytes as an uninterrupted run', async () => {
    const root = tempDir('base-recipe-');
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    const whole = await runBase(tinyConfig(a), quiet);
    expect(whole.finished).toBe(true);
    // b: paused at the first checkpoint (0 hours left), then resumed
    const paused = await runBase(tinyConfig(b), { ...quiet, hours: 1e-9 });
    expect(paused).toMatchObject({ finished: false, step: 8 });
    expect(fs.existsSync(path.join(b, 'train', 'last', 'model.safetensors'))).toBe(true);
    const resumed = await runBase(tinyConfig(b), quiet);
    expect(resumed.finished).toBe(true);
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'log.jsonl', 'probes.jsonl', 'probes.json']) expect(sha(path.join(b, f)), f).toBe(sha(path.join(a, f)));
    // the release: manifest hashes every file and the seed graph; the log has a skill per step
    const manifest = readJson<{ files: Record<string, string>; seedGraph: Record<string, string> }>(path.join(a, 'manifest.json'));
    for (const [f, h] of Object.entries(manifest.files)) expect(sha(path.join(a, f)), f).toBe(h);
    expect(Object.keys(manifest.seedGraph)).toContain('data/seed/diseases.jsonl');
    const log = fs.readFileSync(path.join(a, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.length).toBe(TINY.steps);
    expect(new Set(log.map((r) => r.skill))).toEqual(new Set(['knowledge', 'copy', 'option', 'lookup', 'reverse']));
    expect(readJson<{ command: string; seed: number }>(path.join(a, 'recipe.json'))).toMatchObject({ command: 'fleming base (test)', seed: 1234 });
    expect(fs.existsSync(path.join(a, 'train', 'last'))).toBe(false);
    // it loads as a Llama checkpoint with its entity tokenizer
    const tok = loadTokenizer(a);
    expect(tok.addedTokens.length).toBeGreaterThan(50);
    loadCheckpoint(a).model.dispose();
  }, 300_000); // three tiny trainings: ≈ 1 min idle, more on a loaded machine

  it('a checkpoint written with other settings is not resumed: probes.jsonl and sessions.jsonl start over with the run', async () => {
    const rel = path.join(tempDir('base-restart-'), 'rel');
    const first = { base: { ...TINY, probeEvery: 4, release: rel } };
    expect(await runBase(resolveConfig({ overrides: first }), { ...quiet, untilStep: 16 })).toMatchObject({ finished: false, step: 16 });
    const changed = { base: { ...first.base, lr: 2e-3 } };
    expect(await runBase(resolveConfig({ overrides: changed }), { ...quiet, untilStep: 8 })).toMatchObject({ finished: false, step: 8 });
    const work = path.join(rel, 'train');
    expect(readMetrics<{ step: number }>(path.join(work, 'probes.jsonl')).map((r) => r.step)).toEqual([4, 8]);
    expect(readMetrics<{ fromStep: number; toStep: number }>(path.join(work, 'sessions.jsonl')).map((r) => [r.fromStep, r.toStep])).toEqual([[0, 8]]);
  }, 120_000);

  it('the knowledge ceiling of a release on its default world\'s test items goes into probes.json, and the manifest still holds', async () => {
    const rel = path.join(tempDir('base-ceiling-'), 'rel');
    const cfg = resolveConfig({ overrides: { base: { ...TINY, steps: 8, release: rel } } });
    await runBase(cfg, quiet);
    const lines: string[] = [];
    const c = await releaseCeiling(cfg, rel, (m) => lines.push(m));
    expect(c.n).toBeGreaterThan(0);
    expect(c.accuracy).toBeGreaterThanOrEqual(0);
    expect(c.accuracy).toBeLessThanOrEqual(1);
    expect(c.anchorDiseases).toBeGreaterThan(0);
    expect(c.anchorDiseases).toBeLessThanOrEqual(c.anchors);
    expect(lines.join('\n')).toMatch(/knowledge ceiling \d+\.\d% on \d+ test items/);
    addToReleaseProbes(rel, { ceiling: c });
    expect(readJson<{ ceiling: { n: number } }>(path.join(rel, 'probes.json')).ceiling.n).toBe(c.n);
    expect(findRelease(cfg)?.dir).toBe(rel); // every sha256 still matches
    // a second `fleming base` with the same settings reuses the release (nothing trained, the ceiling kept)
    const again = await runBase(cfg, quiet);
    expect(again).toMatchObject({ finished: true, reused: true });
    expect((again.probes as { ceiling?: { n: number } }).ceiling?.n).toBe(c.n);
  }, 300_000);

  it('skill rows and probes: copy loss on the second copy, option rows the protocol reads, no tensors left behind', async () => {
    const root = tempDir('base-probe-');
    const cfg = tinyConfig(root);
    await runBase(resolveConfig({ overrides: { base: { ...TINY, steps: 8, release: root } } }), quiet);
    const tok = loadTokenizer(root);
    const g = baseWorld(cfg.base, 1234);
    const rng = new Rng('t');
    const c = copyRow(tok, drawableIds(tok), rng, 4, 6);
    const L = (c.ids.length - 1) / 2;
    expect(c.ids.slice(1, 1 + L)).toEqual(c.ids.slice(1 + L));
    expect(c.completionMask.filter(Boolean).length).toBe(L);
    const o = optionRow(tok, namePools(g), rng, 4, 4);
    expect(strictAnswer(tok.decode(o.row.ids.slice(o.row.promptLength)), ['A', 'B', 'C', 'D'])).toBe(o.letter);
    // the probe's prefix ends at the "(" after the option's name in the thought: the letter is next
    const thought = tok.decode(o.row.ids.slice(o.row.promptLength));
    expect(tok.decode(o.prefix.slice(o.row.promptLength)).trimEnd().endsWith('(')).toBe(true);
    expect(o.row.ids[o.prefix.length]).toBe(tok.encode(o.letter, { allowSpecial: false })[0]);
    expect(thought).toContain(`(${o.letter}).${CHAT.thinkClose}`);
    // reverse rows: the options, then "- name (L)" lines; loss on the letters only, each the letter of its name
    const rev = reverseRow(tok, namePools(g), rng, 3, 5, 64);
    expect(rev.ids.length).toBeLessThanOrEqual(64);
    const text = tok.decode(rev.ids);
    const letters = rev.ids.filter((_, i) => rev.completionMask[i]).map((id) => tok.decode([id]));
    expect(letters.length).toBeGreaterThanOrEqual(3);
    const lines = [...text.matchAll(/- (.+?) \(([A-J])\)/g)];
    expect(lines.map((m) => m[2])).toEqual(letters);
    for (const m of lines) expect(text).toContain(`${m[2]}. ${m[1]}\n`);
    const k = lookupRow(tok, namePools(g), rng, 3);
    expect(k.completionMask.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    const model = loadCheckpoint(root).model;
    const n0 = tf.memory().numTensors;
    const p = probeBase(model, tok, g, { drills: 16, recallEdges: 2, style: 'mention', seed: 'probe' });
    expect(tf.memory().numTensors).toBe(n0);
    expect(p.option.drills).toBe(16);
    expect(p.option.chance).toBeCloseTo(0.25, 5);
    expect(p.copy.uniformNll).toBeGreaterThan(0);
    expect(p.recall?.heldOut.edges).toBeGreaterThan(0);
    model.dispose();
  }, 120_000);

  it('a run starts from the release: its tokenizer and weights, direct-answer tuning only; a tampered or mismatched release is refused with how to retrain', async () => {
    const rel = tempDir('base-release-');
    await runBase(tinyConfig(rel), quiet);
    const config = resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', pretrain: tinyPretrain, base: { ...TINY, release: rel } } });
    expect(findRelease(config)?.dir).toBe(rel);
    const { ctx, graph, items } = await tinyBaseRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', pretrain: tinyPretrain, base: { ...TINY, release: '' } } }), { prefix: 'base-from-release-', seed: 3 });
    const ctx2 = { ...ctx, config };
    expect(baseStyle(ctx.dir)).toBe('sentence'); // pretrained from scratch
    const r = await pretrainStage(ctx2, { force: true });
    expect(r.reused).toBe(false);
    // the Base's text style, recorded for later stages: the teacher writes its traces in it
    expect(readJson(path.join(ctx.dir, 'coldstart', 'base', 'base.json'))).toEqual({ from: 'release', release: rel, style: 'mention' });
    expect(baseStyle(ctx.dir)).toBe('mention');
    writeJsonlSync(path.join(ctx.dir, 'rods', 'train.jsonl'), items.filter((it) => it.split === 'train'));
    const d = await distill(ctx2, { graph });
    const traces = fs.readFileSync(d.cotFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completion: string; verified: boolean }).filter((t) => t.verified);
    expect(traces.length).toBeGreaterThan(10);
    const capitalised = graph.nodes.map((n) => n.name).filter((n) => mentionName(n) !== n);
    for (const t of traces) {
      expect(t.completion).toMatch(/^<think> \S/);
      for (const n of capitalised) expect(t.completion).not.toContain(n);
    }
    const tok = loadTokenizer(path.join(ctx.dir, 'coldstart', 'base'));
    expect(tok.vocab).toEqual(loadTokenizer(rel).vocab);
    const phases = new Set(readMetrics<{ phase: string }>(path.join(ctx.dir, 'coldstart', 'base', 'metrics.jsonl')).map((m) => m.phase));
    expect([...phases]).toEqual(['tune']);
    // +CoT starts from the release's pretrained weights, not from the direct-answer-tuned Base (whose tuning undoes circuits)
    const sftCtx = { ...ctx2, config: { ...config, sft: { ...config.sft, steps: 1, lr: 1e-12, minLr: 0, warmupSteps: 0, evalItems: 2, examples: 1 } } };
    await runSft(sftCtx);
    expect(fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8')).toContain(`sft: training starts from the released Base's pretrained weights (${rel})`);
    const [relW, tunedW, cotW] = [rel, path.join(ctx.dir, 'coldstart', 'base'), path.join(ctx.dir, 'coldstart', 'sft')].map((d) => {
      const m = loadCheckpoint(d).model;
      const w = m.param('model.norm.weight').dataSync().slice() as Float32Array;
      m.dispose();
      return w;
    });
    const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    expect(diff(relW, tunedW)).toBeGreaterThan(1e-6);
    expect(diff(cotW, relW)).toBeLessThan(1e-6);
    // tampered weights, another graph
    expect(() => findRelease(resolveConfig({ overrides: { base: { ...TINY, release: rel }, graph: { kg: 'open' } } }))).toThrow(/knows the seed graph, not --kg open: train a matching Base with `fleming base`/);
    fs.appendFileSync(path.join(rel, 'log.jsonl'), ' ');
    expect(() => findRelease(config)).toThrow(/does not match .*manifest\.json.*--set base\.release=/);
    // nothing released yet: null (the stage pretrains its own and says so)
    expect(findRelease(resolveConfig({ overrides: { base: { ...TINY, release: path.join(rel, 'none') } } }))).toBeNull();
    for (const d of [rel, path.dirname(ctx.dir)]) fs.rmSync(d, { recursive: true, force: true });
  }, 180_000);
});
