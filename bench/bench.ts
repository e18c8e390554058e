/**
 * `npm run bench`: speed and memory figures, printed as a table. Targets live here, not in unit
 * tests: open graph build ≤ 30 s and ≤ 1 GiB peak.
 */
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { RunConfig } from '../src/core/config';
import { resolveSourcesDir } from '../src/graph/sources';
import { loadSeedGraph } from '../src/graph/seed';

interface Figure {
  bench: string;
  value: string;
  target: string;
  ok: string;
}

function print(rows: Figure[]): void {
  const w = [5, 5, 6].map((_, i) => Math.max(...rows.map((r) => [r.bench, r.value, r.target][i].length), ['bench', 'value', 'target'][i].length));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0])}  ${b.padStart(w[1])}  ${c.padEnd(w[2])}  ${d}`;
  process.stdout.write(line('bench', 'value', 'target', 'met') + '\n');
  for (const r of rows) process.stdout.write(line(r.bench, r.value, r.target, r.ok) + '\n');
}

export async function runBench(config: RunConfig): Promise<void> {
  const rows: Figure[] = [];
  // Seed graph compile.
  {
    const t0 = performance.now();
    const { graph } = loadSeedGraph();
    const ms = performance.now() - t0;
    rows.push({ bench: `seed graph compile (${graph.nodes.length} nodes, ${graph.edges.length} edges)`, value: `${ms.toFixed(0)} ms`, target: '-', ok: '' });
  }
  // Open graph build, in a fresh process for an honest peak-memory figure.
  let sources: string | undefined;
  try {
    sources = resolveSourcesDir(config.graph.sourcesDir);
  } catch (e) {
    process.stdout.write(`open graph build: not run — ${(e as Error).message.split('\n')[0]} (pass --sources DIR)\n`);
  }
  if (sources) {
    const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'graph-build.ts'), sources], { encoding: 'utf8', cwd: path.resolve(__dirname, '..') });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as { seconds: number; maxRssMiB: number; nodes: number; edges: number };
    rows.push({ bench: `open graph build time (${r.nodes} nodes, ${r.edges} edges)`, value: `${r.seconds.toFixed(1)} s`, target: '≤ 30 s', ok: r.seconds <= 30 ? 'yes' : 'NO' });
    rows.push({ bench: 'open graph build peak memory (RSS)', value: `${r.maxRssMiB.toFixed(0)} MiB`, target: '≤ 1024 MiB', ok: r.maxRssMiB <= 1024 ? 'yes' : 'NO' });
  }
  print(rows);
}
