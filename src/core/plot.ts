/**
 * Plotly figures everywhere: inline in a tslab notebook, and headless as an HTML file (beside a
 * copy of plotly.min.js, so it works offline) plus a PNG rendered by headless Chromium where one
 * is installed. The figure is plain data ({data, layout}), so stages build figures without
 * caring where they are shown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { writeFileAtomic } from './io';
import { inNotebook } from './progress';

export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

export interface SavedPlot {
  html: string;
  /** PNG path, when Chromium rendered one. */
  png?: string;
  /** Why no PNG was written. */
  pngSkipped?: string;
}

const WIDTH = 900;
const HEIGHT = 520;

/** The plotly.js bundle shipped by the plotly.js-dist package. */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist/plotly.js');
}

/** Path of a Chromium/Chrome binary: $CHROMIUM_PATH, then the usual install locations. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => Boolean(c) && fs.existsSync(c as string));
}

/** A standalone HTML page for a figure; `plotlySrc` is the script URL (relative file or inline). */
export function figureHtml(fig: Figure, opts: { title?: string; plotlySrc?: string; inlinePlotly?: boolean; static?: boolean } = {}): string {
  const script = opts.inlinePlotly
    ? `<script>${fs.readFileSync(plotlyBundlePath(), 'utf8')}</script>`
    : `<script src="${opts.plotlySrc ?? 'plotly.min.js'}"></script>`;
  const layout = { width: WIDTH, height: HEIGHT, margin: { t: 50, l: 60, r: 20, b: 60 }, ...(fig.layout ?? {}) };
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(opts.title ?? String((fig.layout?.title as { text?: string })?.text ?? fig.layout?.title ?? 'plot'))}</title>
${script}</head>
<body style="margin:0;background:#fff">
<div id="plot"></div>
<script>
Plotly.newPlot('plot', ${JSON.stringify(fig.data)}, ${JSON.stringify(layout)}, {displaylogo: false, displayModeBar: ${opts.static ? 'false' : "'hover'"}})
  .then(function () { document.title += ' (ready)'; });
</script>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** Renders an HTML file to PNG with headless Chromium. Throws with Chromium's output on failure. */
export function renderPng(htmlFile: string, pngFile: string, chromium: string, size = { width: WIDTH, height: HEIGHT }): void {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-chromium-'));
  try {
    execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${size.width},${size.height}`,
        '--virtual-time-budget=10000',
        `--screenshot=${path.resolve(pngFile)}`,
        'file://' + path.resolve(htmlFile),
      ],
      { stdio: 'pipe', timeout: 60_000 },
    );
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (!fs.existsSync(pngFile)) throw new Error(`Chromium wrote no PNG for ${htmlFile}`);
}

/**
 * Writes `<dir>/<name>.html` (with plotly.min.js copied beside it) and `<dir>/<name>.png` when
 * Chromium is available (set FLEMING_NO_PNG=1 to skip).
 */
export function savePlot(fig: Figure, dir: string, name: string, opts: { png?: boolean } = {}): SavedPlot {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`savePlot: plot name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
  fs.mkdirSync(dir, { recursive: true });
  const bundle = path.join(dir, 'plotly.min.js');
  if (!fs.existsSync(bundle)) fs.copyFileSync(plotlyBundlePath(), bundle);
  const html = path.join(dir, `${name}.html`);
  writeFileAtomic(html, figureHtml(fig, { plotlySrc: 'plotly.min.js' }));
  const out: SavedPlot = { html };
  const wantPng = opts.png ?? process.env.FLEMING_NO_PNG !== '1';
  if (!wantPng) return { ...out, pngSkipped: 'PNG disabled' };
  const chromium = findChromium();
  if (!chromium) return { ...out, pngSkipped: 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)' };
  const png = path.join(dir, `${name}.png`);
  const staticHtml = path.join(dir, `.${name}.static.html`);
  writeFileAtomic(staticHtml, figureHtml(fig, { plotlySrc: 'plotly.min.js', static: true }));
  try {
    renderPng(staticHtml, png, chromium);
  } finally {
    fs.rmSync(staticHtml, { force: true });
  }
  return { ...out, png };
}

/**
 * Shows a figure: in a tslab notebook as an inline PNG (rendered by Chromium) or, without
 * Chromium, as interactive HTML with plotly.js inlined (returns undefined); elsewhere it saves
 * HTML and PNG under `dir` (default runs/plots) and returns the paths.
 */
export function showPlot(fig: Figure, opts: { name?: string; dir?: string } = {}): SavedPlot | undefined {
  const name = opts.name ?? 'plot';
  if (inNotebook()) {
    const tslab = require('tslab') as typeof import('tslab');
    const chromium = findChromium();
    if (chromium && process.env.FLEMING_NO_PNG !== '1') {
      const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-plot-'));
      const saved = savePlot(fig, dir, name, { png: true });
      tslab.display.png(fs.readFileSync(saved.png as string));
      return undefined; // nothing more to print under the figure
    }
    tslab.display.html(figureHtml(fig, { inlinePlotly: true }));
    return undefined;
  }
  return savePlot(fig, opts.dir ?? path.join('runs', 'plots'), name);
}
