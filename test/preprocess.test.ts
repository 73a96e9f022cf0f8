import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getParser } from '../src/analysis/file';
import { preprocess } from '../src/text/preprocess';
import { MACRO_SHAPES, shapeOf } from '../src/text/shapes';
import { runCli, tmpDir } from './helpers/run';

/** FreeBSD idioms tree-sitter-c cannot parse as written, rewritten by shape (src/text/shapes.ts). */

const hasError = (text: string) => getParser().parse(text).rootNode.hasError;

function expectSameLayout(a: string, b: string) {
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) if (a[i] === '\n' || b[i] === '\n') expect(b[i], `offset ${i}`).toBe(a[i]);
}

// each snippet is kernel-style C of our own that tree-sitter-c alone does not parse
const SNIPPETS: Record<string, string> = {
  'attribute after a parameter': 'static int\nfoo_detach(device_t dev __unused, int how __diagused)\n{\n\treturn (0);\n}\n',
  'packed, aligned structure': 'struct foo_hdr {\n\tuint8_t\tfh_type;\n\tuint16_t\tfh_len;\n} __packed __aligned(4);\nint foo_x;\n',
  'static MALLOC_DEFINE': 'static MALLOC_DEFINE(M_FOO, "foo", "foo buffers");\nstatic int foo_y;\n',
  'static SYSCTL_NODE over lines': 'static SYSCTL_NODE(_hw, OID_AUTO, foo, CTLFLAG_RD | CTLFLAG_MPSAFE, 0,\n    "foo driver");\nstatic int foo_z;\n',
  'mtod with a type': 'static void\nfoo_input(struct mbuf *m)\n{\n\tstruct ip *ip;\n\n\tip = mtod(m, struct ip *);\n\tip->ip_len = 0;\n}\n',
  'container_of and offsetof': 'static void\nfoo_task(void *arg)\n{\n\tstruct foo_softc *sc = __containerof(arg, struct foo_softc, sc_task);\n\tsize_t n = __offsetof(struct foo_softc, sc_last);\n}\n',
  'VNET_DEFINE of a queue head': 'VNET_DEFINE_STATIC(LIST_HEAD(, foo_entry), foo_head) = LIST_HEAD_INITIALIZER(foo_head);\nVNET_DEFINE(struct foo_stats *, foo_stats);\nstatic int foo_w;\n',
  'TAILQ_HEAD in a structure': 'struct foo_softc {\n\tTAILQ_HEAD(, foo_req)\tsc_free;\n\tSTAILQ_HEAD(foo_q, foo_req) sc_queued;\n\tint\t\tsc_n;\n};\n',
  'SDT probes with empty arguments': 'SDT_PROVIDER_DECLARE(foo);\nSDT_PROBE_DEFINE2(foo, , , start, "int", "int");\nstatic void\nfoo_start(int a)\n{\n\tSDT_PROBE2(foo, , , start, a, 0);\n}\n',
  'a comparison operator as an argument': 'static int\nfoo_late(struct timeval *a, struct timeval *b)\n{\n\tif (timevalcmp(a, b, <))\n\t\treturn (1);\n\treturn (0);\n}\n',
  'a comment in a multi-line #define': '#define\tFOO_STATS(m)\t\\\n\tm(rx_packets)\t\\\n\t/* errors */\t\\\n\tm(rx_errors)\n\nstatic int foo_v;\n',
  'GNU named variadic macro parameters': '#define\tfoo_printf(sc, fmt, args...)\tdevice_printf((sc)->dev, fmt, ##args)\nstatic int foo_u;\n',
  'GNU named variadic parameters with a blank': '#define\tfoo_dprintf(sc, fmt, args ...)\tdevice_printf((sc)->dev, fmt, ##args)\nstatic int foo_u;\n',
  '__asm __volatile': 'static __inline void\nfoo_barrier(void)\n{\n\t__asm __volatile("" : : : "memory");\n}\n',
  'a lower-case iterator': 'static void\nfoo_flush(struct foo_softc *sc)\n{\n\tstruct foo_req *r;\n\n\tlist_for_each_entry(r, &sc->sc_list, link) {\n\t\tfoo_done(r);\n\t}\n}\n',
  'a calling convention': 'EFI_STATUS EFIAPI\nfoo_entry(void *image)\n{\n\treturn (0);\n}\n',
  'a DDB command': 'DB_SHOW_COMMAND(foo, db_show_foo)\n{\n\tdb_printf("foo\\n");\n}\n',
};

