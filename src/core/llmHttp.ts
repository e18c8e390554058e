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

/** A token count as a server reports it: a finite number ≥ 0, else 0. */
const count = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);

/** The text of each choice, or why a choice has none: `message.content` must be a string (null reads as ''). */
function choiceTexts(choices: unknown[]): string[] | string {
  const texts: string[] = [];
  for (const [i, c] of choices.entries()) {
    const message = c !== null && typeof c === 'object' ? (c as { message?: unknown }).message : undefined;
    const content = message !== null && typeof message === 'object' ? (message as { content?: unknown }).content : undefined;
    if (content === null) texts.push('');
    else if (typeof content === 'string') texts.push(content);
    else return `choices[${i}].message.content is ${content === undefined ? 'missing' : `${Array.isArray(content) ? 'an array' : `a ${typeof content}`}, not text`}`;
  }
  return texts;
}

/**
 * Reads one HTTP reply of POST `url`: the choices' texts and usage, or a failure (429 and 5xx,
 * a body that is not JSON, has no choices, or a choice whose content is not text: retryable; any
 * other non-2xx: final). Only a reply that passes these checks is ever returned (and cached). The
 * body excerpt in a message has `key` redacted; `apiKeyEnv` names the key's variable in the 401 hint.
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
  let parsed: { choices?: unknown; usage?: Record<string, unknown> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { retryable: true, status, message: `POST ${url}: HTTP ${status} but the body is not JSON: ${excerpt}` };
  }
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray(parsed.choices) || parsed.choices.length === 0) {
    return { retryable: true, status, message: `POST ${url}: HTTP ${status} but no choices in the body: ${excerpt}` };
  }
  const texts = choiceTexts(parsed.choices);
  if (typeof texts === 'string') return { retryable: true, status, message: `POST ${url}: HTTP ${status} but ${texts}: ${excerpt}` };
  const u = parsed.usage !== null && typeof parsed.usage === 'object' ? parsed.usage : {};
  const usage: Usage = {
    prompt_tokens: count(u.prompt_tokens),
    completion_tokens: count(u.completion_tokens),
    total_tokens: typeof u.total_tokens === 'number' ? count(u.total_tokens) : count(u.prompt_tokens) + count(u.completion_tokens),
  };
  return { texts, usage, cached: false };
}
