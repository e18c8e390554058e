/**
 * The OpenAI-compatible chat client shared by every stage that talks to a model (validator,
 * difficulty judge, CoT teacher, evaluator): POST {baseUrl}/chat/completions against vLLM,
 * SGLang or a hosted API.
 *
 * - Retries 429, 5xx, network errors, timeouts and malformed 200 replies (not JSON, no choices, a
 *   content that is not text) with exponential backoff and seeded jitter, honouring
 *   `retry-after-ms` / `Retry-After`; any other 4xx fails at once with the status and a body
 *   excerpt. Only a reply that passed these checks is cached.
 * - A promise semaphore bounds the requests in flight (`maxConcurrency`).
 * - An on-disk cache keyed by sha256 of (baseUrl, model, messages, temperature, max_tokens,
 *   sample index [, n, seed when given]) makes a rerun cost nothing; files are written atomically.
 * - The API key is read from the environment variable named by `apiKeyEnv` at request time. It
 *   is never stored in the config, the cache, the counters or an error message (excerpts of
 *   server bodies are redacted in case the server echoes it).
 *
 * The cache lives in llmCache.ts, the retry waits and reply reading in llmHttp.ts, the
 * semaphore in semaphore.ts.
 */
import { cacheKey, readCacheEntry, writeCacheEntry } from './llmCache';
import { AttemptFailure, backoffMs, readReply, redact } from './llmHttp';
import { Rng } from './rng';
import { Semaphore } from './semaphore';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmConfig {
  /** Endpoint root, e.g. http://127.0.0.1:8000/v1 (the client appends /chat/completions). */
  baseUrl: string;
  /** Model name sent in the body. */
  model: string;
  /** Name of the environment variable that holds the API key (never the key itself). */
  apiKeyEnv: string;
  /** Most HTTP requests in flight at once. */
  maxConcurrency: number;
  /** Retries after the first attempt (so maxRetries + 1 attempts in all). */
  maxRetries: number;
  /** Per-attempt timeout; a timed-out attempt is retried. */
  timeoutMs: number;
  /** Directory of the response cache; '' turns caching off. */
  cacheDir: string;
  /** First backoff delay; attempt a waits about baseDelayMs·2^a (with jitter). */
  baseDelayMs: number;
  /** Cap on any single wait, Retry-After included. */
  maxDelayMs: number;
  /** Seed of the jitter stream. */
  seed: number;
  /** Defaults of the per-request options. */
  temperature: number;
  maxTokens: number;
}

export const defaults: LlmConfig = {
  baseUrl: 'http://127.0.0.1:8000/v1',
  model: 'default',
  apiKeyEnv: 'OPENAI_API_KEY',
  maxConcurrency: 8,
  maxRetries: 5,
  timeoutMs: 120_000,
  cacheDir: '',
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  seed: 0,
  temperature: 0,
  maxTokens: 1024,
};

export interface ChatOptions {
  temperature?: number;
  maxTokens?: number;
  /** Choices per request (sent only when given). */
  n?: number;
  /** Sampling seed (sent only when given). */
  seed?: number;
  /** Which of several samples of the same prompt this is; part of the cache key (default 0). */
  sampleIndex?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResult {
  /** choices[i].message.content, in choice order ('' for a null content). */
  texts: string[];
  usage: Usage;
  /** Whether the answer came from the cache. */
  cached: boolean;
}

export interface ChatRequest {
  messages: ChatMessage[];
  opts?: ChatOptions;
}

export interface LlmStats {
  /** HTTP attempts made (retries included). */
  requests: number;
  cacheHits: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A request that failed for good: a non-retryable status, or retries exhausted. */
export class LlmError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined for network errors and timeouts. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** The part of a fetch Response the client reads. */
export interface LlmFetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}
export type LlmFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<LlmFetchResponse>;

/** Injectable pieces (tests): fetch, the environment, the sleep used between attempts. */
export interface LlmDeps {
  fetch?: LlmFetch;
  env?: Record<string, string | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The chat client; see the module comment. */
export class LlmClient {
  readonly config: LlmConfig;
  private readonly sem: Semaphore;
  private readonly rng: Rng;
  private readonly fetchFn: LlmFetch;
  private readonly env: Record<string, string | undefined>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inflight = new Map<string, Promise<ChatResult>>();
  private readonly counters: LlmStats = { requests: 0, cacheHits: 0, retries: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 };

