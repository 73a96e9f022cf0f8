/**
 * npm run bench -- --jit PATH [--jobs N] [--top K]
 *
 * What V8's optimising compiler costs in a lint run: runs the CLI on PATH (no cache) under
 * `node --trace-opt`, and sums the compile times V8 reports ("completed compiling ... took
 * A, B, C ms") over every thread, per function: how often each was compiled and how long it
 * took in all. A function compiled many times is thrown away and rebuilt each time a file takes
 * a branch its optimised code had not seen; those recompiles run on V8's background threads and
 * compete with the workers for the CPU. The total is a figure to compare between builds, beside
 * the wall and CPU times of `npm run bench -- PATH`.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface JitCost {
  name: string;
  compiles: number;
  ms: number;
}

/** Per-function compile counts and times from `--trace-opt` output, most expensive first. */
export function jitCosts(trace: string): JitCost[] {
  const by = new Map<string, JitCost>();
  for (const m of trace.matchAll(/^\[completed compiling 0x[0-9a-f]+ <JSFunction (\S*)[^\n]*? took ([\d.]+), ([\d.]+), ([\d.]+) ms\]$/gm)) {
    const name = !m[1] || m[1].startsWith('(') ? '(anonymous)' : m[1];
    const ms = Number(m[2]) + Number(m[3]) + Number(m[4]);
    const c = by.get(name);
    if (c) {
      c.compiles++;
      c.ms += ms;
    } else by.set(name, { name, compiles: 1, ms });
  }
  return [...by.values()].sort((a, b) => b.ms - a.ms || (a.name < b.name ? -1 : 1));
}

export function jitMain(argv: string[]): number {
  const i = argv.indexOf('--jit');
  const target = argv[i + 1];
  if (!target || target.startsWith('-')) {
    console.error('usage: npm run bench -- --jit PATH [--jobs N] [--top K]');
    return 2;
  }
  const opt = (name: string, dflt: number) => {
    const k = argv.indexOf(name);
    const v = k >= 0 ? Number(argv[k + 1]) : dflt;
    return Number.isInteger(v) && v > 0 ? v : dflt;
  };
  const cli = path.join(__dirname, '..', 'src', 'cli.js');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--trace-opt', cli, target, '--no-cache', '-q', '-f', 'json', '-o', '/dev/null', '-j', String(opt('--jobs', 1))], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (Date.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) {
    console.error(`the lint run failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return 2;
  }
  const costs = jitCosts(r.stdout);
  const total = costs.reduce((s, c) => s + c.ms, 0);
  const compiles = costs.reduce((s, c) => s + c.compiles, 0);
  console.log(`${target}: run ${wall.toFixed(1)} s (with tracing); ${compiles} optimised compiles, ${(total / 1000).toFixed(2)} s of compiler time`);
  console.log('function                          compiles   total ms');
  for (const c of costs.slice(0, opt('--top', 15))) console.log(`${c.name.padEnd(34)}${String(c.compiles).padStart(8)}${c.ms.toFixed(0).padStart(11)}`);
  return 0;
}
