/**
 * Progress for long work. On a terminal: a cli-progress bar. In CI logs and other non-terminal
 * output: a line at start, at most one line per 25% step, and a line at the end. In notebooks
 * (tslab) and when FLEMING_QUIET=1: silent. Every mode reports the elapsed time at the end.
 */
import { SingleBar, Presets } from 'cli-progress';

export type ProgressMode = 'bar' | 'log' | 'silent';

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
  if (env.FLEMING_QUIET === '1' || inNotebook(env)) return 'silent';
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
  if (mode === 'bar') {
    bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} (eta {eta_formatted})`, hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(total, 1), 0);
  } else if (mode === 'log') {
    write(`${label}: started (${total} steps)`);
  }
  const update = (done: number) => {
    pos = done;
    if (bar) bar.update(Math.min(pos, total));
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
      if (mode !== 'silent') write(`${label}: done in ${secs()} s${note ? ` — ${note}` : ''}`);
    },
  };
}
