/**
 * RODS label verification, as in the paper: a validator answers every item k times (default 5);
 * an item the validator gets wrong every time is suspect — a wrong key, an ambiguous stem, or a
 * question the graph does not support — and goes to a review list with the answers it gave
 * ('validator failed 5/5: answered C,C,D,C,C'); the rest are kept.
 *
 * A validator is any `(item, sampleIndex) => Promise<letter | null>`: `llmValidator` asks a model
 * through the OpenAI-compatible client (the sample index is part of the cache key, so the k
 * samples are k requests and a rerun costs nothing); the synthesis stage passes the graph solver.
 */
import type { ChatMessage, ChatOptions, ChatResult } from '../core/llm';
import { Semaphore } from '../core/semaphore';
import type { Rejected } from './filter/result';
import type { Item } from './item';

/** Answers one item once; null when it gave no readable letter. */
export type Validator = (item: Item, sampleIndex: number) => Promise<string | null>;

export interface VerifyOptions {
  /** Answers per item. */
  k: number;
  /** Validator calls in flight at once (an LLM client adds its own limit). */
  concurrency: number;
  /** Stop sampling an item at its first right answer (fewer calls; `passes` is then 0 or 1). */
  stopAtFirstPass: boolean;
}

export const defaults: VerifyOptions = {
  k: 5,
  concurrency: 8,
  stopAtFirstPass: false,
};

export interface Verdict {
  id: string;
  /** The key being checked. */
  answer: string;
  /** The validator's answers in sample order (null: no readable letter). */
  answers: (string | null)[];
  /** How many answers matched the key. */
  passes: number;
  status: 'kept' | 'review';
}

export interface VerifyResult {
  kept: Item[];
  /** Items every sample got wrong, with the reason. */
  review: Rejected[];
  /** One per item, in input order. */
  verdicts: Verdict[];
}

/** The review reason: 'validator failed 5/5: answered C,C,D,C,C' ('-' for no answer). */
export function reviewReason(answers: readonly (string | null)[]): string {
  return `validator failed ${answers.length}/${answers.length}: answered ${answers.map((a) => a ?? '-').join(',')}`;
}

/** Runs the validator k times per item and splits the items into kept and review. */
export async function verifyLabels(items: readonly Item[], validator: Validator, options: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  const opts = { ...defaults, ...options };
  if (!(opts.k >= 1) || !Number.isInteger(opts.k)) throw new Error(`verifyLabels: k must be a positive integer, got ${opts.k}`);
  const sem = new Semaphore(opts.concurrency);
  const ask = (item: Item, s: number): Promise<string | null> => sem.run(() => validator(item, s));
  const verdicts = await Promise.all(
    items.map(async (item): Promise<Verdict> => {
      let answers: (string | null)[];
      if (opts.stopAtFirstPass) {
        answers = [];
        for (let s = 0; s < opts.k; s++) {
          const a = await ask(item, s);
          answers.push(a);
          if (a === item.answer) break;
        }
      } else {
        answers = await Promise.all(Array.from({ length: opts.k }, (_, s) => ask(item, s)));
      }
      const passes = answers.filter((a) => a === item.answer).length;
      return { id: item.id, answer: item.answer, answers, passes, status: passes === 0 ? 'review' : 'kept' };
    }),
  );
  const kept: Item[] = [];
  const review: Rejected[] = [];
  items.forEach((item, i) => {
    const v = verdicts[i];
    if (v.status === 'kept') kept.push(item);
    else review.push({ item, reason: reviewReason(v.answers) });
  });
  return { kept, review, verdicts };
}

/** The default validator prompt; {question}, {options} and {letters} are filled in. */
export const DEFAULT_VALIDATOR_PROMPT = [
  'Answer the following multiple-choice medical question.',
  '',
  'Question: {question}',
  '',
  'Options:',
  '{options}',
  '',
  'Give only the letter of the single best option ({letters}) inside <answer></answer>, e.g. <answer>A</answer>.',
].join('\n');

