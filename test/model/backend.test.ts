import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuDeviceVisible } from '../../src/model/backend';
import { tempDir } from '../helpers/tmp';

function fakeDev(files: string[]): string {
  const d = tempDir('dev-');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    fs.writeFileSync(path.join(d, f), '');
  }
  return d;
}

describe('backend selection', () => {
  it('gpuDeviceVisible() sees NVIDIA, DRM render and KFD nodes, and nothing on a machine without them', () => {
    expect(gpuDeviceVisible(fakeDev(['null', 'tty0', 'dri/card0']))).toBe(false);
    expect(gpuDeviceVisible(fakeDev(['nvidia0', 'nvidiactl']))).toBe(true);
    expect(gpuDeviceVisible(fakeDev(['dri/renderD128']))).toBe(true);
    expect(gpuDeviceVisible(fakeDev(['kfd']))).toBe(true);
    expect(gpuDeviceVisible('/nonexistent-dev')).toBe(false);
  });

  it('automatic selection on a machine without a GPU device does not wake Dawn (no Vulkan/EGL warnings on stderr)', () => {
    if (gpuDeviceVisible()) return expect(gpuDeviceVisible()).toBe(true); // a GPU machine: Dawn may speak
    const script = "require('./src/model/backend').selectBackend().then((b) => console.log(b.name))";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', env: { ...process.env, FLEMING_BACKEND: '' } });
    expect(r.stdout.trim()).toBe('wasm');
    expect(r.stderr).not.toMatch(/Vulkan|maxDynamic|EGL/);
  });
});
