import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lint } from '../src/engine';
import { runCli } from './helpers/run';
import { DFLY_NEW_HEADER, DFLY_OLD_HEADER, FBSD_HEADER, qux } from './helpers/kernel-tree';

/*
 * Paths that span trees of both dialects (issue 12): each file is linted with
 * its own tree's dialect and header -- its nearest sys/sys/malloc.h, or the
 * nearest .kmalloc-lint.json naming a dialect -- and the summary says so.
 * `-d` still forces one dialect for everything.
 */

type J = { findings: { file: string; line: number; ruleId: string; fixBlocked?: string }[]; dialect: { name: string; why: string }; dialects?: { tree: string; name: string }[] };
const keys = (j: J, prefix = '') => j.findings.map((f) => `${prefix}${f.file}:${f.line}:${f.ruleId}`).sort();
const json = (args: string[], cwd?: string): J => JSON.parse(runCli([...args, '-q', '-f', 'json', '--no-cache'], { cwd }).stdout);

describe('the bundled fixtures, as the quick start lints them', () => {
  it('lints fixtures/freebsd as FreeBSD and fixtures/dragonfly as DragonFly, and says so', () => {
    const all = json(['fixtures']);
    const fbsd = json(['fixtures/freebsd']);
    const dfly = json(['fixtures/dragonfly']);
    expect(fbsd.dialect.name).toBe('freebsd');
    expect(dfly.dialect.name).toBe('dragonfly');
    expect(keys(all)).toEqual([...keys(fbsd), ...keys(dfly)].sort());
    // the FreeBSD files keep their FreeBSD-only findings and are never told to use M_INTWAIT
    expect(all.findings.filter((f) => f.file.startsWith('fixtures/freebsd/')).length).toBe(fbsd.findings.length);
    expect(JSON.stringify(all.findings.filter((f) => f.file.startsWith('fixtures/freebsd/')))).not.toContain('M_INTWAIT');
    expect(all.dialects).toEqual([
      { tree: 'fixtures/dragonfly', name: 'dragonfly', why: 'fixtures/dragonfly/.kmalloc-lint.json says "dialect": "dragonfly"' },
      { tree: 'fixtures/freebsd', name: 'freebsd', why: 'fixtures/freebsd/.kmalloc-lint.json says "dialect": "freebsd"' },
    ]);
    const r = runCli(['fixtures', '--no-cache']);
    expect(r.stderr).toMatch(/; dialect per tree \(fixtures\/dragonfly: dragonfly, .*; fixtures\/freebsd: freebsd, .*\); /);
  });

  it('-d forces one dialect for everything', () => {
    const forced = json(['fixtures', '-d', 'dragonfly']);
    expect(forced.dialect).toEqual({ name: 'dragonfly', why: 'chosen with --dialect' });
    expect(forced.dialects).toBeUndefined();
    expect(JSON.stringify(forced.findings.filter((f) => f.file.startsWith('fixtures/freebsd/')))).toContain('M_INTWAIT');
  });

  it('--no-config ignores the folders\' .kmalloc-lint.json markers too', () => {
    const j = json(['fixtures', '--no-config']);
    expect(j.dialects).toBeUndefined();
    expect(j.dialect).toEqual({ name: 'dragonfly', why: 'auto: the sources call kmalloc()' });
  });
});

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-trees-'));
  qux(tmp, 'old', DFLY_OLD_HEADER);
  qux(tmp, 'new', DFLY_NEW_HEADER);
  qux(tmp, 'fbsd', FBSD_HEADER);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('trees marked by their own sys/sys/malloc.h', () => {
  it('lints each tree with its own dialect and header, as when linted alone', () => {
    const both = json(['old/sys', 'new/sys', 'fbsd/sys'], tmp);
    const alone = ['old/sys', 'new/sys', 'fbsd/sys'].flatMap((p) => keys(json([p], tmp)));
    expect(keys(both)).toEqual(alone.sort());
    expect(both.dialects?.map((d) => [d.tree, d.name])).toEqual([
      ['fbsd', 'freebsd'],
      ['new', 'dragonfly'],
      ['old', 'dragonfly'],
    ]);
    const intr = (dir: string) => both.findings.find((f) => f.file === `${dir}/sys/dev/qux/qux.c` && f.line === 10)!;
    // the 2003 header has no M_INTWAIT; the later one has
    expect(intr('old').fixBlocked).toBe("M_INTWAIT not defined by this tree's header");
    expect(intr('new').fixBlocked).toBeUndefined();
    expect(JSON.stringify(intr('fbsd'))).not.toContain('M_INTWAIT');
  });

  it('one tree stays one tree (the same result as before there were several)', async () => {
    const res = await lint({ paths: [path.join(tmp, 'new', 'sys')], dialect: 'auto', jobs: 1 });
    expect(res.dialects).toBeUndefined();
    expect(res.dialect.name).toBe('dragonfly');
    expect(res.dialect.why).toMatch(/^auto: sys\/sys\/malloc\.h defines DragonFly flags .*; flag values from .*new\/sys\/sys\/malloc\.h$/);
  });
});
