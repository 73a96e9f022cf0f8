import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * A content-addressed cache of per-file analysis results (and, with the same
 * mechanism, any other per-file facts: `kind` names the sort of entry, e.g.
 * 'result' or 'summary').
 *
 * Entries live in segment files per (kind, salt) (SegmentStore below); the
 * salt stands for everything the value depends on besides the key: the tool
 * build, the allocator model, the analysis options. Callers key entries by a
 * hash of the file's bytes, so a path, a timestamp or a working directory
 * never decides what a file means. Only the main thread reads and writes the
 * store; workers are told which keys it holds (CacheProbe) and skip those
 * files.
 */

export const CACHE_LAYOUT = 'v1';

export interface CacheConfig {
  /** The cache folder (holds `v1/...`). */
  dir: string;
  /** Everything the cached values depend on besides the key. */
  salt: string;
}

export type Validator<T> = (v: unknown) => v is T;

/**
 * The entries of one kind under one salt, kept in a few segment files rather
 * than a file per entry: creating and renaming thousands of small files cost
 * more than the analysis they saved (0.4 ms each on an ext4 volume).
 *
 * Layout: v1/<kind>/<hash of salt>/seg-*.jsonl. A segment's first line is a
 * JSON header {kind, salt}; every other line is `key<TAB>json`. Segments are
 * written to a unique temporary name and renamed, never changed afterwards. A
 * run loads every segment, adds what it computed as one new segment, and
 * merges the segments into one when there are more than MAX_SEGMENTS.
 *
 * Never trusted blindly: a segment whose header is not its kind and salt is
 * ignored (and dropped at the next merge); an entry is parsed when asked for,
 * and one that does not parse or fails the caller's validator is a miss.
 * Values are stored as JSON text, so every get() returns a fresh object and
 * callers may change what they get. Two runs sharing the folder each write
 * their own segments; a merge deletes only the segments it read.
 */
export class SegmentStore<T> {
  static readonly MAX_SEGMENTS = 8;
  private entries = new Map<string, string>();
  private fresh = new Map<string, string>();
  private used = new Set<string>();
  private loaded: string[] = [];
  private broken: string[] = [];
  readonly dir: string;
  stats = { hits: 0, misses: 0, corrupt: 0, writes: 0, writeErrors: 0 };

  constructor(readonly config: CacheConfig, readonly kind: string, private readonly valid: Validator<T>) {
    if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`cache: bad entry kind '${kind}'`);
    this.dir = path.join(config.dir, CACHE_LAYOUT, kind, sha1(config.salt).slice(0, 16));
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir).filter((n) => /^seg-.*\.jsonl$/.test(n)).sort();
    } catch {
      return;
    }
    const header = JSON.stringify({ kind, salt: config.salt });
    for (const n of names) {
      const file = path.join(this.dir, n);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // merged away by another run meanwhile
      }
      const lines = text.split('\n');
      if (lines[0] !== header) {
        this.stats.corrupt++;
        this.broken.push(file);
        continue;
      }
      for (let i = 1; i < lines.length; i++) {
        const tab = lines[i].indexOf('\t');
        if (tab > 0) this.entries.set(lines[i].slice(0, tab), lines[i].slice(tab + 1));
      }
      this.loaded.push(file);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** A fresh copy of the entry, or undefined (absent, unparsable or invalid: then forgotten). */
  get(key: string): T | undefined {
    const text = this.entries.get(key);
    if (text === undefined) {
      this.stats.misses++;
      return undefined;
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (this.valid(v)) {
        this.used.add(key);
        this.stats.hits++;
        return v;
      }
    } catch {
      /* corrupt */
    }
    this.entries.delete(key);
    this.stats.corrupt++;
    this.stats.misses++;
    return undefined;
  }

  /** Keep a snapshot of `value` (later changes to it are not stored). */
  put(key: string, value: T): void {
    const text = JSON.stringify(value);
    this.entries.set(key, text);
    this.fresh.set(key, text);
    this.used.add(key);
  }

  /** Write what this run added; merge the segments when there are too many. Never throws. */
  flush(): void {
    const segments = this.loaded.length + this.broken.length + (this.fresh.size ? 1 : 0);
    if (segments > SegmentStore.MAX_SEGMENTS) {
      // a run that used most of the entries (a whole tree) keeps only those: older versions of its files go
      const keep = this.used.size * 2 >= this.entries.size ? [...this.used].filter((k) => this.entries.has(k)) : [...this.entries.keys()];
      if (this.write(keep.map((k) => [k, this.entries.get(k)!]))) {
        for (const f of [...this.loaded, ...this.broken]) fs.rmSync(f, { force: true });
        this.loaded = [];
        this.broken = [];
      }
    } else if (this.fresh.size) this.write([...this.fresh]);
    this.fresh = new Map();
  }

  private write(entries: [string, string][]): boolean {
    const name = `seg-${Date.now().toString(36)}-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.jsonl`;
    const file = path.join(this.dir, name);
    const tmp = path.join(this.dir, `.${name}.tmp`);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const body = [JSON.stringify({ kind: this.kind, salt: this.config.salt }), ...entries.map(([k, v]) => `${k}\t${v}`)].join('\n');
      fs.writeFileSync(tmp, body + '\n', { flag: 'wx' });
      fs.renameSync(tmp, file);
      this.stats.writes++;
      return true;
    } catch {
      this.stats.writeErrors++;
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* ignore */
      }
      return false;
    }
  }
}

