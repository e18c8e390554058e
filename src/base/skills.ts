/**
 * The in-context skills every pretrained LLM brings and the method relies on, as training rows
 * and held-out probes of the Base recipe (`fleming base`). None is a question about a graph fact:
 *
 *   copy     `<|bos|> x₁ … x_L x₁ … x_L`, random tokens of the vocabulary (entity tokens
 *            included); loss on the second copy only. Grows the induction head that reads a
 *            question's subject into a thought.
 *   lookup   key → value pairs, then a key → its value: `k₁: v₁\n … kₙ: vₙ\nkᵢ:` → ` vᵢ`.
 *   option   multiple-choice option lookup in the items' own format: the user turn lists
 *            options `A. x\nB. y\n…` (same-type graph names, or random strings) after a noise
 *            stem, and the completion names one option in a thought the way the cold-start
 *            teacher concludes (CONCLUSIONS: `So the answer is y (B).`), then gives its letter:
 *            `<think>So the answer is y (B).</think>\n<answer>B</answer>`. The letter is the
 *            option named, never a fact: what SFT and RL need is that the letter follows the
 *            name. The lookup is the letter after `y (`; the answer's letter copies it.
 *   reverse  the same lookup, many times per row: the options, then `- y (B)` lines naming them
 *            in random order; loss on the letters only. A denser signal for the same circuit
 *            (a head that finds the name's earlier occurrence and reads the letter before it).
 *
 * Every row is a pure function of its Rng, so a batch is a pure function of the step.
 */
import type { Rng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import type { RenderedChat } from '../model/tokenizer';
import { CHAT, Tokenizer, renderChat } from '../model/tokenizer';
import { mentionName } from './sentences';

/** The skills a Base is trained and probed on. */
export const SKILLS = ['copy', 'lookup', 'option', 'reverse'] as const;
export type Skill = (typeof SKILLS)[number];

/** Graph names by node type (mention form), for option and lookup rows; types with too few names are left out. */
export interface NamePools {
  byType: Map<string, string[]>;
  /** Types with at least `minPerType` names. */
  types: string[];
}

/** Names per node type, in node order (mention form, distinct). */
export function namePools(graph: KnowledgeGraph, minPerType = 8): NamePools {
  const byType = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const list = byType.get(n.type) ?? (byType.set(n.type, []).get(n.type) as string[]);
    const m = mentionName(n.name);
    if (!list.includes(m)) list.push(m);
  }
  return { byType, types: [...byType.keys()].filter((t) => (byType.get(t) as string[]).length >= minPerType) };
}

/** Token ids a random row may draw: every non-special token (entity tokens included). */
export function drawableIds(tok: Tokenizer): number[] {
  const special = new Set(tok.specialTokens.map((s) => tok.specialId(s)));
  return tok.vocab.map((_, i) => i).filter((i) => !special.has(i));
}

/** A copy row: `<|bos|>` then L random tokens twice; loss on the second copy (its first token too). */
export function copyRow(tok: Tokenizer, ids: readonly number[], rng: Rng, minLen: number, maxLen: number): RenderedChat {
  const L = minLen + rng.int(maxLen - minLen + 1);
  const xs = Array.from({ length: L }, () => ids[rng.int(ids.length)]);
  const row = [tok.specialId(CHAT.bos), ...xs, ...xs];
  return { ids: row, completionMask: row.map((_, i) => (i > L ? 1 : 0)), promptLength: L + 1 };
}

/** A random lowercase string of 3–9 letters (a name no graph has). */
export function randomWord(rng: Rng): string {
  const n = 3 + rng.int(7);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + rng.int(26));
  return s;
}

/** `n` distinct names: same-type graph names (probability `graphShare`) or random words. */
function distinctNames(pools: NamePools, rng: Rng, n: number, graphShare: number): string[] {
  if (pools.types.length > 0 && rng.next() < graphShare) {
    const pool = pools.byType.get(rng.pick(pools.types)) as string[];
    if (pool.length >= n) return rng.sample(pool, n);
  }
  const out = new Set<string>();
  while (out.size < n) out.add(randomWord(rng));
  return [...out];
}

/** The text of a key → value lookup row: `k₁: v₁\n…kₙ: vₙ\nkᵢ:` and its answer ` vᵢ`. */
export function lookupText(pools: NamePools, rng: Rng, pairs: number): { head: string; answer: string } {
  const keys = distinctNames(pools, rng, pairs, 0.5);
  const values = distinctNames(pools, rng, pairs, 0.5);
  const q = rng.int(pairs);
  return { head: keys.map((k, i) => `${k}: ${values[i]}`).join('\n') + `\n${keys[q]}:`, answer: ` ${values[q]}` };
}

