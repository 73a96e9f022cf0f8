import { describe, expect, it } from 'vitest';
import { Model } from '../src/model/model';
import { DRAGONFLY, FREEBSD } from '../src/model/dialects';
import { exitDefsOf, resolveExitDefs } from '../src/summaries/exits';
import { headroomFnsOf, resolveHeadroom } from '../src/summaries/headroom';
import { roomHolds } from '../src/analysis/pathfacts';

/** Path facts and the whole-tree facts behind them: exit macros, reserved headroom, allocator flag contracts. */

const noReturn = new Set(['panic']);

describe('exit macros', () => {
  it('is an exit when every #if branch returns, following a macro of the same file', () => {
    const h = [
      '#ifdef DEBUG_OUT',
      '#define QQ_LEAVE(v) \\',
      '\tdo { \\',
      '\t\tqq_trace(__LINE__); \\',
      '\t\treturn (v); \\',
      '\t} while (0)',
      '#define qq_void do { qq_trace(0); return; } while (0)',
      '#define qq_status(s) QQ_LEAVE(s)',
      '#else',
      '#define qq_void return',
      '#define qq_status(s) return (s)',
      '#endif',
      '#define QQ_MAYBE(x) do { if (x) return; } while (0)',
      '#ifdef STRICT',
      '#define QQ_SOMETIMES return',
      '#else',
      '#define QQ_SOMETIMES qq_note()',
      '#endif',
      '#define QQ_DIE(m) panic(m)',
      '#define QQ_OUT goto out',
    ].join('\n');
    const defs = Object.fromEntries(exitDefsOf(h, noReturn).map((d) => [d.name, d]));
    expect(defs.qq_void).toMatchObject({ kind: 'return', call: false });
    expect(defs.qq_status).toMatchObject({ kind: 'return', call: true });
    expect(defs.QQ_SOMETIMES?.kind).toBe('none');
    expect(defs.QQ_MAYBE?.kind ?? 'none').toBe('none');
    expect(defs.QQ_DIE).toMatchObject({ kind: 'noreturn', call: true });
    expect(defs.QQ_OUT).toMatchObject({ kind: 'goto', label: 'out' });
    const r = resolveExitDefs([{ exitDefs: Object.values(defs) }]);
    expect(r.exits).toEqual(['QQ_LEAVE', 'qq_status', 'qq_void']);
    expect(r.noReturn).toEqual(['QQ_DIE']);
    expect(r.gotos).toEqual({ QQ_OUT: 'out' });
  });

  it('a file that defines the name another way vetoes it', () => {
    const a = exitDefsOf('#define QQ_FAIL return\n', noReturn);
    const b = exitDefsOf('#define QQ_FAIL goto bad\n', noReturn);
    expect(resolveExitDefs([{ exitDefs: a }]).exits).toEqual(['QQ_FAIL']);
    expect(resolveExitDefs([{ exitDefs: a }, { exitDefs: b }])).toEqual({ exits: [], gotos: {}, noReturn: [] });
  });

  it('reads nothing from a file with no leaving definition', () => {
    expect(exitDefsOf('#define QQ_A 1\n#define QQ_B(x) ((x) + 1)\nint f(void) { return 0; }\n', noReturn)).toEqual([]);
  });
});

describe('reserved headroom', () => {
  it('learns an argument that reserves room, and a fixed amount passed through a helper', () => {
    const a = [
      'struct mbuf *',
      'qq_getframe(uint8_t **frm, int headroom, int pktlen)',
      '{',
      '\tstruct mbuf *m;',
      '',
      '\tm = m_gethdr(M_NOWAIT, MT_DATA);',
      '\tif (m != NULL)',
      '\t\tm->m_data += headroom;',
      '\treturn (m);',
      '}',
      '',
    ].join('\n');
    const b = [
      'static struct mbuf *',
      'qq_reply(struct qq_softc *sc)',
      '{',
      '\tstruct mbuf *m;',
      '\tuint8_t *frm;',
      '',
      '\tm = qq_getframe(&frm, sc->sc_room + sizeof(struct qq_hdr), 64);',
      '\tif (m == NULL)',
      '\t\treturn (NULL);',
      '\treturn (m);',
      '}',
      '',
    ].join('\n');
    const room = resolveHeadroom([{ headroomFns: headroomFnsOf(a) }, { headroomFns: headroomFnsOf(b) }]);
    expect(room.qq_getframe).toEqual({ arg: 1 });
    expect(room.qq_reply).toEqual({ text: 'sc->sc_room + sizeof(struct qq_hdr)' });
  });

  it('a prepend fits when its length is a term of the room', () => {
    expect(roomHolds('ic->ic_headroom + sizeof(struct hdr)', 'sizeof (struct hdr)')).toBe(true);
    expect(roomHolds('(sizeof(struct hdr))', 'sizeof(struct hdr)')).toBe(true);
    expect(roomHolds('ic->ic_headroom', 'sizeof(struct hdr)')).toBe(false);
    expect(roomHolds('f(a + sizeof(struct hdr))', 'sizeof(struct hdr)')).toBe(false);
  });
});

describe('allocator flag contracts', () => {
  const flags = (m: Model, expr: string) => {
    const names = expr.split('|').map((s) => s.trim()).filter(Boolean);
    let value = 0;
    for (const n of names) value |= /^\d+$/.test(n) ? Number(n) : m.flagValue('malloc', n)!;
    return { value, names, unknown: [], text: expr };
  };

  it('DragonFly contigmalloc tests only M_WAITOK: flags 0 is a no-wait call that may fail', () => {
    const m = new Model(DRAGONFLY);
    const spec = m.allocators.get('contigmalloc')!;
    expect(m.verdict(spec, flags(m, '0'))).toMatchObject({ canFail: 'yes', maySleep: 'no', waitClass: 'ok', klass: 'nowait' });
    expect(m.verdict(spec, flags(m, 'M_ZERO'))).toMatchObject({ canFail: 'yes', waitClass: 'ok' });
    expect(m.verdict(spec, flags(m, 'M_WAITOK'))).toMatchObject({ canFail: 'unknown', maySleep: 'yes', waitClass: 'ok' });
    // kmalloc has no such contract
    expect(m.verdict(m.allocators.get('kmalloc')!, flags(m, 'M_ZERO')).waitClass).toBe('none');
  });

  it('FreeBSD contigmalloc keeps malloc(9)\'s rule', () => {
    const m = new Model(FREEBSD);
    expect(m.verdict(m.allocators.get('contigmalloc')!, flags(m, 'M_ZERO')).waitClass).toBe('none');
  });
});
