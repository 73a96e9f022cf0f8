import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model, type FlagValue, type Verdict } from '../src/model/model';
import { DRAGONFLY, FREEBSD } from '../src/model/dialects';
import { applyHeader, evalDefine, readDefines, sniffDialect } from '../src/model/header';
import { chooseDialect } from '../src/model/dialect';
import { analyzeText } from '../src/analysis/file';
import type { DialectModel, FlagFamily } from '../src/model/types';
import { tmpDir } from './helpers/run';

/** The allocator model: verdicts for flag sets in both kernels, and what a tree's own header changes. */

function flagsOf(m: Model, family: FlagFamily, expr: string): FlagValue {
  const names = expr.split('|').map((s) => s.trim()).filter(Boolean);
  let value = 0;
  for (const n of names) {
    const v = /^(0x[0-9a-f]+|\d+)$/i.test(n) ? Number(n) : m.flagValue(family, n);
    if (v === undefined) throw new Error(`test bug: ${n} is not a ${family} flag of ${m.name}`);
    value |= v;
  }
  return { value, names, unknown: [], text: expr };
}

function verdict(d: DialectModel, allocator: string, expr: string): Verdict {
  const m = new Model(d);
  const spec = m.allocators.get(allocator);
  if (!spec) throw new Error(`test bug: no allocator ${allocator} in ${d.name}`);
  return m.verdict(spec, spec.flagsArg === undefined ? undefined : flagsOf(m, spec.family, expr));
}

describe('FreeBSD verdicts', () => {
  it.each([
    ['malloc', 'M_NOWAIT', 'yes', 'no', 'nowait'],
    ['malloc', 'M_NOWAIT | M_ZERO', 'yes', 'no', 'nowait'],
    ['malloc', 'M_WAITOK', 'no', 'yes', 'wait'],
    ['malloc', 'M_WAITOK | M_ZERO', 'no', 'yes', 'wait'],
    ['mallocarray', 'M_WAITOK', 'no', 'yes', 'wait'],
    ['uma_zalloc', 'M_NOWAIT', 'yes', 'no', 'nowait'],
    ['uma_zalloc', 'M_WAITOK', 'no', 'yes', 'wait'],
    ['realloc', 'M_NOWAIT', 'yes', 'no', 'nowait'],
    ['m_get', 'M_NOWAIT', 'yes', 'no', 'nowait'],
    ['m_get', 'M_WAITOK', 'no', 'yes', 'wait'],
    ['m_gethdr', 'M_DONTWAIT', 'yes', 'no', 'nowait'],
    ['m_getcl', 'M_WAIT', 'no', 'yes', 'wait'],
  ])('%s(..., %s): canFail %s, maySleep %s, %s', (alloc, flags, canFail, maySleep, klass) => {
    const v = verdict(FREEBSD, alloc, flags);
    expect(v).toMatchObject({ canFail, maySleep, klass, waitClass: 'ok' });
  });

  it('M_USE_RESERVE is reported as a reserve allocation', () => {
    expect(verdict(FREEBSD, 'malloc', 'M_NOWAIT | M_USE_RESERVE').reserve).toBe('reserve');
    expect(verdict(FREEBSD, 'malloc', 'M_NOWAIT').reserve).toBe('none');
  });

  it('wait class none (M_ZERO alone) and both (M_NOWAIT | M_WAITOK)', () => {
    expect(verdict(FREEBSD, 'malloc', 'M_ZERO')).toMatchObject({ waitClass: 'none', canFail: 'unknown', klass: 'unknown' });
    expect(verdict(FREEBSD, 'malloc', 'M_NOWAIT | M_WAITOK')).toMatchObject({ waitClass: 'both', canFail: 'yes', klass: 'unknown' });
  });

  it('contigmalloc with M_WAITOK may still fail (unknown), with M_NOWAIT can fail', () => {
    expect(verdict(FREEBSD, 'contigmalloc', 'M_WAITOK').canFail).toBe('unknown');
    expect(verdict(FREEBSD, 'contigmalloc', 'M_NOWAIT').canFail).toBe('yes');
    expect(verdict(FREEBSD, 'contigmalloc', 'M_WAITOK').maySleep).toBe('yes');
  });

  it('m_pullup and m_pulldown always may fail (no flags argument)', () => {
    expect(verdict(FREEBSD, 'm_pullup', '')).toMatchObject({ canFail: 'yes', maySleep: 'no' });
    expect(verdict(FREEBSD, 'm_pulldown', '')).toMatchObject({ canFail: 'yes' });
    expect(verdict(DRAGONFLY, 'm_pullup', '')).toMatchObject({ canFail: 'yes' });
  });

  it('flags the model cannot evaluate give unknown verdicts', () => {
    const m = new Model(FREEBSD);
    const spec = m.allocators.get('malloc')!;
    expect(m.verdict(spec, { names: [], unknown: ['flags'], text: 'flags' })).toMatchObject({ canFail: 'unknown', maySleep: 'unknown', waitClass: 'unknown' });
    expect(m.verdict(spec, undefined).canFail).toBe('unknown');
  });

  it('a run-time choice between flag sets can fail when one branch can', () => {
    const m = new Model(FREEBSD);
    const spec = m.allocators.get('malloc')!;
    const choice = (a: string, b: string): FlagValue => ({ names: [], unknown: ['cond'], text: `cond ? ${a} : ${b}`, choice: [flagsOf(m, 'malloc', a), flagsOf(m, 'malloc', b)] });
    expect(m.verdict(spec, choice('M_WAITOK', 'M_NOWAIT')).canFail).toBe('yes');
    expect(m.verdict(spec, choice('M_WAITOK', 'M_WAITOK | M_ZERO')).canFail).toBe('no');
    expect(m.verdict(spec, choice('M_WAITOK', 'M_NOWAIT')).klass).toBe('unknown');
  });
});

