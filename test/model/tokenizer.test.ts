import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/io';
import { Rng } from '../../src/core/rng';
import {
  BYTE_TO_CHAR,
  CHAR_TO_BYTE,
  CHAT,
  CHAT_TEMPLATE,
  SPECIAL_TOKENS,
  Tokenizer,
  byteLevel,
  chatPrompt,
  chatPromptText,
  cotCompletion,
  countPreTokens,
  directAnswerCompletion,
  fromTokenizerJson,
  loadTokenizer,
  preTokenize,
  renderChat,
  saveTokenizer,
  toTokenizerJson,
  tokenizerConfig,
  tokenizerJsonString,
  trainBpe,
} from '../../src/model/tokenizer';
import { tempDir } from '../helpers/tmp';

const tmp = (): string => tempDir('fleming-tok-');

/** A small medical-ish corpus, enough for a few hundred merges. */
const CORPUS: string[] = (() => {
  const rng = new Rng('tokenizer-corpus');
  const subjects = ['Aspirin', 'Metformin', 'Warfarin', 'Lisinopril', 'Amoxicillin', 'Insulin', 'Heparin', 'Atorvastatin'];
  const verbs = ['treats', 'inhibits', "doesn't treat", 'is contraindicated in', 'causes', 'reduces the risk of'];
  const objects = ['hypertension', 'type 2 diabetes', 'pneumonia', 'atrial fibrillation', 'myocardial infarction', 'peptic ulcer', 'café-au-lait spots'];
  const out: string[] = [];
  for (let i = 0; i < 300; i++) {
    const dose = 5 * (1 + rng.int(100));
    out.push(`${rng.pick(subjects)} ${rng.pick(verbs)} ${rng.pick(objects)} (dose ${dose} mg; it's ${rng.pick(['common', 'rare', 'naïve'])}).\n`);
  }
  return out;
})();

const trained = trainBpe(CORPUS, { vocabSize: SPECIAL_TOKENS.length + 256 + 300 });
const tok = trained.tokenizer;

/** Straightforward BPE training: recount every pair after every merge (the definition). */
function naiveTrain(texts: string[], vocabSize: number, minFrequency: number): [string, string][] {
  const counts = countPreTokens(texts, SPECIAL_TOKENS);
  let words = [...counts].map(([w, c]) => ({ syms: [...byteLevel(w)], c }));
  const vocab = new Set<string>([...SPECIAL_TOKENS, ...BYTE_TO_CHAR]);
  const merges: [string, string][] = [];
  while (vocab.size < vocabSize) {
    const pairs = new Map<string, { a: string; b: string; n: number }>();
    for (const { syms, c } of words)
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + '\u0000' + syms[i + 1];
        const e = pairs.get(k) ?? { a: syms[i], b: syms[i + 1], n: 0 };
        e.n += c;
        pairs.set(k, e);
      }
    let best: { a: string; b: string; n: number } | undefined;
    for (const p of pairs.values()) {
      if (!best || p.n > best.n || (p.n === best.n && (p.a + p.b < best.a + best.b || (p.a + p.b === best.a + best.b && p.a < best.a)))) best = p;
    }
    if (!best || best.n < minFrequency) break;
    const { a, b } = best;
    merges.push([a, b]);
    vocab.add(a + b);
    words = words.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; ) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i += 2;
        } else out.push(syms[i++]);
      }
      return { syms: out, c };
    });
  }
  return merges;
}

/** Straightforward BPE encoding of one pre-token: merge the lowest-ranked pair everywhere, repeat. */
function naiveEncodeWord(t: Tokenizer, word: string): number[] {
  const rank = new Map(t.merges.map(([a, b], r) => [a + '\u0000' + b, r]));
  let syms = [...byteLevel(word)];
  for (;;) {
    let best = -1;
    for (let i = 0; i + 1 < syms.length; i++) {
      const r = rank.get(syms[i] + '\u0000' + syms[i + 1]);
      if (r !== undefined && (best < 0 || r < best)) best = r;
    }
    if (best < 0) break;
    const [a, b] = t.merges[best];
    const out: string[] = [];
    for (let i = 0; i < syms.length; ) {
      if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
        out.push(a + b);
        i += 2;
      } else out.push(syms[i++]);
    }
    syms = out;
  }
  return syms.map((s) => t.tokenToId(s) as number);
}

