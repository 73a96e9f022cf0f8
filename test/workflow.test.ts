import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/cli';
import { escapeData, escapeProperty, sarifLimitWarnings } from '../src/workflow/github';
import { Progress } from '../src/workflow/progress';
import { scanSuppressions } from '../src/workflow/suppress';
import { parseUnifiedZero } from '../src/workflow/gitdiff';
import { KNOWN_RULE_IDS } from '../src/workflow/run';

/*
 * The developer-workflow features, end to end through main(), in real git
 * repositories made in temporary folders.
 */

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org', GIT_CONFIG_NOSYSTEM: '1' };
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-wf-'));
const startCwd = process.cwd();
afterAll(() => {
  process.chdir(startCwd);
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

let n = 0;
function repo(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(tmpRoot, `r${n++}-`)));
  git(dir, 'init', '-q');
  return dir;
}
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
}
function write(dir: string, file: string, text: string) {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}
function commit(dir: string, msg = 'c') {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', msg);
}

/** Run the CLI in a folder; capture stdout and stderr. */
async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  process.chdir(cwd);
  try {
    const code = await main(argv, { stdout: { write: (s: string) => ((out += s), true) } as never, stderr: { write: (s: string) => ((err += s), true) } as never });
    return { code, out, err };
  } finally {
    process.chdir(startCwd);
  }
}
const lines = (out: string) => out.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l)).map((l) => l.replace(/^(\S+:\d+):\d+: \w+ (\S+):.*$/, '$1 $2'));

/** A function whose no-wait allocation is dereferenced without a test (nowait-null-deref on the malloc line). */
const bad = (name: string) => `void\n${name}(void)\n{\n\tchar *p;\n\tp = malloc(10, M_DEVBUF, M_NOWAIT);\n\tp[0] = 1;\n}\n`;
const good = (name: string) => `void\n${name}(void)\n{\n\tchar *p;\n\tp = malloc(10, M_DEVBUF, M_NOWAIT);\n\tif (p == NULL)\n\t\treturn;\n\tp[0] = 1;\n}\n`;
const HDR = '#include <sys/param.h>\n#include <sys/malloc.h>\n\n';

describe('--staged', () => {
  it('lints the index content, not the work tree, and reports only staged changed lines', async () => {
    const dir = repo();
    write(dir, 'sys/dev/x.c', HDR + bad('old_bug') + good('f'));
    commit(dir);
    // stage a new bug in f ...
    write(dir, 'sys/dev/x.c', HDR + bad('old_bug') + bad('f'));
    git(dir, 'add', 'sys/dev/x.c');
    // ... then fix it in the work tree only (not staged)
    write(dir, 'sys/dev/x.c', HDR + bad('old_bug') + good('f'));
    const staged = await run(dir, '--staged', '--dialect', 'freebsd');
    expect(lines(staged.out)).toEqual(['sys/dev/x.c:15 nowait-null-deref']);
    expect(staged.code).toBe(1);
    expect(staged.err).toMatch(/1 outside the staged changes not shown/);
    // the work tree has only the old bug, on an unchanged line
    const all = await run(dir, '--dialect', 'freebsd', 'sys');
    expect(lines(all.out)).toEqual(['sys/dev/x.c:8 nowait-null-deref']);
  });

  it('takes whole-tree facts from the repository, not only the staged file', async () => {
    const dir = repo();
    // a wrapper in a file that is not staged; the staged file dereferences its no-wait result
    write(dir, 'sys/alloc.c', 'struct req *\nreq_alloc(int how)\n{\n\tstruct req *r;\n\n\tr = malloc(sizeof(*r), M_DEVBUF, how);\n\treturn (r);\n}\n');
    write(dir, 'sys/use.c', 'void\nuse(void)\n{\n}\n');
    commit(dir);
    write(dir, 'sys/use.c', 'void\nuse(void)\n{\n\tstruct req *r;\n\n\tr = req_alloc(M_NOWAIT);\n\tr->x = 1;\n}\n');
    git(dir, 'add', 'sys/use.c');
    const r = await run(dir, '--staged', '-d', 'freebsd', '--no-color', '--no-cache');
    expect(r.code, r.err).toBe(1);
    expect(lines(r.out)).toEqual(['sys/use.c:6 nowait-null-deref']);
  });

  it('reports nothing when nothing is staged, and works from a subfolder', async () => {
    const dir = repo();
    write(dir, 'sys/kern/a.c', HDR + bad('a'));
    commit(dir);
    const r = await run(dir, '--staged');
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    write(dir, 'sys/kern/b.c', HDR + bad('b'));
    git(dir, 'add', '.');
    const sub = await run(path.join(dir, 'sys'), '--staged', '--format', 'json');
    const j = JSON.parse(sub.out);
    expect(j.findings.map((f: { file: string; line: number }) => `${f.file}:${f.line}`)).toEqual(['kern/b.c:8']);
  });

  it('fails with exit 2 outside a git repository', async () => {
    const dir = fs.mkdtempSync(path.join(tmpRoot, 'nogit-'));
    const r = await run(dir, '--staged');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kmalloc-lint: error: git rev-parse: .*not a git repository/i);
  });
});

