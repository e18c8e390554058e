/** The streamed answer of `fleming serve`: chat.completion.chunk events over server-sent events, ending in `data: [DONE]`. */
import type * as http from 'node:http';
import type { Tokenizer } from '../model/tokenizer';
import type { Choice } from './batcher';

/** What every chunk of one completion repeats. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/**
 * The content deltas of a choice: one per token whose decoded prefix is a prefix of the final
 * text (a token that ends inside a multi-byte character waits for the next), then the rest; they
 * concatenate to `choice.text`.
 */
export function textDeltas(tok: Tokenizer, choice: Choice): string[] {
  const { text, tokens } = choice;
  const out: string[] = [];
  let sent = 0;
  for (let t = 1; t <= tokens.length && sent < text.length; t++) {
    const prefix = tok.decode(tokens.slice(0, t)).slice(0, text.length);
    if (prefix.length > sent && text.startsWith(prefix)) {
      out.push(prefix.slice(sent));
      sent = prefix.length;
    }
  }
  if (sent < text.length) out.push(text.slice(sent));
  return out;
}

/** Writes the whole answer as an event stream: per choice a role chunk, the deltas and a finish chunk; then the usage chunk when asked; then [DONE]. */
export function writeStream(res: http.ServerResponse, tok: Tokenizer, meta: CompletionMeta, choices: Choice[], usage: object | undefined): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const event = (body: object) => res.write(`data: ${JSON.stringify({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, ...body })}\n\n`);
  const chunk = (index: number, delta: Record<string, string>, finish: string | null) => event({ choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
  choices.forEach((c, index) => {
    chunk(index, { role: 'assistant', content: '' }, null);
    for (const content of textDeltas(tok, c)) chunk(index, { content }, null);
    chunk(index, {}, c.finish);
  });
  if (usage) event({ choices: [], usage });
  res.end('data: [DONE]\n\n');
}
