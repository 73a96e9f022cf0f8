import { describe, expect, it } from 'vitest';
import { scanFields } from '../src/summaries/fields';
import { derefParamsOf, summarizeText } from '../src/summaries/extract';
import { FREEBSD } from '../src/model/dialects';
import { assignedBefore } from '../src/text/calltext';
import { lockishNames } from '../src/summaries/locks';
import { definesMbufFn } from '../src/summaries/headroom';

/*
 * The whole-tree pass reads each file by text with hand-written scans that stand for patterns
 * (kept in comments beside them). These pin the edges the scans must keep.
 */
describe('scanFields', () => {
  const text = [
    'static int',
    'foo_attach(struct foo_softc *sc)',
    '{',
    '\tsc->sc_a->x = 1;',
    '\tsc->sc_b->sc_c->sc_d[0] = 0;', // matches on one line do not overlap: sc_c's "->" ends sc_b's
    '\tif (sc->sc_e == NULL)',
    '\t\treturn (0);',
    '\tif (!sc->sc_f->g)',
    '\t\treturn (1);',
    '\treturn (sc -> sc_g\n\t    [1]);', // a dereference does not run over a line end
    '}',
    'int\tfoo_proto(int); /* a declaration, not a header */',
    '{',
    '\tsc->sc_h->y = 2;',
    '}',
    'void',
    'foo_detach(void)',
    '{',
    '\tq->r\t->\ts;\r',
    '\tif (p->sc_i\n\t    && x)', // a test may run over a line end
    '\t\tz = p->sc_j\n\t\t->k;',
    '}',
  ].join('\n');

  it('finds dereferenced members per function and the members tested anywhere', () => {
    const f = scanFields(text);
    expect(f.uses.map((u) => `${u.function}:${u.field}:${u.line}:${u.col}`)).toEqual([
      'foo_attach:sc_a:4:4',
      'foo_attach:sc_b:5:4',
      'foo_attach:sc_d:5:16',
      'foo_attach:sc_f:8:9',
      'foo_attach:sc_h:15:4',
      'foo_detach:r:20:3',
    ]);
    expect(f.tested).toEqual(['sc_e', 'g', 'sc_i']);
  });

  it('reads a text that ends right after a member', () => {
    expect(scanFields('f(void)\n{\n\tx->a->b')).toEqual({ uses: [{ field: 'a', function: 'f', line: 3, col: 3 }], tested: [] });
    expect(scanFields('x->')).toEqual({ uses: [], tested: [] });
  });
});

