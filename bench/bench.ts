/**
 * `npm run bench`: speed and memory figures, printed as one table. Targets live here, not in
 * unit tests: open graph build ≤ 30 s and ≤ 1 GiB peak; synthesis ≥ 10,000 items/s on the seed
 * graph. Model figures are measured per preset on the backend selectBackend() picks.
 *   npm run bench                      everything
 *   FLEMING_BENCH_ONLY=graph,rods npm run bench
 *   FLEMING_BENCH_ONLY=model FLEMING_BENCH_BACKENDS=wasm,webgpu npm run bench    backends side by side
 *   FLEMING_BACKEND=webgpu FLEMING_BENCH_PRESETS=smoke,gpu npm run bench          one backend, some presets
 *   FLEMING_BENCH_ONLY=serve npm run bench      fleming serve under 1, 8 and 32 concurrent clients (src/serve/bench.ts)
 *   FLEMING_BENCH_ONLY=cores FLEMING_BENCH_CORES=1,2 npm run bench   the default model on 1 and 2 cores (workers, onnxruntime threads)
 * Beside each CPU figure: PyTorch's (bench/reference.py, $FLEMING_TORCH_PYTHON or python3 with torch and
 * transformers) measured in the same run, and the ratio; after the table, where the time goes (kernel profiles).
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
import type { BenchResult, KernelProfile, ModelPreset } from '../src/model/bench';
import type { GrpoBench } from '../src/rlvr/bench';
import { findTorch, machineLoad, torchFigure, type TorchJob } from './torch';

interface Row {
  bench: string;
  value: string;
  /** The same figure for PyTorch (bench/reference.py), measured in the same run, and workbench / PyTorch. */
  torch?: string;
  ratio?: string;
  target: string;
  ok: string;
}

function print(rows: Row[]): void {
  const cols: (keyof Row)[] = ['bench', 'value', 'torch', 'ratio', 'target', 'ok'];
  const header: Record<string, string> = { bench: 'bench', value: 'value', torch: 'PyTorch', ratio: 'ratio', target: 'target', ok: 'met / note' };
  const cell = (r: Row, c: keyof Row) => r[c] ?? '';
  const w = cols.map((c) => Math.max(header[c].length, ...rows.map((r) => cell(r, c).length)));
  const right = new Set<keyof Row>(['value', 'torch', 'ratio']);
  const line = (r: Row) => cols.map((c, i) => (right.has(c) ? cell(r, c).padStart(w[i]) : cell(r, c).padEnd(w[i]))).join('  ').trimEnd();
  process.stdout.write(line(header as unknown as Row) + '\n');
  for (const r of rows) process.stdout.write(line(r) + '\n');
}