describe('--diff-base', () => {
  it('reports only findings on lines changed since the ref (committed and uncommitted)', async () => {
    const dir = repo();
    write(dir, 'a.c', HDR + bad('one'));
    commit(dir, 'one');
    write(dir, 'a.c', HDR + bad('one') + bad('two'));
    commit(dir, 'two');
    let r = await run(dir, '--diff-base', 'HEAD~1', '--dialect', 'freebsd');
    expect(lines(r.out)).toEqual(['a.c:15 nowait-null-deref']);
    r = await run(dir, '--diff-base', 'HEAD');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    // an uncommitted change counts (work tree against the ref)
    write(dir, 'a.c', HDR + bad('one') + bad('two') + bad('three'));
    r = await run(dir, '--diff-base', 'HEAD', '.');
    expect(lines(r.out)).toEqual(['a.c:22 nowait-null-deref']);
  });

  it('counts a deleted NULL test as a change to the allocation it guarded', async () => {
    const dir = repo();
    write(dir, 'a.c', HDR + good('f'));
    commit(dir);
    write(dir, 'a.c', HDR + good('f').replace('\tif (p == NULL)\n\t\treturn;\n', ''));
    const r = await run(dir, '--diff-base', 'HEAD');
    expect(lines(r.out)).toEqual(['a.c:8 nowait-null-deref']);
  });

  it('names a bad ref', async () => {
    const dir = repo();
    write(dir, 'a.c', HDR + bad('one'));
    commit(dir);
    const r = await run(dir, '--diff-base', 'no-such-ref');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error: --diff-base no-such-ref: unknown revision/);
    expect(r.err).not.toMatch(/Command failed|rev-parse/);
  });

  it('parses -U0 hunks, including pure deletions and quoted names', () => {
    const d = [
      'diff --git a/x.c b/x.c',
      '--- a/x.c',
      '+++ b/x.c',
      '@@ -3 +3 @@',
      '@@ -10,2 +9,0 @@',
      '@@ -20,0 +20,3 @@',
      '+++ "b/sp\\303\\244ce \\"q\\".c"',
      '@@ -0,0 +1,2 @@',
    ].join('\n');
    const m = parseUnifiedZero(d);
    expect([...m.get('x.c')!].sort((a, b) => a - b)).toEqual([3, 9, 10, 20, 21, 22]);
    expect([...m.get('späce "q".c')!]).toEqual([1, 2]);
  });
});

