/**
 * File I/O that never loses data silently: text lines read one way everywhere (a UTF-8 BOM
 * removed, bytes that are not UTF-8 named by line instead of turned into U+FFFD), streaming JSON
 * Lines whose errors name file and line, atomic writes (write to a temporary file, then rename),
 * and a per-file report of skipped rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** An input problem that names the file and (1-based) line it came from (line 0: the file as a whole). */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
    this.name = 'InputError';
  }
}

/** One line of a text file, without its line ending. */
export interface TextLine {
  /** The text (a BOM at the start of the file removed; invalid bytes shown as U+FFFD). */
  text: string;
  /** 1-based line number. */
  line: number;
  /** The line ended in CR LF. */
  crlf: boolean;
  /** Set when the line is not valid UTF-8: where and which byte. */
  invalid?: string;
}

/** The skip reason of a line that is not valid UTF-8 (the detail is in TextLine.invalid). */
export const INVALID_UTF8 = 'invalid UTF-8';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes one line's bytes (no line ending): the text, and where it first fails to be UTF-8. */
function decodeLine(bytes: Uint8Array, line: number): TextLine {
  const crlf = bytes.length > 0 && bytes[bytes.length - 1] === 13;
  const body = crlf ? bytes.subarray(0, bytes.length - 1) : bytes;
  const bom = line === 1 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  const b = bom ? body.subarray(3) : body;
  try {
    return { text: strictUtf8.decode(b), line, crlf };
  } catch {
    const text = Buffer.from(b).toString('utf8');
    // the first U+FFFD that the bytes do not spell out (EF BF BD) is where decoding failed
    for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
      const at = Buffer.byteLength(text.slice(0, i));
      if (!(b[at] === 0xef && b[at + 1] === 0xbf && b[at + 2] === 0xbd))
        return { text, line, crlf, invalid: `${INVALID_UTF8} (byte 0x${b[at].toString(16).toUpperCase().padStart(2, '0')} at column ${i + 1})` };
    }
    return { text, line, crlf, invalid: INVALID_UTF8 };
  }
}

/** Splits bytes at LF; returns the complete lines and the unfinished rest. */
function splitLines(buf: Buffer, first: number, out: TextLine[]): Buffer {
  let start = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
    out.push(decodeLine(buf.subarray(start, nl), first + out.length));
    start = nl + 1;
  }
  return buf.subarray(start);
}

/**
 * Streams the lines of a text file (gunzipped when the name ends in .gz). Every reader of text
 * input goes through here, so a BOM is removed and invalid UTF-8 is flagged the same way for all.
 */
export async function* readLines(file: string): AsyncGenerator<TextLine> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  let input: NodeJS.ReadableStream = fs.createReadStream(file);
  if (/\.gz$/i.test(file)) input = input.pipe(zlib.createGunzip());
  let rest: Buffer = Buffer.alloc(0);
  let next = 1;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const lines: TextLine[] = [];
    rest = Buffer.from(splitLines(rest.length ? Buffer.concat([rest, chunk]) : chunk, next, lines));
    next += lines.length;
    for (const l of lines) yield l;
  }
  if (rest.length) yield decodeLine(rest, next);
}

/** The lines of a (small) text file, read at once; see readLines. */
export function readLinesSync(file: string): TextLine[] {
  const out: TextLine[] = [];
  const rest = splitLines(fs.readFileSync(file), 1, out);
  if (rest.length) out.push(decodeLine(rest, out.length + 1));
  return out;
}

/** A whole text file as one string (BOM removed); bytes that are not UTF-8 throw an InputError naming the line. */
export function readTextSync(file: string): string {
  const bytes = fs.readFileSync(file);
  try {
    return strictUtf8.decode(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes);
  } catch {
    const bad = readLinesSync(file).find((l) => l.invalid);
    throw new InputError(file, bad?.line ?? 0, bad?.invalid ?? INVALID_UTF8);
  }
}

