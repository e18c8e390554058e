/**
 * Literal fixture directories of the Base's states for the status, targets and report tests: a
 * release (every file written here, manifest with their sha256s), a recipe in progress (a
 * checkpoint's trainer_state.json, metrics/probes/sessions with rows of an earlier run and a last
 * line cut short by a kill), and nothing. Each returns its directory; the caller removes `root`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recipeDefaults } from '../../src/base/config';
import type { ReleaseProbes } from '../../src/base/status';

export const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The final probes of the fixture release: copy met, option not met (0.9), recall reported, no ceiling. */
export const FIXTURE_PROBES: ReleaseProbes = {
  copy: { firstCopyNll: 8.1234, secondCopyNll: 0.4321, gain: 7.6913, uniformNll: 8.6, sequences: 64, length: 24 },
  option: { drills: 1000, accuracy: 0.9, letterNll: 0.3, chance: 0.21 },
  recall: {
    heldOut: { edges: 480, accuracy: 0.61, accuracyPerToken: 0.6, chance: 0.2, meanRank: 1.8 },
    seen: { edges: 480, accuracy: 0.7, accuracyPerToken: 0.69, chance: 0.2, meanRank: 1.5 },
  },
};

/** A release in `<root>/release` whose log has `steps` steps of schedule 'C*4,KO' (losses 10 - step / 10). */
export function fixtureRelease(root: string, steps = 12): string {
  const dir = path.join(root, 'release');
  fs.mkdirSync(dir, { recursive: true });
  const settings = { ...recipeDefaults, steps, schedule: 'C*4,KO' };
  const skill = (s: number) => (s <= 4 ? 'copy' : (s - 5) % 2 === 0 ? 'knowledge' : 'option');
  const files: Record<string, string> = {
    'model.safetensors': 'not really weights, but bytes with a hash',
    'config.json': JSON.stringify({ hidden_size: 128 }),
    'tokenizer.json': '{}',
    'tokenizer_config.json': '{}',
    'log.jsonl': jsonl(Array.from({ length: steps }, (_, i) => ({ step: i + 1, skill: skill(i + 1), loss: 10 - (i + 1) / 10, gradNorm: 1, lr: 0.001, tokens: 100 }))),
    'probes.jsonl': jsonl([{ step: 5, copy: 9, copyFirst: 9.5, option: 0.3, optionNll: 1.4 }, { step: 10, copy: 0.6, copyFirst: 9.4, option: 0.8, optionNll: 0.5 }]),
    'probes.json': JSON.stringify(FIXTURE_PROBES),
    'recipe.json': JSON.stringify({ command: 'fleming base --hours 2', seed: 1234, backend: 'wasm', wallSeconds: 7200, steps, settings }),
  };
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  const manifest = { files: Object.fromEntries(Object.keys(files).map((f) => [f, sha(path.join(dir, f))])), seedGraph: { 'data/seed/diseases.jsonl': sha(path.resolve(__dirname, '../../data/seed/diseases.jsonl')) } };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/**
 * A recipe in progress in `<root>/progress/train`: the checkpoint at step 20 of 40 (schedule
 * 'C*8,KO', other settings the recipe's), metrics to step 24 and a cut 25th line, probes.jsonl
 * with an earlier run's rows (10, 20, 30) before this run's (10, 20) and a cut line, sessions of
 * the earlier run (0 → 30) and of this one (0 → 10, 10 → 20).
 */
export function fixtureTraining(root: string): string {
  const dir = path.join(root, 'progress');
  const work = path.join(dir, 'train');
  fs.mkdirSync(path.join(work, 'last'), { recursive: true });
  const base = { ...recipeDefaults, release: undefined, steps: 40, schedule: 'C*8,KO' };
  fs.writeFileSync(path.join(work, 'last', 'trainer_state.json'), JSON.stringify({ step: 20, extra: { fingerprint: { base, seed: 1234, tokenizer: 'x' }, phase: 0 } }));
  const metrics = Array.from({ length: 24 }, (_, i) => ({ phase: 'recipe', step: i + 1, phaseStep: i + 1, loss: i + 1, gradNorm: 1, lr: 0.001, tokens: 10, seconds: i < 20 ? 10 * (i + 1) : 3 * (i - 19) })); // a new session's clock from step 21
  fs.writeFileSync(path.join(work, 'metrics.jsonl'), jsonl(metrics) + '{"phase":"recipe","step":25,"lo');
  const probe = (step: number, copy: number) => ({ step, copy, copyFirst: 9, option: 0.25, optionNll: 1.4 });
  fs.writeFileSync(path.join(work, 'probes.jsonl'), jsonl([probe(10, 8), probe(20, 7), probe(30, 6), probe(10, 5), probe(20, 4)]) + '{"step":30,"co');
  fs.writeFileSync(path.join(work, 'sessions.jsonl'), jsonl([{ fromStep: 0, toStep: 30, seconds: 999, backend: 'wasm' }, { fromStep: 0, toStep: 10, seconds: 100, backend: 'wasm' }, { fromStep: 10, toStep: 20, seconds: 200, backend: 'tensorflow' }]));
  return dir;
}
