/**
 * Hugging Face file formats: `tokenizer.json` (the `tokenizers` library's serialisation, loaded by
 * `tokenizers.Tokenizer.from_file` and `transformers.PreTrainedTokenizerFast`) and
 * `tokenizer_config.json` (special-token names and the chat template for transformers).
 *
 * Written: model BPE (vocab ordered by id, merges as "left right" strings), pre_tokenizer
 * ByteLevel (add_prefix_space false, use_regex true: the GPT-2 split this package uses),
 * decoder ByteLevel, post_processor null (nothing is added around encode()), normalizer null,
 * and the special tokens as added_tokens with special: true, normalized: false.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, writeFileAtomic } from '../../core/io';
import { Tokenizer } from './bpe';
import { CHAT, CHAT_TEMPLATE } from './chat';

export interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface HfByteLevel {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

/** The shape of the `tokenizer.json` this module writes. */
export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: HfAddedToken[];
  normalizer: null;
  pre_tokenizer: HfByteLevel;
  post_processor: null;
  decoder: HfByteLevel;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

const BYTE_LEVEL: HfByteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

function addedToken(id: number, content: string, special = true): HfAddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/** The tokenizer as a `tokenizer.json` object. */
export function toTokenizerJson(tok: Tokenizer): HfTokenizerJson {
  const vocab: Record<string, number> = {};
  tok.vocab.forEach((t, id) => (vocab[t] = id));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...tok.specialTokens.map((s) => addedToken(tok.specialId(s), s)), ...tok.addedTokens.map((s) => addedToken(tok.tokenToId(s) as number, s, false))].sort((a, b) => a.id - b.id),
    normalizer: null,
    pre_tokenizer: { ...BYTE_LEVEL },
    post_processor: null,
    decoder: { ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tok.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/**
 * `tokenizer.json` text: 2-space indented like the `tokenizers` library's own files, vocab in id
 * order (a plain JSON.stringify would put digit-only tokens first), one merge per line.
 * Same tokenizer → byte-identical text.
 */
export function tokenizerJsonString(tok: Tokenizer): string {
  const json = toTokenizerJson(tok);
  const PLACEHOLDER = '\u0000vocab\u0000';
  const shell = { ...json, model: { ...json.model, vocab: PLACEHOLDER } };
  const vocabLines = tok.vocab.map((t, id) => `      ${JSON.stringify(t)}: ${id}`).join(',\n');
  const text = JSON.stringify(shell, null, 2).replace(JSON.stringify(PLACEHOLDER), vocabLines ? `{\n${vocabLines}\n    }` : '{}');
  return text + '\n';
}

export interface TokenizerConfigOptions {
  /** Longest sequence the model takes (transformers' `model_max_length`). */
  modelMaxLength: number;
}

export const hfDefaults: TokenizerConfigOptions = {
  modelMaxLength: 1024, // the policy's context length; callers pass theirs
};

/**
 * `tokenizer_config.json` content for transformers: special-token names, no automatic BOS/EOS
 * (the chat template writes them), the chat template, and the special tokens by id.
 */
export function tokenizerConfig(tok: Tokenizer, options: Partial<TokenizerConfigOptions> = {}): Record<string, unknown> {
  const opts = { ...hfDefaults, ...options };
  const has = (s: string): boolean => tok.specialTokens.includes(s);
  const named = [CHAT.bos, CHAT.eos, CHAT.pad] as string[];
  const decoderEntries = [...tok.specialTokens.map((s) => tok.specialId(s)), ...tok.addedTokens.map((s) => tok.tokenToId(s) as number)]
    .sort((a, b) => a - b)
    .map((id) => [String(id), { content: tok.vocab[id], lstrip: false, normalized: false, rstrip: false, single_word: false, special: tok.isSpecial(id) }] as const);
  return {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: Object.fromEntries(decoderEntries),
    additional_special_tokens: tok.specialTokens.filter((s) => !named.includes(s)),
    bos_token: has(CHAT.bos) ? CHAT.bos : null,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: has(CHAT.eos) ? CHAT.eos : null,
    model_max_length: opts.modelMaxLength,
    pad_token: has(CHAT.pad) ? CHAT.pad : null,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: null,
  };
}

/**
 * Writes `tokenizer.json` and `tokenizer_config.json` into a directory (atomically).
 * @returns the two file paths
 */
export function saveTokenizer(tok: Tokenizer, dir: string, options: Partial<TokenizerConfigOptions> = {}): { tokenizer: string; config: string } {
  const tokenizer = path.join(dir, 'tokenizer.json');
  const config = path.join(dir, 'tokenizer_config.json');
  writeFileAtomic(tokenizer, tokenizerJsonString(tok));
  writeFileAtomic(config, JSON.stringify(tokenizerConfig(tok, options), null, 2) + '\n');
  return { tokenizer, config };
}

/** Loads a `tokenizer.json` (a file, or a directory holding one). Errors are InputErrors naming the file (line 0 = the file as a whole). */
export function loadTokenizer(fileOrDir: string): Tokenizer {
  const file = fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory() ? path.join(fileOrDir, 'tokenizer.json') : fileOrDir;
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, 0, `invalid JSON (${(e as Error).message})`);
  }
  return fromTokenizerJson(json, file);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Throws the InputError for a reason; `never` so that checks can `return fail(...)`. */