describe('baseline', () => {
  it('round-trips: accepted findings survive a line shift, new ones are reported, gone ones are stale', async () => {
    const dir = repo();
    write(dir, 'a.c', HDR + bad('one') + bad('two'));
    const w = await run(dir, '--write-baseline', 'kml-baseline.json', '.');
    expect(w.code).toBe(0);
    expect(w.err).toMatch(/wrote 2 findings to the baseline kml-baseline.json/);
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'kml-baseline.json'), 'utf8'));
    expect(b.tool).toBe('kmalloc-lint');
    expect(b.findings).toHaveLength(2);
    expect(Object.keys(b.findings[0]).sort()).toEqual(['file', 'fingerprint', 'function', 'message', 'ruleId']);
    // shift everything down by five lines: still all in the baseline
    write(dir, 'a.c', HDR + '/*\n * a new comment\n * of five\n * lines\n */\n' + bad('one') + bad('two'));
    let r = await run(dir, '--baseline', 'kml-baseline.json', '.');
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/2 in the baseline/);
    // a new finding is reported; a fixed one makes its entry stale
    write(dir, 'a.c', HDR + good('one') + bad('two') + bad('three'));
    r = await run(dir, '--baseline', 'kml-baseline.json', '.', '--format', 'json');
    const j = JSON.parse(r.out);
    expect(j.findings.map((f: { function: string }) => f.function)).toEqual(['three']);
    expect(r.code).toBe(1);
    const stale = j.diagnostics.filter((d: { message: string }) => /stale baseline entry/.test(d.message));
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ file: 'a.c', level: 'note' });
    expect(stale[0].message).toMatch(/in one\(\)/);
    expect(r.err).toMatch(/a.c: note: stale baseline entry in kml-baseline.json/);
    const s = await run(dir, '--baseline', 'kml-baseline.json', '.', '--format', 'sarif');
    const notes = JSON.parse(s.out).runs[0].invocations[0].toolExecutionNotifications;
    expect(notes.some((x: { message: { text: string } }) => /stale baseline entry/.test(x.message.text))).toBe(true);
    // linting another file does not call the rest of the baseline stale
    write(dir, 'other.c', HDR + good('x'));
    r = await run(dir, '--baseline', 'kml-baseline.json', 'other.c');
    expect(r.err).not.toMatch(/stale/);
  });

  it('refuses a file that is not a baseline', async () => {
    const dir = repo();
    write(dir, 'a.c', HDR + bad('one'));
    write(dir, 'b.json', '{"findings": 3}');
    const r = await run(dir, '--baseline', 'b.json', '.');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/b.json: not a kmalloc-lint baseline/);
    const m = await run(dir, '--baseline', 'missing.json', '.');
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/missing.json: cannot read baseline: no such file/);
  });
});

describe('inline suppressions', () => {
  const src =
    HDR +
    `void\nf(void)\n{\n\tchar *p, *q, *r, *s;\n` +
    `\tp = malloc(10, M_DEVBUF, M_NOWAIT); /* kmalloc-lint: ignore nowait-null-deref -- only at boot, cannot fail */\n\tp[0] = 1;\n` +
    `\t/* kmalloc-lint: ignore-next-line nowait-null-deref */\n\tq = malloc(10, M_DEVBUF, M_NOWAIT);\n\tq[0] = 1;\n` +
    `\tr = malloc(10, M_DEVBUF, M_NOWAIT); // NOLINT(kmalloc-lint-nowait-null-deref)\n\tr[0] = 1;\n` +
    `\ts = malloc(10, M_DEVBUF, M_WAITOK); /* kmalloc-lint: ignore nowait-null-deref */\n\ts[0] = 1;\n` +
    `\ts = malloc(10, M_DEVBUF, M_NOWAIT); /* kmalloc-lint: ignore nowait-null-dref */\n\ts[0] = 1;\n` +
    `}\n`;

  it('silences the named rule on the line, reports unused ones in text, JSON and SARIF', async () => {
    const dir = repo();
    write(dir, 'a.c', src);
    const t = await run(dir, 'a.c');
    expect(lines(t.out)).toEqual(['a.c:15 unused-suppression', 'a.c:17 nowait-null-deref', 'a.c:17 unused-suppression']);
    expect(t.out).toMatch(/unknown rule 'nowait-null-dref'/);
    expect(t.err).toMatch(/3 suppressed inline/);
    const j = JSON.parse((await run(dir, 'a.c', '-f', 'json')).out);
    expect(j.findings.filter((f: { ruleId: string }) => f.ruleId === 'unused-suppression')).toHaveLength(2);
    const sarif = JSON.parse((await run(dir, 'a.c', '-f', 'sarif')).out);
    const rules = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    const res = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'unused-suppression');
    expect(rules[res.ruleIndex]).toBe('unused-suppression');
    expect(res.level).toBe('note');
  });

  it('are not called unused when their rule did not run, and can be turned off', async () => {
    const dir = repo();
    write(dir, 'a.c', src);
    const r = await run(dir, 'a.c', '--rule', 'nowait-null-panic');
    expect(r.out).toMatch(/unknown rule 'nowait-null-dref'/);
    expect(lines(r.out)).toEqual(['a.c:17 unused-suppression']);
    const off = await run(dir, 'a.c', '--disable-rule', 'unused-suppression');
    expect(lines(off.out)).toEqual(['a.c:17 nowait-null-deref']);
  });

  it('scans comments only, and finds the line after a block comment', () => {
    const s = scanSuppressions('char *x = "kmalloc-lint: ignore all";\n/*\n * kmalloc-lint: ignore-next-line nowait-null-leak, nowait-null-deref -- why\n */\nx();\n');
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ line: 3, target: 5, rules: ['nowait-null-leak', 'nowait-null-deref'], reason: 'why', kind: 'ignore-next-line' });
  });
});

