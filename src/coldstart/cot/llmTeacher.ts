/**
 * The LLM CoT teacher: any OpenAI-compatible endpoint through the shared client (the paper used
 * GPT-OSS-120B). The teacher sees the question, the options and the known answer, and writes a
 * concise chain of thought bridging them; a flawed trace is sent back with the filters' reasons
 * and one of three revision prompts (backtracking, path exploration, self-correction).
 * Replies are parsed robustly (code fences, missing or unclosed tags, 'Answer: B', a final-channel
 * marker) and rewritten in the canonical `<think>…</think>\n<answer>X</answer>`.
 */
import type { ChatMessage } from '../../core/llm';
import type { Item } from '../../rods/item';
import { ChatClient, parseLetter, renderPrompt } from '../../rods/verify';
import { Strategy, TeachContext, Teacher, Trace, formatCompletion } from './trace';

export interface LlmTeacherOptions {
  /** System message ('' for none). */
  system: string;
  /** Draft prompt; {question}, {options}, {letters}, {answer}, {answerText}, {maxWords} are filled in. */
  draftTemplate: string;
  /** Revision prompt per strategy; also {feedback}. */
  revisionTemplates: Record<Strategy, string>;
  /** Sampling temperature (> 0 so the k chains differ). */
  temperature: number;
  maxTokens: number;
  /** Length asked for in the prompt. */
  maxWords: number;
  /** When set, sample s is sent with seed + s. */
  seed?: number;
  /** Recorded in cot rows as `llm:<model>`. */
  model: string;
}

const FORMAT_LINES = ['Reply in exactly this format and nothing else:', '<think>', 'your reasoning', '</think>', '<answer>{answer}</answer>'];

export const DRAFT_PROMPT = [
  'Question: {question}',
  '',
  'Options:',
  '{options}',
  '',
  'The correct answer is {answer}. {answerText}',
  '',
  'Write a concise chain of thought (at most {maxWords} words) that a clinician would follow from the question to this answer:',
  'the key findings, the candidate options, the discriminating evidence, why each other option is wrong, and the conclusion.',
  'State only medical facts you are sure of, and do not mention that you were given the answer.',
  ...FORMAT_LINES,
].join('\n');

const REVISE_TAIL = ['', 'The correct answer is {answer}. Rewrite the whole chain of thought (at most {maxWords} words).', ...FORMAT_LINES].join('\n');

export const REVISION_PROMPTS: Record<Strategy, string> = {
  backtracking: [
    'Your reasoning has a problem: {feedback}.',
    'Backtrack: return to the earliest assumption you made, re-examine the findings you may have overlooked or misread, and redo the reasoning from that point.',
  ].join('\n') + REVISE_TAIL,
  'path-exploration': [
    'Your reasoning has a problem: {feedback}.',
    'Explore another path: take the options one at a time and test each against all of the findings before you commit to a conclusion.',
  ].join('\n') + REVISE_TAIL,
  'self-correction': [
    'Your reasoning has a problem: {feedback}.',
    'Correct it: check every statement you made, fix any that is wrong, and make sure the final step follows from the evidence.',
  ].join('\n') + REVISE_TAIL,
};

export const defaults: LlmTeacherOptions = {
  system: 'You are a medical expert who writes short, accurate clinical reasoning for multiple-choice questions.',
  draftTemplate: DRAFT_PROMPT,
  revisionTemplates: REVISION_PROMPTS,
  temperature: 0.7,
  maxTokens: 1024,
  maxWords: 120,
  model: 'teacher',
};

/** Fills the item fields and {answer}, {answerText}, {maxWords}, {feedback} into a template. */
export function renderTeacherPrompt(template: string, item: Item, extra: { maxWords: number; feedback?: string }): string {
  const fields: Record<string, string> = {
    answer: item.answer,
    answerText: item.options[item.answer] ?? '',
    maxWords: String(extra.maxWords),
    feedback: extra.feedback ?? '',
  };
  return renderPrompt(template.replace(/\{(answer|answerText|maxWords|feedback)\}/g, (_, k: string) => fields[k]), item);
}

/**
 * A teacher reply → {reasoning, letter}. The reasoning is the <think> block (or, without one, the
 * text before the final answer), whitespace collapsed, other tags removed; the letter is read
 * with parseLetter (last <answer> tag, 'answer is B', a bare letter, an option's text).
 */
export function parseTeacherReply(text: string, letters: readonly string[], options?: Record<string, string>): { reasoning: string; letter: string | null } {
  let t = text;
  const final = t.lastIndexOf('final<|message|>');
  if (final >= 0) t = t.slice(final + 'final<|message|>'.length);
  t = t.replace(/```[a-z]*\n?/gi, '').trim();
  let reasoning: string;
  const closed = /<think>([\s\S]*?)<\/think>/i.exec(t);
  if (closed) reasoning = closed[1];
  else {
    const open = t.search(/<think>/i);
    const body = open >= 0 ? t.slice(open + 7) : t;
    const end = body.search(/<answer>|(?:^|\n)\s*(?:final\s+)?answer\s*[:：]/i);
    reasoning = end >= 0 ? body.slice(0, end) : body;
  }
  reasoning = reasoning
    .replace(/<\/?(?:think|answer)>|<\|[a-z_]+\|>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const outside = closed ? t.slice(closed.index + closed[0].length) : t.replace(/<think>/i, '');
  const letter = parseLetter(outside.trim() ? outside : t, letters, options);
  return { reasoning, letter };
}

/** The LLM teacher; see the module comment. */
export class LlmTeacher implements Teacher {
  readonly name: string;
  readonly options: LlmTeacherOptions;

  constructor(
    private readonly client: ChatClient,
    options: Partial<LlmTeacherOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
    this.name = `llm:${this.options.model}`;
  }

  /** The draft conversation for an item. */
  draftMessages(item: Item): ChatMessage[] {
    const m: ChatMessage[] = [];
    if (this.options.system) m.push({ role: 'system', content: this.options.system });
    m.push({ role: 'user', content: renderTeacherPrompt(this.options.draftTemplate, item, { maxWords: this.options.maxWords }) });
    return m;
  }

  async draft(item: Item, ctx: TeachContext): Promise<Trace> {
    return this.ask(item, this.draftMessages(item), ctx);
  }

  async revise(item: Item, previous: Trace, feedback: readonly string[], strategy: Strategy, ctx: TeachContext): Promise<Trace> {
    const fb = feedback.length ? feedback.join('; ') : 'the trace did not pass the checks';
    const messages: ChatMessage[] = [
      ...this.draftMessages(item),
      { role: 'assistant', content: previous.completion },
      { role: 'user', content: renderTeacherPrompt(this.options.revisionTemplates[strategy], item, { maxWords: this.options.maxWords, feedback: fb }) },
    ];
    return this.ask(item, messages, ctx);
  }

  private async ask(item: Item, messages: ChatMessage[], ctx: TeachContext): Promise<Trace> {
    const o = this.options;
    const r = await this.client.chat(messages, {
      temperature: o.temperature,
      maxTokens: o.maxTokens,
      sampleIndex: ctx.sample,
      ...(o.seed !== undefined ? { seed: o.seed + ctx.sample } : {}),
    });
    const raw = r.texts[0] ?? '';
    const letters = Object.keys(item.options);
    const { reasoning, letter } = parseTeacherReply(raw, letters, item.options);
    const completion = reasoning && letter ? formatCompletion(reasoning, letter) : raw.trim();
    return { completion, claims: [], answer: letter, grounded: false };
  }
}
