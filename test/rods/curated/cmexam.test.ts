import { describe, expect, it } from 'vitest';
import { SkipReport } from '../../../src/core/io';
import { loadCmexam, parseCmexamOptions } from '../../../src/rods/curated/cmexam';
import { fixture, reasons, skippedIn } from './helpers';

/** A CSV cell, quoted as pandas' to_csv writes it. */
const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = (rows: string[][]) => rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';

describe('parseCmexamOptions', () => {
  it('parseCmexamOptions() reads one "A 文本" option per line, in letter order', () => {
    expect(parseCmexamOptions('A 肝硬化\nB 肝癌\nC 脂肪肝 伴 纤维化\nD 肝炎\nE 胆囊炎')).toEqual(['肝硬化', '肝癌', '脂肪肝 伴 纤维化', '肝炎', '胆囊炎']);
    expect(parseCmexamOptions('A. x\r\nB、y\n')).toEqual(['x', 'y']);
    expect(parseCmexamOptions('A x\nC y')).toBeUndefined();
    expect(parseCmexamOptions('')).toBeUndefined();
  });
});

describe('loadCmexam', () => {
  const header = ['Question', 'Options', 'Answer', 'Explanation', 'Disease Group', 'Clinical Department', 'Medical Discipline', 'Competency', 'Difficulty level'];
  const opts = 'A 阿司匹林\nB 布洛芬\nC 对乙酰氨基酚\nD 吗啡\nE 可待因';

  it('loadCmexam() reads the published CSV: multi-line Options, letter Answer, annotations in meta', async () => {
    const f = fixture(
      'cmexam/test_with_annotations.csv',
      csv([
        header,
        ['下列哪种药物属于阿片类镇痛药，"强效"？', opts, 'D', '吗啡为阿片受体激动剂。', '症状、体征或临床所见', '内科', '临床医学', '疾病治疗', '2'],
        ['多选题', opts, 'AB', '', '', '', '', '', ''],
        ['无答案题', opts, '', '', '', '', '', '', ''],
        ['选项缺字母', 'A 甲\nC 丙', 'A', '', '', '', '', '', ''],
        ['答案越界', 'A 甲\nB 乙', 'E', '', '', '', '', '', ''],
        ['空选项', 'A 甲\nB', 'A', '', '', '', '', '', ''],
        ['字段太少', opts],
      ]),
    );
    const skips = new SkipReport();
    const items = await loadCmexam(f, skips);
    expect(items).toHaveLength(1);
    const [it0] = items;
    expect(it0.id).toMatch(/^cmexam-\d+$/);
    expect(it0).toMatchObject({
      origin: 'cmexam',
      question: '下列哪种药物属于阿片类镇痛药，"强效"？',
      options: { A: '阿司匹林', B: '布洛芬', C: '对乙酰氨基酚', D: '吗啡', E: '可待因' },
      answer: 'D',
      type: 'curated',
    });
    expect(it0.meta).toMatchObject({
      sourceSplit: 'test_with_annotations',
      explanation: '吗啡为阿片受体激动剂。',
      annotations: { 'Disease Group': '症状、体征或临床所见', 'Clinical Department': '内科', 'Medical Discipline': '临床医学', Competency: '疾病治疗', 'Difficulty level': '2' },
    });
    expect(reasons(skips, f)).toEqual({
      'multiple answers': 1,
      'no answer': 1,
      'options not lettered A, B, C, ... in order': 1,
      'answer not among options': 1,
      'empty option': 1,
      'wrong field count': 1,
    });
    expect(items.length + skippedIn(skips, f)).toBe(7);
    expect(skips.readCounts()[f]).toBe(7);
  });

  it('loadCmexam() accepts the raw Chinese headers (标题, 选项, 答案, 答案解析)', async () => {
    const f = fixture('train.csv', csv([['标题', '选项', '答案', '答案解析'], ['题干', 'A 是\nB 否', 'B', '解析']]));
    const items = await loadCmexam(f, new SkipReport());
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ question: '题干', options: { A: '是', B: '否' }, answer: 'B', meta: { explanation: '解析', sourceSplit: 'train' } });
  });

  it('loadCmexam() throws when the file lacks the Question/Options columns', async () => {
    const f = fixture('x.csv', 'a,b\n1,2\n');
    await expect(loadCmexam(f, new SkipReport())).rejects.toThrow('not a CMExam CSV');
  });

  it('loadCmexam() on a renamed Answer column throws "column not found" at the header instead of counting every row as "no answer"', async () => {
    const f = fixture('test.csv', csv([['Question', 'Options', 'Correct'], ['题干', 'A 是\nB 否', 'B'], ['题干2', 'A 是\nB 否', 'A']]));
    const skips = new SkipReport();
    await expect(loadCmexam(f, skips)).rejects.toThrow(`${f}:1: not a CMExam CSV: column "Answer" or "答案" not found (the header has: Question, Options, Correct)`);
    expect(skips.total()).toBe(0);
  });

  it('loadCmexam() on a file with only its header, or nothing, throws instead of returning 0 items', async () => {
    const h = fixture('test.csv', csv([header]));
    await expect(loadCmexam(h, new SkipReport())).rejects.toThrow(`${h}: no records after the header`);
    const e = fixture('test.csv', '');
    await expect(loadCmexam(e, new SkipReport())).rejects.toThrow(`${e}: empty file: no header`);
  });
});
