/**
 * Scratch: items about the *training* anchors that no training item asks. Takes a second RODS draw
 * of the same graph (another seed) and keeps its items whose anchor is a training anchor of RUN,
 * whose question is not one of RUN's, and (STRICT=1) whose evidence edges no train item of RUN has.
 * Writes OUT/rods/items.jsonl (all marked split "test", in a seeded order) with RUN's graph and
 * config beside it, ready for `experiments/tune.ts OUT CHECKPOINT … eval`.
 *   fleming rods --run OTHER --seed 77 --set graph.focus.diseases=25   (after copying RUN/graph to OTHER)
 *   node -r tsx/cjs experiments/seen.ts RUN OTHER OUT
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../src/core/rng';

const [run, other, out] = process.argv.slice(2);
const read = (f: string): any[] => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const mine = read(path.join(run, 'rods', 'items.jsonl'));
const theirs = read(path.join(other, 'rods', 'items.jsonl'));
const train = mine.filter((i) => i.split === 'train');
const anchors = new Set(train.map((i) => i.meta?.anchor));
const questions = new Set(mine.map((i) => i.question));
const evidence = (i: any) => JSON.stringify((i.evidence?.edges ?? []).map((e: any) => `${e.source}|${e.relation}|${e.target}`).sort());
const trainEvidence = new Set(train.map(evidence));
let sameQuestion = 0, sameEvidence = 0;
const kept: any[] = [];
for (const it of theirs) {
  if (!anchors.has(it.meta?.anchor)) continue;
  if (questions.has(it.question)) { sameQuestion++; continue; }
  if (trainEvidence.has(evidence(it))) { sameEvidence++; if (process.env.STRICT) continue; }
  kept.push({ ...it, split: 'test' });
}
const ordered = new Rng('seen').shuffle(kept);
fs.mkdirSync(path.join(out, 'rods'), { recursive: true });
fs.writeFileSync(path.join(out, 'rods', 'items.jsonl'), ordered.map((o) => JSON.stringify(o)).join('\n') + '\n');
fs.cpSync(path.join(run, 'graph'), path.join(out, 'graph'), { recursive: true });
fs.copyFileSync(path.join(run, 'config.json'), path.join(out, 'config.json'));
console.log(JSON.stringify({ trainAnchors: anchors.size, kept: kept.length, sameQuestion, sameEvidenceAsTrain: sameEvidence, strict: Boolean(process.env.STRICT) }));
