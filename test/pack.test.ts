import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, registryUnreachable } from './helpers/run';

/*
 * The install the docs give when the package is not on the registry: pack this
 * checkout, install the tarball globally (into a temporary prefix), run the
 * installed command and require() the installed package's API. npm fetches
 * the dependencies (from its cache when it can) and compiles tree-sitter's
 * binding where its prebuilt one does not load, which takes 40-70 s on a
 * 2-core machine; so the test runs only with KMALLOC_LINT_PACK_TEST=1 (and a
 * registry that answers), and is skipped with the reason in its name otherwise.
 */
function why(): string | undefined {
  if (!process.env.KMALLOC_LINT_PACK_TEST) return 'set KMALLOC_LINT_PACK_TEST=1 to run it (about a minute)';
  return registryUnreachable();
}
const skip = why();

describe.skipIf(!!skip)(`npm pack + npm install -g of the tarball${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('installs a working kmalloc-lint command and API', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-pack-'));
    try {
      const npm = (args: string[], cwd: string) => {
        const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
        expect(r.status, `npm ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
        return r.stdout;
      };
      const tarball = npm(['pack', '--silent', '--pack-destination', tmp], ROOT).trim().split('\n').pop()!;
      const prefix = path.join(tmp, 'prefix');
      npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, tarball)], tmp);
      const bin = path.join(prefix, 'bin', 'kmalloc-lint');
      const fixture = path.join(ROOT, 'fixtures', 'freebsd', 'deref.c');
      const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      const installed = run(bin, [fixture, '-f', 'json', '-q', '--no-cache']);
      const here = run(process.execPath, [CLI, fixture, '-f', 'json', '-q', '--no-cache']);
      expect(installed.status, installed.stderr).toBe(1);
      expect(JSON.parse(installed.stdout).findings).toEqual(JSON.parse(here.stdout).findings);
      const pkgDir = path.join(prefix, 'lib', 'node_modules', 'kmalloc-lint');
      for (const f of ['LICENSE', 'README.md', 'dist/src/index.d.ts', 'schema/kmalloc-lint.schema.json', 'docs/rules/unused-suppression.md']) expect(fs.existsSync(path.join(pkgDir, f)), f).toBe(true);
      const api = run(process.execPath, ['-e', `require(${JSON.stringify(pkgDir)}).lint({ paths: [${JSON.stringify(fixture)}] }).then((r) => console.log(r.findings.length))`]);
      expect(api.stdout.trim()).toBe(String(JSON.parse(here.stdout).findings.length));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 600_000);
});
