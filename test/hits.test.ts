import { describe, expect, it } from 'vitest';
import { analyzeText, defineAt, fileGotoMacros } from '../src/analysis/file';
import { FREEBSD } from '../src/model/dialects';
import { splitKnf } from '../src/text/knf';
import { allDefines, defineFacts, functionMacros } from '../src/text/defines';
import { blankNoise } from '../src/context/textscan';

describe('defineAt', () => {
  const text = [
    '#define\tFOO_ALLOC(p) do {\t\t\\',
    '\t(p) = malloc(8, M_FOO, M_NOWAIT);\t\\',
    '} while (0)',
    'int x = malloc_count(1);',
    '#  define BAR(n) \\\r',
    '\tmalloc((n), M_FOO, M_WAITOK)\r',
    'static int y;',
  ].join('\n');
  const at = (needle: string, nth = 0) => {
    let i = -1;
    for (let k = 0; k <= nth; k++) i = text.indexOf(needle, i + 1);
    return i;
  };

  it('names the macro whose continued lines hold the offset', () => {
    expect(defineAt(text, at('malloc(8'))).toBe('FOO_ALLOC');
    expect(defineAt(text, at('while'))).toBe('FOO_ALLOC');
    expect(defineAt(text, at('malloc((n)'))).toBe('BAR'); // CRLF line ends
  });

  it('says nothing for code after the macro ends', () => {
    expect(defineAt(text, at('malloc_count'))).toBeUndefined();
    expect(defineAt(text, at('static'))).toBeUndefined();
  });
});

describe('allocation calls outside parsed code', () => {
  const file = [
    '/*',
    ' * Callers must not use malloc(9) with M_NOWAIT here.',
    ' */',
    '#define\tFOO_GET(p)\t((p) = malloc(sizeof(*(p)), M_FOO, M_NOWAIT))',
    '#if 0',
    'static void *old = malloc(1, M_FOO, M_NOWAIT);',
    '#endif',
    '',
    'static int',
    'foo_attach(struct foo_softc *sc)',
    '{',
    '\tsc->buf = malloc(64, M_FOO, M_NOWAIT);',
    '\tsc->buf->len = 64;',
    '\treturn (0);',
    '}',
    '',
  ].join('\n');

  it('reads macro bodies by text, skips comments and dropped branches, and parses only the function', () => {
    const r = analyzeText('foo.c', file, FREEBSD);
    const where = r.sites.map((s) => `${s.loc.line}:${s.function}`);
    expect(where).toEqual(['4:macro FOO_GET', '12:foo_attach']);
    expect(r.sites[1].failure.deref?.line).toBe(13);
    expect(r.parse.functions).toBe(1);
    expect(r.parse.errorNodes).toBe(false);
  });

  it('needs no parse when the only calls are in a macro body', () => {
    const r = analyzeText('foo.h', file.split('\n').slice(0, 4).join('\n') + '\n', FREEBSD);
    expect(r.sites.map((s) => s.function)).toEqual(['macro FOO_GET']);
    expect(r.parse.functions).toBe(0);
  });
});

describe('function bounds by text', () => {
  const file = [
    'static int',
    'foo_a(struct foo_softc *sc)',
    '{',
    '\tsc->a = malloc(8, M_FOO, M_NOWAIT);',
    '\tsc->a->n = 1;',
    '\treturn (0);',
    '\t}', // closing brace indented: not KNF
    '',
    'static int foo_b(struct foo_softc *sc) {', // brace on the header line
    '\tsc->b = malloc(8, M_FOO, M_NOWAIT);',
    '\tsc->b->n = 1;',
    '\treturn (0);',
    '}',
    '',
    'static int',
    'foo_c(struct foo_softc *sc)',
    '{',
    '\tif (sc->flags & 1) { /* } in a comment */',
    '\t\tprintf("}");',
    '\t}',
    '\treturn (0);',
    '}',
    '',
  ].join('\n');

  it('ends a function at the brace that balances its "{" when its "}" is indented', () => {
    const fns = splitKnf(blankNoise(file)); // comments and strings blanked, as every caller does
    expect(fns.map((f) => file.slice(f.start, f.end).split('\n')[1])).toEqual(['foo_a(struct foo_softc *sc)', 'foo_c(struct foo_softc *sc)']);
    expect(file.slice(fns[0].start, fns[0].end).trimEnd().endsWith('\t}')).toBe(true);
    expect(fns[1].end).toBe(file.length); // the brace in the comment and the string do not count
  });

  it('parses definitions outside KNF in the gap between KNF functions, and finds every site', () => {
    const r = analyzeText('foo.c', file, FREEBSD);
    expect(r.sites.map((s) => `${s.function}:${s.failure.deref?.line ?? '-'}`)).toEqual(['foo_a:5', 'foo_b:11']);
    expect(r.parse.errorNodes).toBe(false);
  });
});

describe('functionMacros', () => {
  it('joins continuation lines, ignores object-like macros and lines that continue another', () => {
    const text = [
      '#define\tFOO_GET(p, how)\tdo {\t\\',
      '\t(p) = malloc(8, M_FOO, (how));\t\\',
      '#define NOT_A_DEFINE(x) x\t\\',
      '} while (0)',
      '#define FOO_MAX 8',
      '  #  define BAR(a) ((a) + 1)\r',
      'int bar(int);',
    ].join('\n');
    const ms = functionMacros(text);
    expect(ms.map((m) => m.name)).toEqual(['FOO_GET', 'BAR']);
    expect(ms[0].params).toBe('p, how');
    expect(ms[0].body).toBe('do {\t  \t(p) = malloc(8, M_FOO, (how));\t  #define NOT_A_DEFINE(x) x\t  } while (0)');
    expect(ms[1].body).toBe('((a) + 1)');
  });

  it('reads a directive only at a line start (after a newline or a carriage return), not `defined(` or `#undefine`', () => {
    const text = ['#if defined(FOO_A)', '#undefine FOO_B(x) x', 'x #define FOO_C(x) x', '#define FOO_D(x) x\r#\tdefine\tFOO_E(y) y', '#define', 'FOO_F(x) x', '#define 9FOO(x) x'].join('\n');
    expect(functionMacros(text).map((m) => m.name)).toEqual(['FOO_D', 'FOO_E']);
    expect(allDefines('#define FOO_G 1\r\n #define FOO_H(a, b) ((a) + \\\r\n (b))\n#define FOO_I').map((d) => [d.name, d.params, d.body])).toEqual([
      ['FOO_G', undefined, '1'],
      ['FOO_H', 'a, b', '((a) +    (b))'],
      ['FOO_I', undefined, ''],
    ]);
  });

  it('finds each "define" that a name and the word return follow, in a directive or not', () => {
    const text = ['#define FOO_RET\treturn', '#define FOO_RETX returnx', '#define FOO_FN(x) return (x)', '/* # define FOO_CMT return */', '#define FOO_NOT (return)'].join('\n');
    expect(defineFacts(text).returning).toEqual([text.indexOf('define FOO_RET\t'), text.indexOf('define FOO_CMT')]);
  });
});

describe('C names that are special in JavaScript', () => {
  it('a goto macro named __proto__ does not become the prototype of the macro table', () => {
    const gotos = fileGotoMacros('#define __proto__(e) do { error = (e); goto out; } while (0)\n#define senderr(e) do { error = (e); goto bad; } while (0)\n');
    expect(Object.getPrototypeOf(gotos)).toBe(Object.prototype);
    expect(Object.keys(gotos)).toEqual(['senderr']);
  });
});
