import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { CACHE_LAYOUT, sha1 } from './store';

/** What a file looked like when its bytes were hashed. */
export interface Stamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** Content hash of the bytes read. */
  hash: string;
  /** Date.now() just before the stat: a stamp this close to a change is not trusted later. */
  at: number;
}

/** emptyUnder: the cache salt under which this content's result was empty ('' if not known to be). */
type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, hash: string, emptyUnder: string];

/**
 * A change within this many milliseconds of the stat may not move the mtime
 * (coarse file-system clocks): such files are hashed again next time.
 */
export const RACY_MS = 2000;

function isRow(v: unknown): v is Row {
  return (
    Array.isArray(v) &&
    v.length === 6 &&
    typeof v[0] === 'number' &&
    typeof v[1] === 'number' &&
    typeof v[2] === 'number' &&
    typeof v[3] === 'number' &&
    typeof v[4] === 'string' &&
    /^[0-9a-f]{40}$/.test(v[4]) &&
    typeof v[5] === 'string'
  );
}

/**
 * path -> (size, mtime, ctime, inode, content hash) for the files of one set
 * of linted roots, so that a warm run can find a file's cache entry from a
 * stat() alone, without reading or hashing the file. The index only ever
 * names a content hash; the results themselves live in the content-keyed
 * cache, so a stale or foreign index can at worst cause a re-read.
 *
 * Written once per run, atomically; when two runs share it, the last writer
 * wins and both versions are valid.
 */
const saltTag = (salt: string) => salt.slice(0, 20);

export class FileIndex {
  private old = new Map<string, Row>();
  private next = new Map<string, Row>();
  private dirty = false;

  private constructor(readonly file: string, private readonly scope: string) {}

  static load(cacheDir: string, roots: string[]): FileIndex {
    const scope = [...roots].sort().join('\0');
    const idx = new FileIndex(path.join(cacheDir, CACHE_LAYOUT, 'index', `${sha1(scope).slice(0, 24)}.json`), scope);
    try {
      const data = JSON.parse(fs.readFileSync(idx.file, 'utf8')) as { scope?: unknown; files?: unknown };
      if (data && data.scope === scope && data.files && typeof data.files === 'object') {
        for (const [k, v] of Object.entries(data.files as Record<string, unknown>)) if (isRow(v)) idx.old.set(k, v);
      }
    } catch {
      /* missing or corrupt: start empty */
    }
    return idx;
  }

  /**
   * The content hash recorded for this file, if the file still looks the
   * same, and whether its result is known to be empty under this salt.
   */
  lookup(file: string, st: fs.Stats, salt: string): { hash: string; empty: boolean } | undefined {
    const r = this.old.get(file);
    if (!r || r[0] !== st.size || r[1] !== st.mtimeMs || r[2] !== st.ctimeMs || r[3] !== st.ino) return undefined;
    this.next.set(file, r);
    return { hash: r[4], empty: r[5] !== '' && r[5] === saltTag(salt) };
  }

  record(file: string, s: Stamp, emptyUnderSalt?: string): void {
    // racy: changed so recently that a later change might keep the same times
    if (Math.max(s.mtimeMs, s.ctimeMs) >= s.at - RACY_MS) return;
    this.next.set(file, [s.size, s.mtimeMs, s.ctimeMs, s.ino, s.hash, emptyUnderSalt ? saltTag(emptyUnderSalt) : '']);
    this.dirty = true;
  }

  /** Write the index (only the files seen this run); never throws. */
  save(): void {
    if (!this.dirty && this.next.size === this.old.size) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const files: Record<string, Row> = {};
      for (const k of [...this.next.keys()].sort()) files[k] = this.next.get(k)!;
      writeFileAtomic(this.file, JSON.stringify({ scope: this.scope, files }));
    } catch {
      /* a cache that cannot be written is only slower */
    }
  }
}