describe('preprocess: FreeBSD macro shapes', () => {
  for (const [what, src] of Object.entries(SNIPPETS)) {
    it(`parses ${what}, every offset kept`, () => {
      expect(hasError(src), 'the snippet must not parse as written').toBe(true);
      const out = preprocess(src);
      expectSameLayout(src, out);
      expect(hasError(out), out).toBe(false);
    });
  }

  it('leaves the names alone in comments, strings and #define lines', () => {
    const src = '#define\t__unused\t__attribute__((__unused__))\n/* mtod(m, struct ip *) (unbalanced */\nstatic const char foo_s[] = "TAILQ_HEAD(, x) __packed";\nstatic int foo_t;\n';
    expect(preprocess(src)).toBe(src);
  });

  it('leaves a function named like an iterator, and a call of one, alone; an iterator tests none of its arguments', () => {
    const def = 'int\nfoo_for_each(int (*fn)(void *), void *arg)\n{\n\treturn (0);\n}\nstatic void\nfoo_all(void)\n{\n\tfoo_for_each(foo_one, NULL);\n}\n';
    expect(preprocess(def)).toBe(def);
    // `while (a, b)` would read as a test of b, the loop variable of some iterators
    expect(preprocess('\tbar_for_each_vbus(vbus, vext) {\n')).toBe('\twhile            (vbus+ vext) {\n');
  });

  it('never blanks past an unbalanced argument list', () => {
    const src = 'int foo_a __aligned(8;\nstatic int\nfoo_b(void)\n{\n\treturn (mtod(m, struct ip *;\n}\n';
    const out = preprocess(src);
    expectSameLayout(src, out);
    expect(out).toContain('foo_b(void)');
    expect(out).toContain('(8;');
  });

  it('keeps the wrapper arguments an analysis reads: mtod keeps its mbuf, the type becomes one identifier', () => {
    const out = preprocess('\tip = mtod(m, struct ip *);\n');
    expect(out).toBe('\tip = mtod(m, ___________);\n');
  });

  it('is driven by the table: every listed name has its shape', () => {
    for (const e of MACRO_SHAPES) for (const n of e.names ?? []) expect(shapeOf(n)).toBe(e.shape);
    expect(shapeOf('SYSCTL_INT')?.kind).toBe('fileScopeCall');
    expect(shapeOf('SDT_PROBE_DEFINE3_XLATE')?.kind).toBe('emptyArgs');
    expect(shapeOf('TAILQ_FOREACH_SAFE')?.kind).toBe('loop');
    expect(shapeOf('foo_bar')).toBeUndefined();
  });
});

describe('files with parse errors: JSON list, --verbose, summary count', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('parse-errors');
    // one file tree-sitter cannot parse cleanly even after the clean-up, one it can
    fs.writeFileSync(path.join(dir, 'bad.c'), 'static int\nfoo_attach(device_t dev)\n{\n\tstruct foo_softc *sc;\n\n\tsc = malloc(sizeof(*sc), M_DEVBUF, M_NOWAIT);\n\tswitch FOO_KIND(sc) {\n\tcase 1:\n\t\tbreak;\n\t}\n\tif (sc == NULL)\n\t\treturn (ENOMEM);\n\treturn (0);\n}\n');
    fs.writeFileSync(path.join(dir, 'good.c'), 'static int\nfoo_probe(device_t dev __unused)\n{\n\tvoid *p;\n\n\tp = malloc(16, M_DEVBUF, M_NOWAIT);\n\tif (p == NULL)\n\t\treturn (ENOMEM);\n\tfree(p, M_DEVBUF);\n\treturn (0);\n}\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists them in JSON with the first error line, and counts them in the summary', () => {
    const r = runCli([dir, '-d', 'freebsd', '-f', 'json', '--no-cache']);
    const j = JSON.parse(r.stdout);
    expect(j.parseErrors).toHaveLength(1);
    expect(j.parseErrors[0].file).toMatch(/bad\.c$/);
    expect(j.parseErrors[0].line).toBe(7);
    expect(j.stats.filesWithParseErrors).toBe(1);
    expect(r.stderr).toMatch(/; 1 file with parse errors \(findings there may be low confidence; --verbose lists them\);/);
    expect(r.stderr).not.toMatch(/good\.c/);
  });

  it('names each with --verbose', () => {
    const r = runCli([dir, '-d', 'freebsd', '--no-cache', '--verbose']);
    expect(r.stderr).toMatch(/bad\.c:7: note: tree-sitter could not parse this code cleanly/);
    expect(r.stderr).not.toMatch(/good\.c/);
    expect(r.stderr).toMatch(/; 1 file with parse errors \(findings there may be low confidence\);/);
  });
});