describe('DragonFly verdicts', () => {
  it.each([
    ['kmalloc', 'M_NOWAIT', 'yes', 'no', 'nowait', 'reserve'],
    ['kmalloc', 'M_RNOWAIT', 'yes', 'no', 'nowait', 'none'],
    ['kmalloc', 'M_WAITOK', 'no', 'yes', 'wait', 'none'],
    ['kmalloc', 'M_WAITOK | M_NULLOK', 'yes', 'yes', 'wait', 'none'],
    ['kmalloc', 'M_WAITOK | M_ZERO', 'no', 'yes', 'wait', 'none'],
    ['kmalloc', 'M_INTWAIT', 'no', 'yes', 'intwait', 'interrupt-reserve'],
    ['kmalloc', 'M_INTWAIT | M_NULLOK', 'yes', 'yes', 'intwait', 'interrupt-reserve'],
    ['kmalloc', 'M_INTNOWAIT', 'yes', 'no', 'intnowait', 'interrupt-reserve'],
    ['kmalloc', 'M_SYSWAIT', 'no', 'yes', 'wait', 'reserve'],
    ['kmalloc', 'M_SYSNOWAIT', 'yes', 'no', 'nowait', 'reserve'],
    ['krealloc', 'M_WAITOK', 'no', 'yes', 'wait', 'none'],
    ['objcache_get', 'M_WAITOK', 'no', 'yes', 'wait', 'none'],
    ['objcache_get', 'M_WAITOK | M_NULLOK', 'yes', 'yes', 'wait', 'none'],
    ['objcache_get', 'M_NOWAIT', 'yes', 'no', 'nowait', 'reserve'],
    ['malloc', 'M_NOWAIT', 'yes', 'no', 'nowait', 'reserve'],
  ])('%s(..., %s): canFail %s, maySleep %s, %s, %s', (alloc, flags, canFail, maySleep, klass, reserve) => {
    expect(verdict(DRAGONFLY, alloc, flags)).toMatchObject({ canFail, maySleep, klass, reserve, waitClass: 'ok' });
  });

  it('wait class none and both', () => {
    expect(verdict(DRAGONFLY, 'kmalloc', 'M_ZERO').waitClass).toBe('none');
    expect(verdict(DRAGONFLY, 'kmalloc', 'M_NULLOK').waitClass).toBe('none');
    expect(verdict(DRAGONFLY, 'kmalloc', 'M_WAITOK | M_NOWAIT').waitClass).toBe('both');
    expect(verdict(DRAGONFLY, 'kmalloc', 'M_INTWAIT | M_INTNOWAIT').waitClass).toBe('both');
  });

  it('mbufs: M_DONTWAIT can fail; a waiting mbuf allocation is not called safe (2004 code could return NULL)', () => {
    expect(verdict(DRAGONFLY, 'm_get', 'M_DONTWAIT').canFail).toBe('yes');
    expect(verdict(DRAGONFLY, 'm_get', 'MB_DONTWAIT').canFail).toBe('yes');
    expect(verdict(DRAGONFLY, 'm_get', 'MB_WAIT').canFail).toBe('unknown');
  });

  it('mpipe_alloc_nowait can fail; contigmalloc with M_WAITOK is unknown', () => {
    expect(verdict(DRAGONFLY, 'mpipe_alloc_nowait', '').canFail).toBe('yes');
    expect(verdict(DRAGONFLY, 'contigmalloc', 'M_WAITOK').canFail).toBe('unknown');
  });

  it('the m_getm argument order differs between the kernels', () => {
    expect(new Model(FREEBSD).allocators.get('m_getm')!.flagsArg).toBe(2);
    expect(new Model(DRAGONFLY).allocators.get('m_getm')!.flagsArg).toBe(3);
  });
});

