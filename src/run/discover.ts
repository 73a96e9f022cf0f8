import fg from 'fast-glob';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../analysis/types';
import { globToRegExp } from '../workflow/config';

export interface Discovered {
  /** Absolute paths, sorted, unique by real path. */
  files: string[];
  diagnostics: Diagnostic[];
  /** A given path did not exist or could not be read: a usage error. */
  badPaths: boolean;
}

/**
 * How to show a found file: as the user gave its tree, absolute under a path given absolute, else relative to the
 * current folder; with / separators.
 */
export function pathShower(given: string[]): (abs: string) => string {
  const absRoots: string[] = [];
  for (const p of given) {
    if (!path.isAbsolute(p)) continue;
    const r = path.resolve(p);
    absRoots.push(r);
    try {
      const real = fs.realpathSync(r);
      if (real !== r) absRoots.push(real);
    } catch {
      /* a bad path: reported by discover() */
    }
  }
  const under = (abs: string, r: string) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
  return (abs) => posix(absRoots.some((r) => under(abs, r)) ? abs : path.relative(process.cwd(), abs) || path.basename(abs));
}

const posix = (p: string) => p.split(path.sep).join('/');

/**
 * --exclude patterns in the forms people type: relative to the linted folder (`dev/**`), to the current folder
 * (`sys/dev/**`), absolute, a folder (`sys/dev/foo`), or bare (`*.h`, `contrib`: a name in any folder under the
 * linted one). Counts what each pattern matched, to warn about those that matched nothing.
 */
function excluder(patterns: string[]) {
  const cwd = process.cwd();
  const pats = patterns.map((p) => {
    const g = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/(.)\/+$/, '$1');
    const bare = !g.includes('/');
    return { p, bare, res: bare ? [globToRegExp(g)] : [globToRegExp(g), globToRegExp(`${g}/**`)], hits: 0 };
  });
  return {
    excluded(abs: string, root: string): boolean {
      if (!pats.length) return false;
      const rel = posix(path.relative(root, abs));
      const forms = [rel, posix(path.relative(cwd, abs)), posix(abs)];
      let hit = false;
      for (const x of pats) {
        const m = x.bare ? rel.split('/').some((part) => x.res[0].test(part)) : forms.some((f) => x.res.some((r) => r.test(f)));
        if (m) {
          x.hits++;
          hit = true;
        }
      }
      return hit;
    },
    unused: () => pats.filter((x) => !x.hits).map((x) => x.p),
  };
}

export const DEFAULT_IGNORES = ['**/.git/**', '**/node_modules/**', '**/.hg/**', '**/.svn/**', '**/obj/**', '**/compile/**', '**/.kmalloc-lint-cache/**'];

/**
 * Find the .c and .h files under the given paths. Symbolic links are never
 * followed into directories (so no loops); a linked file is taken only when
 * its target lies inside one of the given trees.
 */
export async function discover(paths: string[], opts: { include?: string[]; exclude?: string[]; /** Warn about these patterns if they match nothing (default: every exclude). */ checkExclude?: string[] } = {}): Promise<Discovered> {
  const diagnostics: Diagnostic[] = [];
  const shownPath = pathShower(paths);
  const out = new Map<string, string>(); // realpath -> shown path
  let badPaths = false;
  const roots: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (e) {
      diagnostics.push({ file: p, level: 'error', message: `cannot read path: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}` });
      badPaths = true;
      continue;
    }
    if (st.isSymbolicLink()) {
      try {
        st = fs.statSync(abs);
      } catch (e) {
        diagnostics.push({ file: p, level: 'error', message: `broken or looping symbolic link (${(e as NodeJS.ErrnoException).code})` });
        badPaths = true;
        continue;
      }
    }
    if (st.isDirectory()) roots.push(fs.realpathSync(abs));
    else if (st.isFile()) {
      const real = fs.realpathSync(abs);
      if (!out.has(real)) out.set(real, abs);
    } else {
      diagnostics.push({ file: p, level: 'error', message: 'not a regular file or directory' });
      badPaths = true;
    }
  }
  const include = opts.include?.length ? opts.include : ['**/*.c', '**/*.h'];
  const ignore = DEFAULT_IGNORES;
  const exclude = excluder(opts.exclude ?? []);
  for (const root of roots) {
    const before = out.size;
    // fast-glob skips a folder it cannot read (suppressErrors): note which, to say so
    const unreadable = new Map<string, string>();
    const readdir = ((dir: string, o: unknown, cb: (e: NodeJS.ErrnoException | null, r?: unknown) => void) =>
      fs.readdir(dir, o as { withFileTypes: true }, (e, r) => {
        if (e) unreadable.set(dir, e.code === 'EACCES' ? 'permission denied' : e.code ?? e.message);
        cb(e, r);
      })) as unknown as typeof fs.readdir;
    const entries = await fg(include, { cwd: root, ignore, followSymbolicLinks: false, onlyFiles: false, dot: false, absolute: true, objectMode: true, suppressErrors: true, unique: true, fs: { readdir } });
    const rootShown = () => paths.find((p) => { try { return fs.realpathSync(path.resolve(p)) === root; } catch { return false; } }) ?? root;
    for (const [dir, why] of [...unreadable].sort()) {
      if (path.resolve(root, dir) === root) {
        // the folder named on the command line: nothing of it can be linted, as for a path that does not exist
        diagnostics.push({ file: rootShown(), level: 'error', message: `cannot read directory: ${why}` });
        badPaths = true;
      } else diagnostics.push({ file: shownPath(path.resolve(root, dir)), level: 'warning', message: `cannot read directory: ${why}; its files were not linted` });
    }
    if (unreadable.has(root) || unreadable.has('.')) continue;
    for (const e of entries) {
      if (exclude.excluded(e.path, root)) continue;
      const d = e.dirent;
      if (d.isDirectory()) {
        diagnostics.push({ file: shownPath(e.path), level: 'warning', message: 'is a directory, not a source file; its contents are linted if they match' });
        continue;
      }
      if (d.isSymbolicLink()) {
        let real: string;
        try {
          real = fs.realpathSync(e.path);
        } catch (err) {
          diagnostics.push({ file: shownPath(e.path), level: 'warning', message: `broken or looping symbolic link (${(err as NodeJS.ErrnoException).code}); skipped` });
          continue;
        }
        if (!roots.some((r) => real === r || real.startsWith(r + path.sep))) {
          diagnostics.push({ file: shownPath(e.path), level: 'note', message: 'symbolic link to a file outside the linted tree; skipped' });
          continue;
        }
        let st: fs.Stats;
        try {
          st = fs.statSync(real);
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        if (!out.has(real)) out.set(real, real);
        continue;
      }
      if (!d.isFile()) {
        diagnostics.push({ file: shownPath(e.path), level: 'warning', message: 'not a regular file (a FIFO, socket or device); skipped' });
        continue;
      }
      if (!out.has(e.path)) out.set(e.path, e.path);
    }
    if (out.size === before) {
      diagnostics.push({ file: rootShown(), level: 'warning', message: `no ${opts.include?.length ? include.join(', ') : '.c or .h'} files found under this directory` });
    }
  }
  if (roots.length) for (const p of exclude.unused()) if (!opts.checkExclude || opts.checkExclude.includes(p)) diagnostics.push({ file: `--exclude ${p}`, level: 'warning', message: 'matched no file under the linted paths' });
  const files = [...new Set(out.values())].sort();
  return { files, diagnostics, badPaths };
}
