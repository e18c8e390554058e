/**
 * Added tokens: whole strings (one per graph entity name, for the Base) that encode as one token
 * each, cut out before BPE as Hugging Face does with non-special `added_tokens`. Train the BPE
 * part on the text between them (textsWithout), then append them (withAddedTokens).
 */
import { Tokenizer } from './bpe';
import { specialTokenRegex, splitSpecial } from './pretokenize';

/** The pieces of `texts` between occurrences of the added tokens (what BPE still has to encode). */
export function* textsWithout(texts: Iterable<string>, added: readonly string[]): Generator<string> {
  const re = specialTokenRegex(added);
  for (const t of texts) for (const seg of splitSpecial(t, re)) if (!seg.special) yield seg.text;
}

/** `tok` with `added` appended as added tokens (after its vocabulary, in the given order; duplicates and empty strings refused). */
export function withAddedTokens(tok: Tokenizer, added: readonly string[]): Tokenizer {
  const seen = new Set<string>();
  for (const a of added) {
    if (a === '') throw new Error('withAddedTokens: empty token');
    if (seen.has(a) || tok.tokenToId(a) !== undefined) throw new Error(`withAddedTokens: ${JSON.stringify(a)} appears twice`);
    seen.add(a);
  }
  return new Tokenizer({ vocab: [...tok.vocab, ...added], merges: tok.merges, specialTokens: tok.specialTokens, addedTokens: [...tok.addedTokens, ...added] });
}