describe('readDefines / evalDefine', () => {
  const header = `
/* A comment with #define M_FAKE 0x9999 inside it */
#define	M_RNOWAIT	0x0001		/* do not block */
#define M_WAITOK 0x0002 // wait
#  define M_USE_RESERVE	0x0200	/* a comment
				   over two lines */
#define	M_NULLOK	0x0400U
#define	M_USE_INTERRUPT_RESERVE	\\
	0x1000
#define M_INTNOWAIT	(M_RNOWAIT | \\
			 M_USE_RESERVE | /* mid-line comment */ \\
			 M_USE_INTERRUPT_RESERVE)
#define M_NOWAIT	M_INTNOWAIT
#define M_SHIFTED	(1 << 4)
#define M_MASKED	(0xff & ~0x0f)
#define M_LOOP_A	M_LOOP_B
#define M_LOOP_B	M_LOOP_A
#define M_UNKNOWN	(M_RNOWAIT | SOMETHING_ELSE)
#define M_FUNC(x)	((x) | 1)
#define M_STRING	"text"
#define M_DUP	0x1
#define M_DUP	0x2
#define M_EMPTY
`;
  const defs = readDefines(header);

  it('joins continuation lines and drops comments', () => {
    expect(defs.get('M_RNOWAIT')).toBe('0x0001');
    expect(defs.get('M_WAITOK')).toBe('0x0002');
    expect(defs.get('M_USE_RESERVE')).toBe('0x0200');
    expect(defs.get('M_USE_INTERRUPT_RESERVE')).toBe('0x1000');
    expect(defs.get('M_INTNOWAIT')!.replace(/\s+/g, ' ')).toBe('(M_RNOWAIT | M_USE_RESERVE | M_USE_INTERRUPT_RESERVE)');
    expect(defs.has('M_FAKE')).toBe(false);
  });

  it('skips function-like macros and keeps the first of duplicate definitions', () => {
    expect(defs.has('M_FUNC')).toBe(false);
    // not even under a shortened name (a backtracking regex once defined M_FUN)
    expect([...defs.keys()].filter((k) => k.startsWith('M_FUN'))).toEqual([]);
    expect(defs.get('M_DUP')).toBe('0x1');
  });

  it('evaluates numbers, suffixes, names, | & ~ << and parentheses', () => {
    expect(evalDefine('M_NULLOK', defs)).toBe(0x400);
    expect(evalDefine('M_INTNOWAIT', defs)).toBe(0x1201);
    expect(evalDefine('M_NOWAIT', defs)).toBe(0x1201);
    expect(evalDefine('M_SHIFTED', defs)).toBe(16);
    expect(evalDefine('M_MASKED', defs)).toBe(0xf0);
  });

  it('gives undefined for loops, unknown names, strings, empty bodies and missing names', () => {
    expect(evalDefine('M_LOOP_A', defs)).toBeUndefined();
    expect(evalDefine('M_UNKNOWN', defs)).toBeUndefined();
    expect(evalDefine('M_STRING', defs)).toBeUndefined();
    expect(evalDefine('M_EMPTY', defs)).toBeUndefined();
    expect(evalDefine('M_NOT_THERE', defs)).toBeUndefined();
  });

  it('never runs code from a header', () => {
    const evil = readDefines('#define M_X (globalThis.pwned = 1)\n#define M_Y process.exit(3)\n');
    expect(evalDefine('M_X', evil)).toBeUndefined();
    expect(evalDefine('M_Y', evil)).toBeUndefined();
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });
});

