import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAT, fromTokenizerJson, loadTokenizer, saveTokenizer, textsWithout, toTokenizerJson, tokenizerConfig, trainBpe, withAddedTokens } from '../../src/model/tokenizer';
import { tempDir } from '../helpers/tmp';

const NAMES = [' hypoglycemia', ' acute myeloid leukaemia', ' glucose', ' acute myeloid leukaemia relapse'];
const CORPUS = [' hypoglycemia is treated with glucose.', ' acute myeloid leukaemia is treated with cytarabine.', 'A. glucose\nB. insulin', ' the patient has hypoglycemias.'];

function entityTokenizer() {
  const { tokenizer } = trainBpe([...textsWithout(CORPUS, NAMES)], { vocabSize: 9 + 256 + 40 });
  return withAddedTokens(tokenizer, NAMES);
}

describe('added tokens (one token per entity name)', () => {
  it('textsWithout() yields the text between the names', () => {
    expect([...textsWithout([' hypoglycemia is treated with glucose.'], NAMES)]).toEqual([' is treated with', '.']);
  });

  it('encode() cuts each name out as one token, leftmost-longest, and decode() gives the text back', () => {
    const tok = entityTokenizer();
    for (const text of [...CORPUS, ' acute myeloid leukaemia relapse and acute myeloid leukaemia', 'hypoglycemia at the start', '']) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    const ids = tok.encode(' acute myeloid leukaemia relapse.');
    expect(ids[0]).toBe(tok.tokenToId(' acute myeloid leukaemia relapse'));
    expect(tok.encode('A. glucose')).toContain(tok.tokenToId(' glucose'));
    // without a leading space the name is not the added token
    expect(tok.encode('hypoglycemia')).not.toContain(tok.tokenToId(' hypoglycemia'));
  });

  it('encode({ allowSpecial: false }) still cuts out names but not special tokens', () => {
    const tok = entityTokenizer();
    const ids = tok.encode(`${CHAT.eos} hypoglycemia`, { allowSpecial: false });
    expect(ids).toContain(tok.tokenToId(' hypoglycemia'));
    expect(ids).not.toContain(tok.specialId(CHAT.eos));
    expect(tok.isAdded(tok.tokenToId(' hypoglycemia') as number)).toBe(true);
    expect(tok.isSpecial(tok.tokenToId(' hypoglycemia') as number)).toBe(false);
  });

  it('tokenizer.json lists names as non-special added tokens and loads back to the same encoder', () => {
    const tok = entityTokenizer();
    const json = toTokenizerJson(tok);
    const added = json.added_tokens.filter((a) => !a.special);
    expect(added.map((a) => a.content)).toEqual(NAMES);
    expect(added.every((a) => a.normalized === false && !a.lstrip && !a.rstrip && !a.single_word)).toBe(true);
    const back = fromTokenizerJson(JSON.parse(JSON.stringify(json)));
    for (const text of CORPUS) expect(back.encode(text)).toEqual(tok.encode(text));
    const decoder = tokenizerConfig(tok).added_tokens_decoder as Record<string, { content: string; special: boolean }>;
    expect(decoder[String(tok.tokenToId(' glucose'))]).toMatchObject({ content: ' glucose', special: false });
    const dir = tempDir('added-');
    saveTokenizer(tok, dir);
    expect(loadTokenizer(dir).encode(CORPUS[1])).toEqual(tok.encode(CORPUS[1]));
  });

  it('withAddedTokens() refuses a duplicate or empty name', () => {
    const { tokenizer } = trainBpe(CORPUS, { vocabSize: 9 + 256 + 10 });
    expect(() => withAddedTokens(tokenizer, [' a', ' a'])).toThrow(/twice/);
    expect(() => withAddedTokens(tokenizer, [''])).toThrow(/empty/);
  });
});
