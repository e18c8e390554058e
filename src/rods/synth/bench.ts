/**
 * Synthesis throughput: items per second on a graph (a benchmark figure, never a unit-test
 * assertion).   Usage: npx tsx src/rods/synth/bench.ts   (uses the seed graph)
 */
import type { KnowledgeGraph } from '../../graph/graph';
import { Rng } from '../../core/rng';
import type { SynthConfig } from './config';
import { synthesize } from './synthesize';

export interface BenchResult {
  itemsPerSecond: number;
  items: number;
  seconds: number;
  /** Kept items / drafts tried. */
  yield: number;
}

/**
 * Times `synthesize` on `graph` (one warm-up run of a tenth the size first, so caches and JIT are
 * warm), returning items per second; the detailed figures are on `benchSynthesisDetail`.
 */
export function benchSynthesis(graph: KnowledgeGraph, config: Partial<SynthConfig> = {}): number {
  return benchSynthesisDetail(graph, config).itemsPerSecond;
}

export function benchSynthesisDetail(graph: KnowledgeGraph, config: Partial<SynthConfig> = {}): BenchResult {
  const n = config.n ?? 20000;
  synthesize(graph, { ...config, n: Math.max(1, Math.floor(n / 10)) }, new Rng('bench-warmup'));
  const t0 = performance.now();
  const r = synthesize(graph, { ...config, n }, new Rng('bench'));
  const seconds = (performance.now() - t0) / 1000;
  return { itemsPerSecond: r.items.length / seconds, items: r.items.length, seconds, yield: r.items.length / Math.max(1, r.stats.attempts) };
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSeedGraph } = require('../../graph/seed') as { loadSeedGraph: () => { graph: KnowledgeGraph } };
  const { graph } = loadSeedGraph();
  const r = benchSynthesisDetail(graph);
  process.stdout.write(
    `synthesis: ${r.itemsPerSecond.toFixed(0)} items/s (${r.items} items in ${r.seconds.toFixed(2)} s, yield ${(r.yield * 100).toFixed(1)}% of drafts; graph ${graph.nodes.length} nodes, ${graph.edges.length} edges)\n`,
  );
}
