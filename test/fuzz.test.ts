import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fg from 'fast-glob';
import { analyzeText } from '../src/analysis/file';
import { DIALECTS } from '../src/model/dialects';
import type { FileResult } from '../src/analysis/types';

/**
 * Fuzz-style robustness: mutated fixtures (truncations, random bytes, deep
 * nesting, unbalanced conditionals, giant macros) must never make
 * analyzeText throw, and what it returns must be well-formed. The seed is
 * fixed, so a failure reproduces; the case name says which mutation failed.
 */

const root = path.join(__dirname, '..', 'fixtures');
const fixtures = fg.sync('**/*.c', { cwd: root }).sort().map((f) => ({ name: f, dialect: f.split('/')[0], text: fs.readFileSync(path.join(root, f), 'latin1') }));

/** mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] };
}

const TRI = ['yes', 'no', 'unknown'];

function checkResult(r: FileResult, text: string, label: string) {
  const nLines = text.split('\n').length;
  expect(Array.isArray(r.sites), label).toBe(true);
  expect(Array.isArray(r.diagnostics), label).toBe(true);
  expect(typeof r.parse.errorNodes, label).toBe('boolean');
  for (const s of r.sites) {
    const where = `${label} at ${s.loc?.line}:${s.loc?.col}`;
    expect(Number.isInteger(s.loc.line) && s.loc.line >= 1 && s.loc.line <= nLines, where).toBe(true);
    expect(Number.isInteger(s.loc.col) && s.loc.col >= 1, where).toBe(true);
    expect(s.loc.endLine > s.loc.line || (s.loc.endLine === s.loc.line && s.loc.endCol >= s.loc.col), where).toBe(true);
    expect(typeof s.function, where).toBe('string');
    expect(typeof s.allocator === 'string' && s.allocator.length > 0, where).toBe(true);
    expect(typeof s.flags, where).toBe('string');
    expect(TRI, where).toContain(s.verdict.canFail);
    expect(TRI, where).toContain(s.verdict.maySleep);
    expect(['ok', 'none', 'both', 'unknown'], where).toContain(s.verdict.waitClass);
    expect(typeof s.lowConfidence, where).toBe('boolean');
    expect(Array.isArray(s.failure.leaks), where).toBe(true);
    for (const rel of [s.failure.deref, s.failure.panic, s.failure.nullTest, ...s.failure.leaks]) {
      if (!rel) continue;
      expect(rel.line >= 1 && rel.line <= nLines, `${where}: related line ${rel.line}`).toBe(true);
      expect(typeof rel.message, where).toBe('string');
    }
    expect(typeof r.lines[s.loc.line], where).toBe('string');
    // the result must survive a structured clone (it crosses worker_threads)
    expect(() => structuredClone(s), where).not.toThrow();
  }
}

function run(text: string, dialect: string, label: string): FileResult {
  let r: FileResult | undefined;
  try {
    r = analyzeText('fuzz.c', text, DIALECTS[dialect]);
  } catch (e) {
    throw new Error(`${label}: analyzeText threw: ${(e as Error).stack}`);
  }
  checkResult(r, text, label);
  return r;
}

const NOISE = ['{', '}', '(', ')', ';', '*', '/*', '*/', '"', "'", '\\', '\n', '#', '#if 0\n', '#endif\n', '#else\n', 'if (', 'else ', 'goto out;', 'return', ' NULL', '==', '!', '->', '\0', '\r', '\xff', '\xe9', 'malloc(', 'M_NOWAIT', 'M_WAITOK', 'free(', 'panic("x");', 'KASSERT(', 'do {', '} while (0)', 'mtx_lock(&m);', 'out:'];

