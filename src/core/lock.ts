/**
 * One command at a time on a run directory: `<run>/run.lock` holds the pid, host, start time and
 * command of the process working on it. It appears atomically (written beside, then hard-linked
 * under its name, which fails when one is there), so a second command sees a whole lock and
 * stops with a message naming its holder. A lock whose process is gone (killed) is taken over,
 * and the taker says so. The lock goes when the process exits, on Ctrl-C or SIGTERM too.
 * The command line takes it for every command on a run (src/cli.ts); library calls (notebooks,
 * tests) do not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDir, isReadOnlyError, readJson, tempName, writeError } from './io';
import { pidAlive } from './run';

/** What run.lock holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
  /** The holder's command line, e.g. `fleming pipeline --preset smoke`. */
  command: string;
}

/** A held lock (release() is idempotent); `note` says what taking it involved (a stale lock taken over, a read-only run). */
export interface RunLock {
  file: string;
  note?: string;
  release(): void;
}

/** The lock file of a run directory. */
export const lockFile = (dir: string): string => path.join(dir, 'run.lock');

/** Thrown when another live process holds the run's lock. */
export class RunLocked extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockInfo,
  ) {
    super(`${dir} is in use by another command: \`${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.started}). Wait for it to finish, or use another --run directory.`);
    this.name = 'RunLocked';
  }
}

/** Writes `info` beside `file` and links it under `file`: true when this process got it, false when a lock is there. */
function tryLink(file: string, info: LockInfo): boolean {
  const tmp = tempName(file);
  try {
    fs.writeFileSync(tmp, JSON.stringify(info) + '\n');
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeError(file, e);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The lock's holder, or null when the file is gone or unreadable. */
function holderOf(file: string): LockInfo | null {
  try {
    return readJson<LockInfo>(file);
  } catch {
    return fs.existsSync(file) ? { pid: 0, host: '?', started: '?', command: '?' } : null;
  }
}

/**
 * Removes a stale lock that still holds `stale` (under a short-lived takeover lock, so two
 * processes that both found it stale do not both take it). True when it was removed.
 */
function removeStale(file: string, stale: LockInfo): boolean {
  const guard = `${file}.takeover`;
  try {
    fs.writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(guard, e);
    // a takeover whose process died in its few milliseconds is itself stale after a while
    const st = fs.statSync(guard, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > 10_000) fs.rmSync(guard, { force: true });
    return false;
  }
  try {
    const now = holderOf(file);
    if (!now || JSON.stringify(now) !== JSON.stringify(stale)) return false;
    fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Whether a holder is certainly gone: this machine, and its pid is not alive (or the file holds no readable lock). */
function isStale(h: LockInfo): boolean {
  return h.pid === 0 || (h.host === os.hostname() && h.pid !== process.pid && !pidAlive(h.pid));
}

/**
 * Takes the lock of run directory `dir` (creating the directory) for `command`.
 * @throws RunLocked when another live process holds it; an Error naming the folder when it cannot be made
 * @returns the lock; in a read-only run directory, where nothing can be written, a lock that holds nothing (note says so)
 */
export function lockRun(dir: string, command: string): RunLock {
  ensureDir(dir);
  const file = lockFile(dir);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  let note: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      if (tryLink(file, info)) break;
    } catch (e) {
      if (!isReadOnlyError((e as NodeJS.ErrnoException) ?? {})) throw e;
      return { file, note: `${dir} is read-only: not locked (nothing can write to it)`, release: () => undefined };
    }
    const h = holderOf(file);
    if (!h) continue; // released in between
    if (h.pid === process.pid && h.host === info.host) return { file, release: () => undefined }; // this process holds it already
    if (!isStale(h) || attempt > 20) throw new RunLocked(dir, h);
    if (removeStale(file, h)) note = `took over ${file}: its holder \`${h.command}\` (pid ${h.pid}, since ${h.started}) is gone (killed?)`;
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // another process is taking it over
  }
  return { file, note, release: releaser(file, info) };
}

/**
 * For commands that only read a run (`fleming export`): several may read at once, but not while a
 * writer holds the lock, whose outputs would be half-made.
 * @throws RunLocked when another live process holds the run's lock
 */
export function checkUnlocked(dir: string): void {
  const h = holderOf(lockFile(dir));
  if (h && !isStale(h) && !(h.pid === process.pid && h.host === os.hostname())) throw new RunLocked(dir, h);
}

/** release() of a lock: removes the file if it still holds `info`; also run on exit and on SIGINT, SIGTERM, SIGHUP. */
function releaser(file: string, info: LockInfo): () => void {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    for (const s of SIGNALS) process.off(s, onSignal);
    const h = holderOf(file);
    if (h && h.pid === info.pid && h.started === info.started) fs.rmSync(file, { force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    release();
    process.kill(process.pid, signal); // the default action, now that no handler is left
  };
  process.on('exit', release);
  for (const s of SIGNALS) process.on(s, onSignal);
  return release;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
