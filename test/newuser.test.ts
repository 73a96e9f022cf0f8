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
