/**
 * Reference logits, for checking that a checkpoint exported from the workbench computes the same
 * function in transformers (scripts/check-export.py): for each checkpoint of the run, the logits
 * of every position of a few chat prompts (the first test items) and the token ids of a few SFT
 * examples (prompt + kept trace, as the cold start trains on them), so the check also compares
 * tokenisation and the chat template.
 *
 *   <stage>.json   {checkpoint, vocab, prompts: [{itemId, text, ids, offset}], sft: [{itemId, ids, promptLength}]}
 *   <stage>.f32    float32 little-endian, prompt after prompt, [ids.length × vocab] each
 * with <stage> one of base, cot, rl1, rl2 (the checkpoints that exist).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJson } from '../core/io';
import { ensureBackend } from '../model/backend';
import { loadCheckpoint } from '../model/checkpoint';
import { chatPrompt, chatPromptText, loadTokenizer, renderChat } from '../model/tokenizer';
import { itemPrompt } from '../protocol/index';
import type { Item } from '../rods/item';
import type { ExportFile } from './formats';
import { runCheckpoints } from './inputs';
import type { KeptTrace } from './rows';

/** How many prompts and SFT examples each checkpoint is checked on. */
export const LOGIT_PROMPTS = 4;

/** The reference of one checkpoint (<stage>.json). */
export interface LogitsReference {
  checkpoint: string;
  stage: string;
  vocab: number;
  dtype: 'float32';
  prompts: { itemId: string; text: string; ids: number[]; offset: number }[];
  sft: { itemId: string; ids: number[]; promptLength: number }[];
}

/** Logits and ids of one checkpoint; returns its reference and the raw logits. */
async function checkpointLogits(dir: string, stage: string, runDir: string, items: readonly Item[], traces: readonly KeptTrace[]): Promise<{ ref: LogitsReference; data: Float32Array }> {
  const tok = loadTokenizer(dir);
  const { model } = loadCheckpoint(dir);
  try {
    const V = model.config.vocab_size;
    const prompts = items.slice(0, LOGIT_PROMPTS).map((it) => ({ itemId: it.id, text: chatPromptText(itemPrompt(it)), ids: chatPrompt(tok, itemPrompt(it)) }));
    const total = prompts.reduce((a, p) => a + p.ids.length * V, 0);
    const data = new Float32Array(total);
    let offset = 0;
    const withOffsets: LogitsReference['prompts'] = [];
    for (const p of prompts) {
      const logits = model.forward([p.ids]);
      data.set((await logits.data()) as Float32Array, offset); // async read: every backend, webgpu included
      logits.dispose();
      withOffsets.push({ ...p, offset });
      offset += p.ids.length * V;
    }
    const sft = traces.slice(0, LOGIT_PROMPTS).map((t) => {
      const r = renderChat(tok, { prompt: itemPrompt(t.item), completion: t.completion });
      return { itemId: t.item.id, ids: r.ids, promptLength: r.promptLength };
    });
    return { ref: { checkpoint: path.relative(runDir, dir), stage, vocab: V, dtype: 'float32', prompts: withOffsets, sft }, data };
  } finally {
    model.dispose();
  }
}

/**
 * Writes <stage>.{json,f32} into `out` for every finished checkpoint of the run, on the
 * first test items (train items when the run has no test split). Throws when the run has none.
 */
export async function writeReferenceLogits(runDir: string, out: string, items: readonly Item[], traces: readonly KeptTrace[], backend: string, log: (m: string) => void): Promise<ExportFile[]> {
  const cks = runCheckpoints(runDir);
  if (cks.length === 0) throw new Error(`${runDir}: no finished checkpoint (coldstart/base, coldstart/sft, rlvr/stage1, rlvr/stage2) to take reference logits from; run \`fleming pretrain --run ${runDir}\` first`);
  await ensureBackend(backend, log);
  const test = items.filter((it) => it.split === 'test');
  const prompts = test.length ? test : items;
  const files: ExportFile[] = [];
  for (const c of cks) {
    const { ref, data } = await checkpointLogits(c.dir, c.id, runDir, prompts, traces);
    writeFileAtomic(path.join(out, `${c.id}.f32`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    writeJson(path.join(out, `${c.id}.json`), ref);
    for (const f of [`${c.id}.json`, `${c.id}.f32`]) files.push({ path: f, rows: ref.prompts.length, bytes: fs.statSync(path.join(out, f)).size });
  }
  return files;
}
