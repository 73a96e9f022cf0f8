/**
 * npm run bench -- [PATH] [--jobs N]
 *
 * Measures, each in its own child process (so peak RSS is per run, read from
 * process.resourceUsage().maxRSS in the child):
 *   - bare: a single-threaded tree-sitter parse of every .c file under PATH
 *     (latin1 text, no preprocessing, the event loop turned between files so
 *     native trees are freed);
 *   - lint without cache, --jobs 1 and --jobs 2;
 *   - lint with a fresh cache (cold), again (warm);
 *   - on a temporary copy of the tree: a run whose cache knows the contents
 *     but not the paths (hash only), warm, and after one file was changed.
 * With no PATH, a synthetic kernel-style tree is generated from fixtures/.
 *
 * npm run bench -- --verdicts ROOT --tree NAME: precision per rule from the
 * judged findings in bench/verdicts/NAME.jsonl (see verdicts.ts).
 *
 * npm run bench -- --freebsd-sample DIR [--from CHECKOUT]: check (or rebuild from a
 * checkout) the FreeBSD sample listed in bench/freebsd-sample.json (see sample.ts).
 *
 * npm run bench -- --leak-history GITDIR [--scratch DIR]: recall of nowait-null-leak on the
 * leaking failure paths listed in bench/leak-history.tsv (see leak-history.ts).
 *
 * npm run bench -- --jit PATH [--jobs N] [--top K]: how much V8's optimising compiler costs in a
 * lint run, per function (see jit.ts).
 *
 * npm run bench -- --parse-errors DIR [--list]: files and bytes whose cleaned-up text
 * tree-sitter cannot parse (see parse-errors.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fg from 'fast-glob';
import { RACY_MS } from '../src/cache/statindex';
import { jitMain } from './jit';
import { leakHistoryMain } from './leak-history';
import { parseErrorsMain } from './parse-errors';
import { sampleMain } from './sample';
import { verdictsMain } from './verdicts';

interface Measure {
  files: number;
  bytes: number;
  wallMs: number;
  cpuMs: number;
  maxRssKB: number;
  note?: string;
}

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function childBare(dir: string): Promise<Measure> {
  const Parser = require('tree-sitter');
  const C = require('tree-sitter-c');
  const files = (await fg('**/*.c', { cwd: dir, absolute: true, followSymbolicLinks: false, ignore: ['**/.git/**'] })).sort();
  const t0 = Date.now();
  const c0 = cpuMs();
  const parser = new Parser();
  parser.setLanguage(C);
  let bytes = 0;
  for (const f of files) {
    const text = fs.readFileSync(f, 'latin1');
    bytes += text.length;
    parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length + 1) });
    await new Promise((r) => setImmediate(r));
  }
  return { files: files.length, bytes, wallMs: Date.now() - t0, cpuMs: cpuMs() - c0, maxRssKB: process.resourceUsage().maxRSS };
}

async function childLint(args: string[]): Promise<Measure> {
  const { main } = require(path.join(ROOT, 'dist', 'src', 'cli.js')) as typeof import('../src/cli');
  let err = '';
  const sink = { write: () => true } as unknown as NodeJS.WriteStream;
  const errSink = { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
  const t0 = Date.now();
  const c0 = cpuMs();
  const code = await main([...args, '-f', 'json'], { stdout: sink, stderr: errSink } as unknown as Parameters<typeof main>[1]);
  const wallMs = Date.now() - t0;
  // the summary line (`kmalloc-lint: N files, ...; K of N files from cache`), not a note that counts files
  const m = /^kmalloc-lint: (\d+) files?,.*?(?:; (\d+) of \d+ files? from cache)?$/m.exec(err);
  if (code === 2) throw new Error(`lint failed: ${err}`);
  return { files: m ? Number(m[1]) : 0, bytes: 0, wallMs, cpuMs: cpuMs() - c0, maxRssKB: process.resourceUsage().maxRSS, note: m?.[2] ? `${m[2]} from cache` : undefined };
}

function run(kind: 'bare' | 'lint', args: string[], env: NodeJS.ProcessEnv = {}): Measure {
  const r = spawnSync(process.execPath, [__filename, '--child', kind, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`child ${kind} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(last) as Measure;
}

/** A kernel-style tree: many copies of the fixtures, functions renamed per copy, under sys/. */
function synthTree(copies: number): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kmalloc-lint-bench-'));
  const sys = path.join(base, 'sys');
  const fixtures = fg.sync('**/*.c', { cwd: path.join(ROOT, 'fixtures'), absolute: true }).sort();
  const texts = fixtures.map((f) => fs.readFileSync(f, 'latin1'));
  for (let i = 0; i < copies; i++) {
    const dir = path.join(sys, `dev${Math.floor(i / 50)}`, `drv${i}`);
    fs.mkdirSync(dir, { recursive: true });
    texts.forEach((t, k) => {
      // rename every function defined at the start of a line
      const renamed = t.replace(/^([a-z_][a-z0-9_]*)(\s*\()/gm, `$1_${i}$2`);
      fs.writeFileSync(path.join(dir, `${path.basename(fixtures[k], '.c')}_${i}.c`), renamed);
      // and a file without any allocation, like most of a kernel
      if (k === 0) fs.writeFileSync(path.join(dir, `plain_${i}.c`), `/* plain */\nstatic int\nplain_${i}(int a)\n{\n\treturn (a + ${i});\n}\n`.repeat(20));
    });
  }
  return sys;
}