describe('.kmalloc-lint.json', () => {
  it('is found upward from the linted path; rule severities, off and extra allocators apply', async () => {
    const dir = repo();
    write(
      dir,
      '.kmalloc-lint.json',
      JSON.stringify({
        $schema: './node_modules/kmalloc-lint/schema/kmalloc-lint.schema.json',
        dialect: 'freebsd',
        rules: { 'nowait-null-deref': 'warning', 'nowait-null-leak': 'off' },
        allocators: [{ name: 'my_alloc', flagsArg: 1, arity: 2 }],
        releases: [{ name: 'my_free', arg: 0 }],
        exclude: ['**/contrib/**'],
      }),
    );
    write(dir, 'sys/dev/a.c', HDR + 'void\nf(void)\n{\n\tchar *p;\n\tp = my_alloc(10, M_NOWAIT);\n\tp[0] = 1;\n}\n');
    write(dir, 'sys/contrib/b.c', HDR + bad('g'));
    const r = await run(path.join(dir, 'sys'), '.');
    expect(r.out).toMatch(/^dev\/a.c:8:6: warning nowait-null-deref: my_alloc\(/m);
    expect(lines(r.out)).toEqual(['dev/a.c:8 nowait-null-deref']);
    expect(r.err).toMatch(/config \.\.\/\.kmalloc-lint\.json/);
    const none = await run(path.join(dir, 'sys'), '.', '--no-config');
    expect(lines(none.out)).toEqual(['contrib/b.c:8 nowait-null-deref']);
  });

  const bads: [unknown, RegExp][] = [
    [{ rules: { 'nowait-null-pan': 'error' } }, /^kmalloc-lint: error: \.kmalloc-lint\.json: rules\.nowait-null-pan: unknown rule/m],
    [{ rules: { 'nowait-null-panic': 'fatal' } }, /\.kmalloc-lint\.json: rules\.nowait-null-panic: must be "error", "warning", "note" or "off"/],
    [{ exclude: 'contrib' }, /\.kmalloc-lint\.json: exclude: must be an array of strings/],
    [{ allocators: [{ name: 'x', flagsArg: 5, arity: 2 }] }, /\.kmalloc-lint\.json: allocators\[0\]\.flagsArg: is 5, but the call has only 2 arguments/],
    [{ allocators: [{ name: 'x' }] }, /allocators\[0\]\.flagsArg: is required/],
    [{ resourcePairs: [{ acquire: 'a', release: 'b', kind: 'mutex' }] }, /resourcePairs\[0\]\.kind: must be one of/],
    [{ dialect: 'linux' }, /\.kmalloc-lint\.json: dialect: must be "auto", "freebsd" or "dragonfly"/],
    [{ colour: true }, /\.kmalloc-lint\.json: colour: unknown key/],
  ];
  for (const [cfg, re] of bads) {
    it(`rejects ${JSON.stringify(cfg)} with exit 2, naming the key`, async () => {
      const dir = repo();
      write(dir, '.kmalloc-lint.json', JSON.stringify(cfg));
      write(dir, 'a.c', HDR + bad('f'));
      const r = await run(dir, 'a.c');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.out).toBe('');
    });
  }

  it('rejects invalid JSON', async () => {
    const dir = repo();
    write(dir, '.kmalloc-lint.json', '{"rules": {,}}');
    write(dir, 'a.c', HDR + bad('f'));
    const r = await run(dir, 'a.c');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.kmalloc-lint\.json: not valid JSON/);
  });

  it('ships a schema with the same keys and rule ids as the checks', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'schema', 'kmalloc-lint.schema.json'), 'utf8'));
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', 'allocators', 'dialect', 'exclude', 'failOn', 'include', 'releases', 'resourcePairs', 'rules', 'wrappers']);
    expect(schema.properties.rules.propertyNames.enum.sort()).toEqual([...KNOWN_RULE_IDS].sort());
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.files).toContain('schema');
  });
});

