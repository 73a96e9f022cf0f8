import { describe, expect, it } from 'vitest';
import { found, readHistory } from '../bench/leak-history';

describe('leak history (npm run bench -- --leak-history)', () => {
  it('lists positions only, each row complete', () => {
    const rows = readHistory();
    expect(rows.length).toBeGreaterThanOrEqual(21);
    for (const r of rows) {
      expect(r.commit).toMatch(/^[0-9a-f]{7,40}$/);
      expect(r.file).toMatch(/^sys\/.+\.c$/);
      expect(r.line).toBeGreaterThan(0);
      expect(r.class).not.toBe('');
      expect(r.why).not.toBe('');
    }
  });

  it('counts a leak finding in the same file within two lines, and nothing else', () => {
    const row = { commit: 'abc1234', file: 'sys/dev/x/if_x.c', line: 100, function: 'x_attach', class: 'pair', why: '' };
    expect(found(row, [{ file: '/tmp/p_abc1234/sys/dev/x/if_x.c', line: 102, ruleId: 'nowait-null-leak' }])).toBe(true);
    expect(found(row, [{ file: '/tmp/p_abc1234/sys/dev/x/if_x.c', line: 103, ruleId: 'nowait-null-leak' }])).toBe(false);
    expect(found(row, [{ file: '/tmp/p_abc1234/sys/dev/x/if_x.c', line: 100, ruleId: 'nowait-null-deref' }])).toBe(false);
    expect(found(row, [{ file: '/tmp/p_abc1234/sys/dev/y/if_x.c', line: 100, ruleId: 'nowait-null-leak' }])).toBe(false);
  });
});
