/**
 * A release directory as findRelease() (src/base/release.ts) checks it, for choosing a run's
 * world: recipe.json (the Base's world and seed) and a manifest with its sha256 and the seed
 * graph's. It has no weights: a stage that loads the Base needs a real one (test/base/recipe.test.ts).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJson } from '../../src/core/io';
import { seedDir } from '../../src/graph/seed';

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Writes the release files into `dir` (which the caller removes) and returns it. */
export function worldRelease(dir: string, world: number, seed = 1234): string {
  writeJson(path.join(dir, 'recipe.json'), { command: 'test', seed, settings: { world } });
  const graphFiles = fs.readdirSync(seedDir()).filter((f) => f.endsWith('.jsonl')).sort();
  writeJson(path.join(dir, 'manifest.json'), {
    files: { 'recipe.json': sha(path.join(dir, 'recipe.json')) },
    seedGraph: Object.fromEntries(graphFiles.map((f) => [`data/seed/${f}`, sha(path.join(seedDir(), f))])),
  });
  return dir;
}