/** Profile lines: the slowest kernels of a profiled call and the host time around them. */
function profileLines(title: string, wallMs: number, p: KernelProfile, top = 8, runtime: 'tfjs' | 'onnxruntime' = 'tfjs'): string[] {
  const host = runtime === 'tfjs' ? 'host (JS, autodiff tape, reads)' : 'between operators (the run, as onnxruntime traced it)';
  const lines = [`${title}: ${fmt(wallMs, 1)} ms wall, ${fmt(p.kernelMs, 1)} ms in kernels, ${fmt(Math.max(0, wallMs - p.kernelMs), 1)} ms ${host}`];
  for (const k of p.kernels.slice(0, top)) lines.push(`  ${k.name.padEnd(20)} ${fmt(k.ms, 1).padStart(8)} ms  ${fmt((100 * k.ms) / Math.max(wallMs, 1e-9), 0).padStart(3)}%  ${k.calls} calls`);
  const rest = p.kernels.slice(top);
  if (rest.length) lines.push(`  ${`${rest.length} other kernels`.padEnd(20)} ${fmt(rest.reduce((a, k) => a + k.ms, 0), 1).padStart(8)} ms`);
  return lines;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** PyTorch's figure beside ours: the two columns, PyTorch's tok/s, and why it failed. */
type Versus = { torch: string; ratio: string; note?: string; theirs?: number };
const none: Versus = { torch: '-', ratio: '-' };

/** The engine's speed target (default-preset training, GRPO rollouts): at least PyTorch's, measured in the same run. */
const PARITY = '≥ 1.0× PyTorch';
/** Whether `ours` meets PARITY against `f` ('' when PyTorch was not measured). */
const parity = (ours: number, f: Versus): string => (f.theirs === undefined ? '' : ours >= f.theirs ? 'yes' : 'NO');

function versus(ours: number, job: TorchJob, pick: (f: { tokensPerSec: number; trainTokensPerSec?: number }) => number = (f) => f.tokensPerSec): Versus {
  if (!findTorch().python) return { torch: '-', ratio: '-' };
  try {
    const theirs = pick(torchFigure(job));
    return { torch: `${fmt(theirs)} tok/s`, ratio: `${fmt(ours / theirs, 2)}×`, theirs };
  } catch (e) {
    return { torch: 'failed', ratio: '-', note: (e as Error).message };
  }
}

export async function runBench(config: RunConfig, only: string[] = ['graph', 'rods', 'model', 'rlvr', 'cores', 'serve']): Promise<void> {
  const rows: Row[] = [];
  const profiles: string[] = [];
  process.stdout.write(`machine: ${machineLoad()}; other processes share the cores, so compare the ratios (measured in the same run)\n`);
  if (['model', 'rlvr', 'cores'].some((s) => only.includes(s))) {
    const { inferenceChoice } = require('../src/model/ort') as typeof import('../src/model/ort');
    process.stdout.write(`PyTorch reference (bench/reference.py): ${findTorch().reason}\nsampling runtime: ${inferenceChoice().reason}\n`);
  }
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

  if (only.includes('model')) await modelSection(rows, profiles);
  if (only.includes('rlvr')) {
    // One GRPO step of the default preset's shape on the default model (random weights, fixed lengths).
    const { selectBackend } = (require('../src/model/backend') as typeof import('../src/model/backend'));
    const { benchGrpo } = (require('../src/rlvr/bench') as typeof import('../src/rlvr/bench'));
    const backend = await selectBackend();
    const r = await benchGrpo(config.rlvr);
    const cpu = backend.name === 'wasm' || backend.name === 'cpu';
    grpoRows(rows, `GRPO step, default run's policy (${backend.name}; ${r.policy}), ${r.completions} completions × ${r.tokens} tokens after ${r.promptTokens}-token prompts`, r, cpu ? config.rlvr : undefined);
  }
  if (only.includes('cores')) {
    // Both cores (FLEMING_BENCH_CORES=1,2 adds one core for comparison): default preset, CPU backends.
    const { selectBackend } = require('../src/model/backend') as typeof import('../src/model/backend');
    const backend = await selectBackend();
    const list = (process.env.FLEMING_BENCH_CORES ?? '2').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1);
    if (backend.name === 'wasm' || backend.name === 'cpu') for (const n of list) await coresRows(rows, n, config.rlvr);
  }
  if (only.includes('serve')) {
    // `fleming serve` in its own process on a random-init default-preset checkpoint; clients here.
    const { benchServe, serveFigures } = require('../src/serve/bench') as typeof import('../src/serve/bench');
    const r = await benchServe({ backend: config.backend });
    for (const f of serveFigures(r)) rows.push({ bench: f.bench, value: f.value, target: '-', ok: f.note });
  }
  print(rows);
  if (profiles.length) process.stdout.write(`\nWhere the time goes (kernels on the active backend; host = wall − kernels):\n${profiles.join('\n')}\n`);
}

