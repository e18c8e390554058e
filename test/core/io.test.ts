import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, SkipReport, appendJsonl, ensureDir, errnoError, faultAt, readAppendLog, readJson, readJsonl, readJsonlAll, readJsonlSync, readLines, readTextSync, setWriteFault, tempName, tempPid, writeFileAtomic, writeFileIfChanged, writeJson, writeJsonl, writeJsonlSync } from '../../src/core/io';
import { readDelimited } from '../../src/core/table';
import { tempDir } from '../helpers/tmp';

const tmp = () => tempDir('fleming-io-');

describe('readJsonl', () => {
  it('readJsonl() yields values with their line numbers and skips blank lines', async () => {
    const f = path.join(tmp(), 'a.jsonl');
    fs.writeFileSync(f, '{"a":1}\n\n{"a":2}\n');
    const rows = [];
    for await (const r of readJsonl<{ a: number }>(f)) rows.push(r);
    expect(rows).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { a: 2 }, line: 3 },
    ]);
  });

  it('readJsonl() throws an InputError naming file and line for a bad line', async () => {
    const f = path.join(tmp(), 'bad.jsonl');
    fs.writeFileSync(f, '{"a":1}\n{"a":\n');
    await expect(readJsonlAll(f)).rejects.toThrow(`${f}:2: invalid JSON`);
    await expect(readJsonlAll(f)).rejects.toBeInstanceOf(InputError);
  });

  it('readJsonl() with a SkipReport counts the bad line instead', async () => {
    const f = path.join(tmp(), 'bad.jsonl');
    fs.writeFileSync(f, '{"a":1}\nnot json\n{"a":3}\n');
    const skips = new SkipReport();
    const rows = await readJsonlAll(f, skips);
    expect(rows).toHaveLength(2);
    expect(skips.rows()).toEqual([{ file: f, reason: 'invalid JSON', count: 1, exampleLines: [2] }]);
    expect(skips.readCounts()[f]).toBe(3);
  });

  it('readJsonlSync() names file and line', () => {
    const f = path.join(tmp(), 'bad.jsonl');
    fs.writeFileSync(f, '\n\n{oops}\n');
    expect(() => readJsonlSync(f)).toThrow(`${f}:3:`);
  });

  it('readJsonl() on a missing file says so', async () => {
    await expect(readJsonlAll('/nonexistent/x.jsonl')).rejects.toThrow('/nonexistent/x.jsonl: no such file');
  });
});

/** A UTF-8 BOM, and a Latin-1 "é" (not UTF-8 on its own). */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const LATIN1_E = Buffer.from([0xe9]);
const bytes = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

