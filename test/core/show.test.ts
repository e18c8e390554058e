import { describe, expect, it } from 'vitest';
import { formatNumber, tableHtml, tableMarkdown, tableRows } from '../../src/core/show';

describe('show', () => {
  it('formatNumber() writes integers as integers and other numbers with 1–3 decimals', () => {
    expect(formatNumber(6)).toBe('6');
    expect(formatNumber(6.0)).toBe('6');
    expect(formatNumber(123456)).toBe('123,456');
    expect(formatNumber(0.123456789)).toBe('0.123');
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(1234.5678)).toBe('1234.6');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('tableRows() reads rows, arquero tables and danfo frames (describe() keeps its row names)', () => {
    const aq = require('arquero') as typeof import('arquero');
    expect(tableRows(aq.from([{ a: 1, b: 'x' }]))).toEqual([{ a: 1, b: 'x' }]);
    const dfd = require('danfojs') as { DataFrame: new (rows: object[]) => { describe(): unknown } };
    const df = new dfd.DataFrame([{ n: 1 }, { n: 3 }]);
    expect(tableRows(df)).toEqual([{ n: 1 }, { n: 3 }]);
    const described = tableRows(df.describe());
    expect(described.map((r) => r[''])).toContain('mean');
    expect(described.find((r) => r[''] === 'mean')?.n).toBe(2);
    expect(() => tableRows(42)).toThrow(/expected rows/);
  });

  it('tableHtml() renders an HTML table with numbers formatted and right-aligned, text escaped', () => {
    const html = tableHtml([{ type: 'disease <x>', entities: 297, share: 0.104712 }, { type: 'drug', entities: 12000, share: 0.5 }], { caption: 'types' });
    expect(html).toMatch(/^<table class="fleming-table"><caption[^>]*>types<\/caption>/);
    expect(html).toContain('<td style="text-align:left">disease &lt;x&gt;</td>');
    expect(html).toContain('<td style="text-align:right">297</td>');
    expect(html).toContain('<td style="text-align:right">12,000</td>');
    expect(html).toContain('<td style="text-align:right">0.105</td>');
    expect(html).not.toContain('297.0');
    expect(tableHtml(Array.from({ length: 60 }, (_, i) => ({ i })), { limit: 5 })).toContain('… 55 more rows');
  });

  it('tableMarkdown() gives the same table as markdown for a terminal', () => {
    expect(tableMarkdown([{ a: 1, b: 'x|y' }])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
  });
});