describe('sniffDialect', () => {
  it('DragonFly flags in malloc.h', () => {
    expect(sniffDialect('#define M_RNOWAIT 0x1\n', false).dialect).toBe('dragonfly');
    expect(sniffDialect('#define M_INTWAIT (M_WAITOK)\n', false).dialect).toBe('dragonfly');
    expect(sniffDialect('void *kmalloc(unsigned long, struct malloc_type *, int);\n', false).dialect).toBe('dragonfly');
  });
  it('a $DragonFly$ tag (the 2004 header, before the DragonFly flags)', () => {
    const s = sniffDialect('/* $DragonFly: src/sys/sys/malloc.h,v 1.16 2003/11/03 $ */\n#define M_NOWAIT 0x0001\n', false);
    expect(s.dialect).toBe('dragonfly');
    expect(s.why).toMatch(/DragonFly/);
  });
  it('FreeBSD declarations', () => {
    expect(sniffDialect('void *malloc_domainset(size_t, struct malloc_type *, struct domainset *, int);\n', true).dialect).toBe('freebsd');
    expect(sniffDialect('#define M_NODUMP 0x0800\n', false).dialect).toBe('freebsd');
  });
  it('no header: kmalloc calls mean DragonFly, otherwise FreeBSD', () => {
    expect(sniffDialect(undefined, true).dialect).toBe('dragonfly');
    expect(sniffDialect(undefined, false).dialect).toBe('freebsd');
    expect(sniffDialect('/* nothing useful */', false).dialect).toBe('freebsd');
  });
});