describe('--format github', () => {
  it('escapes data and properties like actions/toolkit', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
  });

  it('emits one workflow command per finding with escaped file names', async () => {
    const dir = repo();
    write(dir, 'odd,name:1.c', HDR + bad('f'));
    const r = await run(dir, '-f', 'github', '.');
    expect(r.code).toBe(1);
    const out = r.out.trim().split('\n');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^::error file=odd%2Cname%3A1\.c,line=8,col=6,endLine=8,endColumn=\d+,title=nowait-null-deref::malloc\(\.\.\., M_NOWAIT\) can return NULL/);
    expect(out[0]).not.toMatch(/\n/);
  });

  it('warns when a SARIF run would exceed code scanning limits', () => {
    expect(sarifLimitWarnings('{}', 10)).toEqual([]);
    expect(sarifLimitWarnings('{}', 25_001)[0]).toMatch(/25001 results.*at most 25000/);
    const big = require('node:crypto').randomBytes(12 * 1024 * 1024).toString('base64');
    expect(sarifLimitWarnings(big, 1)[0]).toMatch(/MB gzipped; GitHub code scanning refuses uploads over 10 MB/);
  });
});

describe('progress', () => {
  it('draws only on a terminal, after a delay, and erases itself', () => {
    let t = 0;
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (s: string) => writes.push(s) };
    const p = new Progress(tty, true, 500, () => t);
    p.update(1, 100);
    expect(writes).toEqual([]);
    t = 1000;
    p.update(50, 100);
    expect(writes[0]).toMatch(/^\rkmalloc-lint \[#+-+\] 50\/100 files 50% 50 files\/s ETA 1s/);
    p.done();
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
    const quiet: string[] = [];
    const off = new Progress({ isTTY: false, write: (s: string) => quiet.push(s) }, false, 0, () => (t += 1000));
    off.update(1, 2);
    off.done();
    expect(quiet).toEqual([]);
    expect(Progress.forStderr(true, tty).update).toBeTypeOf('function');
  });

  it('formats rate and ETA', () => {
    expect(Progress.line(0, 10, 0)).toMatch(/0\/10 files 0% 0\.0 files\/s ETA \?/);
    expect(Progress.line(100, 10000, 1000)).toMatch(/100\/10000 files 1% 100 files\/s ETA 1m39s/);
  });
});

describe('README', () => {
  it('its example config passes the checks', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const block = /### Config file[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const { validateConfig } = await import('../src/workflow/config');
    const cfg = validateConfig(JSON.parse(block![1]), '.kmalloc-lint.json', KNOWN_RULE_IDS);
    expect(cfg.allocators?.[0].name).toBe('ixl_alloc_buf');
  });
});
