/**
 * The agent's HTTP layer: a serial rate limiter, an on-disk response cache keyed by URL, and a
 * JSON GET with retries (exponential backoff; Retry-After and MediaWiki `maxlag` errors honoured).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../core/io';

/** The part of a fetch Response the agent reads. */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}
/** `fetch` or anything with its shape (tests inject one). */
export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<FetchResponse>;

/** Why a run stopped early: the caller's AbortSignal or the maxRequests budget. */
export class AgentStop extends Error {
  constructor(readonly reason: 'aborted' | 'maxRequests') {
    super(`discovery agent stopped: ${reason}`);
    this.name = 'AgentStop';
  }
}

/** A MediaWiki API error that retrying will not fix (`{"error": {"code", "info"}}`). */
export class ApiError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
    info: string,
  ) {
    super(`${url}: API error ${code}: ${info}`);
    this.name = 'ApiError';
  }
}

/** Resolves after `ms`, or rejects with AgentStop('aborted') when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AgentStop('aborted'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AgentStop('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Spaces request starts at least 1/rps seconds apart; `pauseUntil` holds every request (Retry-After). */
export class RateLimiter {
  private nextAt = 0;
  constructor(
    readonly requestsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(requestsPerSecond > 0)) throw new Error(`RateLimiter: requestsPerSecond must be > 0, got ${requestsPerSecond}`);
  }

  /** Waits for the next slot and takes it. */
  async take(signal?: AbortSignal): Promise<void> {
    const t = this.now();
    if (this.nextAt > t) await sleep(this.nextAt - t, signal);
    this.nextAt = Math.max(this.nextAt, this.now()) + 1000 / this.requestsPerSecond;
  }

  /** No request starts before `ms` from now. */
  pauseFor(ms: number): void {
    this.nextAt = Math.max(this.nextAt, this.now() + ms);
  }
}

/** Every successful response body on disk, gzip-compressed, under sha256(url). */
export class ResponseCache {
  constructor(readonly dir: string) {}

  private file(url: string): string {
    const h = createHash('sha256').update(url).digest('hex');
    return path.join(this.dir, h.slice(0, 2), `${h}.json.gz`);
  }

  get(url: string): string | undefined {
    const f = this.file(url);
    if (!fs.existsSync(f)) return undefined;
    const rec = JSON.parse(gunzipSync(fs.readFileSync(f)).toString('utf8')) as { url: string; body: string };
    return rec.url === url ? rec.body : undefined;
  }

  set(url: string, body: string): void {
    writeFileAtomic(this.file(url), gzipSync(JSON.stringify({ url, body })));
  }
}

export interface ClientOptions {
  userAgent: string;
  requestsPerSecond: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  /** 0 = unbounded. */
  maxRequests: number;
  cacheDir: string | null;
}

export interface ClientCounts {
  /** HTTP requests sent (retries included). */
  requests: number;
  cacheHits: number;
  retries: number;
  /** Retries by cause: 'http 429', 'http 5xx', 'maxlag', 'network', 'invalid json'. */
  retriesByReason: Record<string, number>;
}

/** JSON GETs against the MediaWiki / Wikibase Action APIs, cached, rate-limited and retried. */
export class ApiClient {
  readonly counts: ClientCounts = { requests: 0, cacheHits: 0, retries: 0, retriesByReason: {} };
  private readonly limiter: RateLimiter;
  private readonly cache: ResponseCache | null;

  constructor(
    readonly options: ClientOptions,
    private readonly fetchImpl: FetchLike,
    private readonly signal?: AbortSignal,
  ) {
    this.limiter = new RateLimiter(options.requestsPerSecond);
    this.cache = options.cacheDir ? new ResponseCache(options.cacheDir) : null;
  }

  /** Backoff before retry `attempt` (0-based): base * 2^attempt, capped. */
  backoffMs(attempt: number): number {
    return Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** attempt);
  }

  /** The parsed JSON body of `url`: from the cache, else fetched (and then cached). */
  async getJson(url: string): Promise<unknown> {
    const cached = this.cache?.get(url);
    if (cached !== undefined) {
      this.counts.cacheHits += 1;
      return JSON.parse(cached);
    }
    let last = '';
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      if (this.signal?.aborted) throw new AgentStop('aborted');
      if (this.options.maxRequests > 0 && this.counts.requests >= this.options.maxRequests) throw new AgentStop('maxRequests');
      await this.limiter.take(this.signal);
      this.counts.requests += 1;
      const outcome = await this.attempt(url);
      if ('body' in outcome) {
        this.cache?.set(url, outcome.text);
        return outcome.body;
      }
      last = outcome.retry;
      if (attempt === this.options.maxRetries) break;
      this.counts.retries += 1;
      this.counts.retriesByReason[outcome.retry] = (this.counts.retriesByReason[outcome.retry] ?? 0) + 1;
      this.limiter.pauseFor(Math.max(outcome.waitMs, this.backoffMs(attempt)));
    }
    throw new Error(`${url}: gave up after ${this.options.maxRetries + 1} attempts (last: ${last})`);
  }

  private async attempt(url: string): Promise<{ body: unknown; text: string } | { retry: string; waitMs: number }> {
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(), this.options.timeoutMs);
    try {
      let res: FetchResponse;
      let text: string;
      try {
        res = await this.fetchImpl(url, {
          headers: { 'User-Agent': this.options.userAgent, 'Api-User-Agent': this.options.userAgent, Accept: 'application/json' },
          signal: ctl.signal,
        });
        text = await res.text();
      } catch {
        if (this.signal?.aborted) throw new AgentStop('aborted');
        return { retry: 'network', waitMs: 0 };
      }
      const waitMs = retryAfterMs(res.headers.get('retry-after'));
      if (res.status === 429) return { retry: 'http 429', waitMs };
      if (res.status >= 500) {
        // MediaWiki may answer a maxlag error with 503 too; its JSON body says so.
        if (maxlagError(text)) return { retry: 'maxlag', waitMs: Math.max(waitMs, 1000 * (maxlagError(text)?.lag ?? 0)) };
        return { retry: 'http 5xx', waitMs };
      }
      if (res.status !== 200) throw new ApiError(url, `http ${res.status}`, text.slice(0, 200));
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { retry: 'invalid json', waitMs: 0 };
      }
      const err = errorOf(body);
      if (err?.code === 'maxlag') return { retry: 'maxlag', waitMs: Math.max(waitMs, 1000 * (Number(err.lag) || 0)) };
      if (err) throw new ApiError(url, err.code, err.info ?? '');
      return { body, text };
    } finally {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date); 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number {
  if (!header) return 0;
  const s = Number(header.trim());
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(header);
  return Number.isFinite(t) ? Math.max(0, t - now) : 0;
}

function errorOf(body: unknown): { code: string; info?: string; lag?: unknown } | undefined {
  if (!body || typeof body !== 'object' || !('error' in body)) return undefined;
  const e = (body as { error: unknown }).error;
  if (!e || typeof e !== 'object') return undefined;
  const code = (e as { code?: unknown }).code;
  const info = (e as { info?: unknown }).info;
  return { code: typeof code === 'string' ? code : 'unknown', info: typeof info === 'string' ? info : undefined, lag: (e as { lag?: unknown }).lag };
}

function maxlagError(text: string): { lag: number } | undefined {
  try {
    const err = errorOf(JSON.parse(text));
    return err?.code === 'maxlag' ? { lag: Number(err.lag) || 0 } : undefined;
  } catch {
    return undefined;
  }
}
