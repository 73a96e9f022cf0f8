import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { analyzeText } from '../analysis/file';
import type { FileResult } from '../analysis/types';
import type { DialectModel } from '../model/types';
import { createHash } from 'node:crypto';
import { probeFile, type Probed } from '../cache/probe';
import type { CacheProbe } from '../cache/store';
import { resultKey } from '../cache/entries';
import { extractContext } from '../context/extract';
import { compiled } from '../analysis/file';
import { scanSuppressions } from '../workflow/suppress';
import { summarizeFile, type SummarizedFile } from '../summaries/extract';
import { unterminatedComment } from '../text/comments';
import { lineOf, lineStarts } from '../text/lines';

export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;

export interface FileJobOptions {
  maxFileSize: number;
  /** Per-file result cache: the content hashes the main thread holds entries for (src/cache/jobs.ts). */
  cache?: CacheProbe;
  /** Extract per-file context facts (call graph, handler registrations) for whole-tree context inference. */
  context?: boolean;
}

/** A file's result, with what the cache needs to know about it (stripped before reporting). */
export type LintedFile = FileResult & { cacheInfo?: Probed };

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
  const probed = probeFile(opts.cache, st, buf, at, (hash) => resultKey(hash, file, opts.context));
  if (probed?.hit) return Object.assign(empty(shown), { cacheInfo: probed });
  const text = buf.toString('latin1');
  let result: FileResult;
  try {
    result = analyzeText(shown, text, dialect);
  } catch (e) {
    const r = empty(shown);
    r.diagnostics.push({ file: shown, level: 'error', message: `internal error while analysing this file, skipped: ${(e as Error).message}` });
    return r;
  }
  if (result.sites.length) markAfterUnterminatedComment(result, text);
  if (opts.context && /\.c$/.test(file)) {
    try {
      result.context = extractContext(shown, text, compiled(dialect).model);
      // without the path: a cached result serves copies of the file under other names
      result.contextHash = createHash('sha1').update(JSON.stringify({ ...result.context, file: '' })).digest('hex');
    } catch (e) {
      // the findings stand; the calling contexts of this file's functions are unknown
      result.diagnostics.push({ file: shown, level: 'error', message: `internal error while reading this file's calls and registrations: ${(e as Error).message}` });
    }
  }
  const sup = scanSuppressions(text);
  if (sup.length) result.suppressions = sup;
  if (!isUtf8(buf) && result.sites.length) {
    result.diagnostics.push({ file: shown, level: 'note', message: 'file is not valid UTF-8; read as Latin-1 (columns count bytes)' });
  }
  return probed ? Object.assign(result, { cacheInfo: probed }) : result;
}

/**
 * An unterminated comment: the compiler reads the rest of the file as comment, so the file does not build as it
 * stands. The findings after it are kept but marked low confidence (the code there is most likely what the author
 * meant, and dropping them would hide it), and a warning names the line.
 */
function markAfterUnterminatedComment(result: FileResult, text: string): void {
  const at = unterminatedComment(text);
  if (at < 0) return;
  const line = lineOf(lineStarts(text), at);
  result.diagnostics.push({ file: result.file, level: 'warning', message: `line ${line}: unterminated /* comment; a compiler reads the rest of the file as comment, so findings after it are low confidence` });
  for (const s of result.sites) {
    if (s.loc.line < line) continue;
    s.lowConfidence = true;
    (s.extra ??= {}).lowConfidenceReason = `after the unterminated comment at line ${line}`;
  }
}

/** One job of either kind, as the pool runs it in this thread or in a worker. */
export function runFile(kind: 'lint' | 'summary', job: { file: string; shown: string; content?: string }, dialect: DialectModel, opts: FileJobOptions): LintedFile | SummarizedFile {
  return kind === 'summary' ? summarizeFile(job.file, job.shown, dialect, opts, job.content) : lintFile(job.file, job.shown, dialect, opts, job.content);
}