/** Fills {question}, {options} ('A. text' lines) and {letters} ('A, B, C, D') into a template. */
export function renderPrompt(template: string, item: Item): string {
  const letters = Object.keys(item.options);
  const fields: Record<string, string> = {
    question: item.question,
    options: letters.map((l) => `${l}. ${item.options[l]}`).join('\n'),
    letters: letters.join(', '),
  };
  return template.replace(/\{(question|options|letters)\}/g, (_, k: string) => fields[k]);
}

const normalize = (s: string): string => s.toLowerCase().replace(/[\s*_"'`.]+/g, ' ').trim();

/**
 * The option letter in a model's reply, or null. Tried in order: the last <answer>…</answer>
 * (or an unclosed <answer>); 'answer is B' / 'Answer: (B)' / 'correct option: B' (the last
 * one); a reply that is or starts with a bare letter ('B', '**B**', '(B) …', 'B. Aspirin');
 * a reply equal to one option's text. A <think> block is ignored. Letters not in `letters` give null.
 * A letter is A–J, or any later letter the item has (K–Z on an item with more than 10 options,
 * such as JMED's A–U), so a reply to an item of at most 10 options reads as it always has.
 */
export function parseLetter(text: string, letters: readonly string[], options?: Record<string, string>): string | null {
  const valid = (l: string | undefined): string | null => (l !== undefined && letters.includes(l) ? l : null);
  const L = `[A-J${letters.filter((l) => /^[K-Z]$/.test(l)).join('')}]`;
  let t = text.replace(/<think>[\s\S]*?<\/think>/g, ' ');
  const tags = [...t.matchAll(/<answer>([\s\S]*?)(?:<\/answer>|$)/g)];
  if (tags.length > 0) {
    t = tags[tags.length - 1][1];
    const bare = new RegExp(`^[\\s*("'[]*(?:[Oo]ption\\s+)?(${L})(?![\\p{L}\\p{N}])`, 'u').exec(t);
    if (bare) return valid(bare[1]);
  }
  const said = [...t.matchAll(new RegExp(`(?:[Aa]nswer|ANSWER|[Cc]orrect (?:[Oo]ption|[Cc]hoice))\\s*(?:is|:|=|-)?\\s*(?:[Oo]ption\\s*|[Cc]hoice\\s*)?[(*[\\s]*(${L})(?![\\p{L}\\p{N}])`, 'gu'))];
  if (said.length > 0) return valid(said[said.length - 1][1]);
  const lead = new RegExp(`^[\\s*("'[]*(${L})(?:\\s*$|\\s*[.):\\]*]|\\s+-\\s)`).exec(t);
  if (lead) return valid(lead[1]);
  if (options) {
    const n = normalize(t);
    const hit = letters.filter((l) => options[l] !== undefined && normalize(options[l]) === n);
    if (hit.length === 1) return hit[0];
  }
  return null;
}

/** The slice of LlmClient a validator or judge needs (tests may pass a stub). */
export interface ChatClient {
  chat(messages: ChatMessage[], opts?: ChatOptions): Promise<ChatResult>;
}

export interface LlmValidatorOptions {
  /** User prompt template (see renderPrompt). */
  promptTemplate: string;
  /** Optional system message. */
  system: string;
  /** Sampling temperature: above 0 so that the k answers are k real samples. */
  temperature: number;
  maxTokens: number;
  /** When set, sample s is sent with seed + s. */
  seed?: number;
}

export const validatorDefaults: LlmValidatorOptions = {
  promptTemplate: DEFAULT_VALIDATOR_PROMPT,
  system: '',
  temperature: 0.7,
  maxTokens: 512,
};

/** A Validator that asks a model through the chat client and parses the letter with parseLetter. */
export function llmValidator(client: ChatClient, options: Partial<LlmValidatorOptions> = {}): Validator {
  const opts = { ...validatorDefaults, ...options };
  return async (item, sampleIndex) => {
    const messages: ChatMessage[] = [];
    if (opts.system) messages.push({ role: 'system', content: opts.system });
    messages.push({ role: 'user', content: renderPrompt(opts.promptTemplate, item) });
    const r = await client.chat(messages, {
      temperature: opts.temperature,
      maxTokens: opts.maxTokens,
      sampleIndex,
      ...(opts.seed !== undefined ? { seed: opts.seed + sampleIndex } : {}),
    });
    return parseLetter(r.texts[0] ?? '', Object.keys(item.options), item.options);
  };
}
