import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../src/core/markdown';

describe('markdownTable', () => {
  it('markdownTable() writes a header, a rule and one row per entry, escaping pipes and newlines', () => {
    expect(markdownTable(['relation', 'to'], [['measured_by', 'lab_test | imaging'], ['x', 'a\nb']])).toBe(
      ['| relation | to |', '|---|---|', '| measured_by | lab_test \\| imaging |', '| x | a b |'].join('\n'),
    );
  });
});
