/**
 * The chat client's HTTP rules: how long to wait before a retry (Retry-After, backoff with
 * seeded jitter), how secrets are kept out of messages, and how one reply is read into a result
 * or a failure that says whether another attempt may help.
 */
import type { ChatResult, Usage } from './llm';
import type { Rng } from './rng';

/** Why one attempt failed, and whether another attempt may help. */
export interface AttemptFailure {
  retryable: boolean;
  message: string;
  status?: number;
  waitMs?: number | null;
}

/**
 * Milliseconds to wait from the `retry-after-ms` header (OpenAI) or `Retry-After` (seconds or an
 * HTTP date); null when neither is present or parseable.
 */
export function retryAfterMs(headers: { get(name: string): string | null }, now: number = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const t = Date.parse(ra);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** Exponential backoff with "equal jitter": base·2^attempt scaled by a factor in [0.5, 1), capped. */
export function backoffMs(attempt: number, rng: Rng, baseDelayMs: number, maxDelayMs: number): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.min(maxDelayMs, exp * (0.5 + 0.5 * rng.next()));
}

/** `s` with every occurrence of `secret` replaced (no-op for an empty secret). */
export function redact(s: string, secret: string | undefined): string {
  return secret ? s.split(secret).join('***') : s;
}

/**
 * Reads one HTTP reply of POST `url`: the choices' texts and usage, or a failure (429 and 5xx,
 * a body that is not JSON or has no choices: retryable; any other non-2xx: final). The body
 * excerpt in a message has `key` redacted; `apiKeyEnv` names the key's variable in the 401 hint.
 */
export function readReply(url: string, status: number, text: string, headers: { get(name: string): string | null }, key: string | undefined, apiKeyEnv: string): ChatResult | AttemptFailure {
  const excerpt = redact(text.slice(0, 300).replace(/\s+/g, ' ').trim(), key);
  if (status === 429 || status >= 500) {
    return { retryable: true, status, message: `POST ${url}: HTTP ${status}: ${excerpt}`, waitMs: retryAfterMs(headers) };
  }
  if (status < 200 || status >= 300) {
    const hint = status === 401 && !key ? ` (no API key: environment variable ${apiKeyEnv} is not set)` : '';
    return { retryable: false, status, message: `POST ${url}: HTTP ${status}${hint}: ${excerpt}` };
  }
  let parsed: { choices?: { message?: { content?: string | null } }[]; usage?: Partial<Usage> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { retryable: true, status, message: `POST ${url}: HTTP ${status} but the body is not JSON: ${excerpt}` };
  }
  if (!Array.isArray(parsed.choices) || parsed.choices.length === 0) {
    return { retryable: true, status, message: `POST ${url}: HTTP ${status} but no choices in the body: ${excerpt}` };
  }
  const usage: Usage = {
    prompt_tokens: parsed.usage?.prompt_tokens ?? 0,
    completion_tokens: parsed.usage?.completion_tokens ?? 0,
    total_tokens: parsed.usage?.total_tokens ?? (parsed.usage?.prompt_tokens ?? 0) + (parsed.usage?.completion_tokens ?? 0),
  };
  return { texts: parsed.choices.map((c) => c.message?.content ?? ''), usage, cached: false };
}
