import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The CLI tests run the built program (node dist/src/cli.js). Build it once
 * before the suite when dist/ is missing or older than any source file.
 */
const root = path.join(__dirname, '..');

function newest(dir: string): number {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

export function isStale(): boolean {
  const cli = path.join(root, 'dist', 'src', 'cli.js');
  if (!fs.existsSync(cli)) return true;
  const built = fs.statSync(cli).mtimeMs;
  const src = Math.max(
    newest(path.join(root, 'src')),
    newest(path.join(root, 'rules')),
    newest(path.join(root, 'bench')),
    newest(path.join(root, 'scripts')),
    fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs,
    fs.statSync(path.join(root, 'package.json')).mtimeMs,
  );
  return src > built;
}

/** Remove the suite's result cache folder (vitest.config.mts names it), so `npm test` leaves nothing in the temp folder. */
export function teardown(): void {
  const dir = process.env.KMALLOC_LINT_TEST_CACHE_DIR;
  if (dir && path.basename(dir).startsWith('kmalloc-lint-test-cache-')) fs.rmSync(dir, { recursive: true, force: true });
}

export default function setup(): () => void {
  if (!isStale()) return teardown;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  // tsc does not rewrite unchanged outputs' mtimes when nothing changed; mark the build time.
  const cli = path.join(root, 'dist', 'src', 'cli.js');
  const now = new Date();
  fs.utimesSync(cli, now, now);
  return teardown;
}