/** The model rows of one preset; PyTorch columns when `torchPreset` is given (CPU backends). */
function modelRows(rows: Row[], p: string, r: BenchResult, torchPreset: ModelPreset | undefined, note: string, target = false): void {
  const { inferenceChoice } = require('../src/model/ort') as typeof import('../src/model/ort');
  const c = torchPreset?.config;
  const train = c ? versus(r.trainTokensPerSec, { kind: 'train', config: c, threads: 1, batchSize: torchPreset.batchSize, seqLen: torchPreset.seqLen, steps: 3 }) : none;
  const threads = r.sampleRuntime === 'onnxruntime' ? inferenceChoice().threads : 1;
  const sample = c ? versus(r.sampleTokensPerSecCached, { kind: 'sample', config: c, threads, batch: 4, promptLen: 16, newTokens: 24 }) : none;
  const cores = (n: number) => (findTorch().python ? `PyTorch ${n} thread${n > 1 ? 's' : ''}` : '');
  rows.push({ bench: `${p}: FLOPs/token (train), ${fmt(r.params)} params`, value: fmt(r.flopsPerTokenTrain), target: '-', ok: '' });
  const { trainingRuntime, trainingChoice } = require('../src/model/ortTrain') as typeof import('../src/model/ortTrain');
  rows.push({ bench: `${p}: training (${trainingRuntime()}, trainRuntime ${trainingChoice()})`, value: `${fmt(r.trainTokensPerSec)} tok/s`, torch: train.torch, ratio: train.ratio, target: target ? PARITY : '-', ok: [target ? parity(r.trainTokensPerSec, train) : '', `${fmt(r.trainGflops, 1)} GFLOP/s, ${fmt(r.msPerStep)} ms/step`, c ? cores(1) : '', note, train.note].filter(Boolean).join('; ') });
  if (r.trainTokensPerSecOrt !== undefined)
    rows.push({ bench: `${p}: training (gradients on onnxruntime, forced)`, value: `${fmt(r.trainTokensPerSecOrt)} tok/s`, torch: train.torch, ratio: train.theirs ? `${fmt(r.trainTokensPerSecOrt / train.theirs, 2)}×` : '-', target: '-', ok: `trainRuntime onnxruntime; ${fmt((r.trainTokensPerSecOrt * r.flopsPerTokenTrain) / 1e9, 1)} GFLOP/s` });
  rows.push({ bench: `${p}: sampling with KV cache (${r.sampleRuntime})`, value: `${fmt(r.sampleTokensPerSecCached)} tok/s`, torch: sample.torch, ratio: sample.ratio, target: '-', ok: [c ? cores(threads) : '', note, sample.note].filter(Boolean).join('; ') });
  if (r.sampleTokensPerSecTfjs !== undefined) {
    const ratio = sample.theirs ? `${fmt(r.sampleTokensPerSecTfjs / sample.theirs, 2)}×` : '-';
    rows.push({ bench: `${p}: sampling with KV cache (tfjs)`, value: `${fmt(r.sampleTokensPerSecTfjs)} tok/s`, torch: sample.torch, ratio, target: '-', ok: 'the same on TensorFlow.js, for comparison' });
  }
  rows.push({ bench: `${p}: sampling without cache`, value: `${fmt(r.sampleTokensPerSecUncached)} tok/s`, target: '-', ok: note });
  rows.push({ bench: `${p}: memory`, value: `${fmt(r.wasmHeapMiB ?? r.peakBytes / 2 ** 20)} MiB`, target: '-', ok: r.wasmHeapMiB !== undefined ? 'wasm heap' : 'peak tensor bytes' });
}

/** The GRPO rows; PyTorch columns when `rl` is given (CPU backends). */
function grpoRows(rows: Row[], p: string, r: GrpoBench, rl: RunConfig['rlvr'] | undefined): void {
  const job: TorchJob = { kind: 'grpo', config: r.config, threads: r.threads, batch: r.completions, promptLen: r.promptTokens, newTokens: r.tokens, microBatch: rl?.microBatch };
  let fig: { tokensPerSec: number; trainTokensPerSec?: number } | undefined;
  const roll = rl ? versus(r.sampleTokensPerSec, job, (f) => ((fig = f), f.tokensPerSec)) : none;
  const upd: Versus = fig?.trainTokensPerSec ? { torch: `${fmt(fig.trainTokensPerSec)} tok/s`, ratio: `${fmt(r.trainTokensPerSec / fig.trainTokensPerSec, 2)}×` } : none;
  rows.push({ bench: `${p}: rollouts (${r.runtime})`, value: `${fmt(r.sampleTokensPerSec)} tok/s`, torch: roll.torch, ratio: roll.ratio, target: PARITY, ok: [parity(r.sampleTokensPerSec, roll), `${fmt(r.sampleSeconds, 1)} s`, rl && findTorch().python ? `PyTorch ${r.threads} thread${r.threads > 1 ? 's' : ''}` : '', roll.note].filter(Boolean).join('; ') });
  if (r.sampleTokensPerSecTfjs !== undefined)
    rows.push({ bench: `${p}: rollouts (tfjs)`, value: `${fmt(r.sampleTokensPerSecTfjs)} tok/s`, torch: roll.torch, ratio: roll.theirs ? `${fmt(r.sampleTokensPerSecTfjs / roll.theirs, 2)}×` : '-', target: '-', ok: 'the same on TensorFlow.js, for comparison' });
  const { trainingRuntime, trainingChoice } = require('../src/model/ortTrain') as typeof import('../src/model/ortTrain');
  rows.push({ bench: `${p}: update (${trainingRuntime()}, trainRuntime ${trainingChoice()})`, value: `${fmt(r.trainTokensPerSec)} tok/s`, torch: upd.torch, ratio: upd.ratio, target: '-', ok: `${fmt(r.trainSeconds, 1)} s${rl && findTorch().python ? '; PyTorch 1 thread' : ''}` });
  if (r.trainTokensPerSecOrt !== undefined)
    rows.push({ bench: `${p}: update (gradients on onnxruntime, forced)`, value: `${fmt(r.trainTokensPerSecOrt)} tok/s`, torch: upd.torch, ratio: fig?.trainTokensPerSec ? `${fmt(r.trainTokensPerSecOrt / fig.trainTokensPerSec, 2)}×` : '-', target: '-', ok: 'trainRuntime onnxruntime' });
}