describe('bytes', () => {
  it('BYTE_TO_CHAR maps 256 bytes to 256 distinct printable characters, inverted by CHAR_TO_BYTE', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    BYTE_TO_CHAR.forEach((c, b) => expect(CHAR_TO_BYTE[c.charCodeAt(0)]).toBe(b));
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ');
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ');
    expect(BYTE_TO_CHAR[0x41]).toBe('A');
  });

  it.each([
    [' hé', 'ĠhÃ©'],
    ['a\nb', 'aĊb'],
    ['🙂', 'ðŁĻĤ'],
  ])('byteLevel(%j) is %j', (text, expected) => expect(byteLevel(text)).toBe(expected));
});

describe('preTokenize', () => {
  it.each<[string, string[]]>([
    ['Hello world', ['Hello', ' world']],
    ["it's we'll I'M", ['it', "'s", ' we', "'ll", ' I', "'", 'M']],
    ['dose 500mg!!', ['dose', ' 500', 'mg', '!!']],
    ['a  b', ['a', ' ', ' b']],
    ['x\n\n  y', ['x', '\n\n ', ' y']],
    ['end   ', ['end', '   ']],
    ['x\u00a0y', ['x', '\u00a0', 'y']], // NBSP is whitespace but not the optional ASCII space
    ['x\ufeffy', ['x', '\ufeff', 'y']], // U+FEFF is not White_Space (JS \s would say it is)
    ['x\u0085y', ['x', '\u0085', 'y']], // U+0085 is White_Space (JS \s would say it is not)
    ['café 🙂 ½', ['café', ' 🙂', ' ½']],
    ['', []],
  ])('preTokenize(%j) is %j', (text, pieces) => {
    expect(preTokenize(text)).toEqual(pieces);
    expect(preTokenize(text).join('')).toBe(text);
  });
});

