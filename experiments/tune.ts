/**
 * Cold-start experiments (docs/findings.md, "Where the chain breaks"): continue training a checkpoint of a
 * run on direct-answer items (kind "tune") or teacher traces (kind "sft"), optionally with every
 * lmEvery-th step a pretraining batch, or only evaluate it (kind "eval"); then decode the first 200
 * items of a split greedily and measure, besides accuracy: the answer letters, distinct thoughts,
 * copyRate (the thought names the item's given entity or a clue), answerInThought (it names the
 * answer option's entity), letterGivenAnswer (accuracy among those), and the knowledge ceiling.
 *   node -r tsx/cjs experiments/tune.ts RUN INITDIR OUT tune|sft|eval STEPS LR [LM_EVERY]
 * Env: LW=w weights the answer letter; LETTERONLY=1 puts the loss on the letter only; SPLIT=train
 * evaluates train items; FMT=ind writes options as "text (X)" and traces ending "… text (X)."; FMT=lc
 * starts every sentence of a thought lower-case after a space (" hypoglycemia is …"), the question's tokens.
 * DRILL_EVERY=k makes every k-th step a batch of lookup drills (experiments/pools.ts) instead.
 * Writes OUT/exp.json (and rows.jsonl). Scratch measurements, not part of the pipeline.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { selectBackend } from '../src/model/backend';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import { loadTokenizer, CHAT } from '../src/model/tokenizer';
import { KnowledgeGraph } from '../src/graph/graph';
import { readJsonlAll } from '../src/core/io';
import { trainPhases } from '../src/train';
import { TuneBatches, directAnswerExample, LmBatches } from '../src/base/data';
import { sftExamples } from '../src/coldstart/sft/data';
import { loadCotRows } from '../src/coldstart/sft';
import { evalPolicy } from '../src/coldstart/sft/evaluate';
import { knowledgeCeiling } from '../src/coldstart/sft/ceiling';
import { SkipReport } from '../src/core/io';
import { renderChat } from '../src/model/tokenizer';
import * as pd0 from '../src/base/data';
import { mentionName } from '../src/base/sentences';
import { namePools, drillBatch } from './pools';
import { Rng } from '../src/core/rng';
const pd = { ...pd0, mentionNameExport: (x: string) => mentionName(x) };
const indPrompt = (it: any) => [it.question, ...Object.keys(it.options).sort().map((l) => `${it.options[l]} (${l})`)].join('\n');

(async () => {
  const [run, init, out, kind, stepsS, lrS, lmEveryS] = process.argv.slice(2);
  const steps = +stepsS, lr = +lrS, lmEvery = +(lmEveryS ?? 0);
  await selectBackend(undefined);
  const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  const tok = loadTokenizer(init);
  const items = await readJsonlAll<any>(path.join(run, 'rods', 'items.jsonl'));
  const byId = new Map(items.map((i) => [i.id, i]));
  const train = items.filter((i) => i.split === 'train');
  const test = items.filter((i) => i.split === (process.env.SPLIT ?? 'test')).slice(0, 200);
  const graph = await KnowledgeGraph.load(path.join(run, 'graph'));
  let ex: any[];
  if (kind === 'tune') ex = train.map((it) => directAnswerExample(tok, it)).filter((e) => e.ids.length <= 512);
  else if (kind === 'eval') ex = [{ ids: [1], completionMask: [1], promptLength: 0 }];
  else if (process.env.FMT === 'ind') {
    ex = [];
    for (const { row } of await loadCotRows(path.join(run, 'coldstart', 'cot.jsonl'))) {
      const it = byId.get(row.itemId); if (!it || it.split !== 'train' || !row.verified) continue;
      const m = /^<think>([\s\S]*)\.<\/think>\n<answer>([A-D])<\/answer>$/.exec(row.completion); if (!m) continue;
      const opt = it.options[m[2]]; if (!m[1].endsWith(opt)) continue;
      ex.push(renderChat(tok, { prompt: indPrompt(it), completion: `<think>${m[1]} (${m[2]}).</think>\n<answer>${m[2]}</answer>` }));
    }
    console.log('ind examples', ex.length);
  }
  else {
    let rows = await loadCotRows(path.join(run, 'coldstart', 'cot.jsonl'));
    // FMT=lc: every sentence of a thought starts lower-case after a space, so a name is the same tokens as in the question
    const lc = (t: string) => t.replace(/^<think>([\s\S]*)<\/think>/, (_m, th: string) => '<think>' + th.split(/(?<=\.) /).map((x) => ' ' + pd.mentionNameExport(x)).join('') + '</think>');
    if (process.env.FMT === 'lc') rows = rows.map((r) => ({ ...r, row: { ...r.row, completion: lc(r.row.completion) } }));
    if (process.env.FMT === 'lc') console.log('lc example', rows[0].row.completion);
    ex = sftExamples(tok, rows, byId, 512, new SkipReport()).examples;
  }
  const LW = +(process.env.LW ?? 1);
  if (process.env.LETTERONLY) { const ans = tok.specialId('<answer>'); ex = ex.map((e) => ({ ...e, completionMask: e.completionMask.map((m: number, i: number) => (m && i > 0 && e.ids[i - 1] === ans ? 1 : 0)) })); }
  if (LW !== 1) { const ans = tok.specialId('<answer>'); ex = ex.map((e) => ({ ...e, completionMask: e.completionMask.map((m: number, i: number) => (m && i > 0 && e.ids[i - 1] === ans ? LW : m)) })); }
  const tb = new TuneBatches(ex, { batchSize: 16, seed: 'exp', padId: tok.specialId(CHAT.pad) });
  const p = cfg.pretrain;
  const lm = new LmBatches(graph, tok, { graph, seqLen: p.seqLen, batchSize: p.batchSize, seed: `${cfg.seed}:pretrain:lm`, phrasingsPerEdge: p.phrasingsPerEdge, synonymRate: p.synonymRate, order: p.corpusOrder } as any);
  const drillEvery = +(process.env.DRILL_EVERY ?? 0);
  const pools = namePools(graph);
  fs.mkdirSync(out, { recursive: true });
  const t0 = Date.now(); const win: number[] = [];
  const loop = kind === 'eval' ? { model: loadCheckpoint(init).model } : trainPhases(() => loadCheckpoint(init).model, [{ name: kind, steps, optimizer: { lr, minLr: lr / 10, warmupSteps: 10, weightDecay: 0.1, clipNorm: 1 },
    batch: (s) => (drillEvery > 0 && s % drillEvery === drillEvery - 1 ? drillBatch(tok, pools, new Rng(`tune:drill:${s}`)) : lmEvery > 0 && s % lmEvery === lmEvery - 1 ? lm.batch(100000 + s) : tb.batch(s)) }], { dir: out, checkpointEvery: 100000, fingerprint: process.argv, fresh: true,
    onStep: (r) => { win.push(r.loss); if (r.phaseStep % 50 === 0) console.log(`${out} step ${r.phaseStep} loss ${r.loss.toFixed(3)} avg50 ${(win.splice(0).reduce((a, b) => a + b, 0) / 50).toFixed(3)} ${((Date.now() - t0) / 1000).toFixed(0)}s`); } });
  const model = loop.model;
  if (kind !== 'eval') { saveCheckpoint(out, model, {}); fs.copyFileSync(path.join(init, 'tokenizer.json'), path.join(out, 'tokenizer.json')); }
  const ev = evalPolicy(model, tok, process.env.FMT === 'ind' ? test.map((it) => ({ ...it, question: indPrompt(it), options: {} })) : test, { batchSize: 32, maxNewTokens: kind === 'tune' ? 8 : 96 });
  // subject copy: the item's given entity (or a clue) named in the thought
  const names = (id: string) => { const n = graph.node(id); return [n.name, ...n.synonyms].map((x) => x.toLowerCase()); };
  let copyN = 0, copyOk = 0, ansN = 0, ansOk = 0;
  const byItem = new Map(test.map((t) => [t.id, t]));
  for (const r of ev.rows) {
    const it = byItem.get(r.id); const q = it.meta?.query; if (!q) continue;
    const th = r.reply.split('</think>')[0].toLowerCase();
    const subj = q.given ? [q.given] : (q.clues ?? []);
    if (!subj.length) continue;
    copyN++; if (subj.some((id: string) => names(id).some((n) => th.includes(n)))) copyOk++;
    if (names(it.meta.optionIds[it.answer]).some((n) => th.includes(n))) { ansN++; if (r.ok) ansOk++; }
  }
  fs.writeFileSync(path.join(out, 'rows.jsonl'), ev.rows.map((r) => JSON.stringify(r)).join('\n'));
  const letters: Record<string, number> = {};
  for (const r of ev.rows) letters[r.letter ?? '-'] = (letters[r.letter ?? '-'] ?? 0) + 1;
  const thoughts = new Set(ev.rows.map((r) => r.reply.split('</think>')[0]));
  const ceil = knowledgeCeiling(model, tok, graph, test);
  const res = { out, kind, steps, lr, lmEvery, acc: ev.report.accuracy, byDifficulty: (ev.report as any).byDifficulty, letters, distinctThoughts: thoughts.size, copyRate: copyOk / Math.max(1, copyN), answerInThought: ansN / Math.max(1, copyN), letterGivenAnswer: ansOk / Math.max(1, ansN), copyN, ceiling: ceil.accuracy, sec: (Date.now() - t0) / 1000, sample: ev.rows.slice(0, 6).map((r) => [r.answer, r.reply]) };
  fs.writeFileSync(path.join(out, 'exp.json'), JSON.stringify(res, null, 1));
  console.log(JSON.stringify(res));
})();
