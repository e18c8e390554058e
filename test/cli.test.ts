import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeApis, FakeApis } from './graph/agent/fake-apis';
import { parseCli } from '../src/cli';
import { openRun } from '../src/core/run';
import { tempDir } from './helpers/tmp';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'fleming.cjs');
const servers: FakeApis[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function fleming(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FLEMING_QUIET: '1', FLEMING_NO_PNG: '1', ...env }, maxBuffer: 10 * 2 ** 20 });
}

describe('fleming command', () => {
  it('fleming help lists every command', async () => {
    const { stdout } = await fleming(['help']);
    for (const c of ['pipeline', 'graph', 'rods', 'pretrain', 'coldstart', 'rlvr', 'eval', 'discover', 'download', 'bench', '--resume', 'run.lock']) expect(stdout).toContain(c);
  });

  it('fleming with a bad option exits 1 with a message naming it', async () => {
    await expect(fleming(['graph', '--kgg', 'seed'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("'--kgg'") });
  });

  it('fleming graph --kg open without sources says what to do', async () => {
    const dir = tempDir('fleming-cli-');
    const err = await fleming(['graph', '--kg', 'open', '--sources', path.join(dir, 'nowhere'), '--run', path.join(dir, 'run')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('the open knowledge-graph sources were not found');
    expect(err.stderr).toContain('fleming download');
  });

  it('fleming graph on the seed writes the graph files and a report', async () => {
    const dir = tempDir('fleming-cli-');
    const { stdout } = await fleming(['graph', '--run', path.join(dir, 'run'), '--set', 'base.release=']); // from scratch, whether or not data/base holds a release
    expect(stdout).toContain('graph written to');
    for (const f of ['nodes.jsonl', 'edges.jsonl', 'stats.json', 'skipped.json', 'report.md', 'plots/degree.html']) expect(fs.existsSync(path.join(dir, 'run', 'graph', f))).toBe(true);
    const stats = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'graph', 'stats.json'), 'utf8'));
    expect(stats.nodes).toBe(441); // the default preset's from-scratch world: 25 diseases of the seed graph
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run', 'graph', 'focus.json'), 'utf8')).anchors).toHaveLength(25);
  });

  it('fleming discover crawls the (local, fake) Wikipedia and Wikidata APIs into the run', async () => {
    const apis = await startFakeApis();
    servers.push(apis);
    const dir = tempDir('fleming-cli-');
    const env = { FLEMING_WIKIPEDIA_API: apis.wikipediaApi, FLEMING_WIKIDATA_API: apis.wikidataApi, FLEMING_AGENT_CACHE: path.join(dir, 'cache') };
    const { stdout } = await fleming(['discover', '--run', path.join(dir, 'run'), '--seeds', 'Tuberculosis', '--rps', '200'], env);
    expect(stdout).toMatch(/discover: \d+ entities, \d+ edges/);
    const out = path.join(dir, 'run', 'graph', 'discovered');
    const nodes = fs.readFileSync(path.join(out, 'nodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(nodes.some((n: { name: string; type: string }) => n.type === 'disease' && /tuberculosis/i.test(n.name))).toBe(true);
    expect(apis.requests.length).toBeGreaterThan(0);
    // a second run is answered from the cache and the saved state
    const before = apis.requests.length;
    await fleming(['discover', '--run', path.join(dir, 'run'), '--seeds', 'Tuberculosis', '--rps', '200'], env);
    expect(apis.requests.length).toBe(before);
  });
});

describe('fleming on a mistyped or changed run', () => {
  const tmp = () => tempDir('fleming-cli-run-');
  /** A run made the way `fleming graph --run DIR ...` makes it (config.json), without running the stage. */
  const makeRun = (dir: string, ...args: string[]) => openRun(parseCli(['graph', '--run', dir, ...args]).config, { quiet: true });
  const files = (dir: string) => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

  it('fleming eval --run DIR on a directory that is not a run exits 1 and creates nothing', async () => {
    const root = tmp();
    const missing = path.join(root, 'nonexistent');
    const err = await fleming(['eval', '--run', missing]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`${missing} is not a run directory (no such directory)`);
    expect(fs.existsSync(missing)).toBe(false);
    fs.mkdirSync(path.join(root, 'notes'));
    expect(() => parseCli(['coldstart', '--run', path.join(root, 'notes')])).toThrow(`${path.join(root, 'notes')} is not a run directory (no config.json)`);
    expect(files(root)).toEqual(['notes']);
  });

  it('fleming rlvr --set rlvr.lr=abc exits 1 naming the key and what it allows, and writes nothing to the run', async () => {
    const run = path.join(tmp(), 'run');
    makeRun(run, '--preset', 'smoke');
    const before = fs.readFileSync(path.join(run, 'config.json'), 'utf8');
    const err = await fleming(['rlvr', '--run', run, '--set', 'rlvr.lr=abc']).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('rlvr.lr must be a number > 0 (default 0.00003); got "abc"');
    expect(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).toBe(before);
    expect(files(run)).toEqual(['config.json']);
  });

  it('parseCli() of a stage command without --run takes the latest run under runs/ and says so; with none, says how to name one', () => {
    const root = tmp();
    expect(() => parseCli(['rods'], new Date(), root)).toThrow(`fleming rods: no run under ${path.join(root, 'runs')} yet; name one with --run DIR, or make one with \`fleming pipeline\` or \`fleming graph\``);
    expect(fs.existsSync(path.join(root, 'runs'))).toBe(false);
    makeRun(path.join(root, 'runs', 'b-older'));
    makeRun(path.join(root, 'runs', 'a-newer'), '--preset', 'smoke');
    const t = Date.now() / 1000;
    fs.utimesSync(path.join(root, 'runs', 'b-older', 'config.json'), t - 60, t - 60);
    const a = parseCli(['coldstart'], new Date(), root);
    expect(a.config.runDir).toBe(path.join('runs', 'a-newer'));
    expect(a.config.preset).toBe('smoke'); // the run's preset, not the default
    expect(a.notes).toEqual([`fleming coldstart: on the latest run, ${path.join('runs', 'a-newer')} (--run DIR names another)`]);
    expect(parseCli(['graph'], new Date('2026-01-02T03:04:05Z'), root).config.runDir).toBe('runs/2026-01-02T03-04-05'); // graph makes a new run
  });

  it('parseCli() on an existing run keeps the settings it recorded; --preset or --run on other files are refused', () => {
    const root = tmp();
    const run = path.join(root, 'run');
    makeRun(run, '--preset', 'smoke', '--seed', '7', '--set', 'graph.focus.diseases=10', '--set', 'rlvr.k=6', '--strict');
    const a = parseCli(['rods', '--run', run]);
    expect([a.config.preset, a.config.seed, a.config.graph.focus.diseases, a.config.rlvr.k, a.config.strict]).toEqual(['smoke', 7, 10, 6, false]); // --strict is per command
    expect(parseCli(['eval', '--run', run, '--strict']).config.strict).toBe(true); // fleming eval --strict reaches the benchmark loaders (test/eval/inputs.test.ts)
    expect(a.config.rods.items).toBe(600); // the smoke preset's
    const judge = { baseUrl: 'http://127.0.0.1:9/v1', model: 'j', apiKeyEnv: 'JUDGE_KEY', maxConcurrency: 2 };
    makeRun(path.join(root, 'judged'), '--set', `rods.judge=${JSON.stringify(judge)}`);
    expect(parseCli(['rods', '--run', path.join(root, 'judged')]).config.rods.judge).toEqual(judge); // an endpoint comes back whole
    expect(() => parseCli(['rods', '--run', run, '--preset', 'default'])).toThrow(`${run} was made with --preset smoke; --preset default would change its settings`);
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    expect(() => parseCli(['graph', '--run', other])).toThrow(`${other} holds other files and no config.json: not a run directory`);
  });

  it('parseCli() refuses a changed setting of a finished stage unless --force redoes that stage; unfinished stages and eval settings may change', () => {
    const run = path.join(tmp(), 'run');
    makeRun(run, '--preset', 'smoke');
    fs.mkdirSync(path.join(run, 'rlvr', 'stage1'), { recursive: true });
    fs.writeFileSync(path.join(run, 'rlvr', 'stage1', 'done.json'), '{"fingerprint":{}}\n');
    const changed = 'rlvr.lr changed from 0.00003 to 0.0001, but rlvr finished in this run with 0.00003 (rlvr/stage1/done.json)';
    expect(() => parseCli(['rlvr', '--run', run, '--set', 'rlvr.lr=1e-4'])).toThrow(`${changed}. Nothing was changed: add --force to redo rlvr (its outputs are replaced), or use another --run`);
    expect(() => parseCli(['eval', '--run', run, '--force', '--set', 'rlvr.lr=1e-4'])).toThrow(`\`fleming rlvr --run ${run} --force --set rlvr.lr=…\` redoes it`);
    expect(parseCli(['rlvr', '--run', run, '--force', '--set', 'rlvr.lr=1e-4']).notes).toEqual([`${changed}: --force redoes rlvr, replacing its outputs`]);
    expect(parseCli(['rlvr', '--run', run, '--set', 'rlvr.lr=3e-5']).notes).toEqual([]); // the same value is no change
    expect(parseCli(['rods', '--run', run, '--set', 'rods.items=100']).config.rods.items).toBe(100); // rods has not finished
    expect(parseCli(['eval', '--run', run, '--set', 'eval.testItems=10', '--set', 'rods.benchmarksDir=/data']).config.eval.testItems).toBe(10);
  });

  it('parseCli() takes --resume for the commands that train SFT or GRPO and refuses it elsewhere', () => {
    const run = path.join(tmp(), 'run');
    makeRun(run, '--preset', 'smoke');
    expect(parseCli(['coldstart', '--run', run, '--set', 'sft.lr=1e-3', '--resume']).resume).toBe(true);
    expect(parseCli(['rlvr', '--run', run]).resume).toBe(false);
    expect(() => parseCli(['pretrain', '--run', run, '--resume'])).toThrow('--resume continues SFT or GRPO training (fleming coldstart, rlvr, pipeline), not `fleming pretrain`');
  });
});
