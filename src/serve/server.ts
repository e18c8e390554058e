/**
 * `fleming serve --checkpoint DIR`: an OpenAI-compatible HTTP server for a checkpoint of the
 * project (model.safetensors, config.json, tokenizer.json). Routes: GET /v1/models and POST
 * /v1/chat/completions (streamed as server-sent events with `stream: true`). The prompt is the last
 * user message in the policy's chat format (chatPrompt); decoding is src/model/sample.ts
 * generateAsync (the same tokens as generate, webgpu included), greedy at temperature 0, seeded by `seed`. Requests queue (src/serve/queue.ts) and those arriving
 * together with the same settings decode in one generate call.
 *
 *   npx fleming serve --checkpoint runs/<id>/coldstart/sft [--host 127.0.0.1] [--port 8000] [--api-key-env VAR]
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Rng } from '../core/rng';
import { loadCheckpoint } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import { generateAsync } from '../model/sample';
import { CHAT, Tokenizer, chatPrompt, loadTokenizer } from '../model/tokenizer';
import { BatchQueue, QueueFull } from './queue';

export interface ServeOptions {
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** The model id clients name (default: the checkpoint directory's name). */
  modelName: string;
  /** Bearer key requests must carry; undefined = no key. Never logged. */
  apiKey: string | undefined;
  /** Request bodies larger than this are refused (413). */
  maxBodyBytes: number;
  /** `max_tokens` at most (also bounded by the model's context). */
  maxTokens: number;
  /** `n` at most. */
  maxN: number;
  /** Rows (prompts × n) waiting at most before 429. */
  maxPending: number;
  /** Rows decoded in one generate call at most. */
  maxBatchRows: number;
  /** How long the first request of a batch waits for others (ms). */
  batchWaitMs: number;
  /** Seed of the stream used by sampled requests without `seed`. */
  seed: number;
  /** One line per request (method, path, status, time); never headers or bodies. */
  log: (message: string) => void;
}

export const defaults: ServeOptions = {
  host: '127.0.0.1', // loopback only unless --host says otherwise
  port: 8000, // --port
  modelName: '', // '' = basename of the checkpoint directory
  apiKey: undefined, // from --api-key-env VAR
  maxBodyBytes: 1 << 20, // 1 MiB
  maxTokens: 1024, // max_tokens cap
  maxN: 8, // choices per request
  maxPending: 64, // queued rows before 429
  maxBatchRows: 16, // rows per generate call
  batchWaitMs: 5, // batching window after the first request
  seed: 1234, // unseeded sampling stream
  log: () => {},
};

/** An OpenAI-style failure: status and `{error: {message, type, param, code}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** One validated chat completion request. */
interface Job {
  prompt: number[];
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number | undefined;
  stop: string[];
}

/** One choice: the text (cut at a stop string), its tokens, and why it ended. */
interface Choice {
  text: string;
  tokens: number[];
  finish: 'stop' | 'length';
}

export interface Served {
  /** `http://host:port/v1` */
  url: string;
  port: number;
  modelName: string;
  /** Counters for tests and logs: generate calls, requests answered. */
  stats: { generateCalls: number; completions: number };
  close(): Promise<void>;
}

