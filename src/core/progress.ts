/**
 * Progress for long work. On a terminal: a cli-progress bar. In CI logs and other non-terminal
 * output: a line at start, at most one line per 25% step, and a line at the end. In notebooks
 * (tslab): one line under the cell that updates in place (a Jupyter display, not stderr), at most
 * once a second. With FLEMING_QUIET=1: silent. Every mode reports the elapsed time at the end.
 */
import { SingleBar, Presets } from 'cli-progress';

export type ProgressMode = 'bar' | 'log' | 'notebook' | 'silent';

export interface Progress {
  /** Advance by n (default 1). */
  tick(n?: number): void;
  /** Set the absolute position. */
  update(done: number): void;
  /** Finish; prints a summary line in 'bar' and 'log' modes. */
  done(note?: string): void;
}

/** tslab and Jupyter kernels set JPY_PARENT_PID; FLEMING_QUIET=1 silences explicitly. */
export function inNotebook(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.JPY_PARENT_PID) || process.argv.some((a) => a.includes('tslab'));
}

export function progressMode(env: NodeJS.ProcessEnv = process.env, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (env.FLEMING_QUIET === '1') return 'silent';
  if (inNotebook(env)) return 'notebook';
  if (env.CI || !stream.isTTY) return 'log';
  return 'bar';
}

export function progress(
  label: string,
  total: number,
  opts: { mode?: ProgressMode; write?: (line: string) => void } = {},
): Progress {
  const mode = opts.mode ?? progressMode();
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const start = Date.now();
  let pos = 0;
  let lastQuarter = 0;
  const secs = () => ((Date.now() - start) / 1000).toFixed(1);
  let bar: SingleBar | undefined;
  let shown = 0;
  const line = mode === 'notebook' ? notebookLine() : undefined;
  const show = (text: string, force = false) => {
    if (!line || (!force && Date.now() - shown < 1000)) return;
    shown = Date.now();
    line(text);
  };
  if (mode === 'bar') {
    bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} (eta {eta_formatted})`, hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(total, 1), 0);
  } else if (mode === 'log') {
    write(`${label}: started (${total} steps)`);
  }
  const update = (done: number) => {
    pos = done;
    if (bar) bar.update(Math.min(pos, total));
    else if (line) show(`${label}: ${total > 0 ? Math.floor((100 * Math.min(pos, total)) / total) : 0}% (${pos}/${total}, ${secs()} s)`);
    else if (mode === 'log' && total > 0) {
      const quarter = Math.floor((4 * Math.min(pos, total)) / total);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        write(`${label}: ${quarter * 25}% (${pos}/${total}, ${secs()} s)`);
      }
    }
  };
  return {
    tick: (n = 1) => update(pos + n),
    update,
    done: (note?: string) => {
      if (bar) {
        bar.update(total);
        bar.stop();
      }
      const end = `${label}: done in ${secs()} s${note ? ` — ${note}` : ''}`;
      if (line) show(end, true);
      else if (mode !== 'silent' && mode !== 'notebook') write(end);
    },
  };
}

/**
 * A line under the running notebook cell that each call replaces (a tslab display updated in
 * place); undefined outside a notebook. A call from a later cell starts a new line in that cell.
 */
export function notebookLine(): ((text: string) => void) | undefined {
  let jupyter: { lastWriteDisplayData?: unknown };
  try {
    jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData?: unknown };
  } catch {
    return undefined;
  }
  let cell: unknown;
  let display: { text(s: string): void } | undefined;
  return (text) => {
    if (!jupyter.lastWriteDisplayData) return;
    if (jupyter.lastWriteDisplayData !== cell || !display) {
      cell = jupyter.lastWriteDisplayData;
      display = (require('tslab') as typeof import('tslab')).newDisplay();
    }
    display.text(text);
  };
}
