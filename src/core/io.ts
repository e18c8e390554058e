/**
 * File I/O that never loses data silently: streaming JSON Lines whose errors name file and line,
 * atomic writes (write to a temporary file, then rename), and a per-file report of skipped rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** An input problem that names the file and (1-based) line it came from. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'InputError';
  }
}

/**
 * Counts the rows a loader skipped, per file and reason, with a few example lines each, so a
 * build can report exactly what it left out. `strict` turns the first skip into an InputError.
 */
export class SkipReport {
  private readonly counts = new Map<string, Map<string, { count: number; lines: number[] }>>();
  private readonly readRows = new Map<string, number>();

  constructor(readonly strict = false) {}

  /** Record that `file` had one more row read (skipped or not). */
  read(file: string, n = 1): void {
    this.readRows.set(file, (this.readRows.get(file) ?? 0) + n);
  }

  skip(file: string, line: number, reason: string): void {
    if (this.strict) throw new InputError(file, line, reason);
    this.count(file, line, reason);
  }

  /**
   * Record a row left out on purpose by a loader's documented rule (e.g. a NOT indication).
   * Counted with the reason prefixed 'by design: ', and never thrown, even when strict.
   */
  skipByDesign(file: string, line: number, reason: string): void {
    this.count(file, line, `by design: ${reason}`);
  }

  private count(file: string, line: number, reason: string): void {
    let perFile = this.counts.get(file);
    if (!perFile) this.counts.set(file, (perFile = new Map()));
    const entry = perFile.get(reason) ?? { count: 0, lines: [] };
    entry.count += 1;
    if (entry.lines.length < 5) entry.lines.push(line);
    perFile.set(reason, entry);
  }

  total(): number {
    let n = 0;
    for (const perFile of this.counts.values()) for (const e of perFile.values()) n += e.count;
    return n;
  }

  /** One row per (file, reason): how many rows were skipped and the first few line numbers. */
  rows(): { file: string; reason: string; count: number; exampleLines: number[] }[] {
    const out: { file: string; reason: string; count: number; exampleLines: number[] }[] = [];
    for (const [file, perFile] of [...this.counts].sort((a, b) => a[0].localeCompare(b[0])))
      for (const [reason, e] of [...perFile].sort((a, b) => b[1].count - a[1].count))
        out.push({ file, reason, count: e.count, exampleLines: e.lines });
    return out;
  }

  /** Rows read per file, including the ones skipped. */
  readCounts(): Record<string, number> {
    return Object.fromEntries([...this.readRows].sort((a, b) => a[0].localeCompare(b[0])));
  }

  toJSON(): { rowsRead: Record<string, number>; skipped: ReturnType<SkipReport['rows']> } {
    return { rowsRead: this.readCounts(), skipped: this.rows() };
  }
}

export interface JsonlRow<T> {
  value: T;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Streams a JSON Lines file. Blank lines are ignored. A line that is not valid JSON throws an
 * InputError naming file and line, unless a SkipReport is given, which then counts it instead.
 */
export async function* readJsonl<T = unknown>(file: string, skips?: SkipReport): AsyncGenerator<JsonlRow<T>> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line += 1;
    if (text.trim() === '') continue;
    skips?.read(file);
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (e) {
      const reason = `invalid JSON (${(e as Error).message})`;
      if (skips) {
        skips.skip(file, line, 'invalid JSON');
        continue;
      }
      throw new InputError(file, line, reason);
    }
    yield { value, line };
  }
}

/** Reads a whole JSON Lines file into memory (see readJsonl for error handling). */
export async function readJsonlAll<T = unknown>(file: string, skips?: SkipReport): Promise<T[]> {
  const out: T[] = [];
  for await (const row of readJsonl<T>(file, skips)) out.push(row.value);
  return out;
}

/** Synchronous variant for small files (configs, seed data). */
export function readJsonlSync<T = unknown>(file: string): JsonlRow<T>[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: JsonlRow<T>[] = [];
  text.split(/\r?\n/).forEach((t, i) => {
    if (t.trim() === '') return;
    try {
      out.push({ value: JSON.parse(t) as T, line: i + 1 });
    } catch (e) {
      throw new InputError(file, i + 1, `invalid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/** Writes a file atomically: a temporary sibling is written and fsynced, then renamed. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data as never);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes JSON (2-space indent, trailing newline) atomically. */
export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(file: string): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * Writes rows as JSON Lines atomically. Rows are streamed to a temporary file, so large outputs
 * never sit in memory as one string; the file appears under its name only when complete.
 */
export async function writeJsonl(file: string, rows: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const out = fs.createWriteStream(tmp, 'utf8');
  let n = 0;
  const write = (s: string): Promise<void> | void => {
    if (!out.write(s)) return new Promise((resolve) => out.once('drain', () => resolve()));
  };
  try {
    for await (const row of rows as AsyncIterable<unknown>) {
      await write(JSON.stringify(row) + '\n');
      n += 1;
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  fs.renameSync(tmp, file);
  return n;
}

/** Synchronous JSON Lines writer for small outputs, atomic. */
export function writeJsonlSync(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** Appends one JSON line (for logs and metrics written step by step). */
export function appendJsonl(file: string, row: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, JSON.stringify(row) + '\n');
}
