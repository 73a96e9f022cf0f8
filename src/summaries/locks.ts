import { codeAt, isSpace, isWordChar } from '../text/calltext';
import { lineStarts } from '../text/lines';
/*
 * Lock macros learned from their definitions (the whole-tree pass): `#define FOO_LOCK(sc) mtx_lock(&(sc)->sc_mtx)`,
 * `#define INP_WLOCK_ASSERT(inp) rw_assert(&(inp)->inp_lock, RA_WLOCKED)`, macros written in terms of other
 * macros, resolved to a fixpoint against the model's lock pairs and assertions.
 * Takes: each file's function-like macros whose body calls something. Gives: DialectModel.lockMacros.
 * Never: guesses from a macro's name; only what its expansion calls decides.
 */
import type { DialectModel, LockMacro } from '../model/types';
import { Model } from '../model/model';
import { defineFacts, functionMacros } from '../text/defines';
import { blankNoise, callsIn } from '../context/textscan';

/** A macro whose expansion may do something to a lock: its parameters and the calls it makes, in order. */
export interface LockMacroDef {
  name: string;
  params: string[];
  calls: { name: string; args: string[] }[];
}

/* A cheap filter: expansions that call anything lock-like (the fixpoint decides). */
const LOCKISH = /lock|LOCK|epoch|EPOCH|_assert|ASSERT|SERIAL|mtx_|rw_|sx_|rm_|spin_|crit/;

/** The function-like macros of one file that may be lock macros (per file, in a worker). */
export function lockMacroDefs(text: string): LockMacroDef[] {
  if (!text.includes('define')) return [];
  const out: LockMacroDef[] = [];
  for (const m of functionMacros(text)) {
    if (!LOCKISH.test(m.body)) continue;
    const body = blankNoise(m.body);
    const calls = callsIn(body, 0)
      .slice(0, 6)
      .map((c) => ({ name: c.name, args: c.args }));
    if (!calls.length) continue;
    const params = m.params.split(',').map((p) => p.trim()).filter((p) => p && p !== '...');
    out.push({ name: m.name, params, calls });
  }
  return out;
}

/** Lock-like names (`FOO_LOCK`, `FOO_WUNLOCK`, `FOO_LOCK_ASSERT`) of the calls the context does not know. */
export const LOCKISH_NAME = /^(\w*_)?(?:(UN|un)[WRXSwrxs]?|[WRXSwrxs]?(UN|un)?)(?:LOCK|lock)$/;
export const LOCKISH_ASSERT_NAME = /^[A-Z][A-Z0-9_]*_[WRXS]?LOCK(?:ED)?_ASSERT$/;

/**
 * Lock-like names this file defines, as a macro or as a function at the start of a line
 * (`static __inline int\nBUF_LOCK(...)`): the tree knows what they do, even when the model
 * cannot tell, so they are not "a lock from a header left out". A name counts where it starts a
 * line or follows `#define` there, ends in LOCK, lock or _ASSERT (with more before), and "(" follows
 * it (blanks between). Read from the file's #define directives (src/text/defines.ts) and the first
 * character of each line (a pattern for "LOCK(" and the like over the whole text cost more).
 */
export function lockishNames(text: string, st: { lineStarts: number[] } = { lineStarts: lineStarts(text) }): string[] {
  if (!/LOCK|lock/.test(text)) return [];
  // [offset, name] in text order: after #define, then at line starts
  const found: [number, string][] = [];
  const ds = defineFacts(text).directives;
  for (let k = 0; k < ds.length; k += 3) {
    const ls = ds[k];
    // a line here starts after a newline only
    if (ls > 0 && codeAt(text, ls - 1) !== 10) continue;
    const name = lockishAt(text, ds[k + 1], ds[k + 2]);
    if (name) found.push([ds[k + 1], name]);
  }
  const fromDefines = found.length;
  for (const ls of st.lineStarts) {
    const c = codeAt(text, ls);
    // a name that does not start with a digit
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) continue;
    let e = ls + 1;
    while (isWordChar(codeAt(text, e))) e++;
    const name = lockishAt(text, ls, e);
    if (name) found.push([ls, name]);
  }
  if (fromDefines && found.length > fromDefines) found.sort((a, b) => a[0] - b[0]);
  return [...new Set(found.map((f) => f[1]))];
}