describe('trainBpe', () => {
  it('trainBpe() on the classic toy corpus learns the hand-worked merges in order', () => {
    // Pre-tokens: "low"×1, " low"×4, " lower"×2, " newest"×6, " widest"×3 (Ġ = space).
    // 1. e s (9; ties s t 9, "es" < "st")  2. es t (9)  3. l o (7; ties o w, "lo" < "ow")  4. lo w (7)
    // 5. e w (6; ties ne, Ġn, w est, Ġ low: "ew" sorts first)  6. ew est (6)  7. n ewest (6)
    // 8. Ġ low (6; ties Ġ newest, "Ġlow" < "Ġnewest")  9. Ġ newest (6)  10. d est (3; before id, wi, Ġw)
    const text = 'low low low low low lower lower newest newest newest newest newest newest widest widest widest';
    const { tokenizer, stats } = trainBpe([text], { vocabSize: SPECIAL_TOKENS.length + 256 + 10 });
    expect(tokenizer.merges).toEqual([
      ['e', 's'],
      ['es', 't'],
      ['l', 'o'],
      ['lo', 'w'],
      ['e', 'w'],
      ['ew', 'est'],
      ['n', 'ewest'],
      ['Ġ', 'low'],
      ['Ġ', 'newest'],
      ['d', 'est'],
    ]);
    expect(stats).toMatchObject({ preTokens: 16, distinctPreTokens: 5, merges: 10, vocabSize: 275, stop: 'vocabSize', lastMergeCount: 3 });
    expect(tokenizer.encode(' newest lowest').map((id) => tokenizer.idToToken(id))).toEqual(['Ġnewest', 'Ġlow', 'est']);
  });

  it('trainBpe() stops at minFrequency and reports why', () => {
    const { tokenizer, stats } = trainBpe(['abab abab xy'], { vocabSize: 10_000, minFrequency: 2 });
    expect(stats.stop).toBe('minFrequency');
    expect(tokenizer.merges.map((m) => m.join(' '))).toEqual(['a b', 'ab ab']);
  });

  it.each([1, 2, 3, 4])('trainBpe() equals a from-scratch recount of pairs on random corpus %i (incremental updates are exact)', (seed) => {
    const rng = new Rng(seed);
    const palette = ['a', 'b', 'c', 'ab', ' ', ' ', 'é', '\n', '1', '.', "'s"];
    const texts = Array.from({ length: 20 }, () => Array.from({ length: 60 }, () => rng.pick(palette)).join(''));
    const vocabSize = SPECIAL_TOKENS.length + 256 + 60;
    const { tokenizer } = trainBpe(texts, { vocabSize, minFrequency: 1 });
    expect(tokenizer.merges).toEqual(naiveTrain(texts, vocabSize, 1));
  });

  it('trainBpe() gives the same tokenizer.json for the same corpus, in any order', () => {
    const a = tokenizerJsonString(trainBpe(CORPUS, { vocabSize: 500 }).tokenizer);
    const b = tokenizerJsonString(trainBpe([...CORPUS].reverse(), { vocabSize: 500 }).tokenizer);
    expect(b).toBe(a);
    const dir1 = tmp();
    const dir2 = tmp();
    saveTokenizer(trainBpe(CORPUS, { vocabSize: 500 }).tokenizer, dir1);
    saveTokenizer(trainBpe(CORPUS, { vocabSize: 500 }).tokenizer, dir2);
    for (const f of ['tokenizer.json', 'tokenizer_config.json'])
      expect(fs.readFileSync(path.join(dir1, f))).toEqual(fs.readFileSync(path.join(dir2, f)));
  });

  it('trainBpe() puts special tokens at ids 0..8, then the 256 bytes in byte order, and never learns across special tokens', () => {
    expect(tok.vocab.slice(0, SPECIAL_TOKENS.length)).toEqual([...SPECIAL_TOKENS]);
    expect(tok.vocab.slice(SPECIAL_TOKENS.length, SPECIAL_TOKENS.length + 256)).toEqual(BYTE_TO_CHAR);
    const { tokenizer } = trainBpe(Array(50).fill('<|eos|><|eos|><think>x</think><think>x'), { vocabSize: 400 });
    expect(tokenizer.merges).toEqual([]); // only special tokens and single letters: nothing to merge
    expect(trainBpe(['a'], { vocabSize: 265 }).stats.stop).toBe('vocabSize');
  });

  it('trainBpe() rejects a vocabSize smaller than specials + 256 bytes', () => {
    expect(() => trainBpe(['x'], { vocabSize: 100 })).toThrow(/below 265/);
  });
});

