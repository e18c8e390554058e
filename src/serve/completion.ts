/** POST /v1/chat/completions: read and validate the request, queue it, answer as JSON or as a stream. */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { Batcher, Choice } from './batcher';
import type { Engine } from './engine';
import { parseJson, readBody, sendJson } from './http';
import { Job, RequestLimits, parseChatRequest } from './request';
import { CompletionMeta, writeStream } from './sse';

/** Token counts of an answer, OpenAI's `usage`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the completion handler needs from its server. */
export interface CompletionDeps {
  engine: Engine;
  batcher: Batcher;
  limits: RequestLimits & { maxBodyBytes: number };
  /** Called once per answered request. */
  onAnswer: () => void;
}

/** The usage of `choices` for `job`. */
export function usageOf(job: Job, choices: readonly Choice[]): Usage {
  const completionTokens = choices.reduce((s, c) => s + c.tokens.length, 0);
  return { prompt_tokens: job.prompt.length, completion_tokens: completionTokens, total_tokens: job.prompt.length + completionTokens };
}

/** The non-streamed answer, a `chat.completion` object. */
export function completionBody(meta: CompletionMeta, choices: readonly Choice[], usage: Usage): object {
  return {
    id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model,
    choices: choices.map((c, index) => ({ index, message: { role: 'assistant', content: c.text }, logprobs: null, finish_reason: c.finish })),
    usage,
  };
}

/** Answers one chat completion request; resolves to the status sent. Failures throw (ApiError, QueueFull) for the caller to shape. */
export async function handleCompletion(req: http.IncomingMessage, res: http.ServerResponse, deps: CompletionDeps): Promise<number> {
  const { job, stream, usageChunk } = parseChatRequest(parseJson(await readBody(req, deps.limits.maxBodyBytes)), deps.engine, deps.limits);
  const choices = await deps.batcher.submit(job);
  deps.onAnswer();
  const meta: CompletionMeta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: deps.engine.modelName };
  const usage = usageOf(job, choices);
  if (stream) writeStream(res, deps.engine.tok, meta, choices, usageChunk ? usage : undefined);
  else sendJson(res, 200, completionBody(meta, choices, usage));
  return 200;
}