describe('clean-up: the shaped-name scan in two parts finds what one regex of every name finds', () => {
  it('rewrites a lower-case name whose "(" comes after a comment or a line break, and leaves one with no "(" alone', () => {
    const src = 'static void\nfoo_input(struct mbuf *m)\n{\n\tstruct ip *ip;\n\n\tip = mtod /* the header */ (m, struct ip *);\n\tip = mtod\n\t    (m, struct ip *);\n\tfoo_mtod = mtod;\n}\n';
    const out = preprocess(src);
    expectSameLayout(src, out);
    expect(out.match(/_{11}/g)?.length).toBe(2);
    expect(out).toContain('foo_mtod = mtod;');
    expect(hasError(out)).toBe(false);
  });

  it('on random text: every hit of SHAPE_NAMES but names that need arguments with no "(" after them', async () => {
    const { SHAPE_NAMES } = await import('../src/text/shapes');
    const { SHAPE_SCAN, calledShapeHits } = await import('../src/text/preprocess');
    const { blankNoise } = await import('../src/context/textscan');
    const { isSpace } = await import('../src/text/calltext');
    const names = MACRO_SHAPES.flatMap((e) => e.names ?? []);
    const words = [
      ...names, ...names.map((n) => `${n}x`), ...names.map((n) => `_${n}`), ...names.map((n) => n.toUpperCase()),
      'SYSCTL_INT', 'SYSCTL_', 'SDT_PROBE2', 'TAILQ_FOREACH_SAFE', 'FOREACH', 'list_for_each_entry', 'for_each_pipe', 'for_each_', 'afor_eachb', 'a_for_each_b', 'x_for_each', 'Xfor_each_y', 'foo',
    ];
    const seps = [' ', '\t', '\n', '(', '(', '(', ')', ',', ';', '/* c */', '"s"', '// c\n', '\xe9', '\xa0', '#define X ', '\\\n', '->', '.'];
    let seed = 12345;
    // mulberry32
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const calledWord = (w: string) => SHAPE_SCAN.calledNames.has(w) || SHAPE_SCAN.calledPatterns.some((p) => p.re.test(w));
    for (let t = 0; t < 400; t++) {
      let src = '';
      for (let k = 0; k < 60; k++) src += rnd(3) ? seps[rnd(seps.length)] : words[rnd(words.length)];
      const code = blankNoise(src);
      const after = (e: number) => {
        while (e < code.length && isSpace(code.charCodeAt(e))) e++;
        return code[e];
      };
      const want: number[] = [];
      for (const m of src.matchAll(new RegExp(SHAPE_NAMES.source, 'g'))) {
        // a name whose shape needs arguments only counts where code (not a comment or a string) has it and "(" follows
        if (calledWord(m[0]) && (code.charCodeAt(m.index) === 32 || after(m.index + m[0].length) !== '(')) continue;
        want.push(m.index);
      }
      const got = new Set<number>();
      for (const m of src.matchAll(new RegExp(SHAPE_SCAN.plain.source, 'g'))) got.add(m.index);
      const low = calledShapeHits(code);
      for (let i = 0; i < low.length; i += 2) got.add(low[i]);
      const gotList = [...got].sort((a, b) => a - b);
      expect(gotList, JSON.stringify(src)).toEqual(want);
    }
  });
});

