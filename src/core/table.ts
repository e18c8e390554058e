/**
 * Streaming reader for delimited text (CSV and TSV, optionally gzip-compressed) on csv-parse.
 * Yields one record per row with the 1-based line it ends on (its only line unless a quoted field
 * spans several lines); rows whose field count does
 * not match the header are counted in the SkipReport (or thrown as InputError when strict).
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { parse } from 'csv-parse';
import { InputError, SkipReport } from './io';

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
}

export interface DelimitedRow {
  row: Record<string, string>;
  line: number;
}

export async function* readDelimited(file: string, opts: DelimitedOptions = {}): AsyncGenerator<DelimitedRow> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const base = file.replace(/\.gz$/, '');
  const isCsv = base.endsWith('.csv');
  const delimiter = opts.delimiter ?? (isCsv ? ',' : '\t');
  const quoted = opts.quoted ?? isCsv;
  let input: NodeJS.ReadableStream = fs.createReadStream(file);
  if (file.endsWith('.gz')) input = input.pipe(zlib.createGunzip());
  const parser = input.pipe(
    parse({
      delimiter,
      quote: quoted ? '"' : false,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      comment: opts.comment,
      info: true,
    }),
  );
  let header = opts.columns;
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const line = rec.info.lines;
    const fields = rec.record;
    if (!header) {
      header = fields.map((h) => h.trim());
      continue;
    }
    opts.skips?.read(file);
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
