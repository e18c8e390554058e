/**
 * Where the time goes on onnxruntime (for `npm run bench`): one decoding step and one training
 * step's gradients, run on a profiling session of the same graph, their trace (onnxruntime's own
 * profiler) summed by operator type. Only where onnxruntime-node loads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelProfile, KernelTime } from './bench';
import { Batch, Llama, positionIds } from './llama';
import { llamaDecodeOnnx } from './onnxLlama';
import { llamaTrainOnnx } from './onnxTrain';
import { OrtDecoder, OrtSession, loadOrt, newSession } from './ort';
import { batchTargets, ortGradients } from './ortTrain';
import { runSync } from './reads';

/** One trace event of onnxruntime's profiler (Chrome trace format). */
interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** Operator times (ms) of the last run in a trace, slowest first, and that run's wall time. */
export function lastRunOps(events: readonly TraceEvent[]): { profile: KernelProfile; ms: number } {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const last = runs[runs.length - 1];
  if (!last) throw new Error('onnxruntime trace: no model_run event');
  const by = new Map<string, KernelTime>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < last.ts || e.ts > last.ts + last.dur) continue;
    const op = e.args?.op_name ?? e.name;
    const k = by.get(op) ?? { name: op, ms: 0, calls: 0 };
    k.ms += e.dur / 1000;
    k.calls++;
    by.set(op, k);
  }
  const kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
  return { profile: { kernels, kernelMs: kernels.reduce((a, k) => a + k.ms, 0), peakBytes: 0 }, ms: last.dur / 1000 };
}

/** Runs `f` on a profiling session of `bytes`; returns the last run's operator times. */
function profiled(bytes: Uint8Array, threads: number, f: (s: OrtSession) => void): { profile: KernelProfile; ms: number } {
  const ort = loadOrt();
  if (!ort) throw new Error('ortProfile: onnxruntime-node is not available');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-ortprof-'));
  try {
    const s = newSession(ort, bytes, threads, { enableProfiling: true, profileFilePrefix: path.join(dir, 'trace') });
    try {
      f(s);
    } finally {
      s.endProfiling();
      s.dispose();
    }
    const file = fs.readdirSync(dir).find((n) => n.endsWith('.json'));
    if (!file) throw new Error('ortProfile: onnxruntime wrote no trace');
    return lastRunOps(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as TraceEvent[]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One cached decoding step (every row's next token after the prompts), profiled on onnxruntime. */
export function profileOrtDecodeStep(model: Llama, prompts: number[][], threads = 1): { profile: KernelProfile; ms: number } {
  return profiled(llamaDecodeOnnx(model.config), threads, (s) => {
    const d = runSync(OrtDecoder.create(model, threads, { decode: s }), 'profileOrtDecodeStep');
    const mask = prompts.map((r) => r.map(() => 1));
    d.start(prompts, mask, positionIds(mask));
    const next = prompts.map((r) => r[0]);
    mask.forEach((r) => r.push(1));
    d.next(next, mask); // warm-up
    mask.forEach((r) => r.push(1));
    d.next(next, mask);
  });
}

/** One training step's loss and gradients (batch), profiled on onnxruntime. */
export function profileOrtGradients(model: Llama, batch: Batch, threads = 1): { profile: KernelProfile; ms: number } {
  return profiled(llamaTrainOnnx(model.config), threads, (s) => {
    for (let i = 0; i < 2; i++) {
      const r = ortGradients(model, [batchTargets(batch, 1)], s); // the first run warms up
      tf.dispose([r.loss, ...r.grads.values()]);
    }
  });
}
