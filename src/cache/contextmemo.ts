import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileResult } from '../analysis/types';
import { writeFileAtomic } from '../util/atomic';
import { CACHE_LAYOUT, sha1 } from './store';
import type { FnContext } from '../context/callgraph';

/**
 * The resolved function contexts of the last run over a set of roots, keyed
 * by everything they depend on: the build and model (the result salt) and
 * every file's context facts (their hashes, in file order). A warm run, or
 * one after an edit that changed no call, lock or registration, takes the
 * contexts from here instead of building and solving the call graph (the
 * larger part of a warm run's time on a kernel tree).
 */
export function contextsKey(salt: string, results: FileResult[], name: (shown: string) => string = (f) => f): string {
  const h = [salt];
  for (const r of results) {
    // the hash first: a cached result's context is parsed only when asked for
    const ch = r.contextHash ?? (r.context ? sha1(JSON.stringify({ ...r.context, file: '' })) : undefined);
    if (ch) h.push(`${name(r.file)}\0${ch}`);
  }
  return sha1(h.join('\n'));
}

/**
 * Shown paths (relative to the current folder, or absolute) to names relative to the linted roots
 * (`<root index>/<path in it>`) and back, so that the memo does not depend on the folder a run starts in.
 */
export function treePaths(shown: string[], roots: string[]): { toTree: (s: string) => string; fromTree: (t: string) => string } {
  const sorted = [...roots].sort();
  const bases = sorted.flatMap((r, i) => {
    let real = r;
    try {
      real = fs.realpathSync(r);
    } catch {
      /* missing: the resolved path only */
    }
    return real === r ? [{ r, i }] : [{ r, i }, { r: real, i }];
  });
  const to = new Map<string, string>();
  const from = new Map<string, string>();
  for (const s of shown) {
    const abs = path.resolve(s);
    const b = bases.find((x) => abs === x.r || abs.startsWith(x.r + path.sep));
    const t = b ? `${b.i}/${path.relative(b.r, abs).split(path.sep).join('/') || path.basename(abs)}` : abs;
    to.set(s, t);
    from.set(t, s);
  }
  return { toTree: (s) => to.get(s) ?? s, fromTree: (t) => from.get(t) ?? t };
}

const EVIDENCE_PATH = / at ([^\s:]+):(\d+)/g;

/**
 * Contexts with their files renamed: the memo keys (memoKey: file first) and the paths the evidence names
 * (` at FILE:LINE`). To the memo, named paths are wrapped in \x01 so that `back` (with that pattern) finds them.
 */
export function renameContexts(m: Map<string, FnContext>, name: (f: string) => string, back?: RegExp): Map<string, FnContext> {
  const text = back
    ? (s: string) => s.replace(back, (_, f: string) => name(f))
    : (s: string) => s.replace(EVIDENCE_PATH, (all, f: string, line: string) => {
        const t = name(f);
        return t === f ? all : ` at \x01${t}\x01:${line}`;
      });
  const out = new Map<string, FnContext>();
  for (const [k, c] of m) {
    const i = k.indexOf('\0');
    out.set(name(k.slice(0, i)) + k.slice(i), {
      ...c,
      evidence: c.evidence.map(text),
      ...(c.conflict !== undefined ? { conflict: text(c.conflict) } : {}),
      ...(c.reserve !== undefined ? { reserve: text(c.reserve) } : {}),
    });
  }
  return out;
}

const memoFile = (dir: string, roots: string[]) => path.join(dir, CACHE_LAYOUT, 'contexts', `${sha1([...roots].sort().join('\0')).slice(0, 24)}.json`);

function isFnContext(v: unknown): v is FnContext {
  const c = v as FnContext;
  return (
    !!c && typeof c === 'object' && typeof c.level === 'string' && typeof c.weak === 'boolean' &&
    Array.isArray(c.evidence) && c.evidence.every((e) => typeof e === 'string') &&
    (c.conflict === undefined || typeof c.conflict === 'string') && (c.reserve === undefined || typeof c.reserve === 'string')
  );
}

/** The memo for `key`, if the last run left one (anything else, corrupt or stale, is no memo). */
export function loadContexts(dir: string, roots: string[], key: string): Map<string, FnContext> | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(memoFile(dir, roots), 'utf8')) as { key?: unknown; contexts?: unknown };
    if (!data || data.key !== key || !Array.isArray(data.contexts)) return undefined;
    const m = new Map<string, FnContext>();
    for (const e of data.contexts as unknown[]) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !isFnContext(e[1])) return undefined;
      m.set(e[0], e[1]);
    }
    return m;
  } catch {
    return undefined;
  }
}

/** Never throws: a memo that cannot be written is only slower. */
export function saveContexts(dir: string, roots: string[], key: string, contexts: Map<string, FnContext>): void {
  try {
    const file = memoFile(dir, roots);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify({ key, contexts: [...contexts] }));
  } catch {
    /* ignore */
  }
}
