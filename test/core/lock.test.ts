import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockInfo, RunLocked, checkUnlocked, lockFile, lockRun } from '../../src/core/lock';
import { tempDir } from '../helpers/tmp';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

const info = (pid: number, host = os.hostname()): LockInfo => ({ pid, host, started: '2026-01-01T00:00:00.000Z', command: 'fleming pipeline --preset smoke' });

describe('lockRun', () => {
  it('lockRun() writes pid, host, start and command to run.lock, and release() removes it', () => {
    const dir = path.join(tempDir('lock'), 'run');
    const lock = lockRun(dir, 'fleming graph --run x');
    const held = JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')) as LockInfo;
    expect(held).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'fleming graph --run x' });
    expect(Date.now() - Date.parse(held.started)).toBeLessThan(60_000);
    expect(lock.note).toBeUndefined();
    expect(lockRun(dir, 'again').note).toBeUndefined(); // the same process holds it already
    lock.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('lockRun() on a run that a live process holds throws RunLocked naming it; another host counts as live', async () => {
    const dir = tempDir('lock');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.writeFileSync(lockFile(dir), JSON.stringify(info(sleeper.pid as number)));
      const err = (() => {
        try {
          lockRun(dir, 'fleming eval');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(RunLocked);
      expect((err as Error).message).toBe(`${dir} is in use by another command: \`fleming pipeline --preset smoke\` (pid ${sleeper.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z). Wait for it to finish, or use another --run directory.`);
    } finally {
      sleeper.kill('SIGKILL');
    }
    fs.writeFileSync(lockFile(dir), JSON.stringify(info(deadPid(), 'another-host')));
    expect(() => lockRun(dir, 'fleming eval')).toThrow(RunLocked);
  });

  it('lockRun() takes over a lock whose process is gone and says so', () => {
    const dir = tempDir('lock');
    const pid = deadPid();
    fs.writeFileSync(lockFile(dir), JSON.stringify(info(pid)));
    const lock = lockRun(dir, 'fleming coldstart');
    expect(lock.note).toBe(`took over ${lockFile(dir)}: its holder \`fleming pipeline --preset smoke\` (pid ${pid}, since 2026-01-01T00:00:00.000Z) is gone (killed?)`);
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  });

  it('a process holding the lock releases it when it exits, also on SIGTERM', async () => {
    const dir = tempDir('lock');
    const code = `require('tsx/cjs'); const { lockRun } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/lock.ts'))}); lockRun(process.argv[1], 'child'); process.stdout.write('locked\\n'); setTimeout(() => {}, 30000);`;
    const child = spawn(process.execPath, ['-e', code, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')).pid).toBe(child.pid);
    const signal = await new Promise<string | null>((resolve) => {
      child.on('exit', (_c, s) => resolve(s));
      child.kill('SIGTERM');
    });
    expect(signal).toBe('SIGTERM'); // the default action still ends it
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  }, 30_000);

  it('checkUnlocked() (readers such as export): passes with no lock or a stale one, throws RunLocked while a live writer holds the run, creates nothing', async () => {
    const dir = tempDir('lock');
    checkUnlocked(dir);
    fs.writeFileSync(lockFile(dir), JSON.stringify(info(deadPid())));
    checkUnlocked(dir);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.writeFileSync(lockFile(dir), JSON.stringify(info(sleeper.pid as number)));
      expect(() => checkUnlocked(dir)).toThrow(RunLocked);
      expect(fs.readdirSync(dir)).toEqual(['run.lock']);
    } finally {
      sleeper.kill();
    }
  });
});