describe('derefParamsOf', () => {
  const fns = { foo_use: [0] };
  it('reads the 48 characters before each use: a test or a call further back does not count', () => {
    expect(derefParamsOf('if (!p) return; p->x = 1;', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('foo_use(p, 1);', ['p'], fns)).toEqual([0]);
    expect(derefParamsOf('foo_use((struct foo *)p, 1);', ['p'], fns)).toEqual([0]);
    expect(derefParamsOf('foo_use( (int)p, 1);', ['p'], fns)).toEqual([0]);
    expect(derefParamsOf('foo_use(( int)p, 1);', ['p'], fns)).toEqual([]);
    expect(derefParamsOf(`foo_use(${' '.repeat(48)}p, 1);`, ['p'], fns)).toEqual([]);
    expect(derefParamsOf(`*(${' '.repeat(45)}p) = 0;`, ['p'], fns)).toEqual([0]);
    expect(derefParamsOf(`*(${' '.repeat(47)}p) = 0;`, ['p'], fns)).toEqual([]);
    expect(derefParamsOf('p->x = 0; if (NULL != p) return;', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('p->x = 0; if (xNULL != p) return;', ['p'], fns)).toEqual([0]);
    // the window holds all of NULL: a test; a word character just outside it does not count
    expect(derefParamsOf(`p->x = 0; if (NULL${' '.repeat(41)}!= p) return;`, ['p'], fns)).toEqual([]);
    expect(derefParamsOf(`p->x = 0; if (xNULL${' '.repeat(41)}!= p) return;`, ['p'], fns)).toEqual([]);
    expect(derefParamsOf(`p->x = 0; if (xNULL${' '.repeat(40)}!= p) return;`, ['p'], fns)).toEqual([0]);
    expect(derefParamsOf(`p->x = 0; if (NULL${' '.repeat(42)}!= p) return;`, ['p'], fns)).toEqual([0]);
    expect(derefParamsOf('p->x = 0; if (a && p) return;', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('p->x = 0; xif (p) return;', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('p->x = 0; if (p) return;', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('p->x = 0; y = (p | 1);', ['p'], fns)).toEqual([0]);
    // uses at the very end of the text (reads past the end see no character)
    expect(derefParamsOf('(*p', ['p'], fns)).toEqual([0]);
    expect(derefParamsOf('p->x; !p', ['p'], fns)).toEqual([]);
    expect(derefParamsOf('foo_use(p', ['p'], fns)).toEqual([]);
  });
});

describe('assignedBefore', () => {
  it('finds the lvalue before a call even when characters it cannot hold stand further back, or inside brackets', () => {
    expect(assignedBefore('\tsc->buf[i] = (struct foo *)')).toBe('sc->buf[i]');
    expect(assignedBefore('y = g(a); q.r = (')).toBe('q.r');
    expect(assignedBefore('sc->a[0] . b = (int)(')).toBe('sc->a[0] . b');
    // a ";" inside brackets may be part of the lvalue, one inside a cast of the tail too
    expect(assignedBefore('a[i; j] = ')).toBe('a[i; j]');
    expect(assignedBefore('x; p = (x= ) (')).toBe('p');
    expect(assignedBefore('f(a; b) = ')).toBeUndefined();
    expect(assignedBefore('if (x == ')).toBeUndefined();
  });
});

describe('lockishNames', () => {
  it('takes a lock-like name only at a line start or after #define there, with "(" after it', () => {
    const text = [
      '#  define\tFOO_LOCK (sc)\tmtx_lock(&(sc)->mtx)', // blanks before "(", and the call in the body does not count
      'FOO_UNLOCK\n(sc)', // "(" on the next line
      'LOCK(x)', // nothing before the suffix
      '_ASSERT(x)',
      ' BAR_LOCK(sc)', // not at the line start
      '9FOO_LOCK(x)',
      'x\r#define BAZ_LOCK(sc) y', // a carriage return alone does not start a line here
      '#define QUX_LOCK_ASSERT(sc, w) z',
      'static __inline void',
      'BUF_LOCK(struct buf *bp)',
      '#define FOO_WLOCK\tx', // object-like
      '#\tdefine\tfoo_rlock(sc) y',
    ].join('\n');
    expect(lockishNames(text)).toEqual(['FOO_LOCK', 'FOO_UNLOCK', 'QUX_LOCK_ASSERT', 'BUF_LOCK', 'foo_rlock']);
  });
});

describe('summarizeText function headers', () => {
  it('reads K&R parameter declarations, array parameters and (void)', () => {
    const text = [
      'static void *',
      'foo_alloc(sc, how)',
      '\tstruct foo_softc *sc;',
      '\tint how;',
      '{',
      '\treturn (malloc(sizeof(*sc), M_FOO, how));',
      '}',
      '',
      'static int',
      'foo_fill(char buf[8], struct foo_softc *sc)',
      '{',
      '\tsc->sc_len = buf[0];',
      '\treturn (0);',
      '}',
      '',
      'void',
      'foo_die(void)',
      '{',
      '\tpanic("foo");',
      '}',
      '',
    ].join('\n');
    const fns = summarizeText('foo.c', text, FREEBSD, true).functions;
    expect(fns.map((f) => [f.name, f.isStatic, f.arity, f.noReturn, f.derefParams])).toEqual([
      ['foo_alloc', true, 2, false, [0]],
      ['foo_fill', true, 2, false, [0, 1]],
      ['foo_die', false, 0, true, []],
    ]);
    expect(fns[0].returnsAlloc).toEqual({ allocator: 'malloc', flagsParam: 1, family: 'malloc' });
  });
});

describe('definesMbufFn', () => {
  it('finds a line that starts with the type of a function returning an mbuf', () => {
    for (const t of ['struct mbuf *', 'static\nstruct mbuf*', 'static __inline struct  mbuf\t*', 'static\n  struct mbuf *', 'static inline\nstruct mbuf *', 'y\rinline struct mbuf *']) {
      expect(definesMbufFn(t)).toBe(true);
    }
    for (const t of ['  struct mbuf *', 'x static struct mbuf *', 'inline static struct mbuf *', 'xinline struct mbuf *', 'struct mbufq *', 'struct mbuf m;', 'xstruct mbuf *']) {
      expect(definesMbufFn(t)).toBe(false);
    }
  });
});
