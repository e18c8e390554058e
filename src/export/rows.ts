/**
 * The rows of every export, from RODS items and kept CoT traces (pure functions). The prompt is
 * the one the policy sees everywhere in the workbench: one user turn holding itemPrompt(item);
 * the chat template of the checkpoints (CHAT_TEMPLATE) renders it as
 * `<|bos|><|user|>{itemPrompt}<|assistant|>`, which is chatPromptText(itemPrompt(item)).
 */
import { optionLetters, itemPrompt } from '../protocol/index';
import type { Item } from '../rods/item';
import { type Field, int32, list, str, struct } from './parquet';

/** A chat message as verl, TRL and transformers' apply_chat_template take it. */
export interface Message {
  role: 'user' | 'assistant';
  content: string;
}

/** Which RL data a row belongs to: stage 1 (the Easy + Moderate train items RLVR stage 1 draws from), stage 2 (the mined set), or the test split. */
export type RlPart = 'stage1' | 'stage2' | 'test';

/** An item's mining result (stage 2 rows): the rounds that mined it and its failures in the last of them. */
export interface MinedInfo {
  rounds: number[];
  failures: number;
  samples: number;
}

/** verl's `ability` of every row. */
export const ABILITY = 'medical_reasoning';

/** The policy's prompt for an item: one user turn (no system turn: the policy was trained without one). */
export function policyMessages(item: Pick<Item, 'question' | 'options'>): Message[] {
  return [{ role: 'user', content: itemPrompt(item) }];
}

/** verl's data_source of an item: `fleming/<origin>` (synthetic, medqa, ...). */
export function dataSource(item: Pick<Item, 'origin'>): string {
  return `fleming/${item.origin}`;
}

const message = (name: string) => struct(name, [str('role'), str('content')]);

/** The schema of RL rows (verl's dataset columns; the same for stage 1, stage 2 and test). */
export const RL_FIELDS: Field[] = [
  str('data_source'),
  list('prompt', message('element')),
  str('ability'),
  struct('reward_model', [str('style'), str('ground_truth')]),
  struct('extra_info', [int32('index'), str('id'), str('origin'), str('type'), str('difficulty'), str('split'), str('stage'), str('letters'), list('mined_rounds', 'int32'), int32('failures'), int32('samples')]),
];

/**
 * One verl RL row: data_source, prompt (chat messages), ability, reward_model {style: 'rule',
 * ground_truth: the answer letter}, extra_info (index, id, origin, type, difficulty, split, stage,
 * the item's option letters for the format reward, and stage 2's mining result).
 */
export function rlRow(item: Item, part: RlPart, index: number, mined?: MinedInfo): Record<string, unknown> {
  return {
    data_source: dataSource(item),
    prompt: policyMessages(item),
    ability: ABILITY,
    reward_model: { style: 'rule', ground_truth: item.answer },
    extra_info: {
      index,
      id: item.id,
      origin: item.origin,
      type: item.type,
      difficulty: item.difficulty ?? null,
      split: item.split ?? null,
      stage: part,
      letters: optionLetters(item).join(''),
      mined_rounds: mined?.rounds ?? [],
      failures: mined?.failures ?? null,
      samples: mined?.samples ?? null,
    },
  };
}

/** A TRL GRPOTrainer row: the conversational prompt and the columns the reward functions read (answer, letters). */
export function grpoRow(item: Item, part: RlPart, mined?: MinedInfo): Record<string, unknown> {
  return {
    prompt: policyMessages(item),
    answer: item.answer,
    letters: optionLetters(item).join(''),
    id: item.id,
    origin: item.origin,
    type: item.type,
    difficulty: item.difficulty ?? null,
    stage: part,
    ...(mined ? { mined_rounds: mined.rounds, failures: mined.failures } : {}),
  };
}

/** A kept CoT trace joined to its item. */
export interface KeptTrace {
  item: Item;
  /** `<think>…</think>\n<answer>X</answer>` without the trailing `<|eos|>` (the chat template appends it). */
  completion: string;
  teacher: string;
}

/** The schema of SFT rows (TRL conversational prompt/completion and messages, in one row). */
export const SFT_FIELDS: Field[] = [str('id'), list('prompt', message('element')), list('completion', message('element')), list('messages', message('element')), str('origin'), str('type'), str('difficulty'), str('teacher')];

/** TRL SFTTrainer, conversational prompt/completion: the loss falls on the completion, `<think>…</answer><|eos|>`. */
export function sftPromptCompletion(t: KeptTrace): Record<string, unknown> {
  return { prompt: policyMessages(t.item), completion: [{ role: 'assistant', content: t.completion }], id: t.item.id, difficulty: t.item.difficulty ?? null, type: t.item.type };
}

/** TRL SFTTrainer, conversational messages: user turn + assistant trace. */
export function sftMessages(t: KeptTrace): Record<string, unknown> {
  return { messages: [...policyMessages(t.item), { role: 'assistant', content: t.completion }], id: t.item.id, difficulty: t.item.difficulty ?? null, type: t.item.type };
}

/** One SFT row for the Hugging Face folder (both TRL layouts in one row). */
export function sftRow(t: KeptTrace): Record<string, unknown> {
  const prompt = policyMessages(t.item);
  const completion: Message[] = [{ role: 'assistant', content: t.completion }];
  return { id: t.item.id, prompt, completion, messages: [...prompt, ...completion], origin: t.item.origin, type: t.item.type, difficulty: t.item.difficulty ?? null, teacher: t.teacher };
}

/** The schema of item rows (the RODS items themselves, options as a list: their letters vary). */
export const ITEM_FIELDS: Field[] = [str('id'), str('origin'), str('question'), list('options', struct('element', [str('letter'), str('text')])), str('answer'), str('type'), str('difficulty'), str('split'), int32('hops'), str('prompt')];

/** One RODS item as a row (evidence and meta left out: see the run's rods/items.jsonl). */
export function itemRow(item: Item): Record<string, unknown> {
  return {
    id: item.id,
    origin: item.origin,
    question: item.question,
    options: Object.keys(item.options)
      .sort()
      .map((letter) => ({ letter, text: item.options[letter] })),
    answer: item.answer,
    type: item.type,
    difficulty: item.difficulty ?? null,
    split: item.split ?? null,
    hops: item.hops ?? null,
    prompt: itemPrompt(item),
  };
}
