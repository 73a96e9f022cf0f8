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
 * An entry's name is a hash of (kind, key, salt); the salt stands for
 * everything the value depends on besides the key: the tool build, the
 * allocator model, the analysis options. Callers key entries by a hash of the
 * file's bytes, so a path, a timestamp or a working directory never decides
 * what a file means.
 *
 * Safe for several runs (and threads) sharing the folder: every entry is
 * written to a unique temporary file and renamed into place, so a reader sees
 * either no entry or a whole one. An entry is never trusted blindly: it must
 * parse, carry its own kind/key/salt, and pass the caller's validator;
 * anything else is a miss (and is rewritten by the next put).
 */

export const CACHE_LAYOUT = 'v1';

export interface CacheConfig {
  /** The cache folder (holds `v1/...`). */
  dir: string;
  /** Everything the cached values depend on besides the key. */
  salt: string;
}

export type Validator<T> = (v: unknown) => v is T;

export class Cache {
  readonly root: string;
  private made = new Set<string>();
  /** Counters, for tests and the bench. */
  stats = { hits: 0, misses: 0, corrupt: 0, writes: 0, writeErrors: 0 };

  constructor(readonly config: CacheConfig) {
    this.root = path.join(config.dir, CACHE_LAYOUT);
  }

  entryPath(kind: string, key: string): string {
    if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`cache: bad entry kind '${kind}'`);
    const h = sha1(`${kind}\0${key}\0${this.config.salt}`);
    return path.join(this.root, kind, h.slice(0, 2), `${h.slice(2)}.json`);
  }

  get<T>(kind: string, key: string, valid: Validator<T>): T | undefined {
    const file = this.entryPath(kind, key);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      this.stats.misses++;
      return undefined;
    }
    try {
      const e = JSON.parse(text) as { kind?: unknown; key?: unknown; salt?: unknown; value?: unknown };
      if (e && e.kind === kind && e.key === key && e.salt === this.config.salt && valid(e.value)) {
        this.stats.hits++;
        return e.value;
      }
    } catch {
      /* fall through: corrupt */
    }
    this.stats.corrupt++;
    this.stats.misses++;
    return undefined;
  }

  /** Store an entry; never throws (a cache that cannot be written is only slower). */
  put(kind: string, key: string, value: unknown): boolean {
    const file = this.entryPath(kind, key);
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${threadId}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      if (!this.made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      fs.writeFileSync(tmp, JSON.stringify({ kind, key, salt: this.config.salt, value }), { flag: 'wx' });
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
  walk(__dirname);
  buildPrint = h.digest('hex');
  return buildPrint;
}

/** Stable JSON (sorted keys) so equal models give equal fingerprints. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The salt for per-file results: build + allocator model + analysis options.
 * The model's `source` (where its flag values were read, a path relative to
 * the working folder) is a label only, so a copy of the tree or another
 * working folder shares the entries.
 */
export function resultSalt(model: object, options: string): string {
  return sha1(`${buildFingerprint()}\0${stableJson({ ...model, source: undefined })}\0${options}`);
}
