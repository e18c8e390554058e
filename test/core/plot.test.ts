import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleDir, ensureBundle, figureHtml, findChromium, plotlyBundlePath, pngSkipNote, renderPng, savePlot } from '../../src/core/plot';
import { tempDir } from '../helpers/tmp';

const fig = { data: [{ type: 'bar', x: ['a', 'b'], y: [2, 1] }], layout: { title: { text: 'T <1>' } } };

describe('plot', () => {
  it('figureHtml() embeds the data and escapes the title', () => {
    const html = figureHtml(fig);
    expect(html).toContain('"x":["a","b"]');
    expect(html).toContain('<title>T &lt;1&gt;</title>');
    expect(html).toContain('<script src="plotly.min.js"></script>');
  });

  it('savePlot() writes HTML beside plotly.min.js, and a PNG without Chromium only when asked not to', () => {
    const dir = tempDir('fleming-plot-');
    const saved = savePlot(fig, dir, 'bars', { png: false });
    expect(fs.existsSync(saved.html)).toBe(true);
    expect(fs.statSync(path.join(dir, 'plotly.min.js')).size).toBeGreaterThan(1_000_000);
    expect(saved.pngSkipped).toBe('PNG disabled');
    const t = new Date(2020, 0, 1);
    fs.utimesSync(saved.html, t, t);
    savePlot(fig, dir, 'bars', { png: false }); // the same figure: nothing written
    expect(fs.statSync(saved.html).mtimeMs).toBe(t.getTime());
    expect(() => savePlot(fig, dir, '../evil')).toThrow(/must be letters/);
  });

  it('savePlot() in a run shares one minified plotly.min.js at the run root; the HTML points to it', () => {
    const run = tempDir('fleming-run-');
    fs.writeFileSync(path.join(run, 'config.json'), '{}');
    const a = savePlot(fig, path.join(run, 'graph', 'plots'), 'a', { png: false });
    const b = savePlot(fig, path.join(run, 'rlvr', 'stage1', 'plots'), 'b', { png: false });
    expect(bundleDir(path.join(run, 'rlvr', 'stage1', 'plots'))).toBe(run);
    expect(fs.readFileSync(a.html, 'utf8')).toContain('<script src="../../plotly.min.js"></script>');
    expect(fs.readFileSync(b.html, 'utf8')).toContain('<script src="../../../plotly.min.js"></script>');
    expect(fs.existsSync(path.join(run, 'graph', 'plots', 'plotly.min.js'))).toBe(false);
    expect(fs.statSync(path.join(run, 'plotly.min.js')).size).toBe(fs.statSync(plotlyBundlePath()).size);
    expect(fs.statSync(plotlyBundlePath()).size).toBeLessThan(6_000_000); // the minified build
  });

  it('ensureBundle() replaces a copy cut short by a kill, and leaves no temporary file', () => {
    const dir = tempDir('fleming-bundle-');
    fs.writeFileSync(path.join(dir, 'plotly.min.js'), Buffer.alloc(65536));
    ensureBundle(dir);
    expect(fs.readFileSync(path.join(dir, 'plotly.min.js')).equals(fs.readFileSync(plotlyBundlePath()))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['plotly.min.js']);
  });

  it('pngSkipNote() gives each reason once per process', () => {
    expect(pngSkipNote({ html: 'a', pngSkipped: 'no Chromium (test reason)' })).toBe('no Chromium (test reason)');
    expect(pngSkipNote({ html: 'b', pngSkipped: 'no Chromium (test reason)' })).toBeUndefined();
    expect(pngSkipNote({ html: 'c', png: 'c.png' })).toBeUndefined();
  });

  // Chromium is installed by .ci/run; on a machine without it this test reports itself as skipped.
  it.skipIf(!findChromium())('savePlot() renders a non-blank PNG through headless Chromium', () => {
    const dir = tempDir('fleming-plot-');
    const saved = savePlot(fig, dir, 'bars');
    expect(saved.png).toBeDefined();
    const png = fs.readFileSync(saved.png as string);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // A blank 900×520 page compresses to about 2.5 kB; the same page with axes and bars to far more.
    const blankHtml = path.join(dir, 'blank.html');
    fs.writeFileSync(blankHtml, '<html><body style="background:#fff"></body></html>');
    renderPng(blankHtml, path.join(dir, 'blank.png'), findChromium() as string);
    expect(png.length).toBeGreaterThan(1.5 * fs.statSync(path.join(dir, 'blank.png')).size);
    expect(fs.readdirSync(dir).sort()).toEqual(['bars.html', 'bars.png', 'blank.html', 'blank.png', 'plotly.min.js']); // no temporary page or PNG left
    // the same figure again: HTML and PNG are left as they are (a rerun, a read-only copy)
    const t = new Date(2020, 0, 1);
    for (const f of [saved.html, saved.png as string]) fs.utimesSync(f, t, t);
    expect(savePlot(fig, dir, 'bars').png).toBe(saved.png);
    for (const f of [saved.html, saved.png as string]) expect(fs.statSync(f).mtimeMs).toBe(t.getTime());
  });
});