function fmt(name: string, m: Measure, bare: Measure): string {
  const mb = m.bytes ? `${(m.bytes / 1048576).toFixed(1)} MB` : '';
  return [
    name.padEnd(26),
    String(m.files).padStart(6),
    mb.padStart(9),
    `${(m.wallMs / 1000).toFixed(2)} s`.padStart(9),
    `${(m.cpuMs / 1000).toFixed(2)} s`.padStart(9),
    `${(m.maxRssKB / 1024).toFixed(0)} MB`.padStart(8),
    `${(m.wallMs / bare.wallMs).toFixed(3)}x`.padStart(8),
    `${(m.cpuMs / bare.cpuMs).toFixed(3)}x`.padStart(8),
    m.note ? `  ${m.note}` : '',
  ].join(' ');
}

async function parent(argv: string[]): Promise<void> {
  let target = argv.find((a) => !a.startsWith('-'));
  const temps: string[] = [];
  if (!target) {
    target = synthTree(400);
    temps.push(path.dirname(target));
    process.stdout.write(`synthetic tree: ${target}\n`);
  }
  target = path.resolve(target);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmalloc-lint-bench-cache-'));
  temps.push(cacheDir);
  const copyBase = fs.mkdtempSync(path.join(os.tmpdir(), 'kmalloc-lint-bench-copy-'));
  temps.push(copyBase);
  const rows: [string, Measure][] = [];
  const header = `${'run'.padEnd(26)} ${'files'.padStart(6)} ${'size'.padStart(9)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)} ${'peakRSS'.padStart(8)} ${'wall/bare'.padStart(8)} ${'cpu/bare'.padStart(8)}`;
  try {
    const bare = run('bare', [target]);
    const say = (name: string, m: Measure) => {
      rows.push([name, m]);
      process.stdout.write(fmt(name, m, bare) + '\n');
    };
    process.stdout.write(`tree: ${target}\n${header}\n`);
    say('bare parse (.c, 1 thread)', bare);
    say('lint --no-cache -j1', run('lint', [target, '--no-cache', '-j', '1']));
    say('lint --no-cache -j2', run('lint', [target, '--no-cache', '-j', '2']));
    say('lint cold cache', run('lint', [target, '--cache-dir', cacheDir]));
    say('lint warm cache', run('lint', [target, '--cache-dir', cacheDir]));
    // one file changed: on a copy of the tree, never the tree itself
    const copy = path.join(copyBase, path.basename(target));
    fs.cpSync(target, copy, { recursive: true, verbatimSymlinks: true });
    // files changed in the last RACY_MS are always re-hashed; let the copy age past that, as a checked-out tree would be
    await new Promise((r) => setTimeout(r, RACY_MS + 500));
    say('copy: contents known', run('lint', [copy, '--cache-dir', cacheDir]));
    say('copy: warm', run('lint', [copy, '--cache-dir', cacheDir]));
    const victims = fg.sync('**/*.c', { cwd: copy, absolute: true }).sort();
    const victim = victims.find((f) => /\b(k?malloc|MALLOC)\s*\(/.test(fs.readFileSync(f, 'latin1'))) ?? victims[0];
    fs.appendFileSync(victim, '\n/* changed by the bench */\n');
    say('copy: one file changed', run('lint', [copy, '--cache-dir', cacheDir]));
  } finally {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--verdicts')) return verdictsMain(argv);
  if (argv.includes('--leak-history')) {
    process.exitCode = leakHistoryMain(argv);
    return;
  }
  if (argv.includes('--jit')) {
    process.exitCode = jitMain(argv);
    return;
  }
  if (argv.includes('--parse-errors')) {
    process.exitCode = parseErrorsMain(argv);
    return;
  }
  if (argv.includes('--freebsd-sample')) {
    process.exitCode = sampleMain(argv);
    return;
  }
  if (argv[0] === '--child') {
    const m = argv[1] === 'bare' ? await childBare(argv[2]) : await childLint(argv.slice(2));
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  await parent(argv);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 2;
});
