/**
 * Load figures of `fleming serve` (for `npm run bench`): the real command is started on a
 * checkpoint on 127.0.0.1 (an ephemeral port), and closed-loop clients send chat completions at 1,
 * 8 and 32 at once: requests/s, latency p50/p95, and the throughput against one client, which is
 * what batching gains. The work is fixed: the same seeded questions at every level, greedy
 * (temperature 0, so every request decodes the same tokens whatever its batch; a `seed` is sent
 * too), a fixed max_tokens. Timings are figures only; no test asserts them.
 *   FLEMING_BENCH_ONLY=serve npm run bench
 *   benchServe({ levels: [1, 8], requests: 16 })       in a notebook
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../core/rng';
import { ensureBackend } from '../model/backend';
import { MODEL_PRESETS } from '../model/bench';
import { saveCheckpointAsync } from '../model/checkpoint';
import { Llama, LlamaConfig } from '../model/llama';
import { saveTokenizer, trainBpe } from '../model/tokenizer';

/** A Llama config (defaults filled in by Llama); vocab_size caps the tokenizer's vocabulary. */
export type ModelShape = Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>;

export interface ServeBenchOptions {
  /** Concurrent clients of each level, in order; the ratios are against the first level. */
  levels: number[];
  /** Requests per level (the same questions at every level); at least the largest level. */
  requests: number;
  /** `max_tokens` of every request. */
  maxTokens: number;
  /** Seed of the questions (and of the random-init checkpoint). */
  seed: number;
  /** The served model's shape (random weights; its vocabulary is the tokenizer's). */
  model: ModelShape;
  /** The model's name in the figures. */
  modelLabel: string;
  /** `--backend` of the server ('' = the best available). */
  backend: string;
  /** Serve this checkpoint directory instead of a random-init one of `model`. */
  checkpoint?: string;
}

export const defaults: ServeBenchOptions = {
  levels: [1, 8, 32], // clients at once
  requests: 128, // per level: 128 at 1 client, 16 rounds of 8, 4 rounds of 32
  maxTokens: 32, // tokens per completion (fewer if the model stops)
  seed: 1, // questions and weights
  model: MODEL_PRESETS.default.config, // the size the pipeline's policy trains at
  modelLabel: 'default preset',
  backend: '', // the server's --backend
};

/** One level: `clients` closed-loop clients sending `requests` requests between them. */
export interface ServeLevel {
  clients: number;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  /** Completion tokens of the level (the same at every level: greedy decoding of the same questions). */
  completionTokens: number;
  tokensPerSec: number;
  p50Ms: number;
  p95Ms: number;
  /** requestsPerSec / that of the first level. */
  speedup: number;
}

/** What benchServe measured. */
export interface ServeBench {
  model: string;
  /** Parameters of the random-init model; NaN for a given checkpoint. */
  params: number;
  /** The server's backend, as it logged it. */
  backend: string;
  /** Where it listened (stopped by the time benchServe resolves). */
  url: string;
  maxTokens: number;
  levels: ServeLevel[];
}

/** One figure of the bench table: name, value, and a note (the reference beside it). */
export interface Figure {
  bench: string;
  value: string;
  note: string;
}

const DISEASES = ['type 2 diabetes', 'asthma', 'tuberculosis', 'hypertension', 'heart failure', 'migraine', 'gout', 'hypothyroidism', 'pneumonia', 'atrial fibrillation', 'peptic ulcer', 'epilepsy'];
const DRUGS = ['metformin', 'insulin', 'salbutamol', 'isoniazid', 'rifampicin', 'lisinopril', 'furosemide', 'sumatriptan', 'allopurinol', 'levothyroxine', 'amoxicillin', 'warfarin', 'omeprazole', 'valproate'];
const SIGNS = ['fever', 'cough', 'fatigue', 'chest pain', 'headache', 'weight loss', 'dyspnoea', 'joint pain', 'nausea', 'palpitations'];

/** `n` multiple-choice questions drawn from a seeded stream (lengths vary with the words drawn). */
export function benchQuestions(n: number, rng: Rng): string[] {
  const pick = (xs: readonly string[]) => xs[rng.int(xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const options = ['A', 'B', 'C', 'D'].map((l) => `${l}. ${pick(DRUGS)}`).join(' ');
    return `Q${i + 1}. A patient with ${pick(DISEASES)} presents with ${pick(SIGNS)} and ${pick(SIGNS)}. Which drug is first line? ${options}`;
  });
}

/** Writes a random-init checkpoint of shape `config` with a BPE tokenizer trained on `texts`; returns its parameter count. */
export async function writeBenchCheckpoint(dir: string, config: ModelShape, texts: readonly string[], seed: number): Promise<number> {
  const { tokenizer } = trainBpe([...texts, ...DISEASES, ...DRUGS, ...SIGNS], { vocabSize: config.vocab_size });
  const model = new Llama({ ...config, vocab_size: tokenizer.vocabSize }, seed);
  try {
    await saveCheckpointAsync(dir, model);
    saveTokenizer(tokenizer, dir);
    return model.numParams();
  } finally {
    model.dispose();
  }
}

