/** Parsing and validation of a chat completion request into a decode job (400/404 ApiErrors otherwise). */
import { chatPrompt } from '../model/tokenizer';
import type { Engine } from './engine';
import { ApiError } from './errors';

/** One validated chat completion request. */
export interface Job {
  prompt: number[];
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number | undefined;
  stop: string[];
}

/** A validated request: the job and how to answer it. */
export interface ChatRequest {
  job: Job;
  /** Answer as server-sent events. */
  stream: boolean;
  /** With `stream`: a last chunk carrying the usage (`stream_options.include_usage`). */
  usageChunk: boolean;
}

/** The server's caps on a request. */
export interface RequestLimits {
  /** `max_tokens` at most. */
  maxTokens: number;
  /** `n` at most. */
  maxN: number;
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

/** The last user message of `messages` (the policy answers one question; other turns are checked, not used). */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) throw new ApiError(400, 'messages must be a non-empty array', 'messages');
  let question: string | undefined;
  messages.forEach((m: unknown, i) => {
    if (!m || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') throw new ApiError(400, `messages[${i}] must be an object with a role`, `messages[${i}]`);
    const text = contentText((m as { content?: unknown }).content, i);
    if ((m as { role: string }).role === 'user') question = text;
  });
  if (question === undefined) throw new ApiError(400, 'messages needs at least one user message', 'messages');
  return question;
}

/** `max_tokens` (or `max_completion_tokens`), default: what fits; within the cap and the context left after the prompt. */
function maxTokensOf(b: Record<string, unknown>, promptLength: number, context: number, cap: number): number {
  const room = context - promptLength;
  if (room < 1) throw new ApiError(400, `the prompt has ${promptLength} tokens; this model's context is ${context} tokens`, 'messages', 'context_length_exceeded');
  if (b.max_tokens === undefined && b.max_completion_tokens !== undefined) b.max_tokens = b.max_completion_tokens; // the newer name
  const maxTokens = num(b, 'max_tokens', Math.min(cap, room), (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  if (maxTokens > cap) throw new ApiError(400, `max_tokens is ${maxTokens}; at most ${cap}`, 'max_tokens');
  if (maxTokens > room) throw new ApiError(400, `prompt (${promptLength} tokens) + max_tokens (${maxTokens}) exceeds the context of ${context} tokens`, 'max_tokens', 'context_length_exceeded');
  return maxTokens;
}

/** `stop`: a string or up to 4 strings; empty ones dropped. */
function stopOf(stop: unknown): string[] {
  let out: string[] = [];
  if (typeof stop === 'string') out = [stop];
  else if (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string')) out = stop as string[];
  else if (stop !== undefined && stop !== null) throw new ApiError(400, 'stop must be a string or an array of at most 4 strings', 'stop');
  return out.filter((s) => s.length > 0);
}

/** Validates a parsed chat completion body against the served engine and the server's limits. */
export function parseChatRequest(body: unknown, engine: Engine, limits: RequestLimits): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const { modelName } = engine;
  if (b.model !== undefined && b.model !== modelName) throw new ApiError(404, `The model \`${String(b.model)}\` does not exist; this server serves \`${modelName}\``, 'model', 'model_not_found');
  const prompt = chatPrompt(engine.tok, lastUserText(b.messages));
  const maxTokens = maxTokensOf(b, prompt.length, engine.context, limits.maxTokens);
  const temperature = num(b, 'temperature', 1, (v) => v >= 0 && v <= 2, 'a number in [0, 2]');
  const topP = num(b, 'top_p', 1, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  const n = num(b, 'n', 1, (v) => Number.isInteger(v) && v >= 1 && v <= limits.maxN, `an integer in [1, ${limits.maxN}]`);
  const seed = b.seed === undefined || b.seed === null ? undefined : num(b, 'seed', 0, Number.isInteger, 'an integer');
  const stop = stopOf(b.stop);
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw new ApiError(400, 'stream must be a boolean', 'stream');
  const usageChunk = Boolean(b.stream_options && typeof b.stream_options === 'object' && (b.stream_options as { include_usage?: unknown }).include_usage === true);
  return { job: { prompt, n, maxTokens, temperature, topP, seed, stop }, stream: b.stream === true, usageChunk };
}
