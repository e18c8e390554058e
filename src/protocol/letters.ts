import type { Item } from '../rods/item';

/** One option letter: a single capital A–Z (an item has up to 26 options). */
export const LETTER = /^[A-Z]$/;

/**
 * The item's valid answer letters: its option keys that are single capitals A–Z, in alphabetical
 * order (the order itemPrompt lists them).
 */
export function optionLetters(item: Pick<Item, 'options'>): string[] {
  return Object.keys(item.options)
    .filter((k) => LETTER.test(k))
    .sort();
}
