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
export function contextsKey(salt: string, results: FileResult[]): string {
  const h = [salt];
  for (const r of results) {
    // the hash first: a cached result's context is parsed only when asked for
    const ch = r.contextHash ?? (r.context ? sha1(JSON.stringify({ ...r.context, file: '' })) : undefined);
    if (ch) h.push(`${r.file}\0${ch}`);
  }
  return sha1(h.join('\n'));
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