describe('Tokenizer.encode / decode', () => {
  const tricky: [string, string][] = [
    ['empty', ''],
    ['one space', ' '],
    ['newlines', '\n\n\n'],
    ['spaces and tabs', 'Hello   world  \n  foo\t\tbar  '],
    ['contractions', "I'm here, you're there; it's 'quoted' DON'T"],
    ['accents', 'naïve café résumé Ångström'],
    ['combining accent', 'cafe\u0301'],
    ['emoji', 'Emoji 🙂👍🏽👨‍👩‍👧 flags 🇫🇷'],
    ['CJK', '中文字符和日本語のテキスト'],
    ['Arabic', 'مرحبا بالعالم'],
    ['symbols', '∑∫√ ≤ ≥ ± µg/dL 37.5°C'],
    ['odd whitespace', 'x\u00a0y\u2003z\u0085v\u2028u'],
    ['leading BOM', '\ufeffstarts with a byte-order mark'],
    ['numbers', '12345678901234567890 3.14159 1,000,000'],
    ['CRLF', 'line\r\nline\r\n'],
    ['control bytes', '\u0000\u0001\u007f control'],
    ['byte-level lookalikes', 'Ġ Ċ ĉ ÿþý'],
    ['long run', 'a'.repeat(300)],
    ['long whitespace', ' '.repeat(200) + 'x'],
    ['partial special', '<|bos <think'],
    ['specials', '<|bos|><|user|>Q?<|assistant|><think>r</think>\n<answer>B</answer><|eos|>'],
  ];

  it.each(tricky)('decode(encode(text)) is the text: %s', (_name, text) => {
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.decode(tok.encode(text, { allowSpecial: false }))).toBe(text);
  });

  it('encode() merges each pre-token exactly as the reference BPE (short words and the long-word path)', () => {
    const rng = new Rng(11);
    const words = [...new Set(CORPUS.flatMap(preTokenize))];
    words.push('a'.repeat(300), '-'.repeat(150), ' '.repeat(129));
    const letters = 'aeinorstlmc';
    for (let i = 0; i < 5; i++) words.push(Array.from({ length: 100 + rng.int(200) }, () => rng.pick([...letters])).join(''));
    for (const w of words) expect(tok.encode(w, { allowSpecial: false })).toEqual(naiveEncodeWord(tok, w));
  });

  it('encode() keeps special tokens atomic, and allowSpecial: false encodes them as text', () => {
    SPECIAL_TOKENS.forEach((s, id) => {
      expect(tok.encode(s)).toEqual([id]);
      expect(tok.specialId(s)).toBe(id);
    });
    const ids = tok.encode('x<answer>B</answer>y');
    expect(ids).toEqual([...tok.encode('x'), tok.specialId('<answer>'), ...tok.encode('B'), tok.specialId('</answer>'), ...tok.encode('y')]);
    const plain = tok.encode('<answer>', { allowSpecial: false });
    expect(plain.length).toBeGreaterThan(1);
    expect(plain.some((id) => tok.isSpecial(id))).toBe(false);
    // No learned token spells a special token, so a special token can only come from its string.
    expect(new Set(tok.vocab).size).toBe(tok.vocabSize);
  });

  it('decode() with skipSpecial leaves special tokens out', () => {
    expect(tok.decode(tok.encode('<|bos|>Aspirin<|eos|>'), { skipSpecial: true })).toBe('Aspirin');
    expect(() => tok.decode([tok.vocabSize])).toThrow(/out of range/);
  });

  it('encodeBatch() equals encode() per text, and the cache stays within cacheSize', () => {
    expect(tok.encodeBatch(CORPUS.slice(0, 20))).toEqual(CORPUS.slice(0, 20).map((t) => tok.encode(t)));
    expect(tok.cacheEntries).toBeGreaterThan(0);
    const small = new Tokenizer({ vocab: tok.vocab, merges: tok.merges, specialTokens: tok.specialTokens }, { cacheSize: 3 });
    const text = CORPUS.join('');
    expect(small.encode(text)).toEqual(tok.encode(text));
    expect(small.cacheEntries).toBeLessThanOrEqual(3);
  });

  it('new Tokenizer() refuses merges over unknown tokens and special tokens missing from the vocab', () => {
    expect(() => new Tokenizer({ vocab: tok.vocab, merges: [['x', 'zz']], specialTokens: [] })).toThrow(/not in the vocabulary/);
    expect(() => new Tokenizer({ vocab: tok.vocab, merges: [], specialTokens: ['<nope>'] })).toThrow(/not in the vocabulary/);
  });
});

