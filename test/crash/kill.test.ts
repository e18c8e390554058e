/**
 * kill -9 at any moment: each stage's command (`node bin/fleming.cjs <stage>`) on a copy of a
 * finished reference run without that stage's outputs, killed half way through one of its writes
 * (FLEMING_WRITE_FAULT=kill:<file>:<n>, src/core/io.ts) or after a progress line, then run again,
 * ends with the reference's files, byte for byte apart from timing fields, this call's
 * generated/reused counts and the run's path: no temporary file, no lock, no doubled row left.
 * The Base recipe (`fleming base`, a release folder rather than a run) likewise, and the server.
 * Also: the run lock between two commands, a full disk (ENOSPC) that names its file, a finished
 * eval on a read-only copy, and a read-only parent folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'fleming.cjs');
/** The smoke preset, smaller still: the reference pipeline takes about a minute. */
const SETTINGS = ['--preset', 'smoke', ...['rods.items=240', 'pretrain.steps=40', 'pretrain.tuneSteps=10', 'pretrain.checkpointEvery=10', 'pretrain.evalItems=12', 'sft.steps=30', 'sft.checkpointEvery=10', 'sft.evalItems=12', 'rlvr.evalItems=12', 'eval.testItems=24', 'eval.bootstrap=100'].flatMap((s) => ['--set', s])];
/** The outputs of each stage command, relative to the run. */
const OUTPUTS: Record<string, string[]> = {
  graph: ['graph'],
  rods: ['rods'],
  pretrain: ['coldstart/base'],
  coldstart: ['coldstart/cot.jsonl', 'coldstart/cot-failures.jsonl', 'coldstart/cot-stats.json', 'coldstart/cot-done.json', 'coldstart/sft'],
  rlvr: ['rlvr'],
  eval: ['eval'],
};

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Called once with the child when a stderr line matches `on` (e.g. to stop or kill it). */
  on?: RegExp;
  then?: (child: ChildProcess) => void | Promise<void>;
  uid?: number;
}

/** Starts the real command line: the child, its output so far, and its exit (code or signal). */
function start(args: string[], o: RunOptions): { child: ChildProcess; out: { stdout: string; stderr: string }; done: Promise<Ran> } {
  const env: Record<string, string | undefined> = { ...process.env, FLEMING_NO_PNG: '1', ...o.env };
  if (o.uid !== undefined) env.TMPDIR = othersTmp(); // tsx keeps its cache there: removed with the test's folders
  delete env.FLEMING_QUIET; // progress lines are kill points
  delete env.FLEMING_BENCHMARKS; // the reference and the reruns see the same (no) public benchmarks
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}) });
  const out = { stdout: '', stderr: '' };
  let fired = false;
  child.stdout?.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => {
    out.stderr += c.toString();
    if (o.on && !fired && o.on.test(out.stderr)) {
      fired = true;
      void o.then?.(child);
    }
  });
  return { child, out, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...out }))) };
}

/** Runs the real command line; resolves when it exits. */
const fleming = (args: string[], o: RunOptions): Promise<Ran> => start(args, o).done;

/** Every file of a run (log.txt aside) with timing fields, this call's counts and the run's path taken out. */
function snapshot(dir: string, refDir = ref): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const file = path.join(dir, rel);
    if (HISTORY.has(rel) || fs.statSync(file).isDirectory()) continue;
    const bytes = fs.readFileSync(file);
    const text = () => bytes.toString('utf8').split(dir).join('<run>').split(refDir).join('<run>'); // files copied from the reference name its path
    out[rel] = /\.(json|jsonl|md|csv|html|txt)$/.test(rel) ? normalize(rel, text()) : bytes.toString('base64');
  }
  return out;
}

const TIMING = /^(seconds|\w+Seconds|elapsedMs|finishedAt|buildSeconds)$/;
const CALL_COUNTS = new Set(['generated', 'reused']);
/** Hashes of a file that holds a finish time: stage 2's fingerprint names stage 1's done.json by its hash, the Base's manifest its recipe.json. */
const TIMING_HASHES: Record<string, (v: Record<string, Record<string, unknown>>) => void> = {
  'rlvr/stage2/done.json': (v) => delete v.fingerprint?.from,
  'manifest.json': (v) => delete v.files?.['recipe.json'],
};
/** Logs of what each process did, not outputs: the run's log, the Base recipe's sessions (a resumed run has two). */
const HISTORY = new Set(['log.txt', path.join('train', 'sessions.jsonl')]);

