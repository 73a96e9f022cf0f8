import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fg from 'fast-glob';
import { lint, type LintResult } from '../src/engine';
import { SegmentStore, resultSalt } from '../src/cache/store';
import { FileIndex, RACY_MS } from '../src/cache/statindex';
import { isFileSummary } from '../src/summaries/extract';
import { isStoredResult } from '../src/cache/entries';
import { formatJson } from '../src/report/json';
import { main } from '../src/cli';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const temps: string[] = [];

function tmp(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `kmalloc-lint-test-${name}-`));
  temps.push(d);
  return d;
}

/** fixtures/<dialect>/*.c copied `copies` times under <tmp>/sys/<dialect>/cN/. */
function fixtureTree(copies: number, dialect = 'freebsd'): string {
  const sys = path.join(tmp('tree'), 'sys');
  const files = fg.sync('*.c', { cwd: path.join(FIXTURES, dialect) }).sort();
  for (let i = 0; i < copies; i++) {
    const d = path.join(sys, dialect, `c${i}`);
    fs.mkdirSync(d, { recursive: true });
    for (const f of files) fs.copyFileSync(path.join(FIXTURES, dialect, f), path.join(d, f));
  }
  return sys;
}

const run = (tree: string, cacheDir?: string) => lint({ paths: [tree], dialect: 'freebsd', jobs: 1, ...(cacheDir ? { cache: { dir: cacheDir } } : {}) });
const report = (r: LintResult) => formatJson(r);
const segments = (dir: string, kind = 'result') => fg.sync(`v1/${kind}/**/seg-*.jsonl`, { cwd: dir, absolute: true, dot: false }).sort();
/** The entries of a cache folder's segments: key -> value text. */
function entries(dir: string, kind = 'result'): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of segments(dir, kind)) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const tab = line.indexOf('\t');
      if (tab > 0) m.set(line.slice(0, tab), line.slice(tab + 1));
    }
  }
  return m;
}

/** The CLI tests below run the built tool (worker threads need compiled JS): build it when stale. */
beforeAll(() => {
  const newest = Math.max(...fg.sync(['src/**/*.ts', 'rules/**/*.ts'], { cwd: ROOT, absolute: true }).map((f) => fs.statSync(f).mtimeMs));
  const built = fs.existsSync(CLI) ? fs.statSync(CLI).mtimeMs : 0;
  if (built < newest) execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], { stdio: 'inherit' });
});

afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

