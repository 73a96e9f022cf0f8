import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (no shell) and collect its exit code and output. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kmalloc-lint-${prefix}-`));
}

/** Lines that look like a JavaScript stack trace. */
export function stackLines(s: string): string[] {
  return s.split('\n').filter((l) => /^\s+at /.test(l));
}

/** Why the npm registry cannot be used (`npm ping` failed or took over 8 s), or undefined when it answers. */
export function registryUnreachable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const ping = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 8_000, env });
  return ping.status === 0 ? undefined : `the npm registry is unreachable (npm ping ${ping.error ? 'timed out after 8 s' : 'failed'})`;
}
