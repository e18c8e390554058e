/**
 * A notebook as a learner sees it: notebooks/00-setup.ipynb executed with the project's tslab
 * kernel (nbconvert), then opened in Debian's classic Jupyter Notebook server by headless Chromium
 * (playwright-core). Its table must render as an HTML table (integers without a trailing ".0") and
 * its figure as an image (the PNG beside the plotly data; JupyterLab with the plotly extension
 * renders the same bundle interactive). Needs /usr/bin/python3 with notebook and nbconvert, and
 * Chromium: .ci/run installs both; elsewhere the test says why it did not run.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../../src/core/plot';
import { tempDir } from '../helpers/tmp';

const root = path.resolve(__dirname, '../..');
const chromium = findChromium();
const jupyter = spawnSync('/usr/bin/python3', ['-c', 'import notebook, nbconvert'], { stdio: 'ignore' }).status === 0;
const missing = !chromium ? 'no Chromium' : !jupyter ? "no Jupyter Notebook in /usr/bin/python3 (apt-get install jupyter-notebook jupyter-nbconvert)" : '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('notebooks in a browser', () => {
  it.skipIf(Boolean(missing))(`an executed notebook shows a rendered table and figure in Jupyter Notebook${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    const dir = tempDir('fleming-nb-');
    const env = { ...process.env, JUPYTER_PATH: path.join(root, '.jupyter-kernels/share/jupyter'), FLEMING_PRESET: 'smoke' };
    execFileSync('bash', ['scripts/register-kernel.sh'], { cwd: root, env, stdio: 'ignore' });
    execFileSync('/usr/bin/python3', ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--output-dir', dir, 'notebooks/00-setup.ipynb'], { cwd: root, env, stdio: 'pipe' });
    const port = await freePort();
    const token = 'fleming-test';
    const server = spawn('/usr/bin/python3', ['-m', 'notebook', '--no-browser', '--allow-root', `--port=${port}`, '--ip=127.0.0.1', `--NotebookApp.token=${token}`, `--notebook-dir=${dir}`], { env, stdio: 'ignore' });
    const { chromium: pw } = require('playwright-core') as typeof import('playwright-core');
    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      await waitFor(`http://127.0.0.1:${port}/api?token=${token}`, 30_000);
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/notebooks/00-setup.ipynb?token=${token}`);
      const table = page.locator('.output_html table.fleming-table').first();
      await table.waitFor({ timeout: 30_000 });
      const cells = await table.locator('td').allTextContents();
      expect(cells).toContain('disease');
      expect(cells.some((c) => /^\d+\.0$/.test(c))).toBe(false);
      const img = page.locator('.output_png img').first();
      await img.waitFor({ timeout: 30_000 });
      const size = await img.evaluate((e) => [(e as HTMLImageElement).naturalWidth, (e as HTMLImageElement).naturalHeight]);
      expect(size[0]).toBeGreaterThan(400);
      expect(size[1]).toBeGreaterThan(200);
      expect(await page.locator('.output_stderr').count()).toBe(0);
    } finally {
      await browser.close();
      server.kill();
    }
  }, 240_000);
});
