import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../report/findings';

/**
 * Changed-lines modes: --staged (the index against HEAD) and --diff-base REF
 * (the work tree against REF). Lines come from `git diff -U0`; a hunk that
 * only deletes lines marks the lines on either side of the deletion, so
 * removing a NULL test still counts as touching the code around it.
 */

export class GitError extends Error {}

function git(cwd: string, args: string[]): Buffer {
  try {
    return execFileSync('git', ['-c', 'core.quotepath=off', ...args], { cwd, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string; message: string };
    if (err.code === 'ENOENT') throw new GitError('git is not installed or not on PATH');
    const msg = err.stderr?.toString('utf8').trim().split('\n')[0] || err.message;
    throw new GitError(`git ${args[0]}: ${msg}`);
  }
}

export function gitRoot(cwd: string): string {
  const out = git(cwd, ['rev-parse', '--show-toplevel']).toString('utf8').trim();
  return fs.realpathSync(out);
}

export type ChangeMode = { kind: 'staged' } | { kind: 'base'; ref: string };

export interface ChangeSet {
  root: string;
  mode: ChangeMode;
  /** Absolute path -> changed line numbers (1-based) in the new version. */
  lines: Map<string, Set<number>>;
  /** --staged: absolute path -> the index content (latin1). */
  contents: Map<string, string>;
  /** Staged files deleted from the work tree (skipped with a note). */
  missing: string[];
}

/** Undo git's C-style quoting of unusual path names. */
function unquote(p: string): string {
  if (!p.startsWith('"')) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = body[++i];
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parse `git diff -U0` output: new-side path -> changed lines. */
export function parseUnifiedZero(diff: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  let cur: Set<number> | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const p = line.slice(4).replace(/\t$/, '');
      if (p === '/dev/null') {
        cur = undefined;
        continue;
      }
      const name = unquote(p);
      const rel = name.startsWith('b/') ? name.slice(2) : name;
      cur = out.get(rel) ?? new Set();
      out.set(rel, cur);
      continue;
    }
    const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m && cur) {
      const start = Number(m[1]);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      if (count === 0) {
        // pure deletion after line `start`: the lines on both sides
        if (start > 0) cur.add(start);
        cur.add(start + 1);
      } else for (let i = start; i < start + count; i++) cur.add(i);
    }
  }
  return out;
}

const C_FILE = /\.[ch]$/;

/** What changed, per mode; cwd is where the user ran the tool. */
export function collectChanges(mode: ChangeMode, cwd: string): ChangeSet {
  const root = gitRoot(cwd);
  const base = mode.kind === 'staged' ? ['--cached'] : [mode.ref];
  if (mode.kind === 'base') {
    try {
      git(root, ['rev-parse', '--verify', '--quiet', `${mode.ref}^{commit}`]);
    } catch (e) {
      // --quiet: git says nothing, and the failed command is no use to the user
      if (e instanceof GitError && /not installed/.test(e.message)) throw e;
      throw new GitError(`--diff-base ${mode.ref}: unknown revision (not a commit, branch or tag in ${root})`);
    }
  }
  const diff = git(root, ['diff', ...base, '-U0', '--no-color', '--no-ext-diff', '--no-renames', '--diff-filter=ACMRT', '--src-prefix=a/', '--dst-prefix=b/', '--', '*.c', '*.h']).toString('utf8');
  const rel = parseUnifiedZero(diff);
  const lines = new Map<string, Set<number>>();
  const contents = new Map<string, string>();
  const missing: string[] = [];
  for (const [r, set] of rel) {
    if (!C_FILE.test(r)) continue;
    const abs = path.join(root, ...r.split('/'));
    if (mode.kind === 'staged') {
      contents.set(abs, git(root, ['show', `:${r}`]).toString('latin1'));
      if (!fs.existsSync(abs)) {
        missing.push(r);
        continue;
      }
    }
    lines.set(abs, set);
  }
  return { root, mode, lines, contents, missing };
}

/** Is the finding on a changed line: its own span, or a related location in the same file (the dereference, the leak)? */
export function onChangedLines(f: Finding, changes: ChangeSet, cwd: string): boolean {
  const abs = path.resolve(cwd, f.file);
  let set = changes.lines.get(abs);
  if (!set) {
    try {
      set = changes.lines.get(fs.realpathSync(abs));
    } catch {
      /* gone */
    }
  }
  if (!set) return false;
  for (let l = f.line; l <= f.endLine; l++) if (set.has(l)) return true;
  return f.related.some((r) => (r.file === undefined || r.file === f.file) && set.has(r.line));
}
