import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, MAX_NESTING } from '../src/analysis/file';
import { DIALECTS } from '../src/model/dialects';
import { runCli, stackLines, tmpDir } from './helpers/run';

/*
 * Issue 12: the tool tried as a new user would. Crashes and silent loss,
 * exit status, the summary, paths as shown, SARIF, caches and baselines.
 * Every file here is written by the test, in kernel style.
 */

let dir: string;
beforeAll(() => {
  dir = fs.realpathSync(tmpDir('newuser'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const HDR = '#include <sys/param.h>\n#include <sys/malloc.h>\n\n';
/** A function whose no-wait allocation is dereferenced untested (nowait-null-deref at line `at`+4). */
const bad = (name: string, inner = '8') => `static void\n${name}(struct softc *sc)\n{\n\tint *p;\n\n\tp = malloc(${inner}, M_DEVBUF, M_NOWAIT);\n\t*p = 0;\n}\n`;
/** The correct neighbour: tests the result. */
const good = (name: string) => `static int\n${name}(struct softc *sc)\n{\n\tint *p;\n\n\tp = malloc(8, M_DEVBUF, M_NOWAIT);\n\tif (p == NULL)\n\t\treturn (ENOMEM);\n\t*p = 0;\n\treturn (0);\n}\n`;

function write(rel: string, text: string): string {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

describe('deep nesting', () => {
  const deep = (n: number) => bad('deep_fn', `${'('.repeat(n)}8${')'.repeat(n)}`);

  it('skips only the definition nested too deep, keeps the others, says where (analyzeText)', () => {
    const text = HDR + bad('shallow_fn') + good('fine_fn') + deep(5000);
    const r = analyzeText('deep.c', text, DIALECTS.freebsd);
    expect(r.sites.map((s) => s.function).sort()).toEqual(['fine_fn', 'shallow_fn']);
    const d = r.diagnostics.filter((x) => x.level === 'error');
    expect(d).toHaveLength(1);
    expect(d[0].message).toMatch(new RegExp(`^line 23: code nested \\d+ levels deep \\(over ${MAX_NESTING}\\)`));
  });

  it('real depths are analysed: 300 nested parentheses', () => {
    const r = analyzeText('d.c', HDR + deep(300), DIALECTS.freebsd);
    expect(r.diagnostics).toEqual([]);
    expect(r.sites).toHaveLength(1);
  });

  it('exit 2 when anything could not be analysed; the other findings are still reported', () => {
    const f = write('deep/deep.c', HDR + bad('shallow_fn') + deep(5000));
    const r = runCli([f, '-d', 'freebsd', '--no-cache']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/deep\.c:9:6: error nowait-null-deref/);
    expect(r.stderr).toMatch(/deep\.c: error: line \d+: code nested/);
    expect(stackLines(r.stderr)).toEqual([]);
  });
});

describe('--fail-on', () => {
  const notesOnly = () =>
    write(
      'notes/n.c',
      HDR + 'static void\nnote_fn(struct softc *sc)\n{\n\tint *p;\n\n\tp = malloc(8, M_DEVBUF, M_WAITOK);\n\tif (p == NULL)\n\t\treturn;\n\t*p = 0;\n}\n',
    );

  it('notes alone do not fail a run by default; --fail-on note makes them fail it', () => {
    const f = notesOnly();
    const r = runCli([f, '-d', 'freebsd', '--no-cache']);
    expect(r.stdout).toMatch(/note waitok-null-check/);
    expect(r.code, r.stderr).toBe(0);
    expect(runCli([f, '-d', 'freebsd', '--no-cache', '--fail-on', 'note']).code).toBe(1);
  });

  it('error, never; and failOn in the config file (the command line wins)', () => {
    const f = write('failon/w.c', HDR + bad('bad_fn'));
    expect(runCli([f, '-d', 'freebsd', '--no-cache']).code).toBe(1);
    expect(runCli([f, '-d', 'freebsd', '--no-cache', '--fail-on', 'never']).code).toBe(0);
    write('failon/.kmalloc-lint.json', JSON.stringify({ failOn: 'never' }));
    expect(runCli([f, '-d', 'freebsd', '--no-cache']).code).toBe(0);
    expect(runCli([f, '-d', 'freebsd', '--no-cache', '--fail-on', 'error']).code).toBe(1);
    write('failon/.kmalloc-lint.json', JSON.stringify({ failOn: 'sometimes' }));
    const bad2 = runCli([f, '-d', 'freebsd', '--no-cache']);
    expect(bad2.code).toBe(2);
    expect(bad2.stderr).toMatch(/failOn: must be "error", "warning", "note" or "never"/);
    const wrong = runCli([f, '--fail-on', 'often']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("'often'");
  });
});

describe('long source lines', () => {
  const oneLine = (n: number, lead = '') =>
    HDR + lead + Array.from({ length: n }, (_, i) => `static void f${i}(struct softc *sc) { int *p; p = malloc(8, M_DEVBUF, M_NOWAIT); *p = 0; }`).join(' ') + '\n';

  it('a 200 KB line: every finding, a window of the line with a caret under the call, quickly', () => {
    const f = write('long/table.c', oneLine(2500));
    const t0 = Date.now();
    const r = runCli([f, '-d', 'freebsd', '--no-cache']);
    expect(r.code, r.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const out = r.stdout.split('\n');
    const heads = out.map((l, i) => [l, i] as const).filter(([l]) => /: error nowait-null-deref: /.test(l));
    expect(heads).toHaveLength(2500);
    for (const [head, i] of [heads[0], heads[1234], heads[2499]]) {
      const col = Number(/:4:(\d+): /.exec(head)![1]);
      const src = out[i + 1].slice(2);
      const caret = out[i + 2].slice(2);
      expect(src.length).toBeLessThanOrEqual(162);
      expect(src.startsWith('…')).toBe(true);
      expect(caret.indexOf('^')).toBeGreaterThan(0);
      expect(src.slice(caret.indexOf('^'))).toMatch(/^malloc\(8, M_DEVBUF, M_NOWAIT\)/);
      expect(col).toBeGreaterThan(0);
    }
    expect(r.stdout.length).toBeLessThan(2500 * 600);
  });

  it('SARIF columns of a long line count code points, also for the part before the window', () => {
    // 'é' is two UTF-8 bytes: every column after it is one less in code points than in bytes
    const f = write('long/utf8.c', oneLine(20, '/* é */ '));
    const r = runCli([f, '-d', 'freebsd', '--no-cache', '-f', 'sarif']);
    const res = JSON.parse(r.stdout).runs[0].results;
    const j = JSON.parse(runCli([f, '-d', 'freebsd', '--no-cache', '-f', 'json']).stdout).findings;
    expect(res).toHaveLength(20);
    for (let i = 0; i < 20; i++) {
      expect(res[i].locations[0].physicalLocation.region.startColumn).toBe(j[i].column - 1);
      expect(res[i].locations[0].physicalLocation.region.endColumn).toBe(j[i].endColumn - 1);
    }
  });

  it('the HTML report does not take a window of a long line for a changed file', () => {
    const f = write('long/html.c', oneLine(30));
    const r = runCli([f, '-d', 'freebsd', '--no-cache', '-f', 'html', '-o', path.join(dir, 'long.html')]);
    expect(r.code, r.stderr).toBe(1);
    const page = fs.readFileSync(path.join(dir, 'long.html'), 'utf8');
    expect(page).not.toContain('The file changed since the analysis');
  });

  it('a short line is shown whole, as before', () => {
    const f = write('long/short.c', HDR + bad('short_fn'));
    const out = runCli([f, '-d', 'freebsd', '--no-cache']).stdout.split('\n');
    expect(out[1]).toBe('  \tp = malloc(8, M_DEVBUF, M_NOWAIT);');
    expect(out[2]).toBe('  \t    ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~');
  });
});

describe('unreadable directories', () => {
  it('one inside the tree and one named on the command line are both named, with the error', (ctx) => {
    const base = path.join(dir, 'unreadable');
    write('unreadable/t/ok/a.c', HDR + bad('a_fn'));
    write('unreadable/t/locked/b.c', HDR + bad('b_fn'));
    write('unreadable/top/c.c', HDR + bad('c_fn'));
    for (const d of [dir, base, path.join(base, 't'), path.join(base, 't', 'ok')]) fs.chmodSync(d, 0o755);
    fs.chmodSync(path.join(base, 't', 'locked'), 0o000);
    fs.chmodSync(path.join(base, 'top'), 0o000);
    try {
      // root reads any folder: run as the unprivileged user nobody
      const asUser = process.getuid?.() === 0 ? { uid: 65534 } : {};
      let r;
      try {
        r = runCli(['t', 'top', '-d', 'freebsd', '--no-cache'], { cwd: base, ...asUser });
      } catch (e) {
        return ctx.skip(`cannot run as an unprivileged user: ${(e as Error).message}`);
      }
      if (!r.stdout.includes('t/ok/a.c')) return ctx.skip(`the unprivileged user cannot run the CLI here: ${r.stderr.slice(0, 200)}`);
      expect(r.stderr).toContain('kmalloc-lint: t/locked: warning: cannot read directory: permission denied');
      expect(r.stderr).toContain('kmalloc-lint: top: error: cannot read directory: permission denied');
      expect(r.stderr).not.toMatch(/no \.c or \.h files found/);
      expect(r.code).toBe(2);
    } finally {
      fs.chmodSync(path.join(base, 't', 'locked'), 0o755);
      fs.chmodSync(path.join(base, 'top'), 0o755);
    }
  });
});

describe('unterminated comments', () => {
  it('a warning names the line; findings after it are low confidence, those before are not', () => {
    const f = write('unterm/u.c', HDR + bad('before_fn') + '/* a comment never closed\n\n' + bad('after_fn'));
    const r = runCli([f, '-d', 'freebsd', '--no-cache', '-f', 'json']);
    const j = JSON.parse(r.stdout);
    expect(j.findings.map((x: { function: string; lowConfidence: boolean }) => [x.function, x.lowConfidence])).toEqual([
      ['before_fn', false],
      ['after_fn', true],
    ]);
    expect(j.diagnostics).toContainEqual({ file: expect.stringMatching(/u\.c$/), level: 'warning', message: expect.stringMatching(/^line 12: unterminated \/\* comment/) });
    expect(j.findings[1].message).toMatch(/\[low confidence: after the unterminated comment at line 12\]$/);
    expect(r.stderr).toMatch(/u\.c: warning: line 12: unterminated \/\* comment/);
  });

  it('comment markers inside strings, character constants and // comments are not comments', async () => {
    const { unterminatedComment } = await import('../src/text/comments');
    expect(unterminatedComment('char *s = "/*";\nint c = \'/\'; // a /* in a line comment\nint x; /* ok */\n')).toBe(-1);
    expect(unterminatedComment('char *s = "a\\"/*";\n')).toBe(-1);
    expect(unterminatedComment('int x;\n/* open\nint y;\n')).toBe(7);
  });
});

describe('the summary on stderr', () => {
  it('totals per severity, rules in registry order, files with parse errors, "1 file"', () => {
    const f = write('summary/one.c', HDR + bad('one_fn') + good('broken').replace('return (0);', 'return (0) +;'));
    const r = runCli([f, '-d', 'freebsd', '--no-cache']);
    expect(r.stderr).toMatch(/kmalloc-lint: 1 file, 1 finding: 1 error, 0 warnings, 0 notes \(nowait-null-deref 1\); 1 file with parse errors/);
    const all = runCli(['fixtures', '--no-cache']).stderr;
    const m = /findings: \d+ errors, \d+ warnings, \d+ notes \(([^)]*)\)/.exec(all)!;
    const ids = m[1].split(', ').map((x) => x.split(' ')[0]);
    const registry = ['nowait-null-panic', 'nowait-null-deref', 'nowait-null-leak', 'waitok-null-check', 'wait-flag-missing', 'waitok-in-atomic', 'alloc-in-atomic', 'nowait-in-sleepable'];
    expect(ids).toEqual(registry.filter((x) => ids.includes(x)));
  });

  it('one line for all the files read as Latin-1, naming a few and the count', () => {
    for (let i = 0; i < 5; i++) fs.writeFileSync(write(`latin/l${i}.c`, ''), Buffer.from(`/* caf\xe9 */\n` + HDR + bad(`l${i}_fn`), 'latin1'));
    const r = runCli([path.join(dir, 'latin'), '-d', 'freebsd', '--no-cache']);
    const lines = r.stderr.split('\n').filter((l) => /Latin-1/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kmalloc-lint: note: 5 files are not valid UTF-8 and were read as Latin-1 \(columns count bytes\): \S*l0\.c, \S*l1\.c, \S*l2\.c and 2 more$/);
  });
});

describe('a context guessed from a function name', () => {
  it('says so in the text output, as weak does in JSON', () => {
    const j = JSON.parse(runCli(['fixtures/dragonfly/kr2004.c', '--no-cache', '-f', 'json']).stdout);
    const weak = j.findings.filter((f: { context?: { weak: boolean } }) => f.context?.weak);
    expect(weak.length).toBeGreaterThan(0);
    const out = runCli(['fixtures/dragonfly/kr2004.c', '--no-cache']).stdout.split('\n');
    for (const w of weak) {
      const i = out.findIndex((l) => l.startsWith(`${w.file}:${w.line}:${w.column}: `));
      const block = out.slice(i + 1, out.findIndex((l, k) => k > i && /^\S/.test(l)));
      expect(block.some((l) => /^ {2}context: guessed from the function name only \(name '\w+' looks like/.test(l)), block.join('\n')).toBe(true);
    }
    const strong = j.findings.filter((f: { context?: { weak: boolean } }) => f.context && !f.context.weak);
    for (const s of strong) {
      const i = out.findIndex((l) => l.startsWith(`${s.file}:${s.line}:${s.column}: `));
      expect(out[i + 3] ?? '').not.toMatch(/guessed from the function name/);
    }
  });
});

describe('failing fast', () => {
  it('-o into a missing folder fails before the run, naming the path given', () => {
    const r = runCli(['fixtures', '--no-cache', '-o', 'no-such-folder/report.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kmalloc-lint: error: no-such-folder/report.json: cannot write the report: folder no-such-folder does not exist\n');
    expect(r.stderr).not.toMatch(/\.tmp|findings/);
  });
});

describe('--exclude', () => {
  const tree = () => {
    write('ex/sys/dev/foo/foo.c', HDR + bad('foo_fn'));
    write('ex/sys/dev/foo/foo.h', HDR + bad('fooh_fn'));
    write('ex/sys/kern/k.c', HDR + bad('k_fn'));
    write('ex/sys/contrib/c.c', HDR + bad('c_fn'));
    return path.join(dir, 'ex');
  };
  const linted = (args: string[], cwd: string) => {
    const r = runCli([...args, '-d', 'freebsd', '--no-cache', '-f', 'json'], { cwd });
    return { files: [...new Set(JSON.parse(r.stdout).findings.map((f: { file: string }) => f.file.split('/').pop()))].sort(), stderr: r.stderr };
  };

  it('accepts patterns relative to the current folder or to the linted one, folders, absolute and bare patterns', () => {
    const base = tree();
    const all = ['c.c', 'foo.c', 'foo.h', 'k.c'];
    const cases: [string, string[]][] = [
      ['sys/dev/**', ['c.c', 'k.c']], // relative to the current folder
      ['dev/**', ['c.c', 'k.c']], // relative to the linted folder
      ['sys/dev/foo', ['c.c', 'k.c']], // a folder
      ['./sys/dev/', ['c.c', 'k.c']],
      [path.join(base, 'sys', 'contrib', '**'), ['foo.c', 'foo.h', 'k.c']],
      ['*.h', ['c.c', 'foo.c', 'k.c']], // bare: a name in any folder
      ['contrib', ['foo.c', 'foo.h', 'k.c']],
      ['**/kern/**', ['c.c', 'foo.c', 'foo.h']],
    ];
    for (const [pat, want] of cases) {
      const r = linted(['sys', '--exclude', pat], base);
      expect(r.files, pat).toEqual(want);
      expect(r.stderr, pat).not.toMatch(/matched no file/);
    }
    expect(linted(['sys'], base).files).toEqual(all);
  });

  it('warns about a pattern that matched nothing', () => {
    const base = tree();
    const r = linted(['sys', '--exclude', 'sys/nothing/**', '--exclude', '*.h'], base);
    expect(r.stderr).toContain('kmalloc-lint: --exclude sys/nothing/**: warning: matched no file under the linted paths');
    expect(r.stderr).not.toContain('--exclude *.h');
  });
});

describe('the contexts memo from another folder', () => {
  it('is found when the same tree is linted from another folder, and names files as this run shows them', async () => {
    const { lint } = await import('../src/engine');
    const { formatJson } = await import('../src/report/json');
    const base = path.join(dir, 'memo');
    write('memo/sys/dev/foo/foo_buf.c', '#include <sys/malloc.h>\n\nvoid *\nfoo_getbuf(int n)\n{\n\tvoid *p;\n\n\tp = malloc(n, M_DEVBUF, M_WAITOK);\n\treturn (p);\n}\n');
    write(
      'memo/sys/dev/foo/foo_main.c',
      '#include <sys/bus.h>\n\nvoid *foo_getbuf(int);\n\nstatic void\nfoo_work(void *arg)\n{\n\n\tfoo_getbuf(64);\n}\n\nint\nfoo_start(device_t dev, struct foo_softc *sc)\n{\n\n\tbus_setup_intr(dev, sc->irq, INTR_TYPE_NET, NULL, foo_work, sc, &sc->ih);\n\treturn (0);\n}\n',
    );
    const cache = path.join(dir, 'memo-cache');
    const start = process.cwd();
    const from = async (cwd: string, p: string, c = true) => {
      process.chdir(cwd);
      try {
        return await lint({ paths: [p], dialect: 'freebsd', jobs: 1, ...(c ? { cache: { dir: cache } } : {}) });
      } finally {
        process.chdir(start);
      }
    };
    const first = await from(base, 'sys');
    expect(first.findings.map((f) => f.file)).toEqual(['sys/dev/foo/foo_buf.c']);
    expect(formatJson(first)).toMatch(/at sys\/dev\/foo\/foo_main\.c:16/);
    const inner = await from(path.join(base, 'sys', 'dev'), '..');
    expect(inner.stats.contextsFromMemo).toBe(true);
    const fresh = await from(path.join(base, 'sys', 'dev'), '..', false);
    expect(formatJson(inner)).toBe(formatJson(fresh));
    expect(formatJson(inner)).toMatch(/at foo\/foo_main\.c:16/);
  });
});

describe('paths as given', () => {
  it('absolute when given absolute (from any folder, also /), relative when given relative', () => {
    const f = write('shown/sys/a.c', HDR + bad('a_fn'));
    const abs = path.join(dir, 'shown', 'sys');
    const head = (args: string[], cwd: string) => runCli([...args, '-d', 'freebsd', '--no-cache'], { cwd }).stdout.split('\n')[0].split(':')[0];
    expect(head([abs], path.join(dir, 'shown'))).toBe(f);
    expect(head([abs], '/')).toBe(f);
    expect(head([f], '/')).toBe(f);
    expect(head(['sys'], path.join(dir, 'shown'))).toBe('sys/a.c');
    expect(head([path.relative('/', abs)], '/')).toBe(path.relative('/', f));
    expect(head(['../sys'], path.join(dir, 'shown', 'sys'))).toBe('a.c');
  });
});

describe('baselines from another folder', () => {
  it('match from any folder, with stale entries named as this run shows them', () => {
    const base = path.join(dir, 'bl');
    write('bl/sys/dev/a.c', HDR + bad('one_fn') + bad('two_fn'));
    const w = runCli(['sys', '-d', 'freebsd', '--no-cache', '--write-baseline', 'kml-baseline.json'], { cwd: base });
    expect(w.code, w.stderr).toBe(0);
    const b = JSON.parse(fs.readFileSync(path.join(base, 'kml-baseline.json'), 'utf8'));
    expect(b.baselineVersion).toBe(2);
    expect(b.findings.map((e: { file: string }) => e.file)).toEqual(['sys/dev/a.c', 'sys/dev/a.c']);
    // from sys/ and from sys/dev/, and with an absolute path: all in the baseline
    for (const [cwd, args] of [
      [path.join(base, 'sys'), ['.', '--baseline', '../kml-baseline.json']],
      [path.join(base, 'sys', 'dev'), ['a.c', '--baseline', '../../kml-baseline.json']],
      ['/', [path.join(base, 'sys'), '--baseline', path.join(base, 'kml-baseline.json')]],
    ] as [string, string[]][]) {
      const r = runCli([...args, '-d', 'freebsd', '--no-cache'], { cwd });
      expect(r.stdout, cwd).toBe('');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/2 in the baseline/);
    }
    // fixed in one function: its entry is stale, named as shown from sys/
    write('bl/sys/dev/a.c', HDR + good('one_fn') + bad('two_fn'));
    const r = runCli(['.', '--baseline', '../kml-baseline.json', '-d', 'freebsd', '--no-cache'], { cwd: path.join(base, 'sys') });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kmalloc-lint: dev\/a\.c: note: stale baseline entry in \.\.\/kml-baseline\.json: no nowait-null-deref finding in one_fn\(\)/m);
  });

  it('still reads a version 1 baseline (paths relative to the folder it was written in)', () => {
    const base = path.join(dir, 'bl1');
    write('bl1/sys/a.c', HDR + bad('one_fn'));
    const json = JSON.parse(runCli(['sys', '-d', 'freebsd', '--no-cache', '-f', 'json'], { cwd: base }).stdout);
    const f = json.findings[0];
    write('bl1/old.json', JSON.stringify({ tool: 'kmalloc-lint', baselineVersion: 1, createdWith: '0.1.0', findings: [{ fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file, function: f.function, message: f.message }] }));
    const r = runCli(['sys', '-d', 'freebsd', '--no-cache', '--baseline', 'old.json'], { cwd: base });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('SARIF paths', () => {
  it('are relative to the repository root whatever folder the run starts in; --sarif-root overrides', async () => {
    const { validateSarif } = await import('./helpers/sarif');
    const repo = path.join(dir, 'sarifrepo');
    write('sarifrepo/sys/dev/a.c', HDR + bad('a_fn'));
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    const uris = (cwd: string, args: string[]) => {
      const r = runCli([...args, '-d', 'freebsd', '--no-cache', '-f', 'sarif'], { cwd });
      const run = JSON.parse(r.stdout).runs[0];
      const loc = run.results[0].locations[0].physicalLocation.artifactLocation;
      return { uri: loc.uri, base: loc.uriBaseId, root: run.originalUriBaseIds['%SRCROOT%'].uri, out: r.stdout };
    };
    const want = { uri: 'sys/dev/a.c', base: '%SRCROOT%', root: `file://${repo}/` };
    for (const [cwd, p] of [
      [repo, 'sys'],
      [path.join(repo, 'sys'), '.'],
      [path.join(repo, 'sys', 'dev'), 'a.c'],
      ['/', path.join(repo, 'sys')],
    ]) {
      const got = uris(cwd, [p]);
      expect({ uri: got.uri, base: got.base, root: got.root }, cwd).toEqual(want);
    }
    const over = uris(path.join(repo, 'sys'), ['.', '--sarif-root', '.']);
    expect([over.uri, over.root]).toEqual(['dev/a.c', `file://${repo}/sys/`]);
    const file = path.join(dir, 'sarifrepo.sarif');
    fs.writeFileSync(file, uris(path.join(repo, 'sys', 'dev'), ['a.c', '--exclude', 'nothing/**']).out);
    const issues = validateSarif(file, dir);
    expect(issues.filter((i) => i.level === 'error' || i.level === 'warning')).toEqual([]);
  });
});

describe('--exclude from the config file', () => {
  it('is not warned about when it matches nothing in the part of the tree linted now', () => {
    write('cfgex/.kmalloc-lint.json', JSON.stringify({ exclude: ['**/tests/**'] }));
    const f = write('cfgex/sys/a.c', HDR + bad('a_fn'));
    const r = runCli([path.dirname(f), '-d', 'freebsd', '--no-cache', '--exclude', 'nothing/**']);
    expect(r.stderr).not.toMatch(/tests/);
    expect(r.stderr).toMatch(/--exclude nothing\/\*\*: warning: matched no file/);
  });
});

describe('a reader that stops early', () => {
  it('`kmalloc-lint -f sarif | head -c 10`: no EPIPE stack trace, and the exit status of the run', async () => {
    const { spawnSync } = await import('node:child_process');
    const { CLI, ROOT } = await import('./helpers/run');
    const err = path.join(dir, 'epipe.err');
    const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    // a report larger than the pipe's buffer, and a reader that leaves after ten bytes
    const viaHead = spawnSync('/bin/sh', ['-c', `(${q(process.execPath)} ${q(CLI)} fixtures --no-cache -f sarif 2>${q(err)}; echo $? >${q(err)}.code) | head -c 10 >/dev/null`], { cwd: ROOT, encoding: 'utf8' });
    expect(viaHead.status).toBe(0);
    const stderr = fs.readFileSync(err, 'utf8');
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    // the whole run was reported: the summary counts as many findings as a complete JSON run
    const full = JSON.parse(spawnSync(process.execPath, [CLI, 'fixtures', '--no-cache', '-f', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout);
    expect(stderr).toContain(` ${full.findings.length} findings`);
    expect(fs.readFileSync(`${err}.code`, 'utf8').trim()).toBe('1');
  });
});
