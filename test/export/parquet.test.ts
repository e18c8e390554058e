import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { type Field, fieldProblem, float64, int32, list, parquetSchema, str, struct, writeParquet } from '../../src/export/parquet';
import { tempDir } from '../helpers/tmp';

const tmp = tempDir('fleming-parquet-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FIELDS: Field[] = [str('name'), list('turns', struct('element', [str('role'), str('content')])), struct('info', [int32('n'), float64('x'), list('tags', 'string')])];

async function read(file: string): Promise<Record<string, unknown>[]> {
  const b = fs.readFileSync(file);
  return (await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })) as Record<string, unknown>[];
}

describe('writeParquet', () => {
  it('parquetSchema() lays lists out as the standard three levels (LIST → repeated list → element), every field optional', () => {
    expect(parquetSchema([list('turns', struct('element', [str('role')]))])).toEqual([
      { name: 'root', num_children: 1 },
      { name: 'turns', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 1 },
      { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ]);
  });

  it('round-trips nested rows through hyparquet: lists of structs, empty lists, nulls, unicode', async () => {
    const rows = [
      { name: 'a', turns: [{ role: 'user', content: 'Fièvre + 肺 🫁\nA. x' }], info: { n: 1, x: 0.5, tags: ['t1', 't2'] } },
      { name: null, turns: [], info: { n: null, x: -2, tags: [] } },
      { name: 'c', turns: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '<think>r</think>\n<answer>B</answer>' }], info: null },
    ];
    const file = path.join(tmp, 'rows.parquet');
    const bytes = writeParquet(file, FIELDS, rows);
    expect(bytes).toBe(fs.statSync(file).size);
    expect(await read(file)).toEqual(rows);
  });

  it('writes a file with no rows that reads back empty', async () => {
    const file = path.join(tmp, 'empty.parquet');
    writeParquet(file, FIELDS, []);
    expect(await read(file)).toEqual([]);
  });

  it('refuses a value that does not fit, naming the file, row and field, and a column the schema lacks', () => {
    const file = path.join(tmp, 'bad.parquet');
    expect(() => writeParquet(file, FIELDS, [{ name: 'a', turns: [], info: null }, { name: 'b', turns: [{ role: 'user', content: 7 }], info: null }])).toThrow(`${file}: row 1: turns[0].content: 7 is not string`);
    expect(() => writeParquet(file, FIELDS, [{ name: 'a', info: { n: 1.5 } }])).toThrow('row 0: info.n: 1.5 is not int32');
    expect(() => writeParquet(file, FIELDS, [{ name: 'a', extra: 1 }])).toThrow('row 0: columns not in the schema: extra');
    expect(() => writeParquet(file, FIELDS, [{ info: { n: 1, other: 2 } }])).toThrow('info: fields not in the schema: other');
    expect(fs.existsSync(file)).toBe(false);
    expect(fieldProblem(int32('n'), 2 ** 31)).toMatch(/is not int32/);
  });
});
