/**
 * Training batches, each a pure function of the step number (so a resumed run sees exactly the
 * batches an uninterrupted one would): packed LM sequences from graph sentences, and
 * direct-answer chat examples from RODS items.
 */
import { Rng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import type { Batch } from '../model/llama';
import { CHAT, Tokenizer, directAnswerCompletion, renderChat, RenderedChat } from '../model/tokenizer';
import { itemPrompt } from '../protocol/index';
import type { Item } from '../rods/item';
import { CorpusOptions, renderCorpus } from './sentences';

/** `<|bos|>` sentence `<|eos|>` for every sentence, concatenated. */
export function packSentences(tok: Tokenizer, sentences: readonly string[]): number[] {
  const bos = tok.specialId(CHAT.bos);
  const eos = tok.specialId(CHAT.eos);
  const out: number[] = [];
  for (const s of sentences) {
    out.push(bos);
    for (const id of tok.encode(s, { allowSpecial: false })) out.push(id);
    out.push(eos);
  }
  return out;
}

/** The training sentences of pass `pass` over the graph (Rng `${seed}:pass${pass}`). */
export function passSentences(graph: KnowledgeGraph, opts: CorpusOptions & { seed: string }, pass: number): string[] {
  return renderCorpus(graph, new Rng(`${opts.seed}:pass${pass}`), opts);
}

/**
 * Packed LM batches. Pass p renders the graph afresh (its own Rng, `${seed}:pass${p}`), packs the
 * sentences into one token stream and cuts it into windows of `seqLen` tokens (the last partial
 * window is dropped). Step i takes windows i·batchSize … (i+1)·batchSize − 1 of the passes laid
 * end to end.
 */
export class LmBatches {
  private readonly counts: number[] = [];
  private cached: { pass: number; tokens: number[] } | undefined;

  constructor(
    readonly graph: KnowledgeGraph,
    readonly tok: Tokenizer,
    readonly opts: CorpusOptions & { seqLen: number; batchSize: number; seed: string },
  ) {
    if (opts.seqLen < 2) throw new Error(`LmBatches: seqLen must be ≥ 2, got ${opts.seqLen}`);
  }

  /** Training sentences of pass p. */
  sentences(pass: number): string[] {
    return passSentences(this.graph, this.opts, pass);
  }

  private tokens(pass: number): number[] {
    if (this.cached?.pass !== pass) this.cached = { pass, tokens: packSentences(this.tok, this.sentences(pass)) };
    return this.cached.tokens;
  }

  private windows(pass: number): number {
    while (this.counts.length <= pass) {
      const n = Math.floor(this.tokens(this.counts.length).length / this.opts.seqLen);
      if (n === 0) throw new Error(`LmBatches: one pass over the graph gives fewer than seqLen=${this.opts.seqLen} tokens`);
      this.counts.push(n);
    }
    return this.counts[pass];
  }

  /** The window with global index w. @returns [seqLen] token ids */
  window(w: number): number[] {
    let pass = 0;
    while (w >= this.windows(pass)) w -= this.windows(pass++);
    const L = this.opts.seqLen;
    return this.tokens(pass).slice(w * L, (w + 1) * L);
  }

  /** The batch of LM step `step` (0-based). */
  batch(step: number): Batch {
    const B = this.opts.batchSize;
    return { inputIds: Array.from({ length: B }, (_, b) => this.window(step * B + b)) };
  }

  /** Tokens in one pass (for logs). */
  passTokens(pass = 0): number {
    return this.tokens(pass).length;
  }
}

/** An item rendered as a direct-answer chat example. */
export function directAnswerExample(tok: Tokenizer, item: Item): RenderedChat {
  return renderChat(tok, { prompt: itemPrompt(item), completion: directAnswerCompletion(item.answer) });
}

/** Right-pads rows into a Batch (pad id, attention mask, loss mask). */
export function padBatch(rows: readonly RenderedChat[], padId: number): Batch {
  const T = Math.max(...rows.map((r) => r.ids.length));
  const fill = (xs: number[], v: number) => [...xs, ...new Array<number>(T - xs.length).fill(v)];
  return {
    inputIds: rows.map((r) => fill(r.ids, padId)),
    attentionMask: rows.map((r) => fill(r.ids.map(() => 1), 0)),
    lossMask: rows.map((r) => fill(r.completionMask, 0)),
  };
}

/**
 * Direct-answer tuning batches: examples (already rendered, each fitting the context) in a fresh
 * shuffle per epoch (Rng `${seed}:epoch${e}`); step j takes examples j·batchSize … of the epochs
 * laid end to end, right-padded, loss on the completion only.
 */
export class TuneBatches {
  private order: { epoch: number; idx: number[] } | undefined;

  constructor(
    readonly examples: readonly RenderedChat[],
    readonly opts: { batchSize: number; seed: string; padId: number },
  ) {
    if (examples.length === 0) throw new Error('TuneBatches: no examples');
  }

  private at(k: number): RenderedChat {
    const n = this.examples.length;
    const epoch = Math.floor(k / n);
    if (this.order?.epoch !== epoch) this.order = { epoch, idx: new Rng(`${this.opts.seed}:epoch${epoch}`).shuffle(this.examples.map((_, i) => i)) };
    return this.examples[this.order.idx[k % n]];
  }

  /** The batch of tuning step `step` (0-based). */
  batch(step: number): Batch {
    const B = this.opts.batchSize;
    return padBatch(Array.from({ length: B }, (_, b) => this.at(step * B + b)), this.opts.padId);
  }
}
