/**
 * Streaming reader for delimited text (CSV and TSV, optionally gzip-compressed) on csv-parse.
 * Yields one record per row with the 1-based line it ends on (its only line unless a quoted field
 * spans several lines). The text comes through readLines (io.ts), so a BOM is removed as for JSON
 * Lines, and a row with bytes that are not UTF-8 is counted as 'invalid UTF-8'. Rows whose field
 * count does not match the header are counted in the SkipReport (or thrown as InputError without
 * one); a file that cannot be parsed at all (a quote never closed) throws an InputError naming
 * file and line.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { INVALID_UTF8, InputError, SkipReport, readLines } from './io';

export interface DelimitedOptions {
  /** Field separator; default ',' for .csv, tab otherwise. */
  delimiter?: string;
  /** Honour double quotes (CSV). Default true for CSV, false for TSV. */
  quoted?: boolean;
  /** Column names when the file has no header row. */
  columns?: string[];
  /** Lines starting with this prefix are comments (e.g. '#'). */
  comment?: string;
  skips?: SkipReport;
  /** Called with the header and its line before the first row (a loader checks its columns here). */
  onHeader?: (columns: string[], line: number) => void;
}

export interface DelimitedRow {
  row: Record<string, string>;
  line: number;
}

/** The text of `file` for csv-parse, line by line as read; the lines that are not UTF-8 go to `invalid`. */
function textOf(file: string, invalid: Map<number, string>): Readable {
  return Readable.from(
    (async function* () {
      let text = '';
      for await (const l of readLines(file)) {
        if (l.invalid) invalid.set(l.line, l.invalid);
        text += l.text + (l.crlf ? '\r\n' : '\n');
        if (text.length >= 1 << 16) {
          yield text;
          text = '';
        }
      }
      if (text) yield text;
    })(),
  );
}

/** The first line up to `to` that is not UTF-8 (taken out of `invalid`, with any others up to `to`). */
function takeInvalid(invalid: Map<number, string>, to: number): [number, string] | undefined {
  let first: [number, string] | undefined;
  for (const [line, why] of invalid)
    if (line <= to) {
      first ??= [line, why];
      invalid.delete(line);
    }
  return first;
}

/** The line where a quoted field opens that no quote closes (0: none), read as csv-parse reads quotes. */
async function unclosedQuoteLine(file: string, delimiter: string): Promise<number> {
  let open = 0;
  for await (const { text, line } of readLines(file)) {
    let fieldStart = open === 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (open) {
        if (c !== '"') continue;
        if (text[i + 1] === '"') i += 1;
        else [open, fieldStart] = [0, false];
      } else if (c === '"' && fieldStart) open = line;
      else fieldStart = c === delimiter;
    }
  }
  return open;
}

export async function* readDelimited(file: string, opts: DelimitedOptions = {}): AsyncGenerator<DelimitedRow> {
  const base = file.replace(/\.gz$/, '');
  const isCsv = base.endsWith('.csv');
  const delimiter = opts.delimiter ?? (isCsv ? ',' : '\t');
  const quoted = opts.quoted ?? isCsv;
  const invalid = new Map<number, string>();
  const parser = textOf(file, invalid).pipe(
    parse({
      delimiter,
      quote: quoted ? '"' : false,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      comment: opts.comment,
      info: true,
    }),
  );
  let header = opts.columns;
  let prevEnd = 0; // the line the previous record ended on
  const records = (async function* () {
    try {
      yield* parser as AsyncIterable<{ record: string[]; info: { lines: number } }>;
    } catch (e) {
      const err = e as Error & { code?: string; lines?: number };
      if (err.code === 'CSV_QUOTE_NOT_CLOSED')
        throw new InputError(file, (await unclosedQuoteLine(file, delimiter)) || prevEnd + 1, `unclosed quote: the quoted field that opens on this line runs to the end of the file (line ${err.lines})`);
      if (err.code?.startsWith('CSV_')) throw new InputError(file, err.lines ?? prevEnd + 1, err.message);
      throw e;
    }
  })();
  for await (const rec of records) {
    const line = rec.info.lines;
    const fields = rec.record;
    const bad = takeInvalid(invalid, line);
    prevEnd = line;
    if (!header) {
      if (bad) throw new InputError(file, bad[0], `header: ${bad[1]}`);
      header = fields.map((h) => h.trim());
      opts.onHeader?.(header, line);
      continue;
    }
    opts.skips?.read(file);
    if (bad) {
      if (!opts.skips) throw new InputError(file, bad[0], bad[1]);
      opts.skips.skip(file, bad[0], INVALID_UTF8, bad[1]);
      continue;
    }
    if (fields.length !== header.length) {
      const reason = `expected ${header.length} fields, found ${fields.length}`;
      if (!opts.skips) throw new InputError(file, line, reason);
      opts.skips.skip(file, line, 'wrong field count');
      continue;
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) row[header[i]] = fields[i];
    yield { row, line };
  }
}
