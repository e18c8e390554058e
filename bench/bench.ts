/**
 * `npm run bench`: speed and memory figures, printed as one table. Targets live here, not in
 * unit tests: open graph build ≤ 30 s and ≤ 1 GiB peak; synthesis ≥ 10,000 items/s on the seed
 * graph. Model figures are measured per preset on the backend selectBackend() picks.
 *   npm run bench                      everything
 *   FLEMING_BENCH_ONLY=graph,rods npm run bench
 *   FLEMING_BENCH_ONLY=model FLEMING_BENCH_BACKENDS=wasm,webgpu npm run bench    backends side by side
 *   FLEMING_BACKEND=webgpu FLEMING_BENCH_PRESETS=smoke,gpu npm run bench          one backend, some presets
 *   FLEMING_BENCH_ONLY=serve npm run bench      fleming serve under 1, 8 and 32 concurrent clients (src/serve/bench.ts)
 */
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { RunConfig } from '../src/core/config';
import { resolveSourcesDir } from '../src/graph/sources';
import { loadSeedGraph } from '../src/graph/seed';
import { benchSynthesisDetail } from '../src/rods/synth/bench';
import { synthesize } from '../src/rods/synth/index';
import { nearDuplicates } from '../src/rods/filter/index';
import { Rng } from '../src/core/rng';

interface Row {
  bench: string;
  value: string;
  target: string;
  ok: string;
}