/** Training and rollouts of the default preset on `n` cores beside PyTorch on n threads. */
async function coresRows(rows: Row[], n: number, rl: RunConfig['rlvr']): Promise<void> {
  const { MODEL_PRESETS, benchTrainingCores } = require('../src/model/bench') as typeof import('../src/model/bench');
  const { benchRolloutsThreads, benchPolicy } = require('../src/rlvr/bench') as typeof import('../src/rlvr/bench');
  const { loadOrt } = require('../src/model/ort') as typeof import('../src/model/ort');
  const p = MODEL_PRESETS.default;
  const label = `default model on ${n} core${n > 1 ? 's' : ''}`;
  const vs = (ours: number, f: Versus) => (f.theirs ? `${fmt(ours / f.theirs, 2)}×` : '-');
  const tfjs = await benchTrainingCores('default', { cores: n, runtime: 'tfjs' });
  const train = versus(tfjs, { kind: 'train', config: p.config, threads: n, batchSize: p.batchSize, seqLen: p.seqLen, steps: 3 });
  rows.push({ bench: `${label}: training (tfjs, trainWorkers ${n})`, value: `${fmt(tfjs)} tok/s`, torch: train.torch, ratio: train.ratio, target: '-', ok: [findTorch().python ? `PyTorch ${n} thread${n > 1 ? 's' : ''}` : '', n > 1 ? 'opt-in' : '', train.note].filter(Boolean).join('; ') });
  if (!loadOrt()) return;
  const native = await benchTrainingCores('default', { cores: n, runtime: 'onnxruntime' });
  rows.push({ bench: `${label}: training (gradients on onnxruntime, ${n} thread${n > 1 ? 's' : ''})`, value: `${fmt(native)} tok/s`, torch: train.torch, ratio: vs(native, train), target: '-', ok: 'trainRuntime onnxruntime' });
  const roll = benchRolloutsThreads(rl, n);
  const job: TorchJob = { kind: 'grpo', config: benchPolicy().config, threads: n, batch: rl.promptsPerStep * rl.k, promptLen: 100, newTokens: rl.maxNewTokens, microBatch: rl.microBatch };
  const rt = versus(roll, job);
  rows.push({ bench: `${label}: GRPO rollouts (onnxruntime, ${n} thread${n > 1 ? 's' : ''}), ${job.batch} × ${job.newTokens} after 100`, value: `${fmt(roll)} tok/s`, torch: rt.torch, ratio: rt.ratio, target: '-', ok: [`inferenceThreads ${n}`, rt.note].filter(Boolean).join('; ') });
}

/** The model presets on each backend wanted (FLEMING_BENCH_BACKENDS, FLEMING_BENCH_PRESETS), and their profiles. */
async function modelSection(rows: Row[], profiles: string[]): Promise<void> {
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
      const cpu = backend.name === 'wasm' || backend.name === 'cpu';
      modelRows(rows, p, r, cpu ? MODEL_PRESETS[preset] : undefined, note, preset === 'default');
      profiles.push(...profileLines(`${p}: one training step`, r.trainProfileMs, r.trainProfile), ...profileLines(`${p}: one decoding step, KV cache, TensorFlow.js (batch 4)`, r.sampleStepMs, r.sampleProfile));
      if (r.ortTrainProfile) profiles.push(...profileLines(`${p}: one training step's gradients on onnxruntime (operators)`, r.ortTrainProfile.ms, r.ortTrainProfile.profile, 8, 'onnxruntime'));
      if (r.ortSampleProfile) profiles.push(...profileLines(`${p}: one decoding step on onnxruntime (batch 4, operators)`, r.ortSampleProfile.ms, r.ortSampleProfile.profile, 8, 'onnxruntime'));
    }
    // The policy the default run trains: the released Base's shape (data/base), the recipe's rows × tokens per step.
    const { benchPolicy } = require('../src/rlvr/bench') as typeof import('../src/rlvr/bench');
    const { recipeDefaults } = require('../src/base/config') as typeof import('../src/base/config');
    const policy = benchPolicy();
    if (policy.released && (!presetsWanted.length || presetsWanted.includes('release')) && !software && backend.name !== 'tensorflow') {
      const shape = { config: policy.config, batchSize: recipeDefaults.batchSize, seqLen: recipeDefaults.seqLen, note: policy.label };
      const p = `model release (${backend.name})`;
      const r = await benchModel(shape);
      modelRows(rows, p, r, backend.name === 'wasm' || backend.name === 'cpu' ? shape : undefined, '');
    }
  }
}