/**
 * What a worker knows of the cache: the keys (content hashes) the main
 * thread has entries for. A file whose hash is known is not analysed: its
 * result comes back as a stub the main thread fills from the cache.
 */
export interface CacheProbe {
  known: string[];
}

const knownSets = new WeakMap<string[], Set<string>>();
export function knows(p: CacheProbe, hash: string): boolean {
  let s = knownSets.get(p.known);
  if (!s) knownSets.set(p.known, (s = new Set(p.known)));
  return s.has(hash);
}

export function sha1(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/** The content key of a file: a hash of its bytes. */
export function contentHash(buf: Buffer): string {
  return sha1(buf);
}

/**
 * Where the cache lives unless told: $KMALLOC_LINT_CACHE_DIR, else
 * $XDG_CACHE_HOME/kmalloc-lint, else ~/.cache/kmalloc-lint (never inside the
 * linted tree: kernel trees are often read-only or shared).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KMALLOC_LINT_CACHE_DIR) return path.resolve(env.KMALLOC_LINT_CACHE_DIR);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'kmalloc-lint');
  return path.join(os.homedir(), '.cache', 'kmalloc-lint');
}

let buildPrint: string | undefined;
/**
 * A fingerprint of the analysis code itself: a hash of the compiled sources
 * next to this module (so a rebuilt tool never trusts entries written by
 * another build, whatever its version number says).
 */
export function buildFingerprint(): string {
  if (buildPrint) return buildPrint;
  const h = createHash('sha1');
  h.update(`${CACHE_LAYOUT}\0`);
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (n.endsWith('.js') || n.endsWith('.ts')) {
        try {
          h.update(n).update('\0').update(fs.readFileSync(p)).update('\0');
        } catch {
          /* ignore */
        }
      } else if (!n.includes('.')) walk(p);
    }
  };
  walk(path.join(__dirname, '..')); // all of src/, not just this folder
  buildPrint = h.digest('hex');
  return buildPrint;
}

/** Stable JSON (sorted keys) so equal models give equal fingerprints; `file` values lose `prefix`. */
export function stableJson(v: unknown, prefix = '', key = ''): string {
  if (Array.isArray(v)) return `[${v.map((x) => stableJson(x, prefix)).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k], prefix, k)}`)
      .join(',')}}`;
  }
  if (key === 'file' && prefix && typeof v === 'string' && v.startsWith(prefix)) return JSON.stringify(v.slice(prefix.length));
  return JSON.stringify(v) ?? 'null';
}

/** Every `file` value in the model (where whole-tree facts were learned, such as lock macros). */
function modelFiles(v: unknown, out: string[], key = ''): void {
  if (Array.isArray(v)) for (const x of v) modelFiles(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) modelFiles(x, out, k);
  else if (key === 'file' && typeof v === 'string') out.push(v);
}

/** The folder all the paths share (with its trailing '/'), or ''. */
function commonFolder(paths: string[]): string {
  if (!paths.length) return '';
  let p = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
  for (const q of paths) while (p && !q.startsWith(p)) p = p.slice(0, p.lastIndexOf('/', p.length - 2) + 1);
  return p;
}

/**
 * The salt for per-file results: build + allocator model + analysis options.
 * The model's `source` (where its flag values were read, a path relative to
 * the working folder) is a label only, and the files whole-tree facts came
 * from count relative to the folder they share, so a copy of the tree or
 * another working folder shares the entries.
 */
export function resultSalt(model: object, options: string): string {
  const files: string[] = [];
  modelFiles(model, files);
  return sha1(`${buildFingerprint()}\0${stableJson({ ...model, source: undefined }, commonFolder(files))}\0${options}`);
}
