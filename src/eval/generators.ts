/**
 * What the harness evaluates: a checkpoint of this project (safetensors + tokenizer.json, decoded
 * here with the policy's chat format) or any model behind an OpenAI-compatible endpoint. Both
 * answer the same prompt text (itemPrompt); each completion is read with the strict and lenient
 * extractors. Greedy decoding by default; with k > 1 samples, every item gets k samples from a
 * stream seeded by (seed, model, item), so a result never depends on which other items ran.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChatResult, LlmClient, LlmError } from '../core/llm';
import { Rng } from '../core/rng';
import { loadCheckpoint } from '../model/checkpoint';
import type { Llama } from '../model/llama';
import { generate } from '../model/sample';
import { runReads } from '../model/reads';
import { CopyProbe, copyProbeReads } from '../base/copy';
import { CHAT, Tokenizer, chatPrompt, loadTokenizer } from '../model/tokenizer';
import { itemPrompt, lenientAnswer, optionLetters, strictAnswer } from '../protocol/index';
import type { Item } from '../rods/item';

/** One completion and what was read from it. */
export interface Sample {
  completion: string;
  strict: string | null;
  lenient: string | null;
  /** Generated tokens (checkpoints) or completion tokens reported by the endpoint (0 when none). */
  tokens: number;
  finish: 'stop' | 'length';
}

/** An item whose request failed for good (retries spent, a malformed reply, a prompt the endpoint rejects). */
export interface ItemFailure {
  error: string;
}

/** Decoding of one evaluation. */
export interface Decoding {
  /** Samples per item: 1 = greedy; k > 1 = temperature sampling (mean accuracy and pass@k). */
  samples: number;
  temperature: number;
  /** Tokens generated per completion at most. */
  maxNewTokens: number;
  /** Prompts decoded together (checkpoints). */
  batchSize: number;
  /** Seed of the sampling streams. */
  seed: number;
}

/** A model under evaluation. */
export interface Generator {
  /** Content fingerprint (weights hash, or endpoint + model name): part of every result key. */
  readonly fingerprint: string;
  /** Context length in tokens, or null when unknown (endpoints). */
  readonly contextLength: number | null;
  /** Completions generated so far (the cache test counts them). */
  generated: number;
  /** Prompt tokens of an item, or null when the tokenizer is remote. */
  promptTokens(item: Item): number | null;
  /** Whether prompt + maxNewTokens fits the context. */
  fits(item: Item, maxNewTokens: number): boolean;
  /** k samples for each item (items that fit), or why an item could not be answered. */
  run(items: readonly Item[], d: Decoding): Promise<(Sample[] | ItemFailure)[]>;
  dispose(): void;
}

/** A completion with its strict and lenient letters, read over the item's `letters` (optionLetters). */
export function readSample(completion: string, letters: readonly string[], tokens: number, finish: 'stop' | 'length'): Sample {
  return { completion, strict: strictAnswer(completion, letters), lenient: lenientAnswer(completion, letters), tokens, finish };
}

/** A checkpoint directory of this project (or an HF Llama export with tokenizer.json). */
export class CheckpointGenerator implements Generator {
  readonly fingerprint: string;
  readonly contextLength: number;
  generated = 0;
  private readonly model: Llama;
  private readonly tok: Tokenizer;