describe('text input: BOM and invalid UTF-8', () => {
  it('readLines() drops a BOM, keeps CR LF apart from the text, reads a last line without LF, and gunzips .gz', async () => {
    const zlib = await import('node:zlib');
    const d = tmp();
    fs.writeFileSync(path.join(d, 'a.txt'), bytes(BOM, 'one\r\ntwo \uFFFD ok\nthree'));
    fs.writeFileSync(path.join(d, 'a.txt.gz'), zlib.gzipSync(bytes(BOM, 'one\r\ntwo \uFFFD ok\nthree')));
    for (const f of ['a.txt', 'a.txt.gz']) {
      const lines = [];
      for await (const l of readLines(path.join(d, f))) lines.push(l);
      expect(lines, f).toEqual([
        { text: 'one', line: 1, crlf: true },
        { text: 'two \uFFFD ok', line: 2, crlf: false }, // a U+FFFD written as UTF-8 is text, not an error
        { text: 'three', line: 3, crlf: false },
      ]);
    }
  });

  it('readJsonl(), readJsonlSync() and readJson() keep the first record of a file that starts with a BOM', async () => {
    const f = path.join(tmp(), 'bom.jsonl');
    fs.writeFileSync(f, bytes(BOM, '{"a":1}\n{"a":2}\n'));
    expect(await readJsonlAll(f)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(readJsonlSync(f).map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    const j = path.join(tmp(), 'bom.json');
    fs.writeFileSync(j, bytes(BOM, '{"a":1}'));
    expect(readJson(j)).toEqual({ a: 1 });
  });

  it('readJsonl() names file, line, byte and column of bytes that are not UTF-8; with a SkipReport it counts the line', async () => {
    const f = path.join(tmp(), 'latin1.jsonl');
    fs.writeFileSync(f, bytes('{"q":"ok"}\n{"q":"caf', LATIN1_E, '"}\n{"q":"last"}\n'));
    await expect(readJsonlAll(f)).rejects.toThrow(`${f}:2: invalid UTF-8 (byte 0xE9 at column 10)`);
    expect(() => readJsonlSync(f)).toThrow(`${f}:2: invalid UTF-8 (byte 0xE9 at column 10)`);
    const skips = new SkipReport();
    expect(await readJsonlAll(f, skips)).toEqual([{ q: 'ok' }, { q: 'last' }]);
    expect(skips.rows()).toEqual([{ file: f, reason: 'invalid UTF-8', count: 1, exampleLines: [2] }]);
    expect(() => new SkipReport(true).skip(f, 2, 'invalid UTF-8', 'invalid UTF-8 (byte 0xE9 at column 10)')).toThrow(`${f}:2: invalid UTF-8 (byte 0xE9 at column 10)`);
  });

  it('readTextSync() names the line of the first byte that is not UTF-8', () => {
    const f = path.join(tmp(), 'x.json');
    fs.writeFileSync(f, bytes('{\n  "a": "', LATIN1_E, '"\n}\n'));
    expect(() => readTextSync(f)).toThrow(`${f}:2: invalid UTF-8 (byte 0xE9 at column 9)`);
  });
});

describe('writers', () => {
  it('writeJsonl() round-trips and leaves no temporary file', async () => {
    const d = tmp();
    const f = path.join(d, 'sub', 'out.jsonl');
    const n = await writeJsonl(f, (async function* () {
      for (let i = 0; i < 1000; i++) yield { i };
    })());
    expect(n).toBe(1000);
    expect((await readJsonlAll<{ i: number }>(f)).map((r) => r.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(fs.readdirSync(path.dirname(f))).toEqual(['out.jsonl']);
  });

  it('writeFileAtomic() replaces the file whole', () => {
    const f = path.join(tmp(), 'x.txt');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two');
    expect(fs.readFileSync(f, 'utf8')).toBe('two');
    expect(fs.readdirSync(path.dirname(f))).toEqual(['x.txt']);
  });

  it('writeJsonlSync() and appendJsonl() write one object per line', () => {
    const f = path.join(tmp(), 'm.jsonl');
    writeJsonlSync(f, [{ a: 1 }]);
    appendJsonl(f, { a: 2 });
    expect(fs.readFileSync(f, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });
});

describe('writes cut short (a full disk, a kill)', () => {
  afterEach(() => setWriteFault());
  const enospc = (name: string) => (file: string) => (path.basename(file) === name ? errnoError('ENOSPC', 'no space left on device, write') : undefined);

  it('writeFileAtomic(), writeJson() and writeJsonl() on a full disk name the file, keep the old one whole and leave no temporary file', async () => {
    const d = tmp();
    const f = path.join(d, 'config.json');
    writeJson(f, { a: 1 });
    setWriteFault(enospc('config.json'));
    expect(() => writeJson(f, { a: 2 })).toThrow(`${f}: could not write: no space left on device (ENOSPC)`);
    expect(() => writeFileAtomic(f, 'x')).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    setWriteFault(enospc('rows.jsonl'));
    await expect(writeJsonl(path.join(d, 'rows.jsonl'), [{ i: 1 }])).rejects.toThrow(`${path.join(d, 'rows.jsonl')}: could not write: no space left on device (ENOSPC)`);
    expect(readJson(f)).toEqual({ a: 1 });
    expect(fs.readdirSync(d)).toEqual(['config.json']);
  });

  it('appendJsonl() on a full disk names the file and cuts its half-written line back off; the next append starts on a line of its own', () => {
    const f = path.join(tmp(), 'results.jsonl');
    appendJsonl(f, { i: 1 });
    setWriteFault(enospc('results.jsonl'));
    expect(() => appendJsonl(f, { i: 2, text: 'a long row' })).toThrow(`${f}: could not write: no space left on device (ENOSPC)`);
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n');
    setWriteFault();
    appendJsonl(f, { i: 3 });
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n{"i":3}\n');
  });

  it('appendJsonl() after a line an earlier process left unfinished cuts it off; a whole last line without its line end keeps it', () => {
    const f = path.join(tmp(), 'm.jsonl');
    fs.writeFileSync(f, '{"i":1}\n{"i":2,"te');
    appendJsonl(f, { i: 3 });
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n{"i":3}\n');
    fs.writeFileSync(f, '{"i":1}');
    appendJsonl(f, { i: 2 });
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n{"i":2}\n');
  });

  it('readAppendLog() leaves out a cut last line and says where; with repair it is cut off the file; a bad line before the last is an InputError', () => {
    const f = path.join(tmp(), 'results.jsonl');
    fs.writeFileSync(f, '{"i":1}\n{"i":2}\n{"i":3,"sam');
    const r = readAppendLog<{ i: number }>(f);
    expect(r.rows.map((x) => x.value.i)).toEqual([1, 2]);
    expect(r.cut).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: last line cut short \\(`));
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n{"i":2}\n{"i":3,"sam'); // read only
    readAppendLog(f, { repair: true });
    expect(fs.readFileSync(f, 'utf8')).toBe('{"i":1}\n{"i":2}\n');
    expect(readAppendLog(f).cut).toBeUndefined();
    fs.writeFileSync(f, '{"i":1}\n{"i":\n{"i":3}\n');
    expect(() => readAppendLog(f)).toThrow(`${f}:2: invalid JSON`);
    expect(readAppendLog(path.join(path.dirname(f), 'none.jsonl')).rows).toEqual([]);
  });

  it('faultAt() (FLEMING_WRITE_FAULT) fails the n-th write of a file of that name with the errno it names; a bad spec says the form', () => {
    const d = tmp();
    setWriteFault(faultAt('ENOSPC:m.jsonl:2'));
    appendJsonl(path.join(d, 'm.jsonl'), { i: 1 });
    appendJsonl(path.join(d, 'other.jsonl'), { i: 1 });
    expect(() => appendJsonl(path.join(d, 'm.jsonl'), { i: 2 })).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    appendJsonl(path.join(d, 'm.jsonl'), { i: 3 });
    expect(fs.readFileSync(path.join(d, 'm.jsonl'), 'utf8')).toBe('{"i":1}\n{"i":3}\n');
    expect(() => faultAt('ENOSPC')).toThrow('FLEMING_WRITE_FAULT=ENOSPC: expected <kill|ENOSPC|…>:<file name>[:<n>]');
  });

  it('writeFileIfChanged() leaves a file that already holds the bytes alone', () => {
    const f = path.join(tmp(), 'table.md');
    expect(writeFileIfChanged(f, 'a')).toBe(true);
    const t = new Date(2020, 0, 1);
    fs.utimesSync(f, t, t);
    expect(writeFileIfChanged(f, 'a')).toBe(false);
    expect(fs.statSync(f).mtimeMs).toBe(t.getTime());
    expect(writeFileIfChanged(f, 'b')).toBe(true);
    expect(fs.readFileSync(f, 'utf8')).toBe('b');
  });

  it('tempName() and tempPid(): the pid of a temporary file, with or without an extension after it; null for other names', () => {
    expect(tempPid(path.basename(tempName('/x/model.safetensors')))).toBe(process.pid);
    expect(tempPid('plotly.min.js.tmp-4242')).toBe(4242);
    expect(tempPid(`loss.png.tmp-77-1700000000000-3.png`)).toBe(77);
    for (const name of ['model.safetensors', 'last.tmp', 'notes.tmp-draft', 'a.tmp-12x']) expect(tempPid(name)).toBeNull();
  });

  it('ensureDir() says which existing path refused the folder', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'file'), '');
    expect(() => ensureDir(path.join(d, 'file', 'run', 'graph'))).toThrow(`cannot create ${path.join(d, 'file', 'run', 'graph')}: ${path.join(d, 'file')} is a file, not a folder`);
  });
});

describe('SkipReport', () => {
  it('SkipReport(strict) throws the first skip as an InputError', () => {
    const s = new SkipReport(true);
    expect(() => s.skip('f.tsv', 12, 'empty name')).toThrow('f.tsv:12: empty name');
  });

  it('SkipReport.rows() groups by file and reason, most frequent first, five example lines', () => {
    const s = new SkipReport();
    for (let i = 1; i <= 7; i++) s.skip('b.csv', i, 'x');
    s.skip('b.csv', 99, 'y');
    s.skip('a.csv', 3, 'z');
    expect(s.total()).toBe(9);
    expect(s.rows()).toEqual([
      { file: 'a.csv', reason: 'z', count: 1, exampleLines: [3] },
      { file: 'b.csv', reason: 'x', count: 7, exampleLines: [1, 2, 3, 4, 5] },
      { file: 'b.csv', reason: 'y', count: 1, exampleLines: [99] },
    ]);
  });
});

describe('readDelimited', () => {
  it('readDelimited() reads CSV with quoted fields and reports wrong field counts by line', async () => {
    const f = path.join(tmp(), 't.csv');
    fs.writeFileSync(f, 'name,cui\n"Fever, high",C1\nbroken\nCough,C2\n');
    const skips = new SkipReport();
    const rows = [];
    for await (const r of readDelimited(f, { skips })) rows.push(r);
    expect(rows).toEqual([
      { row: { name: 'Fever, high', cui: 'C1' }, line: 2 },
      { row: { name: 'Cough', cui: 'C2' }, line: 4 },
    ]);
    expect(skips.rows()).toEqual([{ file: f, reason: 'wrong field count', count: 1, exampleLines: [3] }]);
  });

  it('readDelimited() reads TSV without treating quotes specially, and gzip', async () => {
    const zlib = await import('node:zlib');
    const d = tmp();
    const f = path.join(d, 't.tsv.gz');
    fs.writeFileSync(f, zlib.gzipSync('a\tb\n"x\t5 "inch"\n'));
    const rows = [];
    for await (const r of readDelimited(f)) rows.push(r.row);
    expect(rows).toEqual([{ a: '"x', b: '5 "inch"' }]);
  });

  it('readDelimited() removes a BOM as readJsonl() does and counts a row with bytes that are not UTF-8 (a quoted field over two lines too)', async () => {
    const f = path.join(tmp(), 'u.csv');
    fs.writeFileSync(f, bytes(BOM, 'name,cui\nFever,C1\n"Caf', LATIN1_E, ' au lait\nspots",C2\nCough,C3\n'));
    const skips = new SkipReport();
    const rows = [];
    for await (const r of readDelimited(f, { skips })) rows.push(r);
    expect(rows).toEqual([
      { row: { name: 'Fever', cui: 'C1' }, line: 2 },
      { row: { name: 'Cough', cui: 'C3' }, line: 5 },
    ]);
    expect(skips.rows()).toEqual([{ file: f, reason: 'invalid UTF-8', count: 1, exampleLines: [3] }]);
    const strict = async () => {
      for await (const _ of readDelimited(f)) void _;
    };
    await expect(strict()).rejects.toThrow(`${f}:3: invalid UTF-8 (byte 0xE9 at column 5)`);
  });

  it('readDelimited() names the file and the line where a quote that is never closed opens', async () => {
    const f = path.join(tmp(), 'q.csv');
    fs.writeFileSync(f, 'a,b\n1,"x"\n2,"y\n3,4\n5,6\n');
    const run = async () => {
      for await (const _ of readDelimited(f, { skips: new SkipReport() })) void _;
    };
    await expect(run()).rejects.toThrow(`${f}:3: unclosed quote`);
    await expect(run()).rejects.toBeInstanceOf(InputError);
  });

  it('readDelimited() without a SkipReport throws file:line', async () => {
    const f = path.join(tmp(), 't.tsv');
    fs.writeFileSync(f, 'a\tb\n1\n');
    const run = async () => {
      for await (const _ of readDelimited(f)) void _;
    };
    await expect(run()).rejects.toThrow(`${f}:2: expected 2 fields, found 1`);
  });
});