describe("a tree's own header", () => {
  // DragonFly between January 2004 and March 2005: M_NOWAIT = M_INTNOWAIT = 0x1201, no M_NULLOK in it.
  const dfly2004 = `/* $DragonFly$ */
#define	M_RNOWAIT	0x0001
#define	M_WAITOK	0x0002
#define	M_ZERO		0x0100
#define	M_USE_RESERVE	0x0200
#define	M_NULLOK	0x0400
#define	M_USE_INTERRUPT_RESERVE 0x1000
#define	M_INTNOWAIT	(M_RNOWAIT|M_USE_RESERVE|M_USE_INTERRUPT_RESERVE)
#define	M_SYSNOWAIT	(M_RNOWAIT|M_USE_RESERVE)
#define	M_INTWAIT	(M_WAITOK|M_USE_RESERVE|M_USE_INTERRUPT_RESERVE)
#define	M_SYSWAIT	(M_WAITOK|M_USE_RESERVE)
#define	M_NOWAIT	M_INTNOWAIT
#define	M_MAGIC		877983977
`;
  let dir: string;
  beforeAll(() => (dir = tmpDir('model')));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('M_NOWAIT = 0x1201 (2004-2005 DragonFly) still can fail, and does not sleep', () => {
    const d = applyHeader(DRAGONFLY, readDefines(dfly2004), ['malloc', 'objcache'], 'test');
    const m = new Model(d);
    expect(m.flagValue('malloc', 'M_NOWAIT')).toBe(0x1201);
    expect(m.flagValue('malloc', 'M_MAGIC')).toBeUndefined();
    expect(verdict(d, 'kmalloc', 'M_NOWAIT')).toMatchObject({ canFail: 'yes', maySleep: 'no', reserve: 'interrupt-reserve', waitClass: 'ok' });
    expect(verdict(d, 'kmalloc', 'M_INTWAIT').canFail).toBe('no');
    expect(verdict(d, 'kmalloc', 'M_WAITOK | M_NULLOK').canFail).toBe('yes');
  });

  it('an old header where M_WAITOK is 0: M_ZERO alone means "may sleep", never NULL', () => {
    const d = applyHeader(FREEBSD, readDefines('#define M_WAITOK 0x0000\n#define M_NOWAIT 0x0001\n#define M_USE_RESERVE 0x0002\n#define M_ZERO 0x0008\n'), ['malloc'], 'test');
    expect(verdict(d, 'malloc', 'M_WAITOK')).toMatchObject({ canFail: 'no', maySleep: 'yes', waitClass: 'ok' });
    expect(verdict(d, 'malloc', 'M_ZERO')).toMatchObject({ canFail: 'no', waitClass: 'ok' });
    expect(verdict(d, 'malloc', 'M_NOWAIT | M_ZERO').canFail).toBe('yes');
  });

  it('chooseDialect finds sys/sys/malloc.h above the linted path and takes its values', () => {
    fs.mkdirSync(path.join(dir, 'sys', 'sys'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'sys', 'dev', 'foo'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sys', 'sys', 'malloc.h'), dfly2004);
    const c = chooseDialect('auto', [path.join(dir, 'sys', 'dev', 'foo')], () => false);
    expect(c.model.name).toBe('dragonfly');
    expect(c.why).toMatch(/flag values from .*malloc\.h/);
    const m = new Model(c.model);
    expect(m.flagValue('malloc', 'M_NOWAIT')).toBe(0x1201);
    // --dialect wins over the sniffing, the header's values still apply
    const forced = chooseDialect('freebsd', [path.join(dir, 'sys', 'dev', 'foo')], () => true);
    expect(forced.model.name).toBe('freebsd');
    expect(new Model(forced.model).flagValue('malloc', 'M_NOWAIT')).toBe(0x1201);
  });

  it('end to end: flag expressions in code get the header-derived verdicts', () => {
    const d = applyHeader(DRAGONFLY, readDefines(dfly2004), ['malloc', 'objcache'], 'test');
    const src = `static void
f(struct softc *sc)
{
	sc->a = kmalloc(8, M_TEMP, M_NOWAIT);
	sc->b = kmalloc(8, M_TEMP, M_WAITOK | M_NULLOK);
	sc->c = kmalloc(8, M_TEMP, M_INTWAIT);
	sc->d = kmalloc(8, M_TEMP, (M_WAITOK));
	sc->e = kmalloc(8, M_TEMP, sc->flags);
	sc->f = kmalloc(8, M_TEMP, sc->nb ? M_NOWAIT : M_WAITOK);
}
`;
    const r = analyzeText('t.c', src, d);
    const by = Object.fromEntries(r.sites.map((s) => [s.lvalue ?? s.loc.line, s.verdict.canFail]));
    expect(r.sites.map((s) => s.verdict.canFail)).toEqual(['yes', 'yes', 'no', 'no', 'unknown', 'yes']);
    expect(Object.keys(by).length).toBe(6);
  });
});
