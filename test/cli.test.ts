import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeApis, FakeApis } from './graph/agent/fake-apis';

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
    for (const c of ['pipeline', 'graph', 'rods', 'pretrain', 'coldstart', 'rlvr', 'eval', 'discover', 'download', 'bench']) expect(stdout).toContain(c);
  });

  it('fleming with a bad option exits 1 with a message naming it', async () => {
    await expect(fleming(['graph', '--kgg', 'seed'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("'--kgg'") });
  });

  it('fleming graph --kg open without sources says what to do', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-cli-'));
    const err = await fleming(['graph', '--kg', 'open', '--sources', path.join(dir, 'nowhere'), '--run', path.join(dir, 'run')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('the open knowledge-graph sources were not found');
    expect(err.stderr).toContain('fleming download');
  });

  it('fleming graph on the seed writes the graph files and a report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-cli-'));
    const { stdout } = await fleming(['graph', '--run', path.join(dir, 'run')]);
    expect(stdout).toContain('graph written to');
    for (const f of ['nodes.jsonl', 'edges.jsonl', 'stats.json', 'skipped.json', 'report.md', 'plots/degree.html']) expect(fs.existsSync(path.join(dir, 'run', 'graph', f))).toBe(true);
    const stats = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'graph', 'stats.json'), 'utf8'));
    expect(stats.nodes).toBe(441); // the default preset's 25-disease world of the seed graph
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run', 'graph', 'focus.json'), 'utf8')).anchors).toHaveLength(25);
  });

  it('fleming discover crawls the (local, fake) Wikipedia and Wikidata APIs into the run', async () => {
    const apis = await startFakeApis();
    servers.push(apis);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-cli-'));
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
