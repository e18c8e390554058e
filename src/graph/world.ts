/**
 * The run's world: which part of which knowledge graph every stage of a run works in, and why.
 * A focus (src/graph/focus.ts) applies only where the run needs one:
 *
 *   route     when                                          world
 *   release   a released Base applies (base.release, --kg   the Base's world: the whole seed graph (a
 *             seed; src/base/release.ts findRelease)         focused Base: its own focus)
 *   scratch   no release: the run pretrains its own Base    graph.focus.fromScratch anchor diseases of the
 *             on the seed graph                              seed graph (default preset: 25; 0 = whole)
 *   open      --kg open (a Base of its own)                  the whole open graph
 *
 * graph.focus.diseases, set by the user, is the focus on every route (a release of the whole seed
 * graph knows any focus of it). The Base's text style follows the route: 'mention' for a released
 * Base (its corpus names every entity the way its tokenizer's entity tokens spell it),
 * 'sentence' for a Base pretrained from scratch.
 */
import type { RunConfig } from '../core/config';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRelease, releaseDir, type Release } from '../base/release';
import type { TextStyle } from '../base/sentences';

export interface RunWorld {
  route: 'release' | 'scratch' | 'open';
  /** The focus to apply (anchor diseases and the seed of their shuffle); null = the whole graph. */
  focus: { diseases: number; seed: number } | null;
  /** The release the run starts from (route 'release'). */
  release: Release | null;
  /** How the run's Base writes entity names (src/base/sentences.ts TextStyle). */
  style: TextStyle;
  /** One plain sentence: the world and why. */
  why: string;
}

/** The world of a run with this config (reads the release's manifest, recipe and hashes: cheap). */
export function runWorld(config: RunConfig): RunWorld {
  const f = config.graph.focus;
  const asked = f.diseases > 0 ? { diseases: f.diseases, seed: config.seed } : null;
  const user = (n: number) => `a focus of ${n} anchor diseases (graph.focus.diseases, set for this run)`;
  if (config.graph.kg === 'open') {
    const what = asked ? user(asked.diseases) : 'the whole open graph (graph.focus.fromScratch is for a from-scratch run on the seed graph only)';
    const seedBase = config.base.release && fs.existsSync(path.join(releaseDir(config.base.release), 'manifest.json')) ? ` (the released Base in ${config.base.release} knows the seed graph only; \`fleming base\` trains Bases of the seed graph)` : '';
    return { route: 'open', focus: asked, release: null, style: 'sentence', why: `${what}: an open-graph run pretrains its own Base${seedBase}` };
  }
  const release = findRelease(config);
  if (release) {
    const w = release.world;
    const own = w.diseases > 0 ? `the Base's world, a focus of ${w.diseases} anchor diseases of the seed graph (seed ${w.seed})` : "the Base's world, the whole seed graph";
    const what = asked ? `${user(asked.diseases)}, which the released Base knows` : own;
    return { route: 'release', focus: asked ?? (w.diseases > 0 ? w : null), release, style: 'mention', why: `${what}: the run starts from the released Base in ${release.dir}` };
  }
  const none = config.base.release ? `no released Base in ${config.base.release} yet` : 'base.release is empty';
  const n = f.fromScratch;
  const what = asked ? user(asked.diseases) : n > 0 ? `a focus of ${n} anchor diseases of the seed graph (graph.focus.fromScratch)` : 'the whole seed graph (graph.focus.fromScratch = 0)';
  return { route: 'scratch', focus: asked ?? (n > 0 ? { diseases: n, seed: config.seed } : null), release: null, style: 'sentence', why: `${what}: ${none}, so the run pretrains its own Base` };
}