describe('result cache', () => {
  it('answers a second run from the cache with the same report', async () => {
    const tree = fixtureTree(1);
    const cache = tmp('cache');
    const first = await run(tree, cache);
    expect(first.stats.cache).toEqual({ indexHits: 0, contentHits: 0, analysed: first.stats.files });
    expect(entries(cache).size).toBeGreaterThan(0);
    expect(segments(cache)).toHaveLength(1);
    const second = await run(tree, cache);
    // fresh files are "racy" (changed just now), so they are hashed, not trusted by their stat
    expect(second.stats.cache!.analysed).toBe(0);
    expect(second.stats.cache!.indexHits + second.stats.cache!.contentHits).toBe(first.stats.files);
    expect(report(second)).toBe(report(first));
    expect(report(second)).toBe(report(await run(tree)));
    expect(first.findings.length).toBeGreaterThan(0);
  });

  it('serves a copy of a tree from the cache even when the tree defines lock macros (their files count relative to the tree)', async () => {
    const sys = path.join(tmp('locks'), 'sys');
    fs.cpSync(path.join(FIXTURES, 'freebsd', 'tree-locks'), path.join(sys, 'dev'), { recursive: true });
    const cache = tmp('cache-locks');
    const first = await run(sys, cache);
    expect(first.stats.cache?.analysed).toBeGreaterThan(0);
    const copy = path.join(tmp('locks-copy'), 'sys');
    fs.cpSync(sys, copy, { recursive: true });
    const again = await run(copy, cache);
    // every file with a stored result is served by content (files with nothing to report are not stored)
    expect(again.stats.cache?.contentHits).toBeGreaterThan(0);
    expect(again.stats.cache!.contentHits + again.stats.cache!.analysed).toBe(first.stats.cache!.analysed);
    const fresh = await run(copy);
    expect(again.findings.map((f) => [f.file, f.line, f.ruleId, f.message])).toEqual(fresh.findings.map((f) => [f.file, f.line, f.ruleId, f.message]));
    expect(resultSalt({ lockMacros: [{ file: 'a/sys/x.h' }, { file: 'a/sys/y/z.h' }] }, 'o')).toBe(resultSalt({ lockMacros: [{ file: 'b/c/sys/x.h' }, { file: 'b/c/sys/y/z.h' }] }, 'o'));
    expect(resultSalt({ lockMacros: [{ file: 'a/sys/x.h' }, { file: 'a/sys/y/z.h' }] }, 'o')).not.toBe(resultSalt({ lockMacros: [{ file: 'a/sys/x.h' }, { file: 'a/sys/w/z.h' }] }, 'o'));
  });

  it('misses after a content change and reports the new content', async () => {
    const tree = fixtureTree(1);
    const cache = tmp('cache');
    const before = await run(tree, cache);
    const victim = before.findings[0];
    const file = path.resolve(victim.file);
    const lines = fs.readFileSync(file, 'latin1').split('\n');
    // make the flagged allocation call disappear (same length would not matter: the key is the content)
    lines[victim.line - 1] = lines[victim.line - 1].replace(/\S/g, ' ');
    fs.writeFileSync(file, lines.join('\n'), 'latin1');
    const after = await run(tree, cache);
    expect(after.stats.cache!.analysed).toBe(1);
    expect(report(after)).toBe(report(await run(tree)));
    expect(after.findings.some((f) => f.file === victim.file && f.line === victim.line)).toBe(false);
  });

  it('ignores corrupt entries and segments, analyses those files again, and merges segments', async () => {
    const tree = fixtureTree(1);
    const cache = tmp('cache');
    const good = report(await run(tree, cache));
    const [seg] = segments(cache);
    const lines = fs.readFileSync(seg, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThan(4);
    // damaged entries: truncated JSON, and valid JSON of the wrong shape
    lines[1] = lines[1].slice(0, 60);
    const tab = lines[2].indexOf('\t');
    const e2 = JSON.parse(lines[2].slice(tab + 1));
    e2.sites = [{ loc: 'nowhere' }];
    lines[2] = `${lines[2].slice(0, tab)}\t${JSON.stringify(e2)}`;
    fs.writeFileSync(seg, lines.join('\n'));
    // a segment of another salt copied in: its header does not match, nothing in it is used
    const foreign = path.join(path.dirname(seg), 'seg-0-foreign.jsonl');
    fs.writeFileSync(foreign, [JSON.stringify({ kind: 'result', salt: 'another build' }), ...lines.slice(1)].join('\n'));
    const again = await run(tree, cache);
    expect(report(again)).toBe(good);
    expect(again.stats.cache!.analysed).toBe(2);
    // the two files were analysed again and stored in a new segment
    expect(segments(cache)).toHaveLength(3);
    expect(report(await run(tree, cache))).toBe(good);
    // past MAX_SEGMENTS, a run merges them into one, dropping the foreign one
    for (let i = 0; i < SegmentStore.MAX_SEGMENTS; i++) fs.copyFileSync(foreign, path.join(path.dirname(seg), `seg-1-copy${i}.jsonl`));
    expect(report(await run(tree, cache))).toBe(good);
    expect(report(await run(tree, cache))).toBe(good);
    const merged = segments(cache);
    expect(merged).toHaveLength(1);
    for (const v of entries(cache).values()) expect(isStoredResult(JSON.parse(v))).toBe(true);
    const last = await run(tree, cache);
    expect(report(last)).toBe(good);
    expect(last.stats.cache!.analysed).toBe(0);
  });

  it('keys entries by kind and salt, validates them, and hands out copies', () => {
    const dir = tmp('cache');
    const isObj = (v: unknown): v is { n: number } => typeof v === 'object' && v !== null && typeof (v as { n: unknown }).n === 'number';
    const a = new SegmentStore({ dir, salt: 's1' }, 'summary', isObj);
    expect(a.get('k')).toBeUndefined();
    const v = { n: 42 };
    a.put('k', v);
    v.n = 7; // a snapshot was kept
    expect(a.get('k')).toEqual({ n: 42 });
    a.get('k')!.n = 9;
    expect(a.get('k')).toEqual({ n: 42 });
    a.flush();
    expect(new SegmentStore({ dir, salt: 's1' }, 'summary', isObj).get('k')).toEqual({ n: 42 });
    expect(new SegmentStore({ dir, salt: 's1' }, 'result', isObj).get('k')).toBeUndefined();
    expect(new SegmentStore({ dir, salt: 's2' }, 'summary', isObj).get('k')).toBeUndefined();
    expect(new SegmentStore({ dir, salt: 's1' }, 'summary', (x): x is { n: number } => isObj(x) && x.n === 0).get('k')).toBeUndefined();
    expect(() => new SegmentStore({ dir, salt: 's1' }, '../x', isObj)).toThrow(/bad entry kind/);
    // a different model gives a different salt
    expect(resultSalt({ a: 1 }, '')).not.toBe(resultSalt({ a: 2 }, ''));
    expect(resultSalt({ a: 1, source: 'x/malloc.h' }, '')).toBe(resultSalt({ a: 1, source: 'y/malloc.h' }, ''));
  });

  it('trusts the stat index only for files that did not change recently and still look the same', () => {
    const dir = tmp('cache');
    const f = path.join(tmp('files'), 'a.c');
    fs.writeFileSync(f, 'int a;\n');
    const st = fs.statSync(f);
    const stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: 'a'.repeat(40) };
    let idx = FileIndex.load(dir, ['/r']);
    idx.record(f, { ...stamp, at: Date.now() }); // racy: just written
    idx.record('/elsewhere.c', { ...stamp, at: Date.now() + 2 * RACY_MS });
    idx.save();
    idx = FileIndex.load(dir, ['/r']);
    expect(idx.lookup(f, st, 'salt')).toBeUndefined();
    idx.record(f, { ...stamp, at: st.mtimeMs + 2 * RACY_MS }, 'salt');
    idx.save();
    idx = FileIndex.load(dir, ['/r']);
    expect(idx.lookup(f, st, 'salt')).toEqual({ hash: stamp.hash, empty: true });
    expect(FileIndex.load(dir, ['/r']).lookup(f, st, 'other salt')).toEqual({ hash: stamp.hash, empty: false });
    expect(FileIndex.load(dir, ['/other']).lookup(f, st, 'salt')).toBeUndefined();
    fs.appendFileSync(f, 'int b;\n');
    expect(FileIndex.load(dir, ['/r']).lookup(f, fs.statSync(f), 'salt')).toBeUndefined();
    fs.writeFileSync(idx.file, '{"scope": "/r", "files": {"' + f + '": [1, 2]}}');
    expect(FileIndex.load(dir, ['/r']).lookup(f, st, 'salt')).toBeUndefined();
  });

  it('--no-cache neither reads nor writes; --cache-dir and KMALLOC_LINT_CACHE_DIR choose the folder', async () => {
    const tree = fixtureTree(1);
    const envDir = path.join(tmp('env'), 'c');
    const optDir = path.join(tmp('opt'), 'c');
    const saved = process.env.KMALLOC_LINT_CACHE_DIR;
    process.env.KMALLOC_LINT_CACHE_DIR = envDir;
    const sink = () => {
      let s = '';
      return { w: { write: (x: string) => ((s += x), true) } as unknown as NodeJS.WriteStream & { fd: 1 }, text: () => s };
    };
    try {
      const o1 = sink();
      expect(await main([tree, '--no-cache', '-j', '1', '-f', 'json'], { stdout: o1.w, stderr: sink().w as never })).toBe(1);
      expect(fs.existsSync(envDir)).toBe(false);
      const o2 = sink();
      expect(await main([tree, '-j', '1', '-f', 'json'], { stdout: o2.w, stderr: sink().w as never })).toBe(1);
      expect(entries(envDir).size).toBeGreaterThan(0);
      const o3 = sink();
      expect(await main([tree, '--cache-dir', optDir, '-j', '1', '-f', 'json'], { stdout: o3.w, stderr: sink().w as never })).toBe(1);
      expect(entries(optDir).size).toBe(entries(envDir).size);
      expect(o2.text()).toBe(o1.text());
      expect(o3.text()).toBe(o1.text());
    } finally {
      if (saved === undefined) delete process.env.KMALLOC_LINT_CACHE_DIR;
      else process.env.KMALLOC_LINT_CACHE_DIR = saved;
    }
  });
});

