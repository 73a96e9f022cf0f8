import type { FileResult, SiteFacts } from '../analysis/types';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

function isLoc(v: unknown): boolean {
  return isObj(v) && isNum(v.line) && isNum(v.col) && isNum(v.endLine) && isNum(v.endCol);
}

function isSite(v: unknown): v is SiteFacts {
  if (!isObj(v)) return false;
  if (!isLoc(v.loc) || !isStr(v.function) || !isStr(v.allocator) || !isStr(v.flags) || !isStr(v.family)) return false;
  if (!Array.isArray(v.flagNames) || !v.flagNames.every(isStr)) return false;
  if (!isObj(v.verdict) || !Array.isArray(v.heldAtCall) || typeof v.lowConfidence !== 'boolean') return false;
  const f = v.failure;
  if (!isObj(f) || typeof f.tested !== 'boolean' || !Array.isArray(f.leaks)) return false;
  for (const k of ['deref', 'panic', 'nullTest'] as const) if (f[k] !== undefined && !isLoc(f[k])) return false;
  if (!f.leaks.every((l) => isLoc(l) && Array.isArray((l as { resources?: unknown }).resources))) return false;
  if (v.extra !== undefined && !isObj(v.extra)) return false;
  return true;
}

/** Is this (parsed from a cache entry) a whole, well-formed FileResult? */
export function isFileResult(v: unknown): v is FileResult {
  if (!isObj(v) || !isStr(v.file) || !Array.isArray(v.sites) || !Array.isArray(v.diagnostics)) return false;
  const p = v.parse;
  if (!isObj(p) || !isNum(p.bytes) || typeof p.errorNodes !== 'boolean' || !isNum(p.functions)) return false;
  if (!isObj(v.lines) || !Object.values(v.lines).every(isStr)) return false;
  if (!v.diagnostics.every((d) => isObj(d) && isStr(d.file) && isStr(d.message) && (d.level === 'error' || d.level === 'warning' || d.level === 'note'))) return false;
  if (!v.sites.every(isSite)) return false;
  if (v.contextHash !== undefined && !isStr(v.contextHash)) return false;
  // every site's source line must be there (the text output and fingerprints use it)
  return v.sites.every((s) => isStr((v.lines as Record<string, unknown>)[String(s.loc.line)]));
}

/**
 * A cached result keyed by content may have been computed under another path
 * (another copy of the file, another working folder): name the file as shown now.
 */
export function retarget(r: FileResult, shown: string): FileResult {
  r.file = shown;
  for (const d of r.diagnostics) d.file = shown;
  if (r.context) r.context.file = shown; // static functions are keyed by file in the call graph
  return r;
}

/** The result of a file with no allocation call in it: nothing but its size. */
export function emptyResult(file: string, bytes: number): FileResult {
  return { file, sites: [], diagnostics: [], parse: { bytes, errorNodes: false, functions: 0 }, lines: {} };
}

export function isEmptyResult(r: FileResult, bytes: number): boolean {
  const keys = Object.keys(r).sort().join(',');
  if (keys !== 'diagnostics,file,lines,parse,sites') return false; // a result that carries more than this is never summarised as empty
  return !r.sites.length && !r.diagnostics.length && !r.parse.errorNodes && r.parse.functions === 0 && r.parse.bytes === bytes && !Object.keys(r.lines).length;
}

/**
 * A result as the cache stores it: the context facts (most of a result's size,
 * and needed only when the call graph is built) kept as one JSON string, so
 * that loading a warm tree does not build their objects.
 */
export type StoredResult = Omit<FileResult, 'context'> & { contextJson?: string };

export function isStoredResult(v: unknown): v is StoredResult {
  const o = v as StoredResult;
  return isFileResult(v) && (o.contextJson === undefined || isStr(o.contextJson)) && (v as FileResult).context === undefined;
}

export function packResult(r: FileResult): StoredResult {
  const { context, ...rest } = r;
  return context ? { ...rest, contextJson: JSON.stringify(context) } : rest;
}

/** The stored result as a FileResult named `shown`; its context is parsed on first use. */
export function unpackResult(v: StoredResult, shown: string): FileResult {
  const { contextJson, ...rest } = v;
  const r = retarget(rest as FileResult, shown);
  if (contextJson !== undefined) {
    let c: FileResult['context'];
    Object.defineProperty(r, 'context', {
      get() {
        if (c === undefined) {
          c = JSON.parse(contextJson) as NonNullable<FileResult['context']>;
          c.file = r.file; // static functions are keyed by file in the call graph
        }
        return c;
      },
      set(x: FileResult['context']) {
        c = x;
      },
      enumerable: true,
      configurable: true,
    });
  }
  return r;
}

/**
 * The cache key of a file's result: its content hash, marked for `.c` files
 * when context facts are extracted (from `.c` files only), so that a header
 * with the same bytes as a source file never shares its entry.
 */
export function resultKey(hash: string, file: string, withContext: boolean | undefined): string {
  return withContext && /\.c$/.test(file) ? `${hash}.c` : hash;
}
