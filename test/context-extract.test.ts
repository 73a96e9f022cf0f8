import { describe, expect, it } from 'vitest';
import { extractContext } from '../src/context/extract';
import { Model } from '../src/model/model';
import { FREEBSD } from '../src/model/dialects';

/**
 * The per-file context extraction (src/context/extract.ts) on small files of our own: the
 * lines it gives, and the file-scope registrations, where its fast paths must not change them.
 */

const model = new Model(FREEBSD);
const lineOfText = (text: string, s: string, from = 0) => text.slice(0, text.indexOf(s, from)).split('\n').length;

describe('extractContext: lines', () => {
  // a KNF function, then a function the KNF splitter does not see (its "{" ends the header line),
  // then another KNF one: the loose definition is read after the KNF ones, so lines are asked out of order
  const text = [
    '/* a comment */',
    'static void',
    'foo_tick(void *arg)',
    '{',
    '\tstruct foo_softc *sc = arg;',
    '',
    '\tfoo_poll(sc);',
    '\t(*sc->sc_hook)(sc);',
    '\t(*foo_hook)(sc);',
    '\tsc->sc_ifp->if_start = foo_start;',
    '\tfoo_done(sc);',
    '}',
    '',
    'static int foo_loose(int x) {',
    '\tfoo_poll(NULL);',
    '\treturn (x);',
    '}',
    '',
    'static void',
    'foo_last(void)',
    '{',
    '',
    '\tfoo_poll(NULL);',
    '}',
    '',
  ].join('\n');

  it('gives the line of every function, call and registration, whatever order they are read in', () => {
    const fc = extractContext('foo.c', text, model);
    const fn = (n: string) => fc.fns.find((f) => f.name === n)!;
    expect(fn('foo_tick').line).toBe(lineOfText(text, 'static void'));
    expect(fn('foo_last').line).toBe(lineOfText(text, 'static void', text.indexOf('foo_loose')));
    expect(fn('foo_loose').line).toBe(lineOfText(text, 'static int foo_loose'));
    const calls = fn('foo_tick').calls.map((c) => `${c.name}:${c.line}`);
    expect(calls).toEqual([
      `foo_poll:${lineOfText(text, 'foo_poll(sc)')}`,
      `foo_done:${lineOfText(text, 'foo_done(sc)')}`,
      // calls through a pointer are read after the others: a line before them
      `foo_hook:${lineOfText(text, '(*foo_hook)')}`,
    ]);
    expect(fn('foo_loose').calls.map((c) => c.line)).toEqual([lineOfText(text, 'foo_poll(NULL)')]);
    expect(fn('foo_last').calls.map((c) => c.line)).toEqual([lineOfText(text, 'foo_poll(NULL)', text.indexOf('foo_last'))]);
    const reg = fc.registrations.find((r) => r.fn === 'foo_start');
    expect(reg?.line).toBe(lineOfText(text, 'if_start'));
  });
});

describe('extractContext: file-scope registrations', () => {
  it('reads every registering macro the file names, in the same order, also when one name runs into another', () => {
    const text = [
      'static device_method_t foo_methods[] = {',
      '\tDEVMETHOD(device_attach, foo_attach),',
      '\tDEVMETHOD_END',
      '};',
      '/* DEVMETHODRIVER_MODULE is no macro; the real one follows */',
      'DRIVER_MODULE(foo, pci, foo_driver, foo_devclass, foo_modevent, NULL);',
      'SYSINIT(foo, SI_SUB_DRIVERS, SI_ORDER_ANY, foo_boot, NULL);',
      'static moduledata_t foo_mod = { "foo", foo_load, NULL };',
      '',
    ].join('\n');
    const fc = extractContext('foo.c', text, model);
    expect(fc.registrations.map((r) => `${r.fn}:${r.via}:${r.line}`)).toEqual([
      'foo_attach:DEVMETHOD(device_attach):2',
      'foo_boot:SYSINIT():7',
      'foo_load:moduledata_t (MOD_LOAD):8',
      'foo_modevent:DRIVER_MODULE() event handler:6',
    ]);
  });

  it('reads none where the file names none', () => {
    const text = 'static int\nfoo_probe(void)\n{\n\n\treturn (0);\n}\n';
    expect(extractContext('foo.c', text, model).registrations).toEqual([]);
  });
});

describe('extractContext: fast paths read as the patterns they replace', () => {
  it('assignedIdent reads what /=\\s*&?\\s*([A-Za-z_]\\w*)\\s*;/y reads, blanks beyond Latin-1 too', async () => {
    const { assignedIdent } = await import('../src/context/extract');
    const re = /=\s*&?\s*([A-Za-z_]\w*)\s*;/y;
    const cases = ['= fn;', '=fn ;', '= &fn;', '= & fn\n;', '=\u00a0fn\u2003;', '= 1fn;', '= fn', '= fn(x);', '== fn;', '= &;', '= _f9 ;', '=\tfoo_bar\t;', '= a.b;', '= &&fn;', '=\ufeff&\u3000fn;'];
    for (const c of cases) {
      re.lastIndex = 0;
      expect(assignedIdent(c, 0), JSON.stringify(c)).toBe(re.exec(c)?.[1]);
    }
  });

  it('waitArms: a test with blanks inside its word counts only where the body names a word without them', async () => {
    const { waitArms } = await import('../src/context/sites');
    // the test reads the condition without blanks; the body must still name sleep, wait or block as such
    const spaced = '{\n\tif (can_s leep)\n\t\tfoo();\n}\n';
    expect(waitArms(spaced, 0)).toEqual([]);
    const named = '{\n\tif (can_s leep)\n\t\tfoo();\n\tbar_wait();\n}\n';
    const arms = waitArms(named, 100);
    expect(arms.length).toBe(1);
    expect(named.slice(arms[0][0] - 100, arms[0][1] - 100)).toBe('foo();');
    // a word outside the condition does not make it a test of waiting
    expect(waitArms('{\n\tif (x)\n\t\tfoo_wait();\n}\n', 0)).toEqual([]);
    expect(waitArms('{\n\tif (how & M_WAITOK)\n\t\tfoo();\n}\n', 0).length).toBe(1);
  });
});

describe('extractContext: literalsAt', () => {
  it('finds every place of every literal in one pass, where one starts another or two overlap', async () => {
    const { literalsAt } = await import('../src/context/extract');
    const text = 'a unlock_cb (*(*x) UNLOCK _init_init unlock';
    const at = literalsAt(text, ['unlock', 'unlock_cb', '(*', '_init', 'k_c', 'UNLOCK']);
    const naive = (l: string) => [...text.matchAll(new RegExp(l.replace(/[()*]/g, '\\$&'), 'g'))].map((m) => m.index);
    for (const l of ['unlock', 'unlock_cb', '(*', '_init', 'UNLOCK']) expect(at.get(l), l).toEqual(naive(l));
    // overlapping: 'k_c' inside 'unlock_cb' while 'unlock' is found at the same word
    expect(at.get('k_c')).toEqual([text.indexOf('k_c')]);
  });
});
