import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, stackLines, tmpDir, type Run } from './helpers/run';

/**
 * A tree full of things a linter meets in the wild. Each must give a clear
 * message naming the file and the problem (on stderr and as a SARIF tool
 * notification), the rest of the tree must still be linted, and no stack
 * trace may ever reach the user.
 */

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let base: string;
let text: Run;
let sarifRun: Run;
let sarif: any; // eslint-disable-line @typescript-eslint/no-explicit-any
let hasFifo = false;

const GOOD = `#include <sys/malloc.h>

static void
attach(struct softc *sc)
{
	sc->ring = malloc(4096, M_DEVBUF, M_NOWAIT);
	if (sc->ring == NULL)
		panic("attach: no ring");
}
`;

// Latin-1 comments (0xe9 = e acute) around a real finding: p[0] dereferences a possibly NULL result.
const LATIN1 = Buffer.concat([
  Buffer.from('/* Copyright (c) Andr', 'latin1'),
  Buffer.from([0xe9]),
  Buffer.from(' */\nstatic void\nfill(void)\n{\n\tchar *p;\n\n\tp = malloc(10, M_TEMP, M_NOWAIT);\t/* ', 'latin1'),
  Buffer.from([0xe9, 0x74, 0xe9]),
  Buffer.from(' */\n\tp[0] = 1;\n}\n', 'latin1'),
]);

function noStack(r: Run) {
  expect(stackLines(r.stderr), r.stderr).toEqual([]);
  expect(r.stderr).not.toMatch(/TypeError|ReferenceError|RangeError|SyntaxError/);
}

function stderrLine(r: Run, file: string): string {
  const line = r.stderr.split('\n').find((l) => l.startsWith(`kmalloc-lint: ${file}: `));
  expect(line, `no stderr line for ${file} in:\n${r.stderr}`).toBeDefined();
  return line!;
}

function notification(file: string): { level: string; message: { text: string }; locations?: { physicalLocation: { artifactLocation: { uri: string } } }[] } {
  const notes = sarif.runs[0].invocations[0].toolExecutionNotifications as ReturnType<typeof notification>[];
  const n = notes.find((x) => x.locations?.[0]?.physicalLocation.artifactLocation.uri === file);
  expect(n, `no SARIF notification for ${file}: ${JSON.stringify(notes, null, 1)}`).toBeDefined();
  expect(n!.message.text).toContain(file);
  return n!;
}