/** Key → value lookup: `<|bos|>k₁: v₁\n…kₙ: vₙ\nkᵢ:` then ` vᵢ<|eos|>`; loss on the value and eos. */
export function lookupRow(tok: Tokenizer, pools: NamePools, rng: Rng, pairs: number): RenderedChat {
  const t = lookupText(pools, rng, pairs);
  const head = [tok.specialId(CHAT.bos), ...tok.encode(t.head, { allowSpecial: false })];
  const tail = [...tok.encode(t.answer, { allowSpecial: false }), tok.specialId(CHAT.eos)];
  const ids = [...head, ...tail];
  return { ids, completionMask: ids.map((_, i) => (i < head.length ? 0 : 1)), promptLength: head.length };
}

/**
 * How a thought concludes: the option's name, then its letter in brackets. The graph teacher's
 * traces end this way (src/coldstart/cot/traceStyles.ts), and so do the Base's option drills.
 */
export const CONCLUSIONS: readonly ((name: string, letter: string) => string)[] = [
  (x, l) => `So the answer is ${x} (${l}).`,
  (x, l) => `Therefore ${x} (${l}).`,
  (x, l) => `Best answer: ${x} (${l}).`,
];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** An option row and what it asks: the options, the one named, its letter. */
export interface OptionDrill {
  row: RenderedChat;
  letter: string;
  /** Number of options (letters A… in order). */
  options: number;
  /** Prompt + completion up to the `(` after the option's name in the thought: the letter is the next token. */
  prefix: number[];
}

/** The text of an option row (see optionRow): the user turn, the completion, the letter named, the option count. */
export function optionText(pools: NamePools, rng: Rng, minOptions: number, maxOptions: number): { prompt: string; completion: string; letter: string; options: number } {
  const n = minOptions + rng.int(maxOptions - minOptions + 1);
  const names = distinctNames(pools, rng, n, 0.75);
  const k = rng.int(n);
  const stem = Array.from({ length: rng.int(13) }, () => randomWord(rng)).join(' ');
  const prompt = [...(stem ? [`${stem}?`] : []), ...names.map((x, i) => `${LETTERS[i]}. ${x}`)].join('\n');
  const thought = rng.pick(CONCLUSIONS)(names[k], LETTERS[k]);
  const completion = `${CHAT.thinkOpen}${thought}${CHAT.thinkClose}\n${CHAT.answerOpen}${LETTERS[k]}${CHAT.answerClose}${CHAT.eos}`;
  return { prompt, completion, letter: LETTERS[k], options: n };
}

/**
 * Multiple-choice option lookup in the items' format (see the file comment): a stem of 0–12
 * random words, then `A. x` lines for minOptions..maxOptions options; the completion names one
 * option in a thought and gives its letter. Loss on the completion.
 */
export function optionRow(tok: Tokenizer, pools: NamePools, rng: Rng, minOptions: number, maxOptions: number): OptionDrill {
  const t = optionText(pools, rng, minOptions, maxOptions);
  const row = renderChat(tok, { prompt: t.prompt, completion: t.completion });
  // the thought's letter: the last "(" before </think> (names hold no "(": mention forms, random words)
  const close = row.ids.lastIndexOf(tok.specialId(CHAT.thinkClose));
  const letterId = tok.encode(t.letter, { allowSpecial: false });
  let at = close - 1;
  while (at > 0 && !(row.ids[at + 1] === letterId[0] && tok.decode([row.ids[at]]).endsWith('('))) at--;
  if (at <= 0) throw new Error(`option drill: no "(${t.letter})" in the thought of ${JSON.stringify(t.completion)}`);
  return { row, letter: t.letter, options: t.options, prefix: row.ids.slice(0, at + 1) };
}

/**
 * Reverse lookup, dense: `<|bos|>A. x\nB. y\n…` (minOptions..maxOptions options), then one
 * `- name (L)` line per option in random order; loss on each letter only. Several such blocks
 * are packed while they fit in `maxLen` tokens.
 */
export function reverseRow(tok: Tokenizer, pools: NamePools, rng: Rng, minOptions: number, maxOptions: number, maxLen: number): RenderedChat {
  const ids: number[] = [];
  const mask: number[] = [];
  const push = (text: string, loss: boolean) => {
    for (const id of tok.encode(text, { allowSpecial: false })) (ids.push(id), mask.push(loss ? 1 : 0));
  };
  for (;;) {
    const n = minOptions + rng.int(maxOptions - minOptions + 1);
    const names = distinctNames(pools, rng, n, 0.75);
    const start = ids.length;
    ids.push(tok.specialId(CHAT.bos));
    mask.push(0);
    push(names.map((x, i) => `${LETTERS[i]}. ${x}`).join('\n') + '\n', false);
    for (const k of rng.shuffle([...names.keys()])) (push(`- ${names[k]} (`, false), push(LETTERS[k], true), push(')\n', false));
    if (ids.length > maxLen) {
      if (start === 0) return { ids: ids.slice(0, maxLen), completionMask: mask.slice(0, maxLen), promptLength: 1 };
      return { ids: ids.slice(0, start), completionMask: mask.slice(0, start), promptLength: 1 };
    }
  }
}