function normalize(rel: string, text: string): string {
  const strip = (v: unknown, top: boolean): unknown =>
    Array.isArray(v) ? v.map((x) => strip(x, false)) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING.test(k) && !(top && rel === 'eval/summary.json' && CALL_COUNTS.has(k))).map(([k, x]) => [k, strip(x, false)])) : v;
  const json = (t: string) => {
    try {
      const v = strip(JSON.parse(t), true) as Record<string, Record<string, unknown>>;
      TIMING_HASHES[rel]?.(v);
      return JSON.stringify(v);
    } catch {
      return t; // cut short by the kill: compared as it is
    }
  };
  if (rel.endsWith('.json')) return json(text);
  if (rel.endsWith('.jsonl')) return text.split('\n').map((l) => (l.trim() ? json(l) : l)).join('\n');
  return text.replace(/\d+ completions generated and \d+ reused/g, 'N completions generated and M reused').replace(/\b\d+(\.\d+)? s\b/g, 'T s');
}

let ref = '';
let refFiles: Record<string, string> = {};

/** A copy of the reference run without `stage`'s outputs; returns its root (the command's cwd) and run directory. */
function copyWithout(stage: string, also: string[] = []): { root: string; dir: string } {
  const root = tempDir('kill');
  const dir = path.join(root, 'run');
  fs.cpSync(ref, dir, { recursive: true });
  for (const p of [...OUTPUTS[stage], ...also]) fs.rmSync(path.join(dir, p), { recursive: true, force: true });
  return { root, dir };
}

/**
 * Runs `fleming <stage>` on a copy killed as `kill` says, checks it died by SIGKILL before the
 * stage finished, runs it again and checks the run equals the reference.
 */
async function killAndResume(stage: string, kill: { fault?: string; on?: RegExp; also?: string[] }): Promise<{ killed: Ran; again: Ran; dir: string }> {
  const { root, dir } = copyWithout(stage, kill.also);
  const killed = await fleming([stage, '--run', 'run'], { cwd: root, env: kill.fault ? { FLEMING_WRITE_FAULT: kill.fault } : {}, on: kill.on, then: (c) => void c.kill('SIGKILL') });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  expect(snapshot(dir)).not.toEqual(refFiles);
  const again = await fleming([stage, '--run', 'run'], { cwd: root });
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(`took over ${path.join(dir, 'run.lock')}: its holder \`fleming ${stage} --run run\``);
  const files = snapshot(dir);
  expect(Object.keys(files)).toEqual(Object.keys(refFiles));
  for (const f of Object.keys(refFiles)) expect(files[f], f).toBe(refFiles[f]);
  return { killed, again, dir };
}

beforeAll(async () => {
  const root = tempDir('kill-ref');
  const r = await fleming(['pipeline', ...SETTINGS, '--run', 'run'], { cwd: root });
  expect(r.code, r.stderr).toBe(0);
  ref = path.join(root, 'run');
  refFiles = snapshot(ref);
}, 600_000);