  constructor(config: Partial<LlmConfig> & Pick<LlmConfig, 'baseUrl' | 'model'>, deps: LlmDeps = {}) {
    this.config = { ...defaults, ...config };
    this.sem = new Semaphore(this.config.maxConcurrency);
    this.rng = new Rng(this.config.seed);
    this.fetchFn = deps.fetch ?? ((url, init) => fetch(url, init));
    this.env = deps.env ?? process.env;
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /** A copy of the counters. */
  stats(): LlmStats {
    return { ...this.counters };
  }

  /** One chat completion (from the cache when the same request was answered before). */
  async chat(messages: ChatMessage[], opts: ChatOptions = {}): Promise<ChatResult> {
    const temperature = opts.temperature ?? this.config.temperature;
    const maxTokens = opts.maxTokens ?? this.config.maxTokens;
    const sampleIndex = opts.sampleIndex ?? 0;
    const key = cacheKey(this.config.baseUrl, this.config.model, messages, temperature, maxTokens, sampleIndex, opts.n, opts.seed);
    const cached = readCacheEntry(this.config.cacheDir, key);
    if (cached) {
      this.counters.cacheHits += 1;
      return { texts: cached.texts, usage: cached.usage, cached: true };
    }
    // identical requests in flight share one HTTP call (and one cache write)
    const pending = this.inflight.get(key);
    if (pending) {
      this.counters.cacheHits += 1;
      const r = await pending;
      return { ...r, cached: true };
    }
    const p = this.fetchWithRetries(messages, temperature, maxTokens, opts).then((r) => {
      writeCacheEntry(this.config.cacheDir, { key, model: this.config.model, sampleIndex, temperature, maxTokens, messages, texts: r.texts, usage: r.usage });
      return r;
    });
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }

  /**
   * Many chats at once (bounded by maxConcurrency), results in request order. Every request is
   * settled before the first failure (if any) is thrown, so finished answers are all cached.
   */
  async chatMany(requests: readonly ChatRequest[]): Promise<ChatResult[]> {
    const settled = await Promise.allSettled(requests.map((r) => this.chat(r.messages, r.opts)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<ChatResult>).value);
  }

  /**
   * Many chats at once (bounded by maxConcurrency), each settled on its own: its result, or the
   * LlmError it failed with for good. Any other error (a bug, a cache that cannot be written) is thrown.
   */
  async chatSettled(requests: readonly ChatRequest[]): Promise<(ChatResult | LlmError)[]> {
    const settled = await Promise.allSettled(requests.map((r) => this.chat(r.messages, r.opts)));
    const other = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof LlmError));
    if (other) throw other.reason;
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as LlmError)));
  }

  /** Sends a request, retrying what may succeed later (waiting as the server asks, or by backoff); throws LlmError when it fails for good. */
  private async fetchWithRetries(messages: ChatMessage[], temperature: number, maxTokens: number, opts: ChatOptions): Promise<ChatResult> {
    const { maxRetries, baseDelayMs, maxDelayMs } = this.config;
    const body: Record<string, unknown> = { model: this.config.model, messages, temperature, max_tokens: maxTokens };
    if (opts.n !== undefined) body.n = opts.n;
    if (opts.seed !== undefined) body.seed = opts.seed;
    const bodyText = JSON.stringify(body);
    let last: AttemptFailure | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) {
        this.counters.retries += 1;
        const wait = last?.waitMs ?? backoffMs(attempt - 1, this.rng, baseDelayMs, maxDelayMs);
        await this.sleep(Math.min(wait, maxDelayMs));
      }
      const out = await this.sem.run(() => this.attempt(bodyText));
      if ('texts' in out) return out;
      last = out;
      if (!out.retryable) throw new LlmError(redact(out.message, this.env[this.config.apiKeyEnv]), out.status);
    }
    const message = `${last?.message ?? 'request failed'} (gave up after ${maxRetries + 1} attempts)`;
    throw new LlmError(redact(message, this.env[this.config.apiKeyEnv]), last?.status);
  }

  /** One HTTP attempt: a result, or a failure that says whether to retry. */
  private async attempt(bodyText: string): Promise<ChatResult | AttemptFailure> {
    const url = `${this.config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const key = this.env[this.config.apiKeyEnv];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.config.timeoutMs);
    this.counters.requests += 1;
    let status: number;
    let text: string;
    let res: LlmFetchResponse;
    try {
      res = await this.fetchFn(url, { method: 'POST', headers, body: bodyText, signal: ctrl.signal });
      status = res.status;
      text = await res.text();
    } catch (e) {
      const why = ctrl.signal.aborted ? `timed out after ${this.config.timeoutMs} ms` : `network error (${redact(String((e as Error).message ?? e), key)})`;
      return { retryable: true, message: `POST ${url}: ${why}` };
    } finally {
      clearTimeout(timer);
    }
    const out = readReply(url, status, text, res.headers, key, this.config.apiKeyEnv);
    if ('texts' in out) {
      this.counters.promptTokens += out.usage.prompt_tokens;
      this.counters.completionTokens += out.usage.completion_tokens;
      this.counters.totalTokens += out.usage.total_tokens;
    }
    return out;
  }
}

/** Shorthand for `new LlmClient(config, deps)`. */
export function createLlmClient(config: Partial<LlmConfig> & Pick<LlmConfig, 'baseUrl' | 'model'>, deps?: LlmDeps): LlmClient {
  return new LlmClient(config, deps);
}
