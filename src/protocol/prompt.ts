import type { Item } from '../rods/item';

/**
 * The policy's user turn for an item: the question, then one `A. text` line per option. Every
 * stage that prompts the policy (Base, +CoT, RL, evaluation) uses this text.
 */
export function itemPrompt(item: Pick<Item, 'question' | 'options'>): string {
  const letters = Object.keys(item.options).sort();
  return [item.question, ...letters.map((l) => `${l}. ${item.options[l]}`)].join('\n');
}
