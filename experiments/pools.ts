/** Shared by the lookup experiments: node names grouped by type, lookup drills and their score. */
import * as tf from '@tensorflow/tfjs-core';
import type { KnowledgeGraph } from '../src/graph/graph';
import { mentionName } from '../src/base/sentences';
import { CHAT } from '../src/model/tokenizer';
import type { Tokenizer } from '../src/model/tokenizer';
import type { Rng } from '../src/core/rng';
import type { Batch, Llama } from '../src/model/llama';
import { padBatch } from '../src/base/data';

/** Names per node type, and the types with at least `min` names (enough for four distinct options). */
export function namePools(graph: KnowledgeGraph, min = 8): { byType: Map<string, string[]>; types: string[] } {
  const byType = new Map<string, string[]>();
  for (const n of graph.nodes) byType.set(n.type, [...(byType.get(n.type) ?? []), mentionName(n.name)]);
  return { byType, types: [...byType.keys()].filter((t) => (byType.get(t) as string[]).length >= min) };
}

const LETTERS = ['A', 'B', 'C', 'D'];

/** One lookup drill "A. x\nB. y\nC. z\nD. w\ny.\n" → "B" (same-type graph names, no facts): pre, the letter's ids, and the whole sequence. */
export interface Drill { pre: number[]; letter: number[]; ids: number[] }
export function lookupDrill(tok: Tokenizer, pools: ReturnType<typeof namePools>, rng: Rng): Drill {
  const pool = pools.byType.get(rng.pick(pools.types)) as string[];
  const opts = rng.shuffle([...pool]).slice(0, 4);
  const k = rng.int(4);
  const head = opts.map((o, i) => `${LETTERS[i]}. ${o}`).join('\n') + `\n${opts[k]}.\n`;
  const pre = [tok.specialId(CHAT.bos), ...tok.encode(head, { allowSpecial: false })];
  const letter = tok.encode(LETTERS[k], { allowSpecial: false });
  return { pre, letter, ids: [...pre, ...letter, tok.specialId(CHAT.eos)] };
}

/** The letter's mean NLL (chance ln 4) and the share of drills whose likeliest letter is right (chance 25%). */
export function drillScore(model: Llama, tok: Tokenizer, drills: Drill[]): { nll: number; acc: number } {
  const letterIds = LETTERS.map((l) => tok.encode(l, { allowSpecial: false })[0]);
  let nll = 0, ok = 0;
  for (let i = 0; i < drills.length; i += 64) {
    const rows = drills.slice(i, i + 64);
    const T = Math.max(...rows.map((r) => r.pre.length + 1));
    const ids = rows.map((r) => [...r.pre, r.letter[0], ...new Array(T - r.pre.length - 1).fill(tok.specialId(CHAT.pad))]);
    const mask = rows.map((r) => ids[0].map((_, j) => (j < r.pre.length + 1 ? 1 : 0)));
    const logits = tf.tidy(() => model.forward(ids, mask));
    const data = logits.arraySync() as number[][][];
    logits.dispose();
    rows.forEach((r, b) => {
      const row = data[b][r.pre.length - 1];
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
      nll += lse - row[r.letter[0]];
      const best = letterIds.reduce((bi, id) => (row[id] > row[bi] ? id : bi), letterIds[0]);
      if (best === r.letter[0]) ok++;
    });
  }
  return { nll: nll / drills.length, acc: ok / drills.length };
}

/** A batch of `rows` lookup drills with the loss on the letter only. */
export function drillBatch(tok: Tokenizer, pools: ReturnType<typeof namePools>, rng: Rng, rows = 32): Batch {
  const ds = Array.from({ length: rows }, () => lookupDrill(tok, pools, rng));
  return padBatch(ds.map((d) => ({ ids: d.ids, completionMask: d.ids.map((_, j) => (j === d.pre.length ? 1 : 0)), promptLength: d.pre.length })), tok.specialId(CHAT.pad));
}