describe('fuzz: mutated fixtures', () => {
  it('has fixtures to mutate', () => expect(fixtures.length).toBeGreaterThan(3));

  it('truncated at random points', () => {
    const r = rng(0x5eed01);
    for (const f of fixtures) {
      for (let k = 0; k < 25; k++) {
        const at = r.int(f.text.length);
        run(f.text.slice(0, at), f.dialect, `${f.name} truncated at ${at}`);
      }
    }
  });

  it('with random bytes and C tokens inserted, and ranges deleted', () => {
    const r = rng(0x5eed02);
    for (const f of fixtures) {
      for (let k = 0; k < 25; k++) {
        let t = f.text;
        const edits: string[] = [];
        for (let e = 0, n = 1 + r.int(8); e < n; e++) {
          const at = r.int(t.length + 1);
          const op = r.int(3);
          if (op === 0) {
            const s = r.pick(NOISE);
            t = t.slice(0, at) + s + t.slice(at);
            edits.push(`+${JSON.stringify(s)}@${at}`);
          } else if (op === 1) {
            const bytes = Array.from({ length: 1 + r.int(16) }, () => String.fromCharCode(r.int(256))).join('');
            t = t.slice(0, at) + bytes + t.slice(at);
            edits.push(`+bytes@${at}`);
          } else {
            const len = r.int(200);
            t = t.slice(0, at) + t.slice(at + len);
            edits.push(`-${len}@${at}`);
          }
        }
        run(t, f.dialect, `${f.name} edited ${edits.join(' ')}`);
      }
    }
  });

  it('with lines shuffled within a function-sized window', () => {
    const r = rng(0x5eed03);
    for (const f of fixtures) {
      for (let k = 0; k < 10; k++) {
        const lines = f.text.split('\n');
        const start = r.int(lines.length);
        const win = lines.slice(start, start + 12);
        for (let i = win.length - 1; i > 0; i--) {
          const j = r.int(i + 1);
          [win[i], win[j]] = [win[j], win[i]];
        }
        lines.splice(start, win.length, ...win);
        run(lines.join('\n'), f.dialect, `${f.name} shuffled lines ${start}..${start + 12}`);
      }
    }
  });

  it('with unbalanced #if/#else/#endif inserted', () => {
    const r = rng(0x5eed04);
    const dirs = ['#if 0', '#ifdef INVARIANTS', '#ifndef _KERNEL', '#elif defined(X)', '#else', '#endif', '#if 1', '# if 0 \\\n  && 1'];
    for (const f of fixtures) {
      for (let k = 0; k < 15; k++) {
        const lines = f.text.split('\n');
        for (let e = 0, n = 1 + r.int(6); e < n; e++) lines.splice(r.int(lines.length + 1), 0, r.pick(dirs));
        run(lines.join('\n'), f.dialect, `${f.name} with directives (case ${k})`);
      }
    }
  });
});