describe('clean-up: #if branches read from one directive to the next', () => {
  // the line-by-line walk it replaces, as the reference
  const DIRECTIVE = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/;
  function byLines(src: string): string {
    const b = Buffer.from(src, 'latin1');
    const blank = (from: number, to: number) => {
      for (let i = from; i < to; i++) if (src.charCodeAt(i) !== 10) b[i] = 32;
    };
    const stack: { parentKeep: boolean; taken: boolean; keep: boolean }[] = [];
    let keep = true;
    let pos = 0;
    while (pos < src.length) {
      let end = src.indexOf('\n', pos);
      if (end < 0) end = src.length;
      let lineEnd = end;
      const first = src.slice(pos, Math.min(end, pos + 64));
      const m = first.length && (first.charCodeAt(0) === 35 || first.trimStart().startsWith('#')) ? DIRECTIVE.exec(first) : null;
      if (m) {
        while (lineEnd > 0 && src.charCodeAt(lineEnd - 1) === 92 && lineEnd < src.length) {
          const nx = src.indexOf('\n', lineEnd + 1);
          lineEnd = nx < 0 ? src.length : nx;
        }
        const kw = m[1];
        const isZero = /^\s*0\s*(\/[*/].*)?$/.test(src.slice(pos + m[0].length, lineEnd));
        if (kw === 'if' || kw === 'ifdef' || kw === 'ifndef') {
          const k = keep && !(kw === 'if' && isZero);
          stack.push({ parentKeep: keep, taken: k, keep: k });
          keep = k;
        } else if (kw === 'elif' || kw === 'else') {
          const f = stack[stack.length - 1];
          if (f) {
            const k = f.parentKeep && !f.taken && !(kw === 'elif' && isZero);
            f.keep = k;
            if (k) f.taken = true;
            keep = k;
          }
        } else if (kw === 'endif') keep = stack.pop()?.parentKeep ?? true;
        blank(pos, lineEnd);
      } else if (!keep) blank(pos, end);
      pos = lineEnd + 1;
    }
    return b.toString('latin1');
  }

  it('keeps and blanks what the line-by-line walk did, on random text', async () => {
    const { keepBranches } = await import('../src/text/preprocess');
    const parts = ['#if 0', '#if 1', '#ifdef X', ' #  ifndef Y', '#else', '#elif 0', '#elif 1', '#endif', '\t#endif /* X */', '#define A(x) \\', '#include <x.h>', 'x = 1;', 'a # b', '##', '\\', '\\\n#if 0', ' '.repeat(70) + '#if 0', '\xa0#else', '\r#endif', '/* c */', 'int y;'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    for (let t = 0; t < 500; t++) {
      let src = '';
      for (let k = 0; k < 30; k++) src += parts[rnd(parts.length)] + (rnd(4) ? '\n' : rnd(2) ? ' ' : '');
      let out: Buffer | undefined;
      keepBranches(src, () => (out ??= Buffer.from(src, 'latin1')));
      expect(out ? out.toString('latin1') : src, JSON.stringify(src)).toBe(byLines(src));
    }
  });
});

describe('clean-up: K&R declarations found from each "{" in column 0', () => {
  // the walk down every line it replaces, as the reference (on text with no #if and no shaped name)
  function byLines(text: string): string {
    const b = Buffer.from(text, 'latin1');
    const lines: [number, number][] = [];
    for (let p = 0; p <= text.length; ) {
      let e = text.indexOf('\n', p);
      if (e < 0) e = text.length;
      lines.push([p, e]);
      p = e + 1;
    }
    for (let i = 0; i < lines.length - 2; i++) {
      const head = text.slice(lines[i][0], lines[i][1]).replace(/\/\*.*?\*\/|\s+$/g, '');
      if (!head.endsWith(')') || /;\s*$/.test(head)) continue;
      let j = i + 1;
      while (j < lines.length) {
        const l = text.slice(lines[j][0], lines[j][1]).replace(/\/\*.*?\*\//g, '').trim();
        if (!l || !l.endsWith(';') || /[{}#=]/.test(l) || !/^[A-Za-z_]/.test(l)) break;
        j++;
      }
      if (j === i + 1 || j >= lines.length || text.charCodeAt(lines[j][0]) !== 123) continue;
      for (let k = lines[i + 1][0]; k < lines[j - 1][1]; k++) if (text.charCodeAt(k) !== 10) b[k] = 32;
      i = j;
    }
    return b.toString('latin1');
  }

  it('blanks what the walk down every line blanked, on random text', () => {
    const parts = ['foo(a, b)', 'foo(a) /* x */', 'int a;', '\tchar *b;', 'int c; /* y */', 'struct s *p;', '{', '{ f(x)', '}', '', ' ', 'x = 1;', 'int d = 2;', 'bar()', '\t', ';', 'a)', 'b);', '{}'];
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    for (let t = 0; t < 800; t++) {
      let src = rnd(4) ? '' : '\n';
      for (let k = 0; k < 25; k++) src += parts[rnd(parts.length)] + (rnd(6) ? '\n' : '');
      expect(preprocess(src), JSON.stringify(src)).toBe(byLines(src));
    }
  });
});
