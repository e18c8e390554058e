/** The served checkpoint: model, tokenizer and the numbers requests are checked against. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import { CHAT, Tokenizer, loadTokenizer } from '../model/tokenizer';

/** A loaded checkpoint as the server uses it. */
export interface Engine {
  model: Llama;
  tok: Tokenizer;
  /** The model id clients name. */
  modelName: string;
  /** The model's context (max_position_embeddings), prompt + completion tokens. */
  context: number;
  eos: number;
  pad: number;
}

/** Loads a checkpoint directory (model.safetensors, config.json, tokenizer.json); `modelName` '' = the directory's name. */
export function loadEngine(dir: string, modelName: string): Engine {
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.json'])
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`${dir}: no ${f} (not a checkpoint directory)`);
  const name = modelName || path.basename(path.resolve(dir));
  const tok = loadTokenizer(dir);
  const model = loadCheckpoint(dir).model;
  return { model, tok, modelName: name, context: model.config.max_position_embeddings, eos: tok.specialId(CHAT.eos), pad: tok.specialId(CHAT.pad) };
}
