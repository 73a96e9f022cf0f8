import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { analyzeText } from './analysis/file';
import type { FileResult } from './analysis/types';
import type { DialectModel } from './model/types';
import { contentHash, knows, sha1, type CacheProbe } from './cache';
import { isEmptyResult, resultKey } from './cacheresult';
import type { Stamp } from './cacheindex';
import { extractContext } from './context/extract';
import { compiled } from './analysis/file';
import { scanSuppressions } from './workflow/suppress';

export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;

export interface FileJobOptions {
  maxFileSize: number;
  /** Per-file result cache: the content hashes the main thread holds entries for (src/cachedjobs.ts). */
  cache?: CacheProbe;
  /** Extract per-file context facts (call graph, handler registrations) for whole-tree context inference. */
  context?: boolean;
}

/** A file's result, with what the cache needs to know about it (stripped before reporting). */
export type LintedFile = FileResult & { cacheInfo?: { stamp: Stamp; hit: boolean; empty?: boolean } };

function empty(file: string): FileResult {
  return { file, sites: [], diagnostics: [], parse: { bytes: 0, errorNodes: false, functions: 0 }, lines: {} };
}

/** Read, check and analyse one file. Never throws: problems become diagnostics naming the file. */
export function lintFile(file: string, shown: string, dialect: DialectModel, opts: FileJobOptions, content?: string): LintedFile {
  let buf: Buffer;
  let st: fs.Stats | undefined;
  const at = Date.now();
  if (content !== undefined) buf = Buffer.from(content, 'latin1'); // e.g. the staged blob (--staged), not the work tree file
  else try {
    st = fs.statSync(file);
    if (st.isDirectory()) {
      const r = empty(shown);
      r.diagnostics.push({ file: shown, level: 'warning', message: 'is a directory, not a file; skipped' });
      return r;
    }
    if (st.size > opts.maxFileSize) {
      const r = empty(shown);
      r.diagnostics.push({ file: shown, level: 'warning', message: `file is ${(st.size / 1048576).toFixed(1)} MB, over the ${(opts.maxFileSize / 1048576).toFixed(1)} MB limit (--max-file-size); skipped` });
      return r;
    }
    buf = fs.readFileSync(file);
  } catch (e) {
    const r = empty(shown);
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'file vanished while linting' : (e as Error).message;
    r.diagnostics.push({ file: shown, level: 'warning', message: `cannot read file: ${why}; skipped` });
    return r;
  }
  if (buf.indexOf(0) !== -1) {
    const r = empty(shown);
    r.diagnostics.push({ file: shown, level: 'warning', message: 'file contains NUL bytes (binary?); skipped' });
    return r;
  }
  let stamp: Stamp | undefined;
  if (opts.cache && st) {
    stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: contentHash(buf), at };
    if (knows(opts.cache, resultKey(stamp.hash, file, opts.context))) return Object.assign(empty(shown), { cacheInfo: { stamp, hit: true } });
  }
  const text = buf.toString('latin1');
  let result: FileResult;
  try {
    result = analyzeText(shown, text, dialect);
    if (opts.context && /\.c$/.test(file)) {
      result.context = extractContext(shown, text, compiled(dialect).model);
      // without the path: a cached result serves copies of the file under other names
      result.contextHash = sha1(JSON.stringify({ ...result.context, file: '' }));
    }
  } catch (e) {
    const r = empty(shown);
    r.diagnostics.push({ file: shown, level: 'error', message: `internal error while analysing this file, skipped: ${(e as Error).message}` });
    return r;
  }
  const sup = scanSuppressions(text);
  if (sup.length) result.suppressions = sup;
  if (!isUtf8(buf) && result.sites.length) {
    result.diagnostics.push({ file: shown, level: 'note', message: 'file is not valid UTF-8; read as Latin-1 (columns count bytes)' });
  }
  if (stamp) {
    // an empty result (no allocator call at all: most files) is not worth an entry; the stat index remembers it
    return Object.assign(result, { cacheInfo: { stamp, hit: false, empty: isEmptyResult(result, buf.length) } });
  }
  return result;
}
