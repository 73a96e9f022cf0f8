import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, runCli } from './helpers/run';

/*
 * The package's programmatic API: package.json `main` (and `types`) name
 * built files that exist, and lint() gives the findings `--format json` gives,
 * honours unsaved buffer text and inline suppressions, and refuses unknown rules.
 */
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const api = require(path.join(ROOT, pkg.main)) as typeof import('../src/index');

const DEREF = 'fixtures/freebsd/deref.c';

describe('package.json main: the lint() API', () => {
  it('main and types point at built files', () => {
    expect(fs.existsSync(path.join(ROOT, pkg.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.types))).toBe(true);
    expect(fs.readFileSync(path.join(ROOT, pkg.types), 'utf8')).toMatch(/export declare function lint\(options: Options\): Promise<Result>;/);
    expect(typeof api.VERSION).toBe('string');
  });

  it('gives the findings --format json gives', async () => {
    const old = process.cwd();
    process.chdir(ROOT);
    try {
      const res = await api.lint({ paths: [DEREF] });
      const cli = JSON.parse(runCli([DEREF, '-q', '-f', 'json', '--no-cache']).stdout);
      expect(res.findings.length).toBeGreaterThan(0);
      expect(res.findings).toEqual(cli.findings);
      expect(res.dialect).toEqual(cli.dialect);
      expect(res.files).toEqual([DEREF]);
    } finally {
      process.chdir(old);
    }
  });

  it('lints an unsaved buffer instead of the file, with its inline suppressions', async () => {
    const file = path.join(ROOT, DEREF);
    const text = fs.readFileSync(file, 'latin1');
    const first = (await api.lint({ paths: [file] })).findings[0];
    const lines = text.split('\n');
    lines[first.line - 1] += ` /* kmalloc-lint: ignore ${first.ruleId} -- test */`;
    const res = await api.lint({ paths: [file], contents: { [file]: lines.join('\n') } });
    expect(res.findings.some((f) => f.line === first.line && f.ruleId === first.ruleId)).toBe(false);
    expect(fs.readFileSync(file, 'latin1')).toBe(text);
  });

  it('throws on an unknown rule', async () => {
    await expect(api.lint({ paths: [DEREF], rules: ['nowait-null-pan'] })).rejects.toThrow(/unknown rule: nowait-null-pan/);
  });
});

describe('LICENSE', () => {
  it('is the BSD-2-Clause text package.json declares, and ships in the package', () => {
    expect(pkg.license).toBe('BSD-2-Clause');
    const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^BSD 2-Clause License\n\nCopyright \(c\) \d{4}, the kmalloc-lint authors\n/);
    expect(text).toContain('1. Redistributions of source code must retain the above copyright notice');
    expect(text).not.toContain('3. ');
    expect(pkg.files).toContain('LICENSE');
  });
});