describe('chat format', () => {
  it.each<[string, string]>([
    [chatPromptText('What treats X?'), '<|bos|><|user|>What treats X?<|assistant|>'],
    [cotCompletion('Because Y.', 'B'), '<think>Because Y.</think>\n<answer>B</answer><|eos|>'],
    [directAnswerCompletion('C'), '<answer>C</answer><|eos|>'],
  ])('renders %j exactly', (got, expected) => expect(got).toBe(expected));

  it('chatPrompt() equals encode(chatPromptText()), and keeps a literal <answer> in the question as text', () => {
    const q = 'Which drug treats hypertension?\nA. Aspirin\nB. Lisinopril';
    expect(chatPrompt(tok, q)).toEqual(tok.encode(chatPromptText(q)));
    const ids = chatPrompt(tok, 'say <answer>A</answer>');
    expect(ids.filter((id) => tok.isSpecial(id))).toEqual([0, 3, 4].map((i) => tok.specialId(SPECIAL_TOKENS[i])));
  });

  it('renderChat() marks exactly the completion tokens (eos included) and appends <|eos|> once', () => {
    const q = 'Which drug treats hypertension?';
    const completion = '<think>Lisinopril is an ACE inhibitor.</think>\n<answer>B</answer>';
    const r = renderChat(tok, { prompt: q, completion });
    const prompt = chatPrompt(tok, q);
    expect(r.promptLength).toBe(prompt.length);
    expect(r.ids).toEqual(tok.encode(chatPromptText(q) + completion + CHAT.eos));
    expect(r.ids.slice(0, r.promptLength)).toEqual(prompt);
    expect(r.completionMask).toEqual([...Array(prompt.length).fill(0), ...Array(r.ids.length - prompt.length).fill(1)]);
    expect(r.ids[r.ids.length - 1]).toBe(tok.specialId(CHAT.eos));
    expect(tok.decode(r.ids.filter((_, i) => r.completionMask[i] === 1))).toBe(completion + CHAT.eos);
    expect(renderChat(tok, { prompt: q, completion: completion + CHAT.eos })).toEqual(r);
    const bare = renderChat(tok, { prompt: q });
    expect(bare).toEqual({ ids: prompt, completionMask: prompt.map(() => 0), promptLength: prompt.length });
    const direct = renderChat(tok, { prompt: q, completion: directAnswerCompletion('B') });
    expect(direct.ids.slice(direct.promptLength)).toEqual(tok.encode('<answer>B</answer><|eos|>'));
  });

  const hasJinja = (() => {
    try {
      execFileSync('python3', ['-c', 'import jinja2'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.runIf(hasJinja)('CHAT_TEMPLATE rendered by Jinja2 reproduces the chat strings (needs python3 with jinja2)', () => {
    const script = [
      'import jinja2, json, sys',
      'a = json.loads(sys.argv[1])',
      't = jinja2.Environment().from_string(a["template"])',
      'kw = dict(bos_token="<|bos|>", eos_token="<|eos|>")',
      'print(json.dumps([t.render(messages=a["prompt"], add_generation_prompt=True, **kw), t.render(messages=a["full"], add_generation_prompt=False, **kw)]))',
    ].join('\n');
    const q = 'Q: which?\nA. x';
    const completion = '<think>r</think>\n<answer>A</answer>';
    const arg = JSON.stringify({
      template: CHAT_TEMPLATE,
      prompt: [{ role: 'user', content: q }],
      full: [{ role: 'user', content: q }, { role: 'assistant', content: completion }],
    });
    const [prompt, full] = JSON.parse(execFileSync('python3', ['-c', script, arg], { encoding: 'utf8' })) as string[];
    expect(prompt).toBe(chatPromptText(q));
    expect(full).toBe(chatPromptText(q) + completion + CHAT.eos);
  });
});

describe('Hugging Face files', () => {
  it('toTokenizerJson() has the fields and types of a tokenizers-library BPE tokenizer.json', () => {
    const j = toTokenizerJson(tok);
    expect(Object.keys(j)).toEqual(['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model']);
    expect(j).toMatchObject({ version: '1.0', truncation: null, padding: null, normalizer: null, post_processor: null });
    expect(j.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(j.decoder.type).toBe('ByteLevel');
    expect(j.added_tokens).toEqual(
      SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    );
    expect(Object.keys(j.model)).toEqual(['type', 'dropout', 'unk_token', 'continuing_subword_prefix', 'end_of_word_suffix', 'fuse_unk', 'byte_fallback', 'ignore_merges', 'vocab', 'merges']);
    expect(j.model.type).toBe('BPE');
    expect(Object.keys(j.model.vocab)).toHaveLength(tok.vocabSize);
    for (const [t, id] of Object.entries(j.model.vocab)) expect(tok.vocab[id]).toBe(t);
    expect(j.model.merges).toHaveLength(tok.merges.length);
    for (const m of j.model.merges) expect(m).toMatch(/^[^ ]+ [^ ]+$/);
    for (const m of j.model.merges) expect(j.model.vocab[m.replace(' ', '')]).toBeTypeOf('number');
  });

  it('tokenizerJsonString() writes the vocab in id order, one entry per line', () => {
    const text = tokenizerJsonString(tok);
    const block = text.slice(text.indexOf('"vocab": {'), text.indexOf('"merges": ['));
    const entries = [...block.matchAll(/^ {6}("(?:[^"\\]|\\.)*"): (\d+),?$/gm)].map((m) => [JSON.parse(m[1]) as string, Number(m[2])] as const);
    expect(entries.map(([, id]) => id)).toEqual(tok.vocab.map((_, id) => id));
    expect(entries.map(([t]) => t)).toEqual([...tok.vocab]);
    expect(JSON.parse(text)).toEqual(toTokenizerJson(tok));
  });

  it('loadTokenizer(saveTokenizer()) encodes and decodes identically', () => {
    const dir = tmp();
    const files = saveTokenizer(tok, dir, { modelMaxLength: 512 });
    expect(files).toEqual({ tokenizer: path.join(dir, 'tokenizer.json'), config: path.join(dir, 'tokenizer_config.json') });
    for (const t of [loadTokenizer(dir), loadTokenizer(files.tokenizer)]) {
      expect(t.vocab).toEqual(tok.vocab);
      expect(t.merges).toEqual(tok.merges);
      expect(t.specialTokens).toEqual(tok.specialTokens);
      expect(t.encodeBatch(CORPUS)).toEqual(tok.encodeBatch(CORPUS));
      expect(tokenizerJsonString(t)).toBe(fs.readFileSync(files.tokenizer, 'utf8'));
    }
  });

  it('fromTokenizerJson() also reads the newer-library variants: merges as pairs, ByteLevel post_processor, specials only in added_tokens', () => {
    const j = toTokenizerJson(tok);
    const vocab = Object.fromEntries(Object.entries(j.model.vocab).filter(([, id]) => id >= SPECIAL_TOKENS.length));
    const variant = {
      ...j,
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
      model: { ...j.model, vocab, merges: j.model.merges.map((m) => m.split(' ')) },
    };
    const t = fromTokenizerJson(JSON.parse(JSON.stringify(variant)));
    expect(t.vocab).toEqual(tok.vocab);
    expect(t.encode(CORPUS[0] + '<|eos|>')).toEqual(tok.encode(CORPUS[0] + '<|eos|>'));
  });

  it.each<[string, (j: Record<string, unknown>) => void, RegExp]>([
    ['a normalizer', (j) => (j.normalizer = { type: 'NFC' }), /normalizer/],
    ['add_prefix_space true', (j) => (j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, use_regex: true }), /add_prefix_space/],
    ['a WordPiece model', (j) => ((j.model as Record<string, unknown>).type = 'WordPiece'), /model.type/],
    ['a template post-processor', (j) => (j.post_processor = { type: 'TemplateProcessing' }), /post_processor/],
    ['a gap in the ids', (j) => ((j.model as { vocab: Record<string, number> }).vocab['Ġ'] = 99_999), /contiguous|both/],
    ['a merge of unknown tokens', (j) => (j.model as { merges: string[] }).merges.push('qqq zzz'), /not in the vocabulary/],
    ['a bad merge string', (j) => (j.model as { merges: string[] }).merges.push('abc'), /left right/],
  ])('loadTokenizer() rejects %s with an InputError naming the file', (_name, mutate, reason) => {
    const j = JSON.parse(tokenizerJsonString(tok)) as Record<string, unknown>;
    mutate(j);
    const file = path.join(tmp(), 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(j));
    expect(() => loadTokenizer(file)).toThrow(InputError);
    expect(() => loadTokenizer(file)).toThrow(reason);
    expect(() => loadTokenizer(file)).toThrow(file);
  });

  it('tokenizerConfig() names bos/eos/pad, turns off automatic BOS/EOS, and carries the chat template', () => {
    const c = tokenizerConfig(tok, { modelMaxLength: 256 });
    expect(c).toMatchObject({
      bos_token: '<|bos|>',
      eos_token: '<|eos|>',
      pad_token: '<|pad|>',
      unk_token: null,
      add_bos_token: false,
      add_eos_token: false,
      model_max_length: 256,
      tokenizer_class: 'PreTrainedTokenizerFast',
      chat_template: CHAT_TEMPLATE,
      additional_special_tokens: ['<|user|>', '<|assistant|>', '<think>', '</think>', '<answer>', '</answer>'],
    });
    const decoder = c.added_tokens_decoder as Record<string, { content: string; special: boolean }>;
    expect(Object.keys(decoder)).toEqual(SPECIAL_TOKENS.map((_, i) => String(i)));
    expect(decoder['4']).toEqual({ content: '<|assistant|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true });
  });
});