  constructor(readonly dir: string, readonly id: string) {
    const weights = path.join(dir, 'model.safetensors');
    if (!fs.existsSync(weights)) throw new Error(`${dir}: no model.safetensors (not a checkpoint directory)`);
    if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) throw new Error(`${dir}: no tokenizer.json beside the weights`);
    this.fingerprint = createHash('sha256').update(fs.readFileSync(weights)).update(fs.readFileSync(path.join(dir, 'tokenizer.json'))).digest('hex').slice(0, 16);
    this.tok = loadTokenizer(dir);
    this.model = loadCheckpoint(dir).model;
    this.contextLength = this.model.config.max_position_embeddings;
  }

  private prompt(item: Item): number[] {
    return chatPrompt(this.tok, itemPrompt(item));
  }

  promptTokens(item: Item): number {
    return this.prompt(item).length;
  }

  fits(item: Item, maxNewTokens: number): boolean {
    return this.promptTokens(item) + maxNewTokens <= this.contextLength;
  }

  async run(items: readonly Item[], d: Decoding): Promise<Sample[][]> {
    const eos = this.tok.specialId(CHAT.eos);
    const pad = this.tok.specialId(CHAT.pad);
    const base = { maxNewTokens: d.maxNewTokens, stopTokenIds: [eos], padTokenId: pad };
    const read = (it: Item, t: number[], f: 'stop' | 'length') => readSample(this.tok.decode(t), optionLetters(it), t.length, f);
    const out: Sample[][] = [];
    if (d.samples <= 1) {
      for (let i = 0; i < items.length; i += d.batchSize) {
        const batch = items.slice(i, i + d.batchSize);
        const g = generate(this.model, batch.map((it) => this.prompt(it)), new Rng(0), { ...base, greedy: true });
        g.tokens.forEach((t, b) => out.push([read(batch[b], t, g.finishReasons[b])]));
        this.generated += batch.length;
      }
      return out;
    }
    for (const it of items) {
      const p = this.prompt(it);
      const g = generate(this.model, Array.from({ length: d.samples }, () => p), new Rng(`${d.seed}:${this.fingerprint}:${it.id}`), { ...base, temperature: d.temperature });
      out.push(g.tokens.map((t, b) => read(it, t, g.finishReasons[b])));
      this.generated += d.samples;
    }
    return out;
  }

  /** Does the checkpoint continue a repeated random sequence (src/base/copy.ts)? */
  async copyProbe(rng: Rng): Promise<CopyProbe> {
    return await runReads(copyProbeReads(this.model, this.tok.specialId(CHAT.bos), rng), 'copyProbe');
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The instruction an endpoint model gets (the policy needs none: it was trained on the format). */
export const ENDPOINT_SYSTEM =
  'Answer the multiple-choice question. Think briefly inside <think></think>, then give the letter of the single best option as <answer>X</answer>.';

export interface EndpointSpec {
  baseUrl: string;
  model: string;
  /** Name of the environment variable holding the key (never the key). */
  apiKeyEnv: string;
  maxConcurrency: number;
}

/** Any OpenAI-compatible chat endpoint (vLLM, SGLang, a hosted API), through the shared client. */
export class EndpointGenerator implements Generator {
  readonly fingerprint: string;
  readonly contextLength = null;
  generated = 0;
  private readonly client: LlmClient;

  constructor(
    readonly spec: EndpointSpec,
    opts: { cacheDir?: string; timeoutMs?: number; maxRetries?: number; baseDelayMs?: number } = {},
  ) {
    this.fingerprint = createHash('sha256').update(JSON.stringify([spec.baseUrl.replace(/\/+$/, ''), spec.model])).digest('hex').slice(0, 16);
    const { cacheDir, ...limits } = opts;
    this.client = new LlmClient({ ...spec, cacheDir: cacheDir ?? '', ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) });
  }

  promptTokens(): null {
    return null;
  }

  fits(): boolean {
    return true; // the endpoint's context is unknown here; a prompt it rejects fails loudly
  }

  /**
   * k samples per item; an item with a request that failed for good is an ItemFailure (the others
   * go on). A refusal that no other request would escape (401, 403: the key; 404: the URL or the
   * model) is thrown: the endpoint, not the item, is wrong.
   */
  async run(items: readonly Item[], d: Decoding): Promise<(Sample[] | ItemFailure)[]> {
    const k = Math.max(1, d.samples);
    const temperature = k === 1 ? 0 : d.temperature;
    const requests = items.flatMap((it) =>
      Array.from({ length: k }, (_, s) => ({
        messages: [
          { role: 'system' as const, content: ENDPOINT_SYSTEM },
          { role: 'user' as const, content: itemPrompt(it) },
        ],
        opts: { temperature, maxTokens: d.maxNewTokens, sampleIndex: s, ...(k > 1 ? { seed: d.seed + s } : {}) },
      })),
    );
    const res = await this.client.chatSettled(requests);
    const fatal = res.find((r): r is LlmError => r instanceof LlmError && [401, 403, 404].includes(r.status ?? 0));
    if (fatal) throw fatal;
    this.generated += res.filter((r) => !(r instanceof LlmError) && !r.cached).length;
    return items.map((it, i) => {
      const mine = res.slice(i * k, (i + 1) * k);
      const failed = mine.find((r): r is LlmError => r instanceof LlmError);
      if (failed) return { error: failed.message };
      return (mine as ChatResult[]).map((r) => readSample(r.texts[0] ?? '', optionLetters(it), r.usage.completion_tokens, 'stop'));
    });
  }

  stats() {
    return this.client.stats();
  }

  dispose(): void {}
}