describe('fuzz: pathological shapes', () => {
  const fn = (body: string) => `static void\nf(struct softc *sc)\n{\n\tvoid *p;\n\n${body}\n}\n`;

  it('5000 nested braces around an allocation', () => {
    const n = 5000;
    const res = run(fn('{'.repeat(n) + 'p = malloc(8, M_DEVBUF, M_NOWAIT); *(int *)p = 0;' + '}'.repeat(n)), 'freebsd', 'nested braces');
    expect(res.sites.length).toBeLessThanOrEqual(1);
  });

  it('5000 unclosed braces', () => {
    run(fn('{'.repeat(5000) + 'p = malloc(8, M_DEVBUF, M_NOWAIT);'), 'freebsd', 'unclosed braces');
  });

  it('5000 nested parentheses in the arguments and in a condition', () => {
    const n = 5000;
    // the analysis recurses: a definition this deep is skipped with an error, however much stack the engine has left
    const deep = run(fn(`p = malloc(${'('.repeat(n)}8${')'.repeat(n)}, M_DEVBUF, M_NOWAIT);\n\tif (${'('.repeat(n)}p == NULL${')'.repeat(n)})\n\t\tpanic("x");`), 'freebsd', 'nested parentheses');
    expect(deep.diagnostics.map((d) => d.level + ' ' + d.message)).toEqual([expect.stringMatching(/^error line 1: code nested \d+ levels deep/)]);
    run(fn(`p = malloc(${'('.repeat(n)}8, M_DEVBUF, M_NOWAIT);`), 'freebsd', 'unclosed parentheses');
  });

  it('2000 nested if statements on the failure path', () => {
    const n = 2000;
    run(fn(`p = malloc(8, M_DEVBUF, M_NOWAIT);\n${'if (sc->a) '.repeat(n)}*(int *)p = 1;`), 'freebsd', 'nested if');
    run(fn(`p = malloc(8, M_DEVBUF, M_NOWAIT);\n${'if (sc->a) {\n'.repeat(n)}*(int *)p = 1;${'}\n'.repeat(n)}`), 'freebsd', 'nested if blocks');
  });

  it('a long chain of else-if and of && on one expression', () => {
    run(fn(`p = malloc(8, M_DEVBUF, M_NOWAIT);\nif (p == NULL) return;\n${Array.from({ length: 2000 }, (_, i) => `else if (sc->x == ${i}) sc->y = ${i};`).join('\n')}`), 'freebsd', 'else-if chain');
    // 150 terms, not thousands: the evaluator's cost grows with the square of a &&/|| chain's length
    // (scan() asks truth() of each left operand, which walks the whole left subtree again).
    run(fn(`p = malloc(8, M_DEVBUF, M_NOWAIT);\nif (${Array.from({ length: 150 }, (_, i) => `sc->v${i}`).join(' && ')}) *(int *)p = 1;`), 'freebsd', '&& chain');
  });

  it('many allocations in one function, with gotos', () => {
    const body = Array.from({ length: 300 }, (_, i) => `\tsc->b${i} = malloc(${i + 1}, M_DEVBUF, M_NOWAIT);\n\tif (sc->b${i} == NULL)\n\t\tgoto fail${i % 7};`).join('\n');
    const labels = Array.from({ length: 7 }, (_, i) => `fail${i}:\n\tfree(sc->b0, M_DEVBUF);`).join('\n');
    const res = run(fn(body + '\n\treturn;\n' + labels), 'freebsd', 'many allocations');
    expect(res.sites.length).toBe(300);
  });

  it('a giant macro body with allocations, and a giant macro invocation', () => {
    const macro = '#define BIG(x) do { \\\n' + Array.from({ length: 5000 }, (_, i) => `\tx##${i} = malloc(4, M_DEVBUF, M_NOWAIT); \\`).join('\n') + '\n} while (0)\n';
    run(macro + fn('BIG(sc->q);\n\tp = malloc(8, M_DEVBUF, M_NOWAIT);\n\t*(char *)p = 0;'), 'freebsd', 'giant macro');
    run(fn(`p = MALLOC_WRAP(${Array.from({ length: 20000 }, (_, i) => `a${i}`).join(', ')});\n\tp = malloc(8, M_DEVBUF, M_NOWAIT);`), 'freebsd', 'giant invocation');
  });

  it('a 1 MB line and a file of only newlines, NULs or high bytes', () => {
    run(`int x = ${'1+'.repeat(500_000)}1;\n` + fn('p = malloc(8, M_DEVBUF, M_NOWAIT);'), 'freebsd', '1 MB line');
    run('\n'.repeat(100_000), 'freebsd', 'newlines');
    run('\0'.repeat(10_000) + 'malloc(1, M_TEMP, M_NOWAIT)', 'freebsd', 'NULs');
    run('\xff\xfe'.repeat(10_000) + fn('p = malloc(8, M_DEVBUF, M_NOWAIT);'), 'freebsd', 'high bytes');
    run('', 'freebsd', 'empty');
    run('malloc', 'freebsd', 'one word');
    run('kmalloc(', 'dragonfly', 'unfinished call');
  });

  it('K&R definitions with long parameter lists and no body', () => {
    const params = Array.from({ length: 3000 }, (_, i) => `a${i}`).join(', ');
    const decls = Array.from({ length: 3000 }, (_, i) => `\tint a${i};`).join('\n');
    run(`int\nf(${params})\n${decls}\n{\n\tvoid *p = malloc(8, M_DEVBUF, M_NOWAIT);\n\t*(int *)p = 0;\n}\n`, 'dragonfly', 'K&R long');
    run(`int\nf(${params})\n${decls}\n`, 'dragonfly', 'K&R no body');
    run(`int\nf(a, b)\n${'\tint a;\n'.repeat(20000)}`, 'dragonfly', 'K&R endless declarations');
  });
});