/** Throws `${file}: empty file …` when a loader's input has no non-blank line (0 records is never silent). */
export function assertNotEmpty(file: string, nonBlankLines: number, what = 'records'): void {
  if (nonBlankLines === 0) throw new InputError(file, 0, `empty file: no ${what} (remove it or fill it)`);
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

  /** Counts a skipped row under `reason`; strict: throws it, with `detail` (e.g. which byte) when given. */
  skip(file: string, line: number, reason: string, detail?: string): void {
    if (this.strict) throw new InputError(file, line, detail ?? reason);
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

  /** Adds another report's rows read and skips (each reason keeps its first few lines). */
  add(other: SkipReport): void {
    for (const [file, n] of other.readRows) this.read(file, n);
    for (const [file, perFile] of other.counts)
      for (const [reason, e] of perFile) {
        const mine = this.counts.get(file)?.get(reason);
        if (mine) {
          mine.count += e.count;
          mine.lines = [...mine.lines, ...e.lines].slice(0, 5);
        } else {
          if (!this.counts.has(file)) this.counts.set(file, new Map());
          this.counts.get(file)?.set(reason, { count: e.count, lines: [...e.lines] });
        }
      }
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
 * Streams a JSON Lines file. Blank lines are ignored. A line that is not valid JSON (or not UTF-8)
 * throws an InputError naming file and line, unless a SkipReport is given, which then counts it instead.
 */
export async function* readJsonl<T = unknown>(file: string, skips?: SkipReport): AsyncGenerator<JsonlRow<T>> {
  for await (const { text, line, invalid } of readLines(file)) {
    if (text.trim() === '') continue;
    skips?.read(file);
    if (invalid) {
      if (!skips) throw new InputError(file, line, invalid);
      skips.skip(file, line, INVALID_UTF8, invalid);
      continue;
    }
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
  const out: JsonlRow<T>[] = [];
  for (const { text, line, invalid } of readLinesSync(file)) {
    if (text.trim() === '') continue;
    if (invalid) throw new InputError(file, line, invalid);
    try {
      out.push({ value: JSON.parse(text) as T, line });
    } catch (e) {
      throw new InputError(file, line, `invalid JSON (${(e as Error).message})`);
    }
  }
  return out;
}

/**
 * A fault to inject into the writes of this module and of the plot bundle copy (tests only):
 * given the file being written (its final name), an error to throw after half of the bytes went
 * out, as a full disk does mid-write, or 'kill': the process kills itself (SIGKILL) there;
 * undefined lets the write go through. `setWriteFault()` clears it.
 */
export type WriteFault = (file: string) => NodeJS.ErrnoException | 'kill' | undefined;
let writeFault: WriteFault | undefined;

/** Injects (or with no argument clears) a WriteFault: how tests simulate ENOSPC through the real writers. */
export function setWriteFault(fault?: WriteFault): void {
  writeFault = fault;
}

/**
 * The injected fault of a write of `file`, if any: `half()` writes part of the bytes, then the
 * error is thrown or the process is killed. Writers call it before writing.
 */
export function injectedFault(file: string, half: () => void): void {
  const fault = writeFault?.(file);
  if (!fault) return;
  half();
  if (fault !== 'kill') throw fault;
  process.kill(process.pid, 'SIGKILL');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // SIGKILL lands before this returns
}

/**
 * The fault of FLEMING_WRITE_FAULT=<kind>:<file name>[:<n>] (crash tests of the command line):
 * the n-th write (default the first) of a file of that name fails half way, with kind `kill`
 * (the process kills itself with SIGKILL) or an errno code such as ENOSPC; e.g.
 * `kill:results.jsonl:30`, `ENOSPC:model.safetensors:2`.
 */
export function faultAt(spec: string): WriteFault {
  const [kind, name, nth = '1'] = spec.split(':');
  if (!kind || !name || !(Number(nth) >= 1)) throw new Error(`FLEMING_WRITE_FAULT=${spec}: expected <kill|ENOSPC|…>:<file name>[:<n>]`);
  let seen = 0;
  return (file) => {
    if (path.basename(file) !== name || ++seen !== Number(nth)) return undefined;
    return kind === 'kill' ? 'kill' : errnoError(kind, `injected by FLEMING_WRITE_FAULT, write`);
  };
}
if (process.env.FLEMING_WRITE_FAULT) setWriteFault(faultAt(process.env.FLEMING_WRITE_FAULT));

/** An errno error as a full disk or a read-only directory raise it (for WriteFaults and tests). */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Whether an error says the file system or directory refuses writes (read-only or no permission). */
export function isReadOnlyError(e: unknown): boolean {
  return READ_ONLY.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * A write error that names the file it was writing and says what it means (no space left, a
 * read-only directory); the errno code stays on `.code`.
 */
export function writeError(file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (!err?.code || String(err.message).startsWith(file)) return err as Error;
  const why =
    err.code === 'ENOSPC' ? 'no space left on device (ENOSPC); free some space and rerun: the command resumes'
    : err.code === 'EDQUOT' ? 'disk quota exceeded (EDQUOT); free some space and rerun: the command resumes'
    : READ_ONLY.has(err.code) ? `${path.dirname(file)} is read-only (${err.code}); copy the run somewhere writable, or make it writable`
    : err.message;
  return Object.assign(new Error(`${file}: could not write: ${why}`), { code: err.code });
}

/**
 * Creates `dir` and its parents. A failure says which existing folder refused it (read-only, not a
 * folder) instead of Node's bare ENOENT/EACCES for the path asked for.
 */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    let up = path.dirname(path.resolve(dir));
    while (!fs.existsSync(up) && path.dirname(up) !== up) up = path.dirname(up);
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`cannot create ${dir}: ${!fs.statSync(up).isDirectory() ? `${up} is a file, not a folder` : !writable(up) ? `${up} is read-only (${code})` : (e as Error).message}`), { code });
  }
}

/** Whether this process may create files in `dir`. */
export function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let tmpCount = 0;

/** The temporary sibling an atomic write goes through: `<file>.tmp-<pid>-<time>-<n>` (see isTempName). */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${Date.now()}-${++tmpCount}`;
}

/** The pid in a temporary file's name (tempName's, with an extension after it or not, or the `.tmp-<pid>` of older writers); null for other names. */
export function tempPid(name: string): number | null {
  const m = /\.tmp-(\d+)(?:-\d+)*(?:\.[A-Za-z]+)?$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Writes all of `data` to an open file (the injected WriteFault, if any, fails it half way). */
function writeAllSync(fd: number, file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  injectedFault(file, () => fs.writeSync(fd, bytes.subarray(0, bytes.length >> 1)));
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
}

/**
 * Writes a file atomically: a temporary sibling is written and fsynced, then renamed. On failure
 * the temporary file is removed and the error names `file` (writeError).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  ensureDir(path.dirname(file));
  const tmp = tempName(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAllSync(fd, file, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
}

/**
 * writeFileAtomic, unless the file already holds exactly `data`: then nothing is written (its
 * time stays, and a read-only copy of an unchanged output is fine). Returns whether it wrote.
 */
export function writeFileIfChanged(file: string, data: string | Uint8Array): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (fs.existsSync(file) && fs.statSync(file).size === bytes.length && fs.readFileSync(file).equals(bytes)) return false;
  writeFileAtomic(file, bytes);
  return true;
}

/** Writes JSON (2-space indent, trailing newline) atomically. */
export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(file: string): T {
  const text = readTextSync(file);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * Writes rows as JSON Lines atomically. Rows are written in chunks to a temporary file, so large
 * outputs never sit in memory as one string; the file appears under its name only when complete.
 */
export async function writeJsonl(file: string, rows: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  ensureDir(path.dirname(file));
  const tmp = tempName(file);
  let n = 0;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      let chunk: string[] = [];
      let size = 0;
      for await (const row of rows as AsyncIterable<unknown>) {
        const line = JSON.stringify(row) + '\n';
        chunk.push(line);
        size += line.length;
        n += 1;
        if (size >= 1 << 20) {
          writeAllSync(fd, file, chunk.join(''));
          chunk = [];
          size = 0;
        }
      }
      writeAllSync(fd, file, chunk.join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
  return n;
}

/** Synchronous JSON Lines writer for small outputs, atomic. */
export function writeJsonlSync(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

/**
 * Appends one JSON line (for logs and metrics written step by step). A write that fails half way
 * (a full disk) is cut back off, so the file keeps only whole lines, and the error names the file;
 * a last line that an earlier process left unfinished (killed mid-write) is cut off first, so the
 * new row never joins it.
 */
export function appendJsonl(file: string, row: unknown): void {
  ensureDir(path.dirname(file));
  let fd: number;
  try {
    fd = fs.openSync(file, 'a+');
  } catch (e) {
    throw writeError(file, e);
  }
  let size = 0;
  try {
    size = completeLinesEnd(fd, fs.fstatSync(fd).size);
    writeAllSync(fd, file, JSON.stringify(row) + '\n');
  } catch (e) {
    try {
      fs.ftruncateSync(fd, size);
    } catch {
      // the write error below is the one to report
    }
    throw writeError(file, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The end of the last complete line of an open file of `size` bytes. A tail without its line end
 * that an earlier process left (killed mid-write) is cut off, unless it is a whole JSON value
 * (then its line end is added).
 */
function completeLinesEnd(fd: number, size: number): number {
  if (size === 0) return 0;
  const buf = Buffer.alloc(64 * 1024);
  let end = size;
  let keep = 0;
  for (; end > 0 && keep === 0; ) {
    const start = Math.max(0, end - buf.length);
    fs.readSync(fd, buf, 0, end - start, start);
    const nl = buf.subarray(0, end - start).lastIndexOf(10);
    if (nl >= 0) keep = start + nl + 1;
    end = start;
  }
  if (keep === size) return size;
  const tail = Buffer.alloc(size - keep);
  fs.readSync(fd, tail, 0, tail.length, keep);
  try {
    JSON.parse(tail.toString('utf8'));
    fs.writeSync(fd, '\n');
    return size + 1;
  } catch {
    fs.ftruncateSync(fd, keep);
    return keep;
  }
}

/**
 * The rows of an append-only JSON Lines file (results, metrics, rollouts) whose last line may
 * have been cut short by a kill or a full disk: that line is left out and reported in `cut`
 * (file:line and why), and, with `repair`, cut off the file so the next append starts clean. A
 * bad line before the last is an InputError naming file and line.
 */
export function readAppendLog<T = unknown>(file: string, opts: { repair?: boolean } = {}): { rows: JsonlRow<T>[]; cut?: string } {
  if (!fs.existsSync(file)) return { rows: [] };
  const lines = readLinesSync(file);
  let last = lines.length - 1;
  while (last >= 0 && lines[last].text.trim() === '') last--;
  const rows: JsonlRow<T>[] = [];
  let cut: string | undefined;
  for (let i = 0; i <= last; i++) {
    const { text, line, invalid } = lines[i];
    if (text.trim() === '') continue;
    try {
      if (invalid) throw new Error(invalid);
      rows.push({ value: JSON.parse(text) as T, line });
    } catch (e) {
      if (i < last) throw new InputError(file, line, `invalid JSON (${(e as Error).message})`);
      cut = `${file}:${line}: last line cut short (${(e as Error).message}), left out`;
    }
  }
  if (cut && opts.repair) {
    const bytes = fs.readFileSync(file);
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13 || bytes[end - 1] === 32)) end--;
    const keep = bytes.lastIndexOf(10, end - 1) + 1;
    try {
      fs.truncateSync(file, keep);
    } catch (e) {
      if (!isReadOnlyError(e)) throw writeError(file, e);
    }
  }
  return { rows, cut };
}
