import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inAuthorsSpacing } from '../src/workflow/fix';
import { DFLY_NEW_HEADER, DFLY_OLD_HEADER, qux, QUX } from './helpers/kernel-tree';

/*
 * What the reports say about flag suggestions, and what --fix reports after
 * it rewrote: issue 12 ("tried as a new user would"), part B.
 */

// the CLI reads its version from package.json relative to dist/: use the built CLI
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('../dist/src/cli') as typeof import('../src/cli');

async function run(args: string[], cwd?: string) {
  let out = '';
  let err = '';
  const io = { stdout: { write: (x: string) => ((out += x), true) }, stderr: { write: (x: string) => ((err += x), true) } };
  const old = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(['--no-cache', '--no-color', ...args], io as never);
    return { code, out, err };
  } finally {
    process.chdir(old);
  }
}

let tmp: string;
const tree = (name: string, header: string) => qux(tmp, name, header);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-sugg-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BLOCKED = "(not applied by --fix: M_INTWAIT not defined by this tree's header)";

describe('a suggestion the tree cannot spell', () => {
  it('says why --fix leaves it in text, JSON, github and SARIF alike; a fixable neighbour says nothing of the kind', async () => {
    const root = tree('old', DFLY_OLD_HEADER);
    const text = (await run(['sys'], root)).out;
    const sugLines = text.split('\n').filter((l) => l.includes('suggestion:'));
    expect(sugLines).toEqual([`  suggestion: use M_INTWAIT | M_ZERO (interrupt thread: may block briefly but should not fail) ${BLOCKED}`]);
    // the attach path's M_WAITOK is defined and proven: its message has no "not applied"
    expect(text).toMatch(/qux\.c:20:16: note nowait-in-sleepable: .*Suggestion: use M_WAITOK \(the context may sleep\); the NULL test at line 21 becomes dead\.\n/);
    const json = JSON.parse((await run(['sys', '-f', 'json'], root)).out);
    const intr = json.findings.find((f: { line: number }) => f.line === 10);
    expect(intr.fixBlocked).toBe("M_INTWAIT not defined by this tree's header");
    expect(json.findings.find((f: { line: number }) => f.line === 20).fixBlocked).toBeUndefined();
    const gh = (await run(['sys', '-f', 'github'], root)).out;
    expect(gh).toContain(`%0Asuggestion: use M_INTWAIT | M_ZERO (interrupt thread: may block briefly but should not fail) ${BLOCKED}`);
    const sarif = JSON.parse((await run(['sys', '-f', 'sarif'], root)).out);
    const res = sarif.runs[0].results.find((r: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.locations[0].physicalLocation.region.startLine === 10);
    expect(res.message.text).toContain(`Suggestion: use M_INTWAIT | M_ZERO (interrupt thread: may block briefly but should not fail) ${BLOCKED}.`);
    expect(res.fixes).toBeUndefined();
  });
});

describe('--format github', () => {
  it('gives a site its suggestion once, however many rules report it', async () => {
    const gh = (await run(['fixtures/freebsd/context.c', 'fixtures/dragonfly/context.c', '-q', '-f', 'github']))!.out.split('\n');
    // two rules on one call under a critical section
    const at71 = gh.filter((l) => l.includes('freebsd/context.c,line=71,'));
    expect(at71.length).toBe(2);
    expect(at71.join('\n').match(/do not allocate here/g)?.length).toBe(1);
    // a message that already ends with the suggestion does not get it again
    const at32 = gh.find((l) => l.includes('dragonfly/context.c,line=32,'))!;
    expect(at32.match(/use M_INTNOWAIT/g)?.length).toBe(1);
  });
});

describe('--fix', () => {
  it('reports what remains after the rewrite, keeps the author spacing, and exits 0 when nothing does', async () => {
    const root = tree('new', DFLY_NEW_HEADER);
    const file = path.join(root, 'sys', 'dev', 'qux', 'qux.c');
    // SARIF's fix writes what --fix writes
    const sarif = JSON.parse((await run(['sys', '-f', 'sarif', '-q'], root)).out);
    const inserted = sarif.runs[0].results.flatMap((x: { fixes?: { artifactChanges: { replacements: { insertedContent: { text: string } }[] }[] }[] }) => x.fixes ?? []).map((f: { artifactChanges: { replacements: { insertedContent: { text: string } }[] }[] }) => f.artifactChanges[0].replacements[0].insertedContent.text);
    expect([...new Set(inserted)].sort()).toEqual(['M_INTWAIT|M_ZERO', 'M_WAITOK']);
    const r = await run(['sys', '--fix'], root);
    const after = fs.readFileSync(file, 'latin1');
    expect(after).toContain('ev = malloc(sizeof(*ev), M_DEVBUF, M_INTWAIT|M_ZERO);');
    expect(after).toContain('sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_WAITOK);');
    expect(after.replace('M_INTWAIT|M_ZERO', 'M_NOWAIT|M_ZERO').replace('RINGSZ, M_DEVBUF, M_WAITOK', 'RINGSZ, M_DEVBUF, M_NOWAIT')).toBe(QUX);
    expect(r.err).toMatch(/fixed 2 allocations in 1 file; linted again/);
    // the NULL test in attach is dead now: that note is what remains
    expect(r.out).toMatch(/^sys\/dev\/qux\/qux\.c:20:16: note waitok-null-check: /);
    expect(r.out).not.toMatch(/nowait-null-deref|nowait-in-sleepable/);
    expect(r.err).toMatch(/kmalloc-lint: 2 files, 1 finding: 0 errors, 0 warnings, 1 note \(waitok-null-check 1\)/);
    // a note alone does not fail the run (--fail-on warning, the default); --fail-on note makes it
    expect(r.code).toBe(0);
    expect((await run(['sys', '--fail-on', 'note'], root)).code).toBe(1);
    const again = await run(['sys', '--fix', '--disable-rule', 'waitok-null-check'], root);
    expect(again.out).toBe('');
    expect(again.code).toBe(0);
  });

  it('refuses --fix with --diff', async () => {
    const r = await run(['fixtures/freebsd/context.c', '--fix', '--diff']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error: --fix and --diff cannot be used together/);
  });

  it('writes the new flags with the separators the author used', () => {
    expect(inAuthorsSpacing('M_NOWAIT|M_ZERO', 'M_WAITOK | M_ZERO')).toBe('M_WAITOK|M_ZERO');
    expect(inAuthorsSpacing('M_NOWAIT | M_ZERO', 'M_WAITOK | M_ZERO')).toBe('M_WAITOK | M_ZERO');
    expect(inAuthorsSpacing('M_NOWAIT |\n\t    M_ZERO', 'M_WAITOK | M_ZERO')).toBe('M_WAITOK |\n\t    M_ZERO');
    expect(inAuthorsSpacing('M_WAITOK', 'M_NOWAIT | M_USE_RESERVE')).toBe('M_NOWAIT | M_USE_RESERVE');
    expect(inAuthorsSpacing('M_WAITOK|M_ZERO', 'M_NOWAIT | M_USE_RESERVE | M_ZERO')).toBe('M_NOWAIT|M_USE_RESERVE|M_ZERO');
  });
});

describe('the test suite itself', () => {
  it('skips the pre-commit test with a reason when the npm registry does not answer', async () => {
    const { registryUnreachable } = await import('./helpers/run');
    // a registry on a closed local port: npm ping fails at once
    const why = registryUnreachable({ ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' });
    expect(why).toMatch(/^the npm registry is unreachable \(npm ping (failed|timed out after 8 s)\)$/);
  }, 30_000);

  it('removes its result cache folder when the run ends (global setup teardown)', async () => {
    const { default: setup } = await import('./global-setup');
    const old = process.env.KMALLOC_LINT_TEST_CACHE_DIR;
    const dir = path.join(tmp, 'kmalloc-lint-test-cache-1');
    fs.mkdirSync(path.join(dir, 'v1'), { recursive: true });
    process.env.KMALLOC_LINT_TEST_CACHE_DIR = dir;
    try {
      setup()();
    } finally {
      process.env.KMALLOC_LINT_TEST_CACHE_DIR = old;
    }
    expect(fs.existsSync(dir)).toBe(false);
  });
});