function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('worker pool and shared cache (built CLI)', () => {
  it('gives byte-identical JSON for --jobs 1, 2 and 3 on a tree big enough for the pool', async () => {
    const tree = fixtureTree(12);
    const cwd = path.dirname(tree);
    const outs = await Promise.all(['1', '2', '3'].map((j) => cli(['sys', '--no-cache', '-f', 'json', '-j', j], cwd)));
    for (const o of outs) expect(o.code).toBe(1);
    expect(JSON.parse(outs[0].out).findings.length).toBeGreaterThan(12);
    expect(outs[1].out).toBe(outs[0].out);
    expect(outs[2].out).toBe(outs[0].out);
  });

  it('two concurrent runs sharing a cache folder both give the uncached report', async () => {
    const tree = fixtureTree(12);
    const cwd = path.dirname(tree);
    const cache = tmp('shared');
    const plain = await cli(['sys', '--no-cache', '-f', 'json', '-j', '2'], cwd);
    const [a, b] = await Promise.all([cli(['sys', '--cache-dir', cache, '-f', 'json', '-j', '2'], cwd), cli(['sys', '--cache-dir', cache, '-f', 'json', '-j', '2'], cwd)]);
    expect(a.out).toBe(plain.out);
    expect(b.out).toBe(plain.out);
    const c = await cli(['sys', '--cache-dir', cache, '-f', 'json', '-j', '2'], cwd);
    expect(c.out).toBe(plain.out);
    expect(c.err).toMatch(/; (\d+) of (\d+) files from cache/);
    const [, cached, files] = /; (\d+) of (\d+) files from cache/.exec(c.err)!;
    expect(cached).toBe(files);
    // no temporary files left behind, every entry whole
    expect(fg.sync('**/*.tmp', { cwd: cache, dot: true })).toEqual([]);
    for (const v of entries(cache).values()) expect(isStoredResult(JSON.parse(v))).toBe(true);
    for (const v of entries(cache, 'summary').values()) expect(isFileSummary(JSON.parse(v))).toBe(true);
  });
});