beforeAll(() => {
  base = tmpDir('bad');
  const t = path.join(base, 't');
  fs.mkdirSync(t);
  fs.writeFileSync(path.join(t, 'good.c'), GOOD);
  fs.mkdirSync(path.join(t, 'foo.c')); // a directory named like a file
  fs.writeFileSync(path.join(t, 'binary.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0x6d, 0x61, 0x6c, 0x6c, 0x6f, 0x63]));
  fs.writeFileSync(path.join(t, 'latin1.c'), LATIN1);
  // "huge": 300 KB of real C, over a --max-file-size of 100K (the default limit works the same way at 8M)
  fs.writeFileSync(path.join(t, 'huge.c'), 'static int x;\n'.repeat(22_000) + GOOD);
  fs.symlinkSync('loop-b.c', path.join(t, 'loop-a.c'));
  fs.symlinkSync('loop-a.c', path.join(t, 'loop-b.c'));
  fs.writeFileSync(path.join(base, 'outside.c'), GOOD);
  fs.symlinkSync(path.join('..', 'outside.c'), path.join(t, 'outside-link.c'));
  fs.symlinkSync('good.c', path.join(t, 'inside-link.c')); // a link inside the tree: linted once, not twice
  fs.writeFileSync(path.join(t, 'unreadable.c'), GOOD);
  fs.chmodSync(path.join(t, 'unreadable.c'), 0o000);
  try {
    execFileSync('mkfifo', [path.join(t, 'pipe.c')], { stdio: 'ignore' });
    hasFifo = true;
  } catch {
    hasFifo = false;
  }
  fs.mkdirSync(path.join(base, 'empty'));
  fs.mkdirSync(path.join(base, 'empty', 'sub'));
  fs.writeFileSync(path.join(base, 'empty', 'sub', 'README'), 'no C here\n');

  text = runCli(['t', '--max-file-size', '100K', '-d', 'freebsd'], { cwd: base });
  sarifRun = runCli(['t', '--max-file-size', '100K', '-d', 'freebsd', '-f', 'sarif'], { cwd: base });
  sarif = JSON.parse(sarifRun.stdout);
});

afterAll(() => {
  try {
    fs.chmodSync(path.join(base, 't', 'unreadable.c'), 0o644);
  } catch {
    /* ignore */
  }
  fs.rmSync(base, { recursive: true, force: true });
});

describe('a tree with bad inputs', () => {
  it('still lints the good files: exit 1 with the real findings', () => {
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/^t\/good\.c:6:\d+: error nowait-null-panic: /m);
    expect(text.stdout).toMatch(/^t\/latin1\.c:7:\d+: error nowait-null-deref: /m);
    // the in-tree link is the same file: reported once (as root the chmod 000 file is read too)
    expect(text.stdout.match(/nowait-null-panic/g)?.length).toBe(isRoot ? 2 : 1);
    noStack(text);
    noStack(sarifRun);
  });

  it('never follows a link out of the tree', () => {
    expect(text.stdout).not.toContain('outside');
    expect(stderrLine(text, 't/outside-link.c')).toMatch(/outside the linted tree; skipped/);
    notification('t/outside-link.c');
  });

  it('a directory named foo.c', () => {
    expect(stderrLine(text, 't/foo.c')).toMatch(/is a directory/);
    notification('t/foo.c');
  });

  it('a binary file with NUL bytes', () => {
    expect(stderrLine(text, 't/binary.c')).toMatch(/NUL bytes.*skipped/);
    expect(notification('t/binary.c').level).toBe('warning');
  });

  it('a Latin-1 file: read as Latin-1, its finding reported at the right column', () => {
    expect(stderrLine(text, 't/latin1.c')).toMatch(/not valid UTF-8; read as Latin-1/);
    notification('t/latin1.c');
    const res = sarif.runs[0].results.find((r: any) => r.locations[0].physicalLocation.artifactLocation.uri === 't/latin1.c');
    expect(res.ruleId).toBe('nowait-null-deref');
    expect(res.locations[0].physicalLocation.region).toMatchObject({ startLine: 7, startColumn: 6 });
  });

  it('a file over --max-file-size', () => {
    expect(stderrLine(text, 't/huge.c')).toMatch(/over the .* limit \(--max-file-size\); skipped/);
    notification('t/huge.c');
    expect(text.stdout).not.toContain('huge.c');
    // with the default limit it is linted
    const r = runCli(['t/huge.c', '-q', '-d', 'freebsd'], { cwd: base });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('t/huge.c:22006:');
  });

  it('a symbolic link loop inside the tree', () => {
    for (const f of ['t/loop-a.c', 't/loop-b.c']) {
      expect(stderrLine(text, f)).toMatch(/looping symbolic link \(ELOOP\); skipped/);
      notification(f);
    }
  });

  it('a symbolic link loop given as the path: exit 2, named', () => {
    const r = runCli(['t/loop-a.c'], { cwd: base });
    expect(r.code).toBe(2);
    expect(stderrLine(r, 't/loop-a.c')).toMatch(/error: .*looping symbolic link/);
    noStack(r);
  });

  it('a FIFO named pipe.c (would block a naive reader)', () => {
    if (!hasFifo) {
      console.warn('skipped the FIFO case: mkfifo is not available here');
      return;
    }
    expect(stderrLine(text, 't/pipe.c')).toMatch(/not a regular file.*skipped/);
    notification('t/pipe.c');
  });

  it('an unreadable file (chmod 000)', (ctx) => {
    let r = text;
    if (isRoot) {
      // root reads chmod 000 files: run this case as the unprivileged user nobody (65534)
      fs.chmodSync(base, 0o755);
      try {
        r = runCli(['t', '--max-file-size', '100K', '-d', 'freebsd'], { cwd: base, uid: 65534 });
      } catch (e) {
        ctx.skip(`running as root and cannot switch to an unprivileged user (${(e as Error).message})`);
      }
      if (r.code !== 1 || !r.stdout.includes('t/good.c')) ctx.skip(`running as root and the unprivileged user cannot run the CLI here: ${r.stderr.slice(0, 300)}`);
    }
    expect(stderrLine(r, 't/unreadable.c')).toMatch(/cannot read file: permission denied; skipped/);
    noStack(r);
    const s = isRoot ? JSON.parse(runCli(['t', '--max-file-size', '100K', '-d', 'freebsd', '-f', 'sarif'], { cwd: base, uid: 65534 }).stdout) : sarif;
    const notes = s.runs[0].invocations[0].toolExecutionNotifications as { message: { text: string } }[];
    expect(notes.some((n) => /t\/unreadable\.c: cannot read file: permission denied/.test(n.message.text)), JSON.stringify(notes)).toBe(true);
  });

  it('an empty tree: exit 0 and a warning that nothing was found', () => {
    const r = runCli(['empty'], { cwd: base });
    expect(r.code).toBe(0);
    expect(stderrLine(r, 'empty')).toMatch(/no \.c or \.h files found/);
    expect(r.stderr).toMatch(/0 files, 0 findings/);
    const s = JSON.parse(runCli(['empty', '-f', 'sarif'], { cwd: base }).stdout);
    expect(s.runs[0].results).toEqual([]);
    expect(s.runs[0].invocations[0].toolExecutionNotifications[0].message.text).toMatch(/empty: no \.c or \.h files/);
  });

  it('unknown options and dialects: exit 2, named, no report, no stack trace', () => {
    for (const args of [['--frobnicate'], ['--dialect', 'openbsd'], ['-d', ''], ['--rule', 'nowait-null-pancake'], ['--format']]) {
      const r = runCli([...args, 't'], { cwd: base });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const named = args[args.length - 1] || args[0];
      expect(r.stderr, args.join(' ')).toContain(named);
      noStack(r);
    }
  });

  it('no stack trace in any run', () => {
    for (const r of [text, sarifRun]) noStack(r);
  });
});
