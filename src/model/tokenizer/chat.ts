/**
 * The policy's chat format. Exact strings (no spaces or newlines besides those shown):
 *
 *   prompt:      <|bos|><|user|>{question}<|assistant|>
 *   completion:  <think>{reasoning}</think>\n<answer>{letter}</answer><|eos|>     (+CoT, RL)
 *                <answer>{letter}</answer><|eos|>                               (Base: no thinking)
 *
 * A training example is prompt + completion; only the completion's tokens (its `<|eos|>`
 * included) carry loss. The prompt ends in the special token `<|assistant|>`, so the token
 * boundary between prompt and completion is fixed: encode(prompt + completion) equals
 * encode(prompt) followed by encode(completion).
 */
import type { Tokenizer } from './bpe';

/** The special-token strings of the chat format. */
export const CHAT = {
  bos: '<|bos|>',
  eos: '<|eos|>',
  pad: '<|pad|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
  thinkOpen: '<think>',
  thinkClose: '</think>',
  answerOpen: '<answer>',
  answerClose: '</answer>',
} as const;

/** `<|bos|><|user|>{question}<|assistant|>` */
export function chatPromptText(question: string): string {
  return `${CHAT.bos}${CHAT.user}${question}${CHAT.assistant}`;
}

/** `<think>{reasoning}</think>\n<answer>{letter}</answer><|eos|>` */
export function cotCompletion(reasoning: string, letter: string): string {
  return `${CHAT.thinkOpen}${reasoning}${CHAT.thinkClose}\n${directAnswerCompletion(letter)}`;
}

/** `<answer>{letter}</answer><|eos|>`: the Base model's completion, without thinking. */
export function directAnswerCompletion(letter: string): string {
  return `${CHAT.answerOpen}${letter}${CHAT.answerClose}${CHAT.eos}`;
}

/**
 * Token ids of the prompt for a question. The question is encoded as plain text (a literal
 * `<answer>` inside it stays text, it cannot inject a control token).
 */
export function chatPrompt(tok: Tokenizer, question: string): number[] {
  return [tok.specialId(CHAT.bos), tok.specialId(CHAT.user), ...tok.encode(question, { allowSpecial: false }), tok.specialId(CHAT.assistant)];
}

export interface RenderedChat {
  ids: number[];
  /** 1 for completion tokens (loss), 0 for prompt tokens; same length as ids. */
  completionMask: number[];
  /** Number of prompt tokens (ids before the completion). */
  promptLength: number;
}

/**
 * Prompt (+ completion) as ids with a loss mask. `prompt` is the question text; `completion` is
 * the assistant text with its special tokens (`<think>…</think>\n<answer>B</answer>`); `<|eos|>`
 * is appended when the completion does not already end with it.
 */
export function renderChat(tok: Tokenizer, chat: { prompt: string; completion?: string }): RenderedChat {
  const ids = chatPrompt(tok, chat.prompt);
  const promptLength = ids.length;
  if (chat.completion !== undefined) {
    const text = chat.completion.endsWith(CHAT.eos) ? chat.completion : chat.completion + CHAT.eos;
    ids.push(...tok.encode(text));
  }
  const completionMask = ids.map((_, i) => (i < promptLength ? 0 : 1));
  return { ids, completionMask, promptLength };
}

/**
 * The chat format as a Jinja template (Hugging Face `chat_template`), for messages with roles
 * `user` and `assistant`: renders `<|bos|>`, each user turn as `<|user|>{content}`, each
 * assistant turn as `<|assistant|>{content}<|eos|>`, and `<|assistant|>` when
 * `add_generation_prompt` is set.
 */
export const CHAT_TEMPLATE =
  "{{- bos_token -}}" +
  "{%- for message in messages -%}" +
  "{%- if message['role'] == 'user' -%}{{- '<|user|>' + message['content'] -}}" +
  "{%- elif message['role'] == 'assistant' -%}{{- '<|assistant|>' + message['content'] + eos_token -}}" +
  "{%- else -%}{{- raise_exception('only user and assistant roles are supported') -}}" +
  '{%- endif -%}' +
  '{%- endfor -%}' +
  "{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- endif -%}";