describe('resolved contexts memo', () => {
  it('reuses the contexts of the last run only while every context fact is the same', async () => {
    const sys = path.join(tmp('ctx'), 'sys', 'dev', 'foo');
    fs.mkdirSync(sys, { recursive: true });
    fs.writeFileSync(
      path.join(sys, 'foo_buf.c'),
      '#include <sys/malloc.h>\n\nvoid *\nfoo_getbuf(int n)\n{\n\tvoid *p;\n\n\tp = malloc(n, M_DEVBUF, M_WAITOK);\n\treturn (p);\n}\n',
    );
    const caller = path.join(sys, 'foo_main.c');
    const withRole = (setup: string) =>
      `#include <sys/bus.h>\n\nvoid *foo_getbuf(int);\n\nstatic void\nfoo_work(void *arg)\n{\n\n\tfoo_getbuf(64);\n}\n\nint\nfoo_start(device_t dev, struct foo_softc *sc)\n{\n\n${setup}\n\treturn (0);\n}\n`;
    fs.writeFileSync(caller, withRole('\tbus_setup_intr(dev, sc->irq, INTR_TYPE_NET, NULL, foo_work, sc, &sc->ih);'));
    const cache = tmp('cache');
    const go = (c?: string) => lint({ paths: [path.dirname(path.dirname(sys))], dialect: 'freebsd', jobs: 1, ...(c ? { cache: { dir: c } } : {}) });
    const ctxOf = (r: LintResult) => r.findings.map((f) => `${f.ruleId} ${JSON.stringify((f.properties as { context?: unknown }).context)}`);
    const first = await go(cache);
    expect(ctxOf(first).join()).toMatch(/waitok-in-atomic .*interrupt/);
    expect(fg.sync('v1/contexts/*.json', { cwd: cache })).toHaveLength(1);
    const again = await go(cache);
    expect(again.stats.contextsFromMemo).toBe(true);
    expect(report(again)).toBe(report(first));
    // a copy of the tree: its own memo, reused after an edit that changes no context fact
    const copy = path.join(tmp('copy'), 'sys');
    fs.cpSync(path.dirname(path.dirname(sys)), copy, { recursive: true });
    const goCopy = () => lint({ paths: [copy], dialect: 'freebsd', jobs: 1, cache: { dir: cache } });
    expect((await goCopy()).stats.contextsFromMemo).toBeUndefined();
    fs.appendFileSync(path.join(copy, 'dev', 'foo', 'foo_buf.c'), '/* edited */\n');
    const edited = await goCopy();
    expect(edited.stats.contextsFromMemo).toBe(true);
    expect(edited.findings.map((f) => f.ruleId)).toEqual(first.findings.map((f) => f.ruleId));
    // the handler becomes a taskqueue function in the other file: the site's context changes
    fs.writeFileSync(caller, withRole('\tTASK_INIT(&sc->task, 0, foo_work, sc);'));
    const second = await go(cache);
    expect(report(second)).toBe(report(await go()));
    expect(ctxOf(second).join()).not.toMatch(/waitok-in-atomic|interrupt/);
    // a corrupt memo is no memo
    const [memo] = fg.sync('v1/contexts/*.json', { cwd: cache, absolute: true });
    fs.writeFileSync(memo, '{"key": 1');
    expect(report(await go(cache))).toBe(report(second));
  });
});
