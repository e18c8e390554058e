/**
 * Pre-tokenisation: special tokens are cut out first, then the rest is split with the GPT-2
 * pattern (the one the Hugging Face `ByteLevel` pre-tokenizer applies with `use_regex: true`):
 * contractions, letter runs, digit runs and punctuation runs (each with at most one leading
 * space), and whitespace runs. BPE merges never cross these pieces.
 */

/**
 * Whitespace as Oniguruma's and Python `regex`'s `\s` see it (Unicode White_Space). JavaScript's
 * `\s` differs in two code points (it adds U+FEFF and lacks U+0085), so the class is spelled out
 * to split exactly as the Hugging Face tokenizers library does.
 */
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/**
 * The GPT-2 pre-tokenisation pattern, as written upstream:
 * `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
 */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** GPT2_PATTERN compiled for JavaScript (`u` flag, White_Space spelled out). */
export const GPT2_REGEX = new RegExp(
  GPT2_PATTERN.replace(/\[\^\\s/g, `[^${WS}`).replace(/\\S/g, `[^${WS}]`).replace(/\\s/g, `[${WS}]`),
  'gu',
);

/** Splits text into GPT-2 pre-tokens; the pieces concatenate back to the text. */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_REGEX) ?? [];
}

/** A regex matching any of the given literal strings, longest first (leftmost-longest). */
export function specialTokenRegex(tokens: readonly string[]): RegExp | null {
  if (tokens.length === 0) return null;
  const sorted = [...tokens].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return new RegExp(sorted.map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'gu');
}

/** A piece of text: either ordinary text or one special token. */
export type Segment = { special: false; text: string } | { special: true; text: string };

/** Cuts text at special-token occurrences (when `re` is null, the whole text is one piece). */
export function splitSpecial(text: string, re: RegExp | null): Segment[] {
  if (re === null) return text === '' ? [] : [{ special: false, text }];
  const out: Segment[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) out.push({ special: false, text: text.slice(last, m.index) });
    out.push({ special: true, text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ special: false, text: text.slice(last) });
  return out;
}
