/**
 * Temporary folders for tests: every one is made under the system's temporary folder as
 * `fleming-<prefix>-XXXXXX` and removed after its test file (test/helpers/setup.ts registers
 * removeTempDirs() with afterAll for every file), read-only ones included, so a test run leaves
 * nothing behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/** A new empty temporary folder, removed after the current test file. */
export function tempDir(prefix: string): string {
  const name = prefix.startsWith('fleming-') ? prefix : `fleming-${prefix}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name.replace(/-$/, '')}-`));
  made.push(dir);
  return dir;
}

/** Makes every folder under `dir` writable again (a test made it read-only), so it can be removed. */
function unlock(dir: string): void {
  try {
    fs.chmodSync(dir, 0o755);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) unlock(path.join(dir, e.name));
  } catch {
    // not ours to change: rmSync below says what is left
  }
}

/** Removes every folder tempDir() made in this file; returns the ones that could not be removed. */
export function removeTempDirs(): string[] {
  const left: string[] = [];
  while (made.length) {
    const dir = made.pop() as string;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      unlock(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (fs.existsSync(dir)) left.push(dir);
  }
  return left;
}
