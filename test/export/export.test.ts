import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ITEM_FIELDS, RL_FIELDS, SFT_FIELDS, type Field, featureYaml, runExport } from '../../src/export';
import type { Manifest } from '../../src/export';
import { itemPrompt, optionLetters } from '../../src/protocol';
import type { Item } from '../../src/rods/item';
import { makeRun, removeRuns } from './fixture';
import { resolveConfig } from '../../src/core/config';
import { coldstartItems } from '../../src/coldstart/stage';
import { gatherExport } from '../../src/export/data';
import { groupOf } from '../../src/rods/split';

afterAll(removeRuns);

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Parquet file read back with hyparquet: its rows and its schema as a tree of names. */
async function readParquet(file: string): Promise<{ rows: Row[]; schema: unknown[] }> {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const tree = (n: { element: { name: string }; children: unknown[] }): unknown => (n.children.length ? { [n.element.name]: n.children.map((c) => tree(c as never)) } : n.element.name);
  const schema = (parquetSchema(parquetMetadata(ab)).children as never[]).map(tree);
  return { rows: (await parquetReadObjects({ file: ab })) as Row[], schema };
}

/** The name tree a Field list should have in the file (lists as list → element). */
function expectedTree(fields: readonly Field[]): unknown[] {
  const t = (f: Field): unknown => ('leaf' in f ? f.name : 'struct' in f ? { [f.name]: f.struct.map(t) } : { [f.name]: [{ list: [t(f.list)] }] });
  return fields.map(t);
}

const jsonl = (file: string): Row[] => fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ids = (rows: Row[], get: (r: Row) => string) => rows.map(get);
const smoke = resolveConfig({ preset: 'smoke' });
const easyTrain = (items: Item[]) => items.filter((it) => it.split === 'train' && (it.difficulty === 'Easy' || it.difficulty === 'Moderate'));
/** What RLVR stage 1 draws from under the fixture's (smoke) config: rlvr.stage1Items 'untraced' leaves out the traced anchors. */
function stage1Of(items: Item[]): Item[] {
  const traced = new Set(coldstartItems(items.filter((it) => it.split === 'train'), smoke.coldstart.traceShare, smoke.coldstart.traceShareBy, smoke.seed).map((it) => it.id));
  return easyTrain(items).filter((it) => !traced.has(it.id));
}

/**
 * The checks of an exported stage-1 stream: smoke's stage1MaxSteps × promptsPerStep prompts, each one of stage 1's
 * items, drawn anchor by anchor (each pass meets every anchor once); the same ids as gatherExport().stage1Stream.
 * That the order is the one RLVR stage 1 trains on is checked against a real stage-1 run (test/rlvr/stage.test.ts).
 */
function expectStage1Stream(runDir: string, items: Item[], got: string[]): void {
  const s1 = stage1Of(items);
  const byId = new Map(s1.map((it) => [it.id, it]));
  expect(got).toEqual(gatherExport(runDir, 'skip').stage1Stream.map((it) => it.id));
  expect(got.length).toBe(smoke.rlvr.stage1MaxSteps * smoke.rlvr.promptsPerStep);
  for (const id of got) expect(byId.has(id), id).toBe(true);
  const anchors = new Set(s1.map(groupOf));
  expect(anchors.size).toBeGreaterThan(1);
  expect(got.length).toBeGreaterThanOrEqual(anchors.size);
  expect(new Set(got.slice(0, anchors.size).map((id) => groupOf(byId.get(id) as Item)))).toEqual(anchors);
}

describe('gatherExport()', () => {
  it("stage 1 is what RLVR stage 1 draws from: with rlvr.stage1Items 'untraced' (default) the untraced anchors' Easy + Moderate items, with 'all' every one", () => {
    expect(smoke.rlvr.stage1Items).toBe('untraced');
    const run = makeRun();
    const s1 = gatherExport(run.dir, 'skip').stage1.map((it) => it.id);
    expect(s1).toEqual(stage1Of(run.items).map((it) => it.id));
    expect(s1.length).toBeGreaterThan(0);
    expect(s1.length).toBeLessThan(easyTrain(run.items).length);
    const cfgFile = path.join(run.dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, rlvr: { ...cfg.rlvr, stage1Items: 'all' } }));
    expect(gatherExport(run.dir, 'skip').stage1.map((it) => it.id)).toEqual(easyTrain(run.items).map((it) => it.id));
  });
});