/** The name [b, e) when it ends in LOCK, lock or _ASSERT with more before, "(" follows, and it is lock-like. */
function lockishAt(text: string, b: number, e: number): string | undefined {
  const n = e - b;
  const last = codeAt(text, e - 1);
  if (last === 84 /* T */) {
    if (n <= 7 || !text.startsWith('_ASSERT', e - 7)) return undefined;
  } else if (last === 75 /* K */ || last === 107 /* k */) {
    if (n <= 4 || !(text.startsWith('LOCK', e - 4) || text.startsWith('lock', e - 4))) return undefined;
  } else return undefined;
  let p = e;
  while (isSpace(codeAt(text, p))) p++;
  if (codeAt(text, p) !== 40 /* ( */) return undefined;
  const name = text.slice(b, e);
  return LOCKISH_NAME.test(name) || LOCKISH_ASSERT_NAME.test(name) ? name : undefined;
}

/** Every definition of each name, with its file. */
type Defs = Map<string, (LockMacroDef & { file: string })[]>;

/**
 * Resolve lock macros over the tree: a macro whose calls do one thing to
 * locks (all acquire, all release, or all assert) is that thing, on the lock
 * its expansion names. Macros of macros to a fixpoint. A name defined in
 * several files keeps every definition (src/model/model.ts picks the nearest).
 */
export function resolveLockMacros(base: DialectModel, files: { file: string; lockMacros?: LockMacroDef[] }[]): LockMacro[] {
  const defs: Defs = new Map();
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    for (const d of f.lockMacros ?? []) {
      const l = defs.get(d.name) ?? [];
      l.push({ ...d, file: f.file });
      defs.set(d.name, l);
    }
  }
  let learned: LockMacro[] = [];
  for (let round = 0; round < 6; round++) {
    const model = new Model({ ...base, lockMacros: learned });
    const next: LockMacro[] = [];
    for (const [name, ds] of defs) {
      if (model.acquire.has(name) || model.release.has(name) || model.lockAsserts.has(name)) continue;
      for (const d of ds) {
        const lm = learnOne(model, d, d.file);
        if (lm) next.push(lm);
      }
    }
    const same = next.length === learned.length && JSON.stringify(next) === JSON.stringify(learned);
    learned = next;
    if (same) break;
  }
  return learned;
}

function learnOne(model: Model, d: LockMacroDef & { file: string }, file: string): LockMacro | undefined {
  let first: LockMacro | undefined;
  for (const c of d.calls) {
    if (c.name === d.name || !model.isLockCall(c.name)) continue;
    // an assertion whose "how" is one of our parameters: FOO_ASSERT(sc, what) -> mtx_assert(&sc->mtx, what)
    const as = model.lockAsserts.get(c.name);
    const howText = as?.howArg !== undefined ? (c.args[as.howArg] ?? '').trim() : undefined;
    let lm: LockMacro | undefined;
    if (as && howText !== undefined && d.params.includes(howText)) {
      lm = { name: d.name, role: 'assert', params: d.params, key: c.args[as.arg ?? -1] ?? '', howParam: d.params.indexOf(howText), held: as.held, description: as.description, forbidsSleep: as.forbidsSleep, forbidsAlloc: as.forbidsAlloc, file };
    } else {
      const ev = model.lockEvent(c.name, () => c.args, file);
      if (!ev) continue;
      lm = { name: d.name, role: ev.role, params: d.params, key: ev.key, description: ev.description, forbidsSleep: ev.forbidsSleep, forbidsAlloc: ev.forbidsAlloc, file };
    }
    if (!first) first = lm;
    else if (first.role !== lm.role || first.description !== lm.description) return undefined; // unlock-and-relock macros and the like
  }
  return first;
}
