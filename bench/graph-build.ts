/**
 * Child process of `fleming bench`: builds the open graph once and prints one JSON line with the
 * wall time and the process's peak resident memory, measured in a fresh process so earlier work
 * does not count.   Usage: node -r tsx/cjs bench/graph-build.ts <sourcesDir>
 */
import { buildOpenGraph } from '../src/graph/open/index';

async function mainBuild(): Promise<void> {
  const sourcesDir = process.argv[2];
  const t0 = performance.now();
  const { graph, skips } = await buildOpenGraph({ sourcesDir });
  const seconds = (performance.now() - t0) / 1000;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, maxRssMiB, nodes: graph.nodes.length, edges: graph.edges.length, skipped: skips.total() }) + '\n');
}

mainBuild().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
