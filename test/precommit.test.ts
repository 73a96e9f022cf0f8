import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registryUnreachable } from './helpers/run';

/*
 * The pre-commit hook for real: `pre-commit try-repo <this checkout>
 * kmalloc-lint --all-files` in a temporary git repository. pre-commit's node
 * support installs the hook repository with npm (install, pack, install -g),
 * so this needs the npm registry and takes about 40 s. It runs when
 * pre-commit is installed (Debian: apt-get install pre-commit) and `npm ping`
 * answers within 8 s; it is skipped, with the reason in its name, otherwise or
 * with KMALLOC_LINT_SKIP_PRECOMMIT=1.
 */
function havePrecommit(): string | undefined {
  if (process.env.KMALLOC_LINT_SKIP_PRECOMMIT) return 'KMALLOC_LINT_SKIP_PRECOMMIT is set';
  const r = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return 'pre-commit is not installed (apt-get install pre-commit)';
  // pre-commit installs the hook with npm: without the registry the test could only fail
  return registryUnreachable();
}
const skip = havePrecommit();
const root = path.join(__dirname, '..');

describe.skipIf(!!skip)(`pre-commit hook${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('installs from this checkout with language: node and fails on a bad C file and header', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-pc-'));
    try {
      const repo = path.join(tmp, 'repo');
      fs.mkdirSync(repo);
      const env = { ...process.env, PRE_COMMIT_HOME: path.join(tmp, 'home'), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' };
      const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, env });
      git('init', '-q');
      fs.writeFileSync(path.join(repo, 'bad.c'), '#include <sys/malloc.h>\nvoid\nf(void)\n{\n\tchar *p;\n\tp = malloc(10, M_DEVBUF, M_NOWAIT);\n\tp[0] = 1;\n}\n');
      fs.writeFileSync(path.join(repo, 'inl.h'), 'static inline void\ng(void)\n{\n\tchar *q;\n\tq = malloc(10, M_DEVBUF, M_NOWAIT);\n\tq[1] = 2;\n}\n');
      fs.writeFileSync(path.join(repo, 'notes.txt'), 'p = malloc(10, M_DEVBUF, M_NOWAIT); p[0] = 1;\n');
      git('add', '.');
      git('commit', '-q', '-m', 'init');
      const r = spawnSync('pre-commit', ['try-repo', root, 'kmalloc-lint', '--all-files', '--verbose'], { cwd: repo, env, encoding: 'utf8', timeout: 600_000 });
      const out = r.stdout + r.stderr;
      expect(out, out).toMatch(/kmalloc-lint \(no-wait kernel allocations\)\.+Failed/);
      expect(r.status).toBe(1);
      expect(out).toMatch(/^bad\.c:6:6: error nowait-null-deref:/m);
      expect(out).toMatch(/^inl\.h:5:6: error nowait-null-deref:/m);
      expect(out).not.toMatch(/notes\.txt/);
      expect(out).toMatch(/kmalloc-lint: 2 files, 2 findings/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 600_000);
});