/** Text of a message's content (a string, or an array of `{type: 'text', text}` parts). */
function contentText(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return ''; // e.g. an assistant turn that only called tools
  if (Array.isArray(content) && content.every((p) => p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string'))
    return content.map((p) => (p as { text: string }).text).join('');
  throw new ApiError(400, `messages[${i}].content must be a string or an array of text parts`, `messages[${i}].content`);
}

function num(body: Record<string, unknown>, name: string, def: number, ok: (v: number) => boolean, what: string): number {
  const v = body[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new ApiError(400, `${name} must be ${what}, got ${JSON.stringify(v)}`, name);
  return v;
}

/** Cuts `text` at the first occurrence of any stop string. */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; cut: boolean } {
  let at = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, cut: false } : { text: text.slice(0, at), cut: true };
}

/** Starts the server on a checkpoint directory; resolves once it listens. */
export async function serve(dir: string, options: Partial<ServeOptions> = {}): Promise<Served> {
  const o: ServeOptions = { ...defaults, ...options };
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.json'])
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`${dir}: no ${f} (not a checkpoint directory)`);
  const modelName = o.modelName || path.basename(path.resolve(dir));
  const tok: Tokenizer = loadTokenizer(dir);
  const model: Llama = loadCheckpoint(dir).model;
  const context = model.config.max_position_embeddings;
  const eos = tok.specialId(CHAT.eos);
  const pad = tok.specialId(CHAT.pad);
  const created = Math.floor(Date.now() / 1000);
  const stats = { generateCalls: 0, completions: 0 };
  const serverRng = new Rng(o.seed);
  let seeded = 0;

  /** One generate call for jobs with the same settings (the batch key); n copies of each prompt. */
  const decode = async (jobs: Job[]): Promise<Choice[][]> => {
    const j0 = jobs[0];
    const prompts = jobs.flatMap((j) => Array.from({ length: j.n }, () => j.prompt));
    const greedy = j0.temperature === 0;
    const rng = greedy ? new Rng(0) : j0.seed !== undefined ? new Rng(j0.seed) : serverRng;
    stats.generateCalls++;
    const g = await generateAsync(model, prompts, rng, { maxNewTokens: j0.maxTokens, temperature: greedy ? 1 : j0.temperature, topP: j0.topP, greedy, stopTokenIds: [eos], padTokenId: pad });
    let row = 0;
    return jobs.map((j) =>
      Array.from({ length: j.n }, () => {
        const t = g.tokens[row];
        const finish = g.finishReasons[row++];
        const body = t[t.length - 1] === eos ? t.slice(0, -1) : t;
        const { text, cut } = cutAtStop(tok.decode(body), j.stop);
        return { text, tokens: body, finish: cut ? 'stop' : finish };
      }),
    );
  };
  const queue = new BatchQueue<Job, Choice[]>(decode, { maxPending: o.maxPending, maxBatchRows: o.maxBatchRows, waitMs: o.batchWaitMs });

  /** Validates a chat completion body into a job. */
  const parseJob = (body: unknown): { job: Job; stream: boolean; usageChunk: boolean } => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'the request body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (b.model !== undefined && b.model !== modelName) throw new ApiError(404, `The model \`${String(b.model)}\` does not exist; this server serves \`${modelName}\``, 'model', 'model_not_found');
    if (!Array.isArray(b.messages) || b.messages.length === 0) throw new ApiError(400, 'messages must be a non-empty array', 'messages');
    let question: string | undefined;
    b.messages.forEach((m: unknown, i) => {
      if (!m || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') throw new ApiError(400, `messages[${i}] must be an object with a role`, `messages[${i}]`);
      const text = contentText((m as { content?: unknown }).content, i);
      if ((m as { role: string }).role === 'user') question = text;
    });
    if (question === undefined) throw new ApiError(400, 'messages needs at least one user message', 'messages');
    const prompt = chatPrompt(tok, question);
    const room = context - prompt.length;
    if (room < 1) throw new ApiError(400, `the prompt has ${prompt.length} tokens; this model's context is ${context} tokens`, 'messages', 'context_length_exceeded');
    if (b.max_tokens === undefined && b.max_completion_tokens !== undefined) b.max_tokens = b.max_completion_tokens; // the newer name
    const maxTokens = num(b, 'max_tokens', Math.min(o.maxTokens, room), (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    if (maxTokens > o.maxTokens) throw new ApiError(400, `max_tokens is ${maxTokens}; at most ${o.maxTokens}`, 'max_tokens');
    if (maxTokens > room) throw new ApiError(400, `prompt (${prompt.length} tokens) + max_tokens (${maxTokens}) exceeds the context of ${context} tokens`, 'max_tokens', 'context_length_exceeded');
    const temperature = num(b, 'temperature', 1, (v) => v >= 0 && v <= 2, 'a number in [0, 2]');
    const topP = num(b, 'top_p', 1, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    const n = num(b, 'n', 1, (v) => Number.isInteger(v) && v >= 1 && v <= o.maxN, `an integer in [1, ${o.maxN}]`);
    const seed = b.seed === undefined || b.seed === null ? undefined : num(b, 'seed', 0, Number.isInteger, 'an integer');
    let stop: string[] = [];
    if (typeof b.stop === 'string') stop = [b.stop];
    else if (Array.isArray(b.stop) && b.stop.length <= 4 && b.stop.every((s) => typeof s === 'string')) stop = b.stop as string[];
    else if (b.stop !== undefined && b.stop !== null) throw new ApiError(400, 'stop must be a string or an array of at most 4 strings', 'stop');
    stop = stop.filter((s) => s.length > 0);
    if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw new ApiError(400, 'stream must be a boolean', 'stream');
    const usageChunk = Boolean(b.stream_options && typeof b.stream_options === 'object' && (b.stream_options as { include_usage?: unknown }).include_usage === true);
    return { job: { prompt, n, maxTokens, temperature, topP, seed, stop }, stream: b.stream === true, usageChunk };
  };

  /** Requests with the same key may share a generate call: greedy by length; sampled by settings; seeded ones alone (a seed reproduces). */
  const keyOf = (j: Job): string => (j.temperature === 0 ? `greedy:${j.maxTokens}` : j.seed !== undefined ? `seeded:${seeded++}` : `sample:${j.temperature}:${j.topP}:${j.maxTokens}`);

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const tooLarge = () => new ApiError(413, `the request body exceeds ${o.maxBodyBytes} bytes`, null, 'request_too_large');
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= o.maxBodyBytes) chunks.push(c);
        else if (size > 16 * o.maxBodyBytes) {
          reject(tooLarge()); // stop reading a body far past the limit
          req.destroy();
        } // else drain and discard, so the client reads the 413
      });
      req.on('end', () => (size > o.maxBodyBytes ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
      req.on('error', reject);
    });

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const authorized = (req: http.IncomingMessage): boolean => {
    if (o.apiKey === undefined) return true;
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    const want = Buffer.from(o.apiKey);
    return given.length === want.length && timingSafeEqual(given, want);
  };

  const completions = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<number> => {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new ApiError(400, 'the request body is not valid JSON');
    }
    const { job, stream, usageChunk } = parseJob(body);
    let choices: Choice[];
    try {
      choices = await queue.push(job, keyOf(job), job.n);
    } catch (e) {
      if (e instanceof QueueFull) throw new ApiError(429, `the server is busy: ${e.message}; retry later`, null, 'queue_full', 'rate_limit_error');
      throw e;
    }
    stats.completions++;
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const completionTokens = choices.reduce((s, c) => s + c.tokens.length, 0);
    const usage = { prompt_tokens: job.prompt.length, completion_tokens: completionTokens, total_tokens: job.prompt.length + completionTokens };
    if (!stream) {
      send(res, 200, {
        id, object: 'chat.completion', created: now, model: modelName,
        choices: choices.map((c, index) => ({ index, message: { role: 'assistant', content: c.text }, logprobs: null, finish_reason: c.finish })),
        usage,
      });
      return 200;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (index: number, delta: Record<string, string>, finish: string | null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now, model: modelName, choices: [{ index, delta, logprobs: null, finish_reason: finish }] })}\n\n`);
    choices.forEach((c, index) => {
      chunk(index, { role: 'assistant', content: '' }, null);
      // one chunk per token whose decoded prefix is a prefix of the final text; the deltas concatenate to it
      let sent = 0;
      for (let t = 1; t <= c.tokens.length && sent < c.text.length; t++) {
        const prefix = tok.decode(c.tokens.slice(0, t)).slice(0, c.text.length);
        if (prefix.length > sent && c.text.startsWith(prefix)) {
          chunk(index, { content: prefix.slice(sent) }, null);
          sent = prefix.length;
        }
      }
      if (sent < c.text.length) chunk(index, { content: c.text.slice(sent) }, null);
      chunk(index, {}, c.finish);
    });
    if (usageChunk) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: now, model: modelName, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
    return 200;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<number> => {
    const route = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (!authorized(req)) throw new ApiError(401, 'Incorrect or missing API key: send Authorization: Bearer <key>', null, 'invalid_api_key');
    if (req.method === 'GET' && route === '/v1/models') {
      send(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created, owned_by: 'fleming' }] });
      return 200;
    }
    if (req.method === 'GET' && route === `/v1/models/${encodeURIComponent(modelName)}`) {
      send(res, 200, { id: modelName, object: 'model', created, owned_by: 'fleming' });
      return 200;
    }
    if (req.method === 'POST' && route === '/v1/chat/completions') return completions(req, res);
    throw new ApiError(404, `Unknown route: ${req.method} ${route}`, null, 'unknown_url');
  };

  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    const route = (req.url ?? '/').split('?')[0];
    handle(req, res)
      .catch((e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`, null, null, 'server_error');
        if (!res.headersSent) send(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: err.code } });
        else res.end();
        return err.status;
      })
      .then((status) => o.log(`${req.method} ${route} ${status} ${Date.now() - t0} ms`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/v1`,
    port,
    modelName,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          void queue.idle().then(() => {
            model.dispose(); // after the batch in flight, if any
            resolve();
          });
        });
      }),
  };
}