type Fail = (reason: string) => never;

/**
 * Builds a Tokenizer from a parsed `tokenizer.json`. Accepts what this module writes and the
 * equivalent variants (merges as "a b" strings or [a, b] pairs, post_processor null or
 * ByteLevel, special tokens listed only in added_tokens, non-special added tokens with
 * normalized: false); anything that would encode differently (a normalizer, another
 * pre-tokenizer, add_prefix_space, dropout, lstrip/rstrip/single_word, …)
 * is an InputError rather than a silently different tokenizer.
 */
export function fromTokenizerJson(json: unknown, file = 'tokenizer.json'): Tokenizer {
  const fail: Fail = (reason) => {
    throw new InputError(file, 0, reason);
  };
  if (!isObject(json)) return fail('not a JSON object');
  const model = json.model;
  if (!isObject(model)) return fail('no "model" object');
  checkModel(model, fail);
  checkPipeline(json, fail);
  const { vocab, specials } = readVocab(json, model, fail);
  const merges = readMerges(model, fail);
  try {
    const byId = (xs: { id: number; content: string; special: boolean }[]) => xs.sort((a, b) => a.id - b.id).map((s) => s.content);
    return new Tokenizer({ vocab, merges, specialTokens: byId(specials.filter((s) => s.special)), addedTokens: byId(specials.filter((s) => !s.special)) });
  } catch (e) {
    return fail((e as Error).message);
  }
}

/** Refuses BPE model options this package does not implement (another type, dropout, affixes, byte fallback, ignore_merges). */
function checkModel(model: Record<string, unknown>, fail: Fail): void {
  if (model.type !== undefined && model.type !== 'BPE') fail(`model.type is ${JSON.stringify(model.type)}, expected "BPE"`);
  if (model.dropout !== undefined && model.dropout !== null) fail('model.dropout is set (BPE dropout is not supported)');
  for (const k of ['continuing_subword_prefix', 'end_of_word_suffix'] as const)
    if (model[k] !== undefined && model[k] !== null && model[k] !== '') fail(`model.${k} is set (not supported)`);
  if (model.byte_fallback === true) fail('model.byte_fallback is true (not supported)');
  if (model.ignore_merges === true) fail('model.ignore_merges is true (not supported)');
}