describe('runExport --format verl', () => {
  it("writes stage1/train, stage2/train and test Parquet files with verl's columns, read back with hyparquet", async () => {
    const run = makeRun();
    const r = await runExport(run.dir, { format: 'verl' });
    expect(r.out).toBe(path.join(run.dir, 'export', 'verl'));
    expect(r.manifest.files.map((f) => f.path)).toEqual(['stage1/train.parquet', 'stage2/train.parquet', 'test.parquet']);
    const byId = new Map(run.items.map((it) => [it.id, it]));
    const s1 = await readParquet(path.join(r.out, 'stage1/train.parquet'));
    expect(s1.schema).toEqual(expectedTree(RL_FIELDS));
    expect(s1.schema.slice(0, 4)).toEqual(['data_source', { prompt: [{ list: [{ element: ['role', 'content'] }] }] }, 'ability', { reward_model: ['style', 'ground_truth'] }]);
    expectStage1Stream(run.dir, run.items, ids(s1.rows, (x) => x.extra_info.id));
    for (const [i, row] of s1.rows.entries()) {
      const it = byId.get(row.extra_info.id) as Item;
      // the prompt is exactly the policy's user turn (itemPrompt; the chat template adds <|bos|><|user|> … <|assistant|>)
      expect(row.prompt).toEqual([{ role: 'user', content: itemPrompt(it) }]);
      expect(row).toMatchObject({ data_source: `fleming/${it.origin}`, ability: 'medical_reasoning', reward_model: { style: 'rule', ground_truth: it.answer } });
      expect(row.extra_info).toEqual({ index: i, id: it.id, origin: it.origin, type: it.type, difficulty: it.difficulty, split: 'train', stage: 'stage1', letters: optionLetters(it).join(''), mined_rounds: [], failures: null, samples: null });
    }
    expect(r.manifest.files[0].rows).toBe(s1.rows.length);
  });

  it('stage 2 holds every item mined in any round, first-mined order, with its rounds and last failures; test holds the test split', async () => {
    const run = makeRun();
    const r = await runExport(run.dir, { format: 'verl' });
    const train = run.items.filter((it) => it.split === 'train');
    const s2 = (await readParquet(path.join(r.out, 'stage2/train.parquet'))).rows;
    expect(s2.map((x) => [x.extra_info.id, x.extra_info.mined_rounds, x.extra_info.failures, x.extra_info.stage])).toEqual([
      [train[2].id, [1], 4, 'stage2'],
      [train[5].id, [1, 2], 4, 'stage2'],
      [train[0].id, [1], 3, 'stage2'],
      [train[9].id, [2], 3, 'stage2'],
    ]);
    expect(s2.every((x) => x.extra_info.samples === 4)).toBe(true);
    const test = (await readParquet(path.join(r.out, 'test.parquet'))).rows;
    expect(test.map((x) => x.extra_info.id)).toEqual(run.items.filter((it) => it.split === 'test').map((it) => it.id));
    const medqa = test.find((x) => x.extra_info.id === 'medqa-1') as Row;
    expect(medqa).toMatchObject({ data_source: 'fleming/medqa', reward_model: { ground_truth: 'C' }, extra_info: { letters: 'ABCDE', type: 'curated' } });
    expect(medqa.prompt[0].content.split('\n').slice(-5)).toEqual(['A. Vitamin A', 'B. Vitamin B12', 'C. Vitamin C', 'D. Vitamin D', 'E. Vitamin K']);
  });

  it('without a finished stage 2 writes stage 1 and test only and says why in the manifest; an older mining.jsonl without the mined ids is refused', async () => {
    const none = await runExport(makeRun({ stage2: false }).dir, { format: 'verl' });
    expect(none.manifest.files.map((f) => f.path)).toEqual(['stage1/train.parquet', 'test.parquet']);
    expect(none.manifest.notes.join('\n')).toMatch(/no stage-2 mined set: the run's RLVR stage 2 has not finished/);
    const old = makeRun({ stage2: 'old' });
    await expect(runExport(old.dir, { format: 'verl' })).rejects.toThrow(/rlvr\/stage2\/mining\.jsonl:1: round 1 has no minedItems .*fleming rlvr --run .* --force/);
    expect(fs.existsSync(path.join(old.dir, 'export'))).toBe(false);
  });
});

describe('runExport --format trl', () => {
  it('writes SFT JSONL of the kept traces only (prompt/completion and messages) and GRPO JSONL with answer and letters columns', async () => {
    const run = makeRun();
    const r = await runExport(run.dir, { format: 'trl' });
    expect(r.manifest.files.map((f) => f.path)).toEqual(['sft.jsonl', 'sft_messages.jsonl', 'grpo_stage1.jsonl', 'grpo_stage2.jsonl', 'grpo_test.jsonl']);
    const sft = jsonl(path.join(r.out, 'sft.jsonl'));
    const kept = run.cot.slice(0, 6);
    expect(sft.map((x) => x.id)).toEqual(kept.map((c) => c.itemId)); // not verified, test split, wrong answer, no thinking: left out
    const byId = new Map(run.items.map((it) => [it.id, it]));
    sft.forEach((x, i) => {
      expect(x.prompt).toEqual([{ role: 'user', content: itemPrompt(byId.get(x.id) as Item) }]);
      expect(x.completion).toEqual([{ role: 'assistant', content: kept[i].completion.replace(/<\|eos\|>$/, '') }]); // the template appends <|eos|>
      expect(x.completion[0].content).toMatch(/^<think>[\s\S]+<\/think>\n<answer>[A-Z]<\/answer>$/);
    });
    const msgs = jsonl(path.join(r.out, 'sft_messages.jsonl'));
    expect(msgs.map((x) => x.messages)).toEqual(sft.map((x) => [...x.prompt, ...x.completion]));
    const skipped = r.manifest.notes.join('\n');
    for (const why of ['by design: not verified', 'by design: item is in the test split', "trace's answer is not the item's answer", 'completion is not <think>']) expect(skipped).toContain(why);
    const g1 = jsonl(path.join(r.out, 'grpo_stage1.jsonl'));
    expectStage1Stream(run.dir, run.items, g1.map((x) => x.id));
    expect(r.manifest.notes.join('\n')).toMatch(/stage 1: \d+ prompts .* in the order RLVR stage 1 draws them \(rlvr\.stage1Draw anchors\); train with GRPOConfig\(shuffle_dataset=False\)/);
    for (const x of g1) expect(x).toMatchObject({ answer: byId.get(x.id)?.answer, letters: optionLetters(byId.get(x.id) as Item).join(''), stage: 'stage1', prompt: [{ role: 'user', content: itemPrompt(byId.get(x.id) as Item) }] });
    expect(jsonl(path.join(r.out, 'grpo_stage2.jsonl')).map((x) => x.mined_rounds)).toEqual([[1], [1, 2], [1], [2]]);
  });

  it('refuses a run whose cold start has not finished, naming the command, and writes nothing', async () => {
    const run = makeRun({ cot: false });
    await expect(runExport(run.dir, { format: 'trl' })).rejects.toThrow(/coldstart\/cot\.jsonl: no finished CoT traces; run `fleming coldstart --run .*` first/);
    expect(fs.existsSync(path.join(run.dir, 'export'))).toBe(false);
  });
});

describe('runExport --format hf', () => {
  it("writes a dataset folder whose card's YAML names every data file, the features of each config and the split sizes", async () => {
    const run = makeRun();
    const r = await runExport(run.dir, { format: 'hf', out: path.join(run.dir, 'hub') });
    const card = fs.readFileSync(path.join(r.out, 'README.md'), 'utf8');
    const header = parseYaml(card.split('---\n')[1]) as Row;
    expect(header.configs.map((c: Row) => c.config_name)).toEqual(['rl', 'sft', 'items']);
    expect(header.configs[0].default).toBe(true);
    const fields: Record<string, Field[]> = { rl: RL_FIELDS, sft: SFT_FIELDS, items: ITEM_FIELDS };
    for (const info of header.dataset_info as Row[]) {
      expect(info.features).toEqual(fields[info.config_name].map(featureYaml));
      const files = header.configs.find((c: Row) => c.config_name === info.config_name).data_files as Row[];
      for (const [i, s] of (info.splits as Row[]).entries()) {
        expect(files[i].split).toBe(s.name);
        const { rows, schema } = await readParquet(path.join(r.out, files[i].path));
        expect(rows.length, files[i].path).toBe(s.num_examples);
        expect(fs.statSync(path.join(r.out, files[i].path)).size).toBe(s.num_bytes);
        expect(schema).toEqual(expectedTree(fields[info.config_name]));
      }
    }
    expect(header.configs[0].data_files.map((f: Row) => f.path)).toEqual(['rl/stage1.parquet', 'rl/stage2.parquet', 'rl/test.parquet']);
    const items = await readParquet(path.join(r.out, 'items/test.parquet'));
    expect(items.rows.find((x) => x.id === 'medqa-1')?.options.map((o: Row) => o.letter)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(header.license).toBe('other');
    expect(header.tags).not.toContain('non-commercial');
  });

  it('the card and LICENSE.md name each source with its licence; SIDER marks the dataset non-commercial; an unknown source is flagged', async () => {
    const run = makeRun({ sources: { 'disease-ontology': 40, sider4: 7, 'my-private-kb': 3 } });
    const r = await runExport(run.dir, { format: 'hf' });
    const card = fs.readFileSync(path.join(r.out, 'README.md'), 'utf8');
    const licence = fs.readFileSync(path.join(r.out, 'LICENSE.md'), 'utf8');
    for (const text of [card, licence]) {
      expect(text).toContain('CC0 1.0');
      expect(text).toContain('CC BY-NC-SA 4.0 (non-commercial)');
      expect(text).toMatch(/MedQA \(USMLE\).*MIT/);
      expect(text).toMatch(/my-private-kb.*unknown: check the origin/);
    }
    const header = parseYaml(card.split('---\n')[1]) as Row;
    expect(header.tags).toContain('non-commercial');
    expect(header.license_name).toBe('mixed-non-commercial');
  });

  it('without traces or stage 2 the folder has the configs it can make and the card says what is missing', async () => {
    const run = makeRun({ cot: false, stage2: false });
    const r = await runExport(run.dir, { format: 'hf' });
    const header = parseYaml(fs.readFileSync(path.join(r.out, 'README.md'), 'utf8').split('---\n')[1]) as Row;
    expect(header.configs.map((c: Row) => c.config_name)).toEqual(['rl', 'items']);
    expect(header.configs[0].data_files.map((f: Row) => f.split)).toEqual(['stage1', 'test']);
    const card = fs.readFileSync(path.join(r.out, 'README.md'), 'utf8');
    expect(card).toContain('Note: no stage-2 mined set');
    expect(card).toContain('Note: no SFT traces');
  });
});

describe('runExport errors', () => {
  it('names an unknown format and a run without RODS items, before writing anything', async () => {
    const run = makeRun({ rods: false });
    await expect(runExport(run.dir, { format: 'parquet' })).rejects.toThrow('unknown export format "parquet" (choose verl, trl, hf, logits)');
    await expect(runExport(run.dir, { format: 'verl' })).rejects.toThrow(/rods\/items\.jsonl: no RODS items; run `fleming rods --run .*` first/);
    expect(fs.existsSync(path.join(run.dir, 'export'))).toBe(false);
  });

  it('names the file and line of an item whose answer is not one of its options', async () => {
    const run = makeRun();
    const file = path.join(run.dir, 'rods', 'items.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    lines[3] = JSON.stringify({ ...JSON.parse(lines[3]), answer: 'Q' });
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await expect(runExport(run.dir, { format: 'hf' })).rejects.toThrow(/items\.jsonl:4: answer "Q" is not one of the options ABCD/);
  });

  it('leaves the run as it was: only export/ is added', async () => {
    const run = makeRun();
    const snapshot = () => fs.readdirSync(run.dir, { recursive: true, withFileTypes: false }).map(String).filter((f) => !f.startsWith('export')).sort().map((f) => [f, fs.statSync(path.join(run.dir, f)).mtimeMs]);
    const before = snapshot();
    for (const format of ['verl', 'trl', 'hf']) await runExport(run.dir, { format });
    expect(snapshot()).toEqual(before);
    const m = JSON.parse(fs.readFileSync(path.join(run.dir, 'export', 'hf', 'manifest.json'), 'utf8')) as Manifest;
    expect(m).toMatchObject({ format: 'hf', run: run.dir, rewardWeights: { correctness: 1, format: 0.25 } });
  });
});