describe('kill -9, then the same command again: the reference run', () => {
  it('fleming graph killed half way through writing edges.jsonl', async () => {
    const { again } = await killAndResume('graph', { fault: 'kill:edges.jsonl' });
    expect(again.stderr).toMatch(/removed 1 temporary file that an interrupted write left: graph\/edges\.jsonl\.tmp-\d+-\d+-\d+/);
  }, 120_000);

  it('fleming graph killed half way through copying plotly.min.js: the cut copy never shows under its name, the rerun copies it whole', async () => {
    const { again, dir } = await killAndResume('graph', { fault: 'kill:plotly.min.js', also: ['plotly.min.js'] });
    expect(again.stderr).toMatch(/removed 1 temporary file that an interrupted write left: plotly\.min\.js\.tmp-\d+-\d+-\d+/);
    expect(fs.readFileSync(path.join(dir, 'plotly.min.js')).equals(fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js')))).toBe(true);
  }, 120_000);

  it('fleming rods killed half way through writing test.jsonl', async () => {
    await killAndResume('rods', { fault: 'kill:test.jsonl' });
  }, 120_000);

  it('fleming pretrain killed half way through its second checkpoint', async () => {
    const { again } = await killAndResume('pretrain', { fault: 'kill:model.safetensors:2' });
    expect(again.stderr).toMatch(/resuming from .*coldstart\/base\/last at step 10\//);
  }, 300_000);

  it('fleming coldstart killed half way through the second SFT checkpoint', async () => {
    const { again } = await killAndResume('coldstart', { fault: 'kill:model.safetensors:2' });
    expect(again.stderr).toMatch(/sft: resuming from .*coldstart\/sft\/last at step 10\//);
  }, 300_000);

  it('fleming rlvr killed half way through a rollouts.jsonl row of stage 1 (a cut append file)', async () => {
    const { again } = await killAndResume('rlvr', { fault: 'kill:rollouts.jsonl:40' });
    expect(again.stderr).toMatch(/rlvr: stage 1: resuming from .*rlvr\/stage1\/last at step 2/);
  }, 300_000);

  it('fleming eval killed half way through its 30th results.jsonl row: the cut line is dropped and its item evaluated again', async () => {
    const { again, dir } = await killAndResume('eval', { fault: 'kill:results.jsonl:30' });
    expect(again.stderr).toContain(`eval: ${path.join(dir, 'eval', 'results.jsonl')}:30: last line cut short`);
    const [, generated, reused] = /eval: (\d+) completions generated, (\d+) reused/.exec(again.stderr) ?? [];
    expect(Number(generated)).toBeGreaterThan(0);
    expect(Number(reused)).toBeGreaterThanOrEqual(29); // the 29 whole rows, and the items too long to decode
  }, 300_000);

  it('fleming base (the Base recipe) killed half way through its second checkpoint releases the same Base', async () => {
    const recipe = ['world=5', 'steps=24', 'checkpointEvery=8', 'probeEvery=12', 'hiddenSize=32', 'intermediateSize=64', 'layers=1', 'heads=2', 'kvHeads=2', 'bpeVocab=600', 'batchSize=4', 'seqLen=64'].flatMap((s) => ['--set', `base.${s}`]);
    const base = async (fault?: string) => {
      const root = tempDir('kill-base');
      const args = ['base', ...recipe, '--set', `base.release=${path.join(root, 'base')}`];
      const killed = fault ? await fleming(args, { cwd: root, env: { FLEMING_WRITE_FAULT: fault } }) : undefined;
      const r = await fleming(args, { cwd: root });
      expect(r.code, r.stderr).toBe(0);
      return { dir: path.join(root, 'base'), killed, r };
    };
    const whole = await base();
    const cut = await base('kill:model.safetensors:2');
    expect(cut.killed?.signal, cut.killed?.stderr).toBe('SIGKILL');
    expect(cut.r.stderr).toMatch(/base: resuming from .*train\/last at step 8\/24/);
    expect(snapshot(cut.dir, whole.dir)).toEqual(snapshot(whole.dir, whole.dir));
    expect(fs.readFileSync(path.join(cut.dir, 'train', 'sessions.jsonl'), 'utf8')).toMatch(/^\{"fromStep":8,"toStep":24,/);
  }, 300_000);

  it('fleming serve killed mid-request: its checkpoint is untouched and a new server answers the same', async () => {
    const ckpt = path.join(ref, 'coldstart', 'sft');
    const before = snapshot(ckpt);
    const ask = (url: string, seed: number) =>
      fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sft', messages: [{ role: 'user', content: 'Which drug treats asthma? A. Insulin B. Salbutamol C. Aspirin D. Omeprazole' }], temperature: 0.8, seed, max_tokens: 48 }) }).then((r) => r.json() as Promise<{ choices: { message: { content: string } }[] }>);
    const answers: string[] = [];
    for (let round = 0; round < 2; round++) {
      const cwd = tempDir('kill-serve');
      const served = start(['serve', '--checkpoint', ckpt, '--port', '0'], { cwd });
      let url = '';
      while (!url) {
        await new Promise((r) => setTimeout(r, 50));
        url = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(served.out.stderr)?.[1] ?? '';
      }
      answers.push((await ask(url, 7)).choices[0].message.content);
      // a request whose body has gone out: the server is killed before it can answer
      const inFlight = new Promise<string>((resolve) => {
        const req = http.request(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => resolve(`answered ${res.statusCode}`));
        req.on('error', (e) => resolve(e.message));
        req.end(JSON.stringify({ model: 'sft', messages: [{ role: 'user', content: 'Which drug treats asthma?' }], n: 8, max_tokens: 128 }), () => served.child.kill('SIGKILL'));
      });
      expect((await served.done).signal).toBe('SIGKILL');
      expect(await inFlight).toMatch(/socket hang up|ECONNRESET/);
      expect(fs.readdirSync(cwd)).toEqual([]);
    }
    expect(answers[1]).toBe(answers[0]);
    expect(snapshot(ckpt)).toEqual(before);
  }, 120_000);
});

/** A temporary folder another user may write to. */
function othersTmp(): string {
  const d = tempDir('kill-tmp');
  fs.chmodSync(d, 0o777);
  return d;
}

/** Runs as a user that cannot write where root can (nobody) when the tests run as root, where file modes do not bind. */
const asReader = (): number | undefined => (process.getuid?.() === 0 ? 65534 : undefined);

/** Takes the write bits off a tree (and lets others read it, for nobody). */
function readOnly(dir: string): void {
  for (const rel of ['', ...(fs.readdirSync(dir, { recursive: true }) as string[])]) {
    const p = path.join(dir, rel);
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o555 : 0o444);
  }
}

/** Every file of a tree with its bytes' hash, inode and time: what any write would change. */
function exactly(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const st = fs.statSync(path.join(dir, rel));
    out[rel] = st.isDirectory() ? 'dir' : `${st.ino}:${st.mtimeMs}:${fs.readFileSync(path.join(dir, rel)).toString('base64').length}`;
  }
  return out;
}

describe('one command at a time, full disks, read-only runs', () => {
  it('a second command on a run in use stops and names the first (two pipelines never interleave); a lock left by kill -9 is taken over', async () => {
    const { root, dir } = copyWithout('coldstart');
    let second: Ran | undefined;
    let pid = 0;
    const first = await fleming(['coldstart', '--run', 'run'], {
      cwd: root,
      on: /coldstart: sft: started/,
      then: async (child) => {
        pid = child.pid as number;
        child.kill('SIGSTOP'); // holds the lock, does nothing
        second = await fleming(['pipeline', '--run', 'run'], { cwd: root });
        child.kill('SIGKILL');
      },
    });
    expect(first.signal).toBe('SIGKILL');
    expect(second?.code).toBe(1);
    expect(second?.stderr).toMatch(new RegExp(`^fleming: ${dir} is in use by another command: \`fleming coldstart --run run\` \\(pid ${pid} on .+, since .+\\)\\. Wait for it to finish, or use another --run directory\\.\\n$`));
    expect(fs.readdirSync(path.join(dir, 'eval')).sort()).toEqual(fs.readdirSync(path.join(ref, 'eval')).sort()); // the second wrote nothing
    const again = await fleming(['coldstart', '--run', 'run'], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`took over ${path.join(dir, 'run.lock')}: its holder \`fleming coldstart --run run\` (pid ${pid}`);
    expect(snapshot(dir)).toEqual(refFiles);
  }, 300_000);

  it('a full disk (ENOSPC) mid-write of results.jsonl names the file, keeps whole rows only, and the next fleming eval completes the run', async () => {
    const { root, dir } = copyWithout('eval');
    const file = path.join(dir, 'eval', 'results.jsonl');
    const full = await fleming(['eval', '--run', 'run'], { cwd: root, env: { FLEMING_WRITE_FAULT: 'ENOSPC:results.jsonl:30' } });
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(`fleming: ${file}: could not write: no space left on device (ENOSPC); free some space and rerun: the command resumes`);
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(30); // 29 whole rows and the final line end
    expect(fs.existsSync(path.join(dir, 'run.lock'))).toBe(false); // released on the way out
    const again = await fleming(['eval', '--run', 'run'], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(refFiles);
  }, 300_000);

  it('a full disk mid-write of an SFT checkpoint names model.safetensors and leaves no temporary file; the rerun resumes to the reference', async () => {
    const { root, dir } = copyWithout('coldstart');
    const full = await fleming(['coldstart', '--run', 'run'], { cwd: root, env: { FLEMING_WRITE_FAULT: 'ENOSPC:model.safetensors:2' } });
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(`fleming: ${path.join(dir, 'coldstart', 'sft', 'last.tmp', 'model.safetensors')}: could not write: no space left on device (ENOSPC)`);
    expect((fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.tmp-\d/.test(f))).toEqual([]);
    const again = await fleming(['coldstart', '--run', 'run'], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(refFiles);
  }, 300_000);

  it('fleming eval on a finished run writes nothing, so it runs on a read-only copy', async () => {
    const root = tempDir('kill-ro');
    const dir = path.join(root, 'run');
    fs.cpSync(ref, dir, { recursive: true });
    fs.rmSync(path.join(dir, 'run.lock'), { force: true });
    readOnly(root);
    const before = exactly(dir);
    const r = await fleming(['eval', '--run', 'run'], { cwd: root, uid: asReader() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${dir} is read-only: not locked (nothing can write to it)`);
    expect(r.stderr).toContain(`${dir} is read-only: log lines go to stderr only, not to ${path.join(dir, 'log.txt')}`);
    expect(r.stderr).toContain('eval: nothing new (every result was in results.jsonl)');
    expect(exactly(dir)).toEqual(before);
  }, 120_000);

  it('a run under a read-only folder: the message names the folder that is read-only', async () => {
    const root = tempDir('kill-ro-parent');
    readOnly(root);
    const run = path.join(root, 'sub', 'run');
    const r = await fleming(['graph', '--run', run], { cwd: root, uid: asReader() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^fleming: cannot create ${run}: ${root} is read-only \\(E[A-Z]+\\)\\n$`));
  }, 60_000);
});
