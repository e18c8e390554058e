/**
 * The Base's probes, run on every Base (the released one and any other): what the paper's
 * pretrained LLM is taken to bring, measured.
 *
 *   copy       loss on the second copy of a repeated random token sequence (src/base/copy.ts);
 *              an induction head brings it near 0 (release target ≤ 0.5 nats per token)
 *   option     letter accuracy on held-out option-lookup drills in the items' format with graph
 *              names (src/base/skills.ts optionRow, a seed no training step uses; target ≥ 95%)
 *   recall     fact recall on the held-out phrasing family and on a seen one (src/base/recall.ts)
 *   ceiling    the knowledge ceiling on a world's test items (src/coldstart/sft/ceiling.ts; target ≥ 90%)
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng';
import type { KnowledgeGraph } from '../graph/graph';
import type { Llama } from '../model/llama';
import { CHAT, Tokenizer } from '../model/tokenizer';
import type { TextStyle } from './sentences';
import { CopyProbe, copyProbe } from './copy';
import { factRecall, type RecallReport } from './recall';
import { namePools, optionRow } from './skills';

/** Option-lookup probe: how often the likeliest of the drill's letters is the one its thought names. */
export interface OptionProbe {
  drills: number;
  accuracy: number;
  /** Mean negative log-likelihood of the right letter, over the drill's letters only (chance ln n). */
  letterNll: number;
  /** Mean of 1/options: a guesser's accuracy. */
  chance: number;
}

/** Logits of the token after each prefix. @returns [rows][vocab] */
function nextTokenLogits(model: Llama, prefixes: readonly number[][], pad: number): number[][] {
  const T = Math.max(...prefixes.map((p) => p.length));
  const ids = prefixes.map((p) => [...p, ...new Array<number>(T - p.length).fill(pad)]);
  const mask = prefixes.map((p) => ids[0].map((_, j) => (j < p.length ? 1 : 0)));
  const out = tf.tidy(() => {
    const logits = model.forward(ids, mask);
    return tf.stack(prefixes.map((p, b) => tf.reshape(tf.slice(logits, [b, p.length - 1, 0], [1, 1, -1]), [-1])));
  });
  const rows = out.arraySync() as number[][];
  out.dispose();
  return rows;
}

/** The option-lookup probe on `n` drills drawn with `seed` (never a training seed), `batchSize` rows per forward pass. */
export function optionProbe(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, n: number, seed: string, opts: { minOptions?: number; maxOptions?: number; batchSize?: number } = {}): OptionProbe {
  const rng = new Rng(seed);
  const pools = namePools(graph);
  const drills = Array.from({ length: n }, () => optionRow(tok, pools, rng, opts.minOptions ?? 4, opts.maxOptions ?? 4));
  const pad = tok.specialId(CHAT.pad);
  const bs = opts.batchSize ?? 32;
  let right = 0;
  let nll = 0;
  let chance = 0;
  for (let i = 0; i < drills.length; i += bs) {
    const part = drills.slice(i, i + bs);
    const logits = nextTokenLogits(model, part.map((d) => d.prefix), pad);
    part.forEach((d, b) => {
      const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].slice(0, d.options);
      const ids = letters.map((l) => tok.encode(l, { allowSpecial: false })[0]);
      const scores = ids.map((id) => logits[b][id]);
      const max = Math.max(...scores);
      const lse = max + Math.log(scores.reduce((a, x) => a + Math.exp(x - max), 0));
      const k = letters.indexOf(d.letter);
      nll += lse - scores[k];
      if (scores.every((s, j) => j === k || s < scores[k])) right++;
      chance += 1 / d.options;
    });
  }
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return { drills: n, accuracy: r4(right / n), letterNll: r4(nll / n), chance: r4(chance / n) };
}

/** The probes that need no items: copy, option lookup, held-out and seen fact recall. */
export interface BaseProbes {
  copy: CopyProbe;
  option: OptionProbe;
  recall?: { heldOut: RecallReport['overall']; seen: RecallReport['overall'] };
}

/** Copy and option probes (`drills` held-out drills), and fact recall when `recallEdges` > 0. */
export function probeBase(model: Llama, tok: Tokenizer, graph: KnowledgeGraph, o: { drills: number; recallEdges: number; style: TextStyle; seed: string }): BaseProbes {
  const copy = copyProbe(model, tok.specialId(CHAT.bos), new Rng(`${o.seed}:copy`));
  const option = optionProbe(model, tok, graph, o.drills, `${o.seed}:option`);
  if (o.recallEdges <= 0) return { copy, option };
  const recall = (phrasing: 'heldOut' | number) => factRecall(model, tok, graph, new Rng(`${o.seed}:recall`), { edgesPerRelation: o.recallEdges, phrasing, style: o.style }).overall;
  return { copy, option, recall: { heldOut: recall('heldOut'), seen: recall(0) } };
}
