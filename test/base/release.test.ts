/**
 * The released Base (data/base/): every file matches its manifest, and the recipe's first 50
 * steps, rerun from the recorded settings and seed, give the logged losses exactly. Until the
 * recipe has finished once (its checkpoint is in data/base/train/), there is no release to check
 * and the test says so in its title.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { readJson } from '../../src/core/io';
import { findRelease, releaseDir, runBase } from '../../src/base/release';
import type { BaseRecipeConfig } from '../../src/base/config';
import { readMetrics } from '../../src/train/index';
import { useBackend } from '../model/helpers';
import { loadOrt, ortLoadError } from '../../src/model/ort';
import { type TrainRuntime, withTraining } from '../../src/model/ortTrain';
import { tempDir } from '../helpers/tmp';

const dir = releaseDir('data/base');
const released = fs.existsSync(path.join(dir, 'manifest.json'));
// the release records where its gradients ran (trainRuntime); its first steps reproduce there
const runtime = released ? (readJson<{ trainRuntime?: TrainRuntime }>(path.join(dir, 'recipe.json')).trainRuntime ?? 'tfjs') : 'tfjs';
const runnable = runtime === 'tfjs' || loadOrt() !== undefined;
const why = !released ? ' (skipped: no release in data/base yet: `fleming base` is still training it)' : runnable ? '' : ` (skipped: the release was trained on onnxruntime, which does not load here: ${ortLoadError()})`;

describe('the released Base', () => {
  beforeAll(async () => {
    if (released) await useBackend(readJson<{ backend: string }>(path.join(dir, 'recipe.json')).backend as 'wasm');
  });

  it.skipIf(!released || !runnable)(`every file matches the manifest, and the first 50 steps reproduce the logged losses${why}`, async () => {
    const recipe = readJson<{ seed: number; settings: BaseRecipeConfig }>(path.join(dir, 'recipe.json'));
    const config = resolveConfig({ overrides: { seed: recipe.seed, base: recipe.settings } });
    expect(findRelease(config)?.dir).toBe(dir);
    const tmp = tempDir('base-repro-');
    const r = await withTraining(runtime, () => runBase(resolveConfig({ overrides: { seed: recipe.seed, base: { ...recipe.settings, release: tmp } } }), { command: 'test', untilStep: 50, log: () => undefined }));
    expect(r).toMatchObject({ finished: false, step: 50 });
    const again = readMetrics<{ step: number; loss: number }>(path.join(tmp, 'train', 'metrics.jsonl')).map((m) => m.loss);
    const logged = readMetrics<{ step: number; loss: number }>(path.join(dir, 'log.jsonl')).slice(0, 50).map((m) => m.loss);
    expect(again).toEqual(logged);
  }, 600_000);
});
