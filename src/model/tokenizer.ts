/**
 * The policy's tokenizer: byte-level BPE (GPT-2 / Llama-3 style) trained deterministically on the
 * run's corpus, with the chat format's special tokens and Hugging Face `tokenizer.json` I/O.
 *
 *   const { tokenizer } = trainBpe(texts, { vocabSize: 4096 });
 *   tokenizer.encode('Aspirin inhibits COX-1.');     // number[]
 *   renderChat(tokenizer, { prompt: q, completion: cotCompletion(r, 'B') });  // ids + loss mask
 *   saveTokenizer(tokenizer, dir);                    // tokenizer.json + tokenizer_config.json
 */
export { BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevel, byteLevelToBytes, utf8 } from './tokenizer/bytes';
export { GPT2_PATTERN, GPT2_REGEX, preTokenize, specialTokenRegex, splitSpecial } from './tokenizer/pretokenize';
export type { Segment } from './tokenizer/pretokenize';
export { Tokenizer, defaults } from './tokenizer/bpe';
export type { BpeSpec, DecodeOptions, EncodeOptions, TokenizerOptions } from './tokenizer/bpe';
export { textsWithout, withAddedTokens } from './tokenizer/added';
export { SPECIAL_TOKENS, countPreTokens, trainBpe, trainDefaults } from './tokenizer/train';
export type { TrainBpeOptions, TrainBpeStats } from './tokenizer/train';
export {
  CHAT,
  CHAT_TEMPLATE,
  chatPrompt,
  chatPromptText,
  cotCompletion,
  directAnswerCompletion,
  renderChat,
} from './tokenizer/chat';
export type { RenderedChat } from './tokenizer/chat';
export { fromTokenizerJson, hfDefaults, loadTokenizer, saveTokenizer, toTokenizerJson, tokenizerConfig, tokenizerJsonString } from './tokenizer/hf';
export type { HfAddedToken, HfByteLevel, HfTokenizerJson, TokenizerConfigOptions } from './tokenizer/hf';