/** The value below which `p` (0..1) of `values` lie: nearest rank on the sorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** A running `fleming serve` child: its base URL, the backend it logged, and stop() (SIGINT, then SIGKILL after 10 s). */
export interface ServeProcess {
  url: string;
  backend: string;
  stop(): Promise<void>;
}

/** Starts `fleming serve --checkpoint DIR --port 0` and resolves once it listens (its log line gives the URL). */
export function startServeProcess(checkpoint: string, backend: string): Promise<ServeProcess> {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'fleming.cjs');
  const args = [bin, 'serve', '--checkpoint', checkpoint, '--port', '0', ...(backend ? ['--backend', backend] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise<ServeProcess>((resolve, reject) => {
    const onData = (c: Buffer) => {
      err = (err + c.toString()).slice(-8192);
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(err);
      if (!m) return;
      child.stderr?.off('data', onData);
      child.stderr?.resume(); // keep draining the request log
      resolve({ url: m[1], backend: /backend (\w+)/.exec(err)?.[1] ?? '?', stop: () => stopChild(child) });
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`fleming serve exited (${code}) before it listened: ${err.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** One chat completion (greedy, seeded, `maxTokens`); resolves to its completion tokens; throws on a non-200 answer. */
async function chat(url: string, question: string, maxTokens: number, seed: number): Promise<number> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: question }], temperature: 0, max_tokens: maxTokens, seed });
  const r = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`serve bench: POST /chat/completions answered ${r.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { usage: { completion_tokens: number } }).usage.completion_tokens;
}

/** `clients` closed-loop clients share `questions` (each takes the next one when its answer came). */
export async function runLevel(url: string, questions: readonly string[], clients: number, maxTokens: number): Promise<Omit<ServeLevel, 'speedup'>> {
  let next = 0;
  let tokens = 0;
  const latencies: number[] = [];
  const client = async () => {
    while (next < questions.length) {
      const i = next++;
      const t = performance.now();
      const n = await chat(url, questions[i], maxTokens, i); // not `tokens += await …`: that reads tokens before the await
      latencies.push(performance.now() - t);
      tokens += n;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  const n = questions.length;
  return { clients, requests: n, seconds, requestsPerSec: n / seconds, completionTokens: tokens, tokensPerSec: tokens / seconds, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95) };
}

/** Serves a checkpoint with `fleming serve` and measures each level in turn, after one untimed warm-up burst. */
export async function benchServe(options: Partial<ServeBenchOptions> = {}): Promise<ServeBench> {
  const o: ServeBenchOptions = { ...defaults, ...options };
  const most = Math.max(...o.levels);
  if (!o.levels.length || o.levels.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`serve bench: levels must be positive integers, got ${JSON.stringify(o.levels)}`);
  if (o.requests < most) throw new Error(`serve bench: ${o.requests} requests per level cannot keep ${most} clients busy`);
  const questions = benchQuestions(o.requests, new Rng(o.seed));
  const tmp = o.checkpoint ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-serve-bench-'));
  const dir = o.checkpoint ?? path.join(tmp, 'bench');
  let server: ServeProcess | undefined;
  try {
    await ensureBackend(o.backend, () => {}); // this process writes the random-init weights
    const params = o.checkpoint ? NaN : await writeBenchCheckpoint(dir, o.model, questions, o.seed);
    server = await startServeProcess(dir, o.backend);
    await runLevel(server.url, questions.slice(0, most), most, o.maxTokens); // warm-up: kernels, first batch shapes
    const levels: ServeLevel[] = [];
    for (const c of o.levels) {
      const l = await runLevel(server.url, questions, c, o.maxTokens);
      levels.push({ ...l, speedup: l.requestsPerSec / (levels[0]?.requestsPerSec ?? l.requestsPerSec) });
    }
    return { model: o.checkpoint ? path.basename(path.resolve(o.checkpoint)) : o.modelLabel, params, backend: server.backend, url: server.url, maxTokens: o.maxTokens, levels };
  } finally {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The bench table's rows: per level a throughput row (with the ratio to the first level) and a latency row (p50, p95 beside it). */
export function serveFigures(r: ServeBench): Figure[] {
  const first = r.levels[0];
  const label = `serve ${r.model}${Number.isFinite(r.params) ? ` (${fmt(r.params)} params)` : ''}, ${r.backend}, max_tokens ${r.maxTokens}`;
  const of = (c: number) => `${c} client${c > 1 ? 's' : ''}`;
  return r.levels.flatMap((l): Figure[] => [
    {
      bench: `${label}: ${of(l.clients)}, throughput`,
      value: `${fmt(l.requestsPerSec, 1)} req/s`,
      note: [l === first ? '' : `×${fmt(l.speedup, 2)} vs ${of(first.clients)}`, `${fmt(l.tokensPerSec)} tok/s, ${l.requests} requests in ${fmt(l.seconds, 1)} s`].filter(Boolean).join('; '),
    },
    { bench: `${label}: ${of(l.clients)}, latency p50`, value: `${fmt(l.p50Ms)} ms`, note: `p95 ${fmt(l.p95Ms)} ms` },
  ]);
}
