import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../rules';
import { FIXTURES, ROOT, runCli, stackLines, tmpDir } from './helpers/run';

/** End-to-end tests of the built CLI: exit codes, formats, options. */

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const PANIC = 'fixtures/freebsd/panic.c';
let dir: string;
let clean: string;

beforeAll(() => {
  dir = tmpDir('cli');
  clean = path.join(dir, 'clean.c');
  fs.writeFileSync(
    clean,
    `#include <sys/malloc.h>\nstatic int\nok(void **out)\n{\n\tvoid *p;\n\n\tp = malloc(16, M_DEVBUF, M_NOWAIT);\n\tif (p == NULL)\n\t\treturn (ENOMEM);\n\t*out = p;\n\treturn (0);\n}\n`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function noStack(stderr: string) {
  expect(stackLines(stderr), stderr).toEqual([]);
}

describe('exit codes', () => {
  it('0 for a clean file, with a summary on stderr', () => {
    const r = runCli([clean, '-d', 'freebsd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/1 files?, 0 findings/);
  });
  it('1 for findings', () => {
    const r = runCli([PANIC, '-d', 'freebsd']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^fixtures\/freebsd\/panic\.c:17:8: error nowait-null-panic: /m);
  });
  it('2 for an unknown option, naming it', () => {
    const r = runCli(['--no-such-option', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown option '--no-such-option'");
    noStack(r.stderr);
  });
  it('2 for an unknown --dialect value, listing the choices', () => {
    const r = runCli(['--dialect', 'netbsd', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'netbsd'");
    expect(r.stderr).toMatch(/freebsd/);
    expect(r.stderr).toMatch(/dragonfly/);
    noStack(r.stderr);
  });
  it('2 for an unknown --format value', () => {
    const r = runCli(['--format', 'xml', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'xml'");
  });
  it('2 for an unknown --rule, naming it', () => {
    const r = runCli(['--rule', 'nowait-null-panic,no-such-rule', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no-such-rule');
    expect(r.stderr).not.toContain('nowait-null-panic,');
    noStack(r.stderr);
  });
  it('2 for an unknown --disable-rule', () => {
    const r = runCli(['--disable-rule', 'bogus-rule', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bogus-rule');
  });
  it('2 for a missing path, naming it, even when other paths have findings', () => {
    const r = runCli(['no/such/file.c', PANIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such\/file\.c.*no such file or directory/);
    // the good path is still linted
    expect(r.stdout).toContain('panic.c:17:8');
    noStack(r.stderr);
  });
  it('2 for a missing path also with -q (errors are never silenced)', () => {
    const r = runCli(['-q', 'no/such/file.c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/file.c');
  });
  it('2 for a bad --jobs or --max-file-size value', () => {
    for (const args of [['--jobs', '0'], ['--jobs', 'many'], ['--max-file-size', 'huge']]) {
      const r = runCli([...args, PANIC]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(args[0]);
      noStack(r.stderr);
    }
  });
});

describe('formats', () => {
  it('text: file:line:col: severity rule: message, the source line and a caret', () => {
    const r = runCli([PANIC, '-d', 'freebsd', '-f', 'text']);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith('fixtures/freebsd/panic.c:17:8:'));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(lines[i + 1]).toContain('ccb = malloc(sizeof(*ccb), M_DEVBUF, M_NOWAIT);');
    expect(lines[i + 2]).toMatch(/^\s+\^~+$/);
    // no colour escapes when not a terminal
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const colored = runCli([PANIC, '-d', 'freebsd', '--color']);
    expect(colored.stdout).toMatch(/\x1b\[31merror/);
  });
  it('json: tool, dialect, stats, findings with locations and fingerprints', () => {
    const r = runCli([PANIC, '-d', 'freebsd', '-f', 'json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.tool).toEqual({ name: 'kmalloc-lint', version: pkg.version });
    expect(j.dialect.name).toBe('freebsd');
    expect(j.stats.files).toBe(1);
    expect(j.findings.length).toBeGreaterThan(0);
    for (const f of j.findings) {
      expect(f).toMatchObject({ ruleId: expect.any(String), severity: expect.stringMatching(/^(error|warning|note)$/), file: PANIC });
      expect(Number.isInteger(f.line) && Number.isInteger(f.column)).toBe(true);
      expect(f.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(typeof f.function).toBe('string');
    }
    expect(Array.isArray(j.diagnostics)).toBe(true);
  });
  it('sarif: 2.1.0 with one run, the rules and the results', () => {
    const r = runCli([PANIC, '-d', 'freebsd', '-f', 'sarif']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe('2.1.0');
    expect(s.runs).toHaveLength(1);
    expect(s.runs[0].tool.driver.name).toBe('kmalloc-lint');
    expect(s.runs[0].results.length).toBeGreaterThan(0);
    expect(s.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(PANIC);
  });
  it('the same findings in every format', () => {
    const text = runCli([FIXTURES, '-q']).stdout.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l)).length;
    const json = JSON.parse(runCli([FIXTURES, '-q', '-f', 'json']).stdout).findings.length;
    const sarif = JSON.parse(runCli([FIXTURES, '-q', '-f', 'sarif']).stdout).runs[0].results.length;
    expect(text).toBeGreaterThan(0);
    expect(json).toBe(text);
    expect(sarif).toBe(text);
  });
});

describe('options', () => {
  it('--output writes the report to the file and nothing to stdout', () => {
    const out = path.join(dir, 'sub-report.sarif');
    const r = runCli([PANIC, '-d', 'freebsd', '-f', 'sarif', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const s = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(s.runs[0].results.length).toBeGreaterThan(0);
    // no temporary files left beside it
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('sub-report'))).toEqual(['sub-report.sarif']);
  });
  it('--output into a missing directory is a clear error, not a stack trace', () => {
    const r = runCli([PANIC, '-o', path.join(dir, 'no', 'such', 'dir', 'r.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no[/\\]such[/\\]dir/);
    noStack(r.stderr);
  });
  it('--list-rules lists every rule with its severity and doc link', () => {
    const r = runCli(['--list-rules']);
    expect(r.code).toBe(0);
    for (const rule of RULES) {
      expect(r.stdout).toMatch(new RegExp(`^${rule.meta.id}\\s+${rule.meta.severity}\\s`, 'm'));
      expect(r.stdout).toContain(`docs/rules/${rule.meta.id}.md`);
    }
  });
  it('--version and -V print the package version', () => {
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });
  it('--help describes the options and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kmalloc-lint/m);
    for (const o of ['--format', '--output', '--dialect', '--rule', '--list-rules', '--quiet', '--max-file-size', '--jobs']) expect(r.stdout).toContain(o);
  });
  it('-q prints findings only: nothing on stderr', () => {
    const r = runCli(['-q', PANIC, '-d', 'freebsd']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('nowait-null-panic');
    expect(r.stderr).toBe('');
  });
  it('--rule runs only the named rule; --disable-rule drops one', () => {
    const all = JSON.parse(runCli([FIXTURES, '-q', '-f', 'json']).stdout).findings as { ruleId: string }[];
    const only = JSON.parse(runCli([FIXTURES, '-q', '-f', 'json', '--rule', 'nowait-null-panic']).stdout).findings as { ruleId: string }[];
    const without = JSON.parse(runCli([FIXTURES, '-q', '-f', 'json', '--disable-rule', 'nowait-null-panic']).stdout).findings as { ruleId: string }[];
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((f) => f.ruleId === 'nowait-null-panic')).toBe(true);
    expect(only.length).toBe(all.filter((f) => f.ruleId === 'nowait-null-panic').length);
    expect(without.some((f) => f.ruleId === 'nowait-null-panic')).toBe(false);
    expect(without.length).toBe(all.length - only.length);
  });
  it('the output does not depend on --jobs', () => {
    const a = runCli([FIXTURES, '-q', '-f', 'json', '-j', '1']).stdout;
    const b = runCli([FIXTURES, '-q', '-f', 'json', '-j', '4']).stdout;
    expect(b).toBe(a);
  });
});
