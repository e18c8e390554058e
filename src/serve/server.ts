/**
 * `fleming serve --checkpoint DIR`: an OpenAI-compatible HTTP server for a checkpoint of the
 * project (model.safetensors, config.json, tokenizer.json). Routes: GET /v1/models and POST
 * /v1/chat/completions (streamed as server-sent events with `stream: true`). The prompt is the last
 * user message in the policy's chat format (chatPrompt); decoding is src/model/sample.ts
 * generateAsync (the same tokens as generate, webgpu included), greedy at temperature 0, seeded by
 * `seed`. Requests queue (src/serve/queue.ts) and those arriving together with the same settings
 * decode in one generate call.
 *
 * This file wires the parts and listens: engine.ts (the loaded checkpoint), request.ts (parsing and
 * validation), batcher.ts (queue → generate calls → choices), completion.ts (the completions
 * route), sse.ts (the streamed answer), http.ts (body, JSON, key), errors.ts (error bodies).
 *
 *   npx fleming serve --checkpoint runs/<id>/coldstart/sft [--host 127.0.0.1] [--port 8000] [--api-key-env VAR]
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBatcher } from './batcher';
import { handleCompletion } from './completion';
import { Engine, loadEngine } from './engine';
import { ApiError, errorBody, toApiError } from './errors';
import { authorized, sendJson } from './http';

export { cutAtStop } from './batcher';
export { ApiError } from './errors';

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

export interface Served {
  /** `http://host:port/v1` */
  url: string;
  port: number;
  modelName: string;
  /** Counters for tests and logs: generate calls, requests answered. */
  stats: { generateCalls: number; completions: number };
  close(): Promise<void>;
}

/** The models route's entry for the served checkpoint. */
function modelCard(modelName: string, created: number): object {
  return { id: modelName, object: 'model', created, owned_by: 'fleming' };
}

/** Routes one request (after the key check); resolves to the status sent, throws ApiError (or QueueFull) otherwise. */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<number>;

/** The router: GET /v1/models, GET /v1/models/<name>, POST /v1/chat/completions. */
function router(engine: Engine, o: ServeOptions, completions: Handler): Handler {
  const created = Math.floor(Date.now() / 1000);
  return async (req, res) => {
    const route = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (!authorized(req, o.apiKey)) throw new ApiError(401, 'Incorrect or missing API key: send Authorization: Bearer <key>', null, 'invalid_api_key');
    if (req.method === 'GET' && route === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [modelCard(engine.modelName, created)] });
      return 200;
    }
    if (req.method === 'GET' && route === `/v1/models/${encodeURIComponent(engine.modelName)}`) {
      sendJson(res, 200, modelCard(engine.modelName, created));
      return 200;
    }
    if (req.method === 'POST' && route === '/v1/chat/completions') return completions(req, res);
    throw new ApiError(404, `Unknown route: ${req.method} ${route}`, null, 'unknown_url');
  };
}

/** An http.Server around `handle`: failures shaped into OpenAI error bodies, one log line per request. */
function httpServer(handle: Handler, log: (message: string) => void): http.Server {
  return http.createServer((req, res) => {
    const t0 = Date.now();
    const route = (req.url ?? '/').split('?')[0];
    handle(req, res)
      .catch((e: unknown) => {
        const err = toApiError(e);
        if (!res.headersSent) sendJson(res, err.status, errorBody(err));
        else res.end();
        return err.status;
      })
      .then((status) => log(`${req.method} ${route} ${status} ${Date.now() - t0} ms`));
  });
}

/** Listens on host:port; resolves to the port bound (port 0 = an ephemeral one). */
async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Starts the server on a checkpoint directory; resolves once it listens. */
export async function serve(dir: string, options: Partial<ServeOptions> = {}): Promise<Served> {
  const o: ServeOptions = { ...defaults, ...options };
  const engine = loadEngine(dir, o.modelName);
  const stats = { generateCalls: 0, completions: 0 };
  const batcher = createBatcher(engine, o.seed, { maxPending: o.maxPending, maxBatchRows: o.maxBatchRows, waitMs: o.batchWaitMs }, () => stats.generateCalls++);
  const deps = { engine, batcher, limits: o, onAnswer: () => stats.completions++ };
  const server = httpServer(router(engine, o, (req, res) => handleCompletion(req, res, deps)), o.log);
  const port = await listen(server, o.host, o.port);
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/v1`,
    port,
    modelName: engine.modelName,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          void batcher.idle().then(() => {
            engine.model.dispose(); // after the batch in flight, if any
            resolve();
          });
        });
      }),
  };
}
