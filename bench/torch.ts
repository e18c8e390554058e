/**
 * PyTorch beside the workbench in `npm run bench`: runs bench/reference.py (Hugging Face
 * transformers' LlamaForCausalLM on PyTorch, CPU) on the same shapes, in the same run, so each
 * figure gets a PyTorch figure and a ratio. The Python is $FLEMING_TORCH_PYTHON, else `python3`
 * on PATH; one without torch and transformers is reported, not an error.
 */
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { LlamaConfig } from '../src/model/llama';

/** A job of reference.py (see its docstring). */
export interface TorchJob {
  kind: 'train' | 'sample' | 'grpo';
  config: LlamaConfig;
  /** torch.set_num_threads: as many as the workbench uses cores for the same work. */
  threads: number;
  batchSize?: number;
  seqLen?: number;
  steps?: number;
  batch?: number;
  promptLen?: number;
  newTokens?: number;
  microBatch?: number;
  entropy?: boolean;
}

/** What reference.py measured: tokensPerSec, and trainTokensPerSec for grpo. */
export interface TorchFigure {
  tokensPerSec: number;
  trainTokensPerSec?: number;
  torch: string;
  transformers: string;
}

/** The Python to run, or why there is none. */
export interface TorchPython {
  python?: string;
  versions?: string;
  reason: string;
}

const found = new Map<string, TorchPython>();

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message: string };
  const lines = `${err.stderr ?? ''}`.trim().split('\n');
  return (lines[lines.length - 1] || err.message.split('\n')[0]).trim();
}

/** Finds a Python with torch and transformers ($FLEMING_TORCH_PYTHON, else python3); checked once per path. */
export function findTorch(python = process.env.FLEMING_TORCH_PYTHON || 'python3'): TorchPython {
  let f = found.get(python);
  if (f) return f;
  try {
    const v = execFileSync(python, ['-c', 'import torch, transformers; print(f"PyTorch {torch.__version__}, transformers {transformers.__version__}")'], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    f = { python, versions: v, reason: `${v} (${python})` };
  } catch (e) {
    f = { reason: `no PyTorch figures: ${python} has no torch and transformers (${firstLine(e)}); set FLEMING_TORCH_PYTHON to a Python that has them` };
  }
  found.set(python, f);
  return f;
}

/** Runs one job of reference.py; an Error names what failed. */
export function torchFigure(job: TorchJob, python?: string): TorchFigure {
  const t = findTorch(python);
  if (!t.python) throw new Error(t.reason);
  let out: string;
  try {
    out = execFileSync(t.python, [path.join(__dirname, 'reference.py'), JSON.stringify([job])], { encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`bench/reference.py (${job.kind}) failed: ${firstLine(e)}`);
  }
  return JSON.parse(out.trim().split('\n').pop() as string) as TorchFigure;
}

/** The machine's load, for the bench header: cores and the 1-minute load average. */
export function machineLoad(): string {
  const os = require('node:os') as typeof import('node:os');
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores, load average ${l1.toFixed(1)} (1 min) / ${l5.toFixed(1)} (5 min)`;
}
