import type { DialectModel, DialectName, FlagFamily, FlagSpec } from './types';

/** #define NAME body, with continuation lines joined. Comments are stripped. */
export function readDefines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
  const joined = noComments.replace(/\\\r?\n/g, ' ');
  const re = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\b(?!\()[ \t]*(.*)$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(joined))) {
    if (!out.has(m[1])) out.set(m[1], m[2].replace(/\/\/.*$/, '').trim());
  }
  return out;
}

/** Evaluate a constant expression of numbers, defined names, | & ~ + << >> and parentheses. */
export function evalDefine(name: string, defs: Map<string, string>, seen = new Set<string>()): number | undefined {
  const body = defs.get(name);
  if (body === undefined || seen.has(name)) return undefined;
  seen.add(name);
  let unknown = false;
  const expr = body.replace(/\b([A-Za-z_]\w*)\b/g, (id) => {
    if (/^0[xX]/.test(id) || /^\d/.test(id)) return id;
    const v = evalDefine(id, defs, new Set(seen));
    if (v === undefined) unknown = true;
    return v === undefined ? 'NaN' : `(${v})`;
  });
  // NaN | 1 is 1 in JavaScript: a name we cannot evaluate makes the whole value unknown
  if (unknown) return undefined;
  const clean = expr.replace(/\b(0x[0-9a-fA-F]+|\d+)[uUlL]*\b/g, '$1');
  if (!/^[\s0-9a-fA-FxX()|&~+<>NaN-]*$/.test(clean) || clean.trim() === '') return undefined;
  try {
    // eslint-disable-next-line no-new-func
    const v = Function(`"use strict"; return (${clean});`)();
    return typeof v === 'number' && Number.isFinite(v) ? v >>> 0 : undefined;
  } catch {
    return undefined;
  }
}

/** What a tree's malloc.h says about its dialect. */
export function sniffDialect(mallocH: string | undefined, kmallocUse: boolean): { dialect: DialectName; why: string } {
  if (mallocH) {
    if (/\bM_USE_INTERRUPT_RESERVE\b|\bM_RNOWAIT\b|\bM_INTWAIT\b|\bkmalloc\s*\(/.test(mallocH))
      return { dialect: 'dragonfly', why: 'sys/sys/malloc.h defines DragonFly flags (M_RNOWAIT/M_INTWAIT/kmalloc)' };
    if (/\$DragonFly[:$]/.test(mallocH)) return { dialect: 'dragonfly', why: 'sys/sys/malloc.h carries a $DragonFly$ tag' };
    if (/\bmalloc_domainset\b|\buma_|M_NODUMP|M_EXEC\b/.test(mallocH))
      return { dialect: 'freebsd', why: 'sys/sys/malloc.h has FreeBSD declarations' };
  }
  if (kmallocUse) return { dialect: 'dragonfly', why: 'the sources call kmalloc()' };
  return { dialect: 'freebsd', why: 'no DragonFly markers found' };
}

/**
 * A copy of the dialect whose flag values follow the tree's own header.
 * Only names already known to a family, or new M_* names, are taken.
 */
export function applyHeader(model: DialectModel, defs: Map<string, string>, families: FlagFamily[], source: string): DialectModel {
  const fams = { ...model.families };
  for (const fam of families) {
    const base = fams[fam];
    const byName = new Map(base.flags.map((f) => [f.name, f] as [string, FlagSpec]));
    const defined: string[] = [];
    for (const name of defs.keys()) {
      if (!byName.has(name) && !(fam === 'malloc' && /^M_[A-Z_]+$/.test(name))) continue;
      if (fam === 'malloc' && /^M_(MAGIC|VERSION)$/.test(name)) continue;
      const v = evalDefine(name, defs);
      if (v === undefined || v > 0xffffffff) continue;
      byName.set(name, { name, value: v, doc: byName.get(name)?.doc });
      defined.push(name);
    }
    const get = (n: string) => byName.get(n)?.value;
    const bits = { ...base.bits };
    if (fam === 'malloc') {
      const nowaitBit = get('M_RNOWAIT') ?? get('M_NOWAIT');
      if (nowaitBit !== undefined) bits.nowait = nowaitBit & -nowaitBit; // lowest set bit of the no-wait spelling
      if (get('M_WAITOK') !== undefined) bits.waitok = get('M_WAITOK')!;
      if (get('M_NULLOK') !== undefined) bits.nullok = get('M_NULLOK')!;
      if (get('M_USE_RESERVE') !== undefined) bits.useReserve = get('M_USE_RESERVE')!;
      if (get('M_USE_INTERRUPT_RESERVE') !== undefined) bits.useInterruptReserve = get('M_USE_INTERRUPT_RESERVE')!;
    }
    fams[fam] = { ...base, bits, flags: [...byName.values()], definedByHeader: defined };
  }
  return { ...model, families: fams, source };
}
