/**
 * Plotly figures everywhere: in a tslab notebook as a plotly MIME bundle (JupyterLab's plotly
 * extension renders it interactive; other front ends show the PNG beside it), and headless as an
 * HTML file plus a PNG rendered by headless Chromium where one is installed. The HTML files of a
 * run share one minified plotly.js at the run's root (plotly.min.js, next to config.json), so a
 * run works offline without a copy per folder. The figure is plain data ({data, layout}), so
 * stages build figures without caring where they are shown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureDir, injectedFault, tempName, writeError, writeFileAtomic } from './io';
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

/** The minified plotly.js bundle shipped by the plotly.js-dist-min package. */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist-min/plotly.min.js');
}

/** Where the HTML files of `dir` find plotly.min.js: the run's root (the first folder up with a config.json), else `dir`. */
export function bundleDir(dir: string): string {
  const start = path.resolve(dir);
  for (let d = start; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'config.json'))) return d;
    if (path.dirname(d) === d) return start;
  }
}

/** Copies plotly.min.js into `dir` unless an intact copy is there (a copy cut short by a kill is replaced); atomic. */
export function ensureBundle(dir: string): string {
  const src = plotlyBundlePath();
  const dest = path.join(dir, 'plotly.min.js');
  if (fs.existsSync(dest) && fs.statSync(dest).size === fs.statSync(src).size) return dest;
  const tmp = tempName(dest);
  try {
    injectedFault(dest, () => fs.writeFileSync(tmp, fs.readFileSync(src).subarray(0, 65536)));
    fs.copyFileSync(src, tmp);
    fs.renameSync(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(dest, e);
  }
  return dest;
}

const noted = new Set<string>();

/** Why a plot has no PNG, the first time this process sees that reason (so a missing Chromium is said once per run); else undefined. */
export function pngSkipNote(p: SavedPlot): string | undefined {
  if (!p.pngSkipped || noted.has(p.pngSkipped)) return undefined;
  noted.add(p.pngSkipped);
  return p.pngSkipped;
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
 * Writes `<dir>/<name>.html` (using the run's one plotly.min.js, see bundleDir) and
 * `<dir>/<name>.png` when Chromium is available (set FLEMING_NO_PNG=1 to skip). The PNG is
 * written before the HTML, so an HTML file that already holds this figure has its PNG: then
 * nothing is written (a rerun, a read-only copy).
 */
export function savePlot(fig: Figure, dir: string, name: string, opts: { png?: boolean } = {}): SavedPlot {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`savePlot: plot name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
  ensureDir(dir);
  const bundle = ensureBundle(bundleDir(dir));
  const src = path.relative(dir, bundle).split(path.sep).join('/');
  const html = path.join(dir, `${name}.html`);
  const page = figureHtml(fig, { plotlySrc: src });
  const same = fs.existsSync(html) && fs.readFileSync(html, 'utf8') === page;
  const wantPng = opts.png ?? process.env.FLEMING_NO_PNG !== '1';
  const chromium = wantPng ? findChromium() : undefined;
  const png = path.join(dir, `${name}.png`);
  if (chromium && !(same && fs.existsSync(png))) renderFigurePng(fig, src, png, chromium);
  if (!same) writeFileAtomic(html, page);
  if (!wantPng) return { html, pngSkipped: 'PNG disabled' };
  if (!chromium) return { html, pngSkipped: 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)' };
  return { html, png };
}

/** Renders a figure's static page to `png` (through temporary files, so a kill never leaves a cut PNG). */
function renderFigurePng(fig: Figure, plotlySrc: string, png: string, chromium: string): void {
  const dir = path.dirname(png);
  const staticHtml = `${tempName(path.join(dir, `${path.basename(png, '.png')}.static`))}.html`;
  const tmpPng = `${tempName(png)}.png`;
  writeFileAtomic(staticHtml, figureHtml(fig, { plotlySrc, static: true }));
  try {
    renderPng(staticHtml, tmpPng, chromium);
    fs.renameSync(tmpPng, png);
  } finally {
    fs.rmSync(staticHtml, { force: true });
    fs.rmSync(tmpPng, { force: true });
  }
}

/** The plotly MIME type that JupyterLab's plotly extension renders (data, layout, config). */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * Shows a figure. In a tslab notebook: one display bundle with the figure's data for plotly's
 * renderer (interactive in JupyterLab with the plotly extension; no library inside the notebook),
 * a PNG fallback rendered by Chromium when one is installed (its temporary files removed), and a
 * text line. Elsewhere it saves HTML and PNG under `dir` (default runs/plots) and returns the paths.
 */
export function showPlot(fig: Figure, opts: { name?: string; dir?: string } = {}): SavedPlot | undefined {
  const name = opts.name ?? 'plot';
  if (!inNotebook()) return savePlot(fig, opts.dir ?? path.join('runs', 'plots'), name);
  const { displayBundle } = require('./show') as typeof import('./show');
  const layout = { height: HEIGHT, margin: { t: 50, l: 60, r: 20, b: 60 }, autosize: true, ...(fig.layout ?? {}) }; // the output area's width
  const title = String((fig.layout?.title as { text?: string })?.text ?? name);
  const bundle: Record<string, unknown> = { [PLOTLY_MIME]: { data: fig.data, layout, config: { displaylogo: false } }, 'text/plain': `Figure: ${title}` };
  const chromium = findChromium();
  if (chromium && process.env.FLEMING_NO_PNG !== '1') {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleming-plot-'));
    try {
      const saved = savePlot(fig, tmp, name, { png: true });
      if (saved.png) bundle['image/png'] = fs.readFileSync(saved.png).toString('base64');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (opts.dir) savePlot(fig, opts.dir, name);
  displayBundle(bundle);
  return undefined;
}
