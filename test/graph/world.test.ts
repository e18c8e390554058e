/**
 * The run's world (src/graph/world.ts) and the graph stage that builds it: a released Base's world
 * is the whole seed graph (or the Base's own focus), a run pretrained from scratch on the seed
 * graph gets the default preset's 25-disease focus, an open-graph run the whole open graph; a
 * focus the user sets applies everywhere.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig, type DeepPartial, type RunConfig } from '../../src/core/config';
import { readJson } from '../../src/core/io';
import { openRun } from '../../src/core/run';
import { run as graphStage } from '../../src/graph/stage';
import { runWorld } from '../../src/graph/world';
import { writeFixture } from './open/fixtures';
import { worldRelease } from './worldRelease';

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const release = (world: number, seed = 1234) => worldRelease(tmp('world-release-'), world, seed);

const config = (overrides: DeepPartial<RunConfig>) => resolveConfig({ overrides });

/** Runs the graph stage on a fresh run directory; returns its graph/ files and log. */
async function build(cfg: RunConfig) {
  const ctx = openRun({ ...cfg, runDir: 'run' }, { root: tmp('world-run-'), quiet: true, progressMode: 'silent' });
  const r = await graphStage(ctx);
  const dir = path.join(ctx.dir, 'graph');
  return { r, dir, world: readJson<{ route: string; focus: unknown; style: string; why: string }>(path.join(dir, 'world.json')), log: fs.readFileSync(path.join(ctx.dir, 'log.txt'), 'utf8') };
}

describe('runWorld', () => {
  it('runWorld() from scratch on the seed graph: the default preset focuses on 25 diseases, sentence style, and says why', () => {
    const w = runWorld(config({ base: { release: '' } }));
    expect(w).toMatchObject({ route: 'scratch', focus: { diseases: 25, seed: 1234 }, release: null, style: 'sentence' });
    expect(w.why).toMatch(/a focus of 25 anchor diseases of the seed graph \(graph\.focus\.fromScratch\): base\.release is empty, so the run pretrains its own Base/);
    const none = runWorld(config({ base: { release: path.join(tmp('world-empty-'), 'none') } }));
    expect(none).toMatchObject({ route: 'scratch', focus: { diseases: 25 } });
    expect(none.why).toMatch(/no released Base in .*none yet/);
    expect(runWorld(resolveConfig({ preset: 'smoke', overrides: { base: { release: '' } } })).focus).toBeNull();
  });

  it('runWorld() with a released Base: the whole seed graph (no focus) in mention style, unless the user sets graph.focus.diseases', () => {
    const rel = release(0);
    const w = runWorld(config({ base: { release: rel } }));
    expect(w).toMatchObject({ route: 'release', focus: null, style: 'mention' });
    expect(w.release?.dir).toBe(rel);
    expect(w.why).toBe(`the Base's world, the whole seed graph: the run starts from the released Base in ${rel}`);
    const asked = runWorld(config({ base: { release: rel }, graph: { focus: { diseases: 40 } } }));
    expect(asked).toMatchObject({ route: 'release', focus: { diseases: 40, seed: 1234 }, style: 'mention' });
    expect(asked.why).toMatch(/a focus of 40 anchor diseases \(graph\.focus\.diseases, set for this run\), which the released Base knows/);
  });

  it("runWorld() with a focused release: the Base's own focus (its seed); another focus is refused with how to retrain", () => {
    const rel = release(5, 77);
    expect(runWorld(config({ base: { release: rel } })).focus).toEqual({ diseases: 5, seed: 77 });
    expect(() => runWorld(config({ base: { release: rel }, graph: { focus: { diseases: 25 } } }))).toThrow(/knows a focus of 5 anchor diseases \(seed 77\), not graph\.focus\.diseases=25.*fleming base/);
  });

  it('runWorld() with --kg open: the whole open graph under the default preset, a user focus when set; no release is looked up', () => {
    const open = runWorld(config({ graph: { kg: 'open' }, base: { release: release(0) } }));
    expect(open).toMatchObject({ route: 'open', focus: null, release: null, style: 'sentence' });
    expect(open.why).toMatch(/^the whole open graph \(graph\.focus\.fromScratch is for a from-scratch run on the seed graph only\)/);
    expect(open.why).toMatch(/an open-graph run pretrains its own Base \(the released Base in .* knows the seed graph only; `fleming base` trains Bases of the seed graph\)$/);
    expect(runWorld(config({ graph: { kg: 'open', focus: { diseases: 30 } } })).focus).toEqual({ diseases: 30, seed: 1234 });
  });
});

describe('the graph stage builds the run world', () => {
  it('fleming graph with a released Base builds the whole seed graph; from scratch, the 25-disease focus', async () => {
    const whole = await build(config({ base: { release: release(0) } }));
    expect(whole.r.stats.nodes).toBe(2834);
    expect(whole.r.stats.byType.disease).toBe(299); // every disease node of data/seed
    expect(fs.existsSync(path.join(whole.dir, 'focus.json'))).toBe(false);
    expect(whole.world).toMatchObject({ route: 'release', focus: null, style: 'mention' });
    expect(whole.log).toContain("graph: world: the Base's world, the whole seed graph: the run starts from the released Base in");
    expect(fs.readFileSync(path.join(whole.dir, 'report.md'), 'utf8')).toContain("**The run's world:** the Base's world, the whole seed graph");
    const focused = await build(config({ base: { release: '' } }));
    expect(focused.r.stats.nodes).toBe(441);
    expect(readJson<{ anchors: string[] }>(path.join(focused.dir, 'focus.json')).anchors).toHaveLength(25);
    expect(focused.world).toMatchObject({ route: 'scratch', focus: { diseases: 25, seed: 1234 }, style: 'sentence' });
    expect(focused.log).toContain('graph: world: a focus of 25 anchor diseases of the seed graph (graph.focus.fromScratch)');
  }, 60_000);

  it('fleming graph --kg open under the default preset keeps the whole open graph (no focus.json)', async () => {
    const sources = writeFixture();
    dirs.push(sources);
    const open = await build(config({ graph: { kg: 'open', sourcesDir: sources } }));
    expect(fs.existsSync(path.join(open.dir, 'focus.json'))).toBe(false);
    expect(open.world).toMatchObject({ route: 'open', focus: null });
    expect(open.log).toContain('graph: world: the whole open graph');
    expect(open.r.stats.byType.disease).toBeGreaterThan(0);
  }, 60_000);
});