/** Refuses a normalizer, a pre-tokenizer other than GPT-2 ByteLevel, and post-processors or decoders other than ByteLevel. */
function checkPipeline(json: Record<string, unknown>, fail: Fail): void {
  if (json.normalizer !== undefined && json.normalizer !== null) fail('a normalizer is set (only null is supported)');
  const pre = json.pre_tokenizer;
  if (!isObject(pre) || pre.type !== 'ByteLevel') fail('pre_tokenizer must be ByteLevel');
  const preObj = pre as Record<string, unknown>;
  if (preObj.add_prefix_space !== false) fail('pre_tokenizer.add_prefix_space must be false');
  if (preObj.use_regex === false) fail('pre_tokenizer.use_regex must be true');
  const post = json.post_processor;
  if (post !== undefined && post !== null && !(isObject(post) && post.type === 'ByteLevel'))
    fail('post_processor must be null or ByteLevel (templates that add tokens are not supported)');
  const dec = json.decoder;
  if (dec !== undefined && dec !== null && !(isObject(dec) && dec.type === 'ByteLevel')) fail('decoder must be null or ByteLevel');
}

/** Vocabulary, then added tokens that the model vocab lacks, by id; ids must be 0..n-1. */
function readVocab(json: Record<string, unknown>, model: Record<string, unknown>, fail: Fail): { vocab: string[]; specials: { id: number; content: string; special: boolean }[] } {
  if (!isObject(model.vocab)) return fail('model.vocab is not an object');
  const byId = new Map<number, string>();
  for (const [t, id] of Object.entries(model.vocab)) putToken(byId, t, id, 'model.vocab', fail);
  const specials = readAddedTokens(json.added_tokens ?? [], byId, fail);
  const n = byId.size;
  const vocab: string[] = new Array<string>(n);
  for (const [id, t] of byId) {
    if (id >= n) fail(`token ids are not contiguous (id ${id} with ${n} tokens)`);
    vocab[id] = t;
  }
  return { vocab, specials };
}

/** Records token ↔ id; refuses an id that is not a non-negative integer or that names another token. */
function putToken(byId: Map<number, string>, token: string, id: unknown, where: string, fail: Fail): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`${where}: id of ${JSON.stringify(token)} is not a non-negative integer`);
  const prior = byId.get(id as number);
  if (prior !== undefined && prior !== token) fail(`${where}: id ${id} is both ${JSON.stringify(prior)} and ${JSON.stringify(token)}`);
  byId.set(id as number, token);
}

/** The added tokens (special, or non-special with normalized: false; no lstrip/rstrip/single_word), put into `byId`, in file order. */
function readAddedTokens(added: unknown, byId: Map<number, string>, fail: Fail): { id: number; content: string; special: boolean }[] {
  const specials: { id: number; content: string; special: boolean }[] = [];
  if (!Array.isArray(added)) return fail('added_tokens is not an array');
  added.forEach((a: unknown, i) => {
    if (!isObject(a) || typeof a.content !== 'string') return fail(`added_tokens[${i}] has no string content`);
    if (a.special !== true && a.normalized === true) fail(`added_tokens[${i}] ${JSON.stringify(a.content)} is a normalized non-special token (only normalized: false is supported)`);
    if (a.lstrip === true || a.rstrip === true || a.single_word === true) fail(`added_tokens[${i}] uses lstrip/rstrip/single_word (not supported)`);
    putToken(byId, a.content, a.id, `added_tokens[${i}]`, fail);
    specials.push({ id: a.id as number, content: a.content, special: a.special === true });
  });
  return specials;
}

/** The merges, as "left right" strings or [left, right] pairs. */
function readMerges(model: Record<string, unknown>, fail: Fail): [string, string][] {
  if (!Array.isArray(model.merges)) return fail('model.merges is not an array');
  return model.merges.map((m: unknown, i): [string, string] => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2) fail(`model.merges[${i}] ${JSON.stringify(m)} is not "left right"`);
      return [parts[0], parts[1]];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    return fail(`model.merges[${i}] is neither "left right" nor [left, right]`);
  });
}