function print(rows: Row[]): void {
  const cols: (keyof Row)[] = ['bench', 'value', 'target', 'ok'];
  const header: Row = { bench: 'bench', value: 'value', target: 'target', ok: 'met / note' };
  const w = cols.map((c) => Math.max(c === 'ok' ? 10 : c.length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<string, string>) => cols.map((c, i) => (i === 1 ? r[c].padStart(w[i]) : r[c].padEnd(w[i]))).join('  ');
  process.stdout.write(line({ bench: 'bench', value: 'value', target: 'target', ok: 'met / note' }) + '\n');
  for (const r of rows) process.stdout.write(line(r as unknown as Record<string, string>) + '\n');
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export async function runBench(config: RunConfig, only: string[] = ['graph', 'rods', 'model', 'rlvr', 'serve']): Promise<void> {
  const rows: Row[] = [];
  const t0 = performance.now();
  const { graph: seed } = loadSeedGraph();
  rows.push({ bench: `seed graph compile (${seed.nodes.length} nodes, ${seed.edges.length} edges)`, value: `${fmt(performance.now() - t0)} ms`, target: '-', ok: '' });

  if (only.includes('graph')) {
    // Open graph build, in a fresh process for an honest peak-memory figure.
    let sources: string | undefined;
    try {
      sources = resolveSourcesDir(config.graph.sourcesDir);
    } catch (e) {
      rows.push({ bench: 'open graph build', value: 'not run', target: '≤ 30 s', ok: `no sources: ${(e as Error).message.split('\n')[0]} (pass --sources DIR)` });
    }
    if (sources) {
      const out = execFileSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'graph-build.ts'), sources], { encoding: 'utf8', cwd: path.resolve(__dirname, '..') });
      const r = JSON.parse(out.trim().split('\n').pop() as string) as { seconds: number; maxRssMiB: number; nodes: number; edges: number };
      rows.push({ bench: `open graph build (${fmt(r.nodes)} nodes, ${fmt(r.edges)} edges)`, value: `${fmt(r.seconds, 1)} s`, target: '≤ 30 s', ok: r.seconds <= 30 ? 'yes' : 'NO' });
      rows.push({ bench: 'open graph build, peak RSS', value: `${fmt(r.maxRssMiB)} MiB`, target: '≤ 1024 MiB', ok: r.maxRssMiB <= 1024 ? 'yes' : 'NO' });
    }
  }

  if (only.includes('rods')) {
    const s = benchSynthesisDetail(seed, { n: 20000 });
    rows.push({ bench: `synthesis on the seed graph (${fmt(s.items)} items)`, value: `${fmt(s.itemsPerSecond)} items/s`, target: '≥ 10,000 items/s', ok: s.itemsPerSecond >= 10000 ? 'yes' : 'NO' });
    const items = synthesize(seed, { n: 20000 }, new Rng(1)).items;
    const t1 = performance.now();
    const nd = nearDuplicates(items);
    rows.push({ bench: `near-duplicate filter (${fmt(items.length)} items, ${nd.rejected.length} dropped)`, value: `${fmt(performance.now() - t1)} ms`, target: '-', ok: '' });
  }

  if (only.includes('model')) {
    const { selectBackend } = require('../src/model/backend') as typeof import('../src/model/backend');
    const { webgpuAdapter } = require('../src/model/dawn') as typeof import('../src/model/dawn');
    const { benchModel, MODEL_PRESETS } = require('../src/model/bench') as typeof import('../src/model/bench');
    // FLEMING_BENCH_BACKENDS=wasm,webgpu compares backends; default: the one selectBackend() picks.
    const wanted = (process.env.FLEMING_BENCH_BACKENDS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    const presetsWanted = (process.env.FLEMING_BENCH_PRESETS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    for (const want of wanted.length ? wanted : [undefined]) {
      const backend = await selectBackend(want);
      if (want && backend.name !== want) {
        rows.push({ bench: `model on ${want}`, value: 'not run', target: '-', ok: backend.attempts.find((a) => a.name === want)?.reason ?? 'unavailable' });
        continue;
      }
      const software = backend.name === 'webgpu' && Boolean(webgpuAdapter()?.software);
      const gpu = backend.name === 'tensorflow' || (backend.name === 'webgpu' && !software);
      rows.push({ bench: `backend ${backend.name}`, value: '-', target: '-', ok: backend.reason });
      for (const preset of Object.keys(MODEL_PRESETS) as (keyof typeof MODEL_PRESETS)[]) {
        if (presetsWanted.length && !presetsWanted.includes(preset)) continue;
        const p = `model ${preset} (${backend.name})`;
        // Sizes a backend cannot finish in reasonable time are listed, not run.
        const skip = preset === 'gpu' && !gpu ? 'not run: sized for a GPU' : software && preset !== 'smoke' ? 'not run: software adapter (llvmpipe), smoke only' : '';
        if (skip) {
          rows.push({ bench: `${p}: training`, value: 'not run', target: '-', ok: skip });
          continue;
        }
        const note = software ? 'software adapter: not GPU speed' : '';
        const r = await benchModel(preset);
        rows.push({ bench: `${p}: FLOPs/token (train), ${fmt(r.params)} params`, value: fmt(r.flopsPerTokenTrain), target: '-', ok: '' });
        rows.push({ bench: `${p}: training`, value: `${fmt(r.trainTokensPerSec)} tok/s`, target: '-', ok: [`${fmt(r.trainGflops, 1)} GFLOP/s, ${fmt(r.msPerStep)} ms/step`, note].filter(Boolean).join('; ') });
        rows.push({ bench: `${p}: sampling with KV cache`, value: `${fmt(r.sampleTokensPerSecCached)} tok/s`, target: '-', ok: note });
        rows.push({ bench: `${p}: sampling without cache`, value: `${fmt(r.sampleTokensPerSecUncached)} tok/s`, target: '-', ok: note });
        rows.push({ bench: `${p}: memory`, value: `${fmt(r.wasmHeapMiB ?? r.peakBytes / 2 ** 20)} MiB`, target: '-', ok: r.wasmHeapMiB !== undefined ? 'wasm heap' : 'peak tensor bytes' });
      }
    }
  }
  if (only.includes('rlvr')) {
    // One GRPO step of the default preset's shape on the default model (random weights, fixed lengths).
    const { selectBackend } = (require('../src/model/backend') as typeof import('../src/model/backend'));
    const { benchGrpo } = (require('../src/rlvr/bench') as typeof import('../src/rlvr/bench'));
    const backend = await selectBackend();
    const r = benchGrpo(config.rlvr);
    const p = `GRPO step, default model (${backend.name}), ${r.completions} completions × ${r.tokens} tokens after ${r.promptTokens}-token prompts`;
    rows.push({ bench: `${p}: rollouts`, value: `${fmt(r.sampleTokensPerSec)} tok/s`, target: '-', ok: `${fmt(r.sampleSeconds, 1)} s` });
    rows.push({ bench: `${p}: update`, value: `${fmt(r.trainTokensPerSec)} tok/s`, target: '-', ok: `${fmt(r.trainSeconds, 1)} s` });
  }
  if (only.includes('serve')) {
    // `fleming serve` in its own process on a random-init default-preset checkpoint; clients here.
    const { benchServe, serveFigures } = require('../src/serve/bench') as typeof import('../src/serve/bench');
    const r = await benchServe({ backend: config.backend });
    for (const f of serveFigures(r)) rows.push({ bench: f.bench, value: f.value, target: '-', ok: f.note });
  }
  print(rows);
}
