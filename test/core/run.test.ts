import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config';
import { openRun, sweepTempFiles } from '../../src/core/run';
import { tempDir } from '../helpers/tmp';

const config = () => resolveConfig({ preset: 'smoke', overrides: { runDir: 'run' } });

describe('openRun', () => {
  it('openRun() on a run whose config.json holds the same settings does not rewrite it (a read-only copy opens)', () => {
    const root = tempDir('run');
    openRun(config(), { root, quiet: true });
    const file = path.join(root, 'run', 'config.json');
    const before = fs.statSync(file);
    openRun(config(), { root, quiet: true });
    expect(fs.statSync(file).ino).toBe(before.ino); // an atomic write would have replaced the file
    openRun(resolveConfig({ preset: 'smoke', overrides: { runDir: 'run', rlvr: { k: 6 } } }), { root, quiet: true });
    expect(fs.statSync(file).ino).not.toBe(before.ino);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).rlvr.k).toBe(6);
  });

  it('openRun() removes the temporary files of writes whose process is gone, says so, and keeps a live process\'s', () => {
    const root = tempDir('run');
    const dir = path.join(root, 'run');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    fs.mkdirSync(path.join(dir, 'coldstart', 'sft', 'last'), { recursive: true });
    const orphans = [`config.json.tmp-${dead}-1700000000000-1`, `plotly.min.js.tmp-${dead}`, `coldstart/sft/last/model.safetensors.tmp-${dead}-1700000000000-7`, `coldstart/sft/loss.png.tmp-${dead}-1-2.png`];
    const live = `coldstart/sft/metrics.jsonl.tmp-${process.ppid}-1700000000000-1`;
    for (const f of [...orphans, live, 'notes.tmp-draft']) fs.writeFileSync(path.join(dir, f), 'x');
    const logs: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => logs.push(s) > 0) as typeof process.stderr.write;
    try {
      openRun(config(), { root });
    } finally {
      process.stderr.write = write;
    }
    for (const f of orphans) expect(fs.existsSync(path.join(dir, f)), f).toBe(false);
    expect(fs.existsSync(path.join(dir, live))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'notes.tmp-draft'))).toBe(true);
    expect(logs.join('')).toContain('removed 4 temporary files that an interrupted write left: ');
    expect(fs.readFileSync(path.join(dir, 'log.txt'), 'utf8')).toContain(`config.json.tmp-${dead}-1700000000000-1`);
    expect(sweepTempFiles(dir)).toEqual([]);
  });
});
