import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fg from 'fast-glob';
import { lint } from '../src/engine';
import { RULES } from '../rules';

/**
 * One data-driven test over fixtures/: every `expect: rule-id[, rule-id]`
 * comment marks the findings expected on that line (or, with `expect-next:`,
 * on the next line); every other line must stay silent. A fixture's dialect
 * is its first folder (fixtures/dragonfly/..., fixtures/freebsd/...).
 */
const root = path.join(__dirname, '..', 'fixtures');
const files = fg.sync('**/*.c', { cwd: root }).sort();

function expected(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /expect(-next)?:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/.exec(line);
    if (!m) return;
    for (const id of m[2].split(',').map((s) => s.trim())) out.push(`${i + 1 + (m[1] ? 1 : 0)}:${id}`);
  });
  return out.sort();
}

describe('fixtures', () => {
  it('has fixtures for both dialects', () => {
    expect(files.some((f) => f.startsWith('dragonfly/'))).toBe(true);
    expect(files.some((f) => f.startsWith('freebsd/'))).toBe(true);
  });
  for (const f of files) {
    it(f, async () => {
      const abs = path.join(root, f);
      const dialect = f.split('/')[0] as 'freebsd' | 'dragonfly';
      const res = await lint({ paths: [abs], dialect, jobs: 1, rules: RULES.map((r) => r.meta.id) });
      const got = res.findings.map((x) => `${x.line}:${x.ruleId}`).sort();
      expect(got).toEqual(expected(fs.readFileSync(abs, 'latin1')));
    });
  }
});
