import { describe, expect, it } from 'vitest';
import { lineOf, lineStarts } from '../src/text/lines';

describe('lineStarts', () => {
  it('gives each text its own line starts, however the recent texts are shared', () => {
    const a = 'int\nx;\n\ny';
    const b = 'intx;\n\n\nz'; // the same length, other lines
    expect(b.length).toBe(a.length);
    expect(lineStarts(a)).toEqual([0, 4, 7, 8]);
    expect(lineStarts(b)).toEqual([0, 6, 7, 8]);
    // an equal text built anew is served the same array
    expect(lineStarts(['int', 'x;', '', 'y'].join('\n'))).toBe(lineStarts(a));
    // more texts than are kept: each is still right
    const many = Array.from({ length: 9 }, (_, i) => 'a\n'.repeat(i + 1));
    for (const t of many) expect(lineStarts(t).length).toBe(t.split('\n').length);
    for (const t of many) expect(lineStarts(t)).toEqual([0, ...[...t.matchAll(/\n/g)].map((m) => m.index! + 1)]);
    expect(lineStarts(a)).toEqual([0, 4, 7, 8]);
    expect(lineOf(lineStarts(b), 8)).toBe(4);
  });
});
