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
// a folder named tree-* is linted as one tree (whole-tree facts cross its files)
const all = fg.sync('**/*.c', { cwd: root }).sort();
const trees = [...new Set(all.filter((f) => /\/tree-[^/]+\//.test(f)).map((f) => f.replace(/(\/tree-[^/]+)\/.*$/, '$1')))];
const files = all.filter((f) => !/\/tree-[^/]+\//.test(f));

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
  for (const t of trees) {
    it(`${t}/ (whole tree)`, async () => {
      const dir = path.join(root, t);
      const dialect = t.split('/')[0] as 'freebsd' | 'dragonfly';
      const res = await lint({ paths: [dir], dialect, jobs: 1, rules: RULES.map((r) => r.meta.id) });
      const got = res.findings.map((x) => `${x.file.slice(x.file.indexOf(t) + t.length + 1)}:${x.line}:${x.ruleId}`).sort();
      const want = all
        .filter((f) => f.startsWith(t + '/'))
        .flatMap((f) => expected(fs.readFileSync(path.join(root, f), 'latin1')).map((e) => `${f.slice(t.length + 1)}:${e}`))
        .sort();
      expect(got).toEqual(want);
    });
  }
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
