/*
 * The allocator model: dialects.ts holds the tables per dialect (allocators, flags, locks, releases), header.ts reads a tree's own malloc.h, dialect.ts chooses the dialect; this file indexes the tables for fast lookups.
 * Never: a rule or analysis step encodes an allocator fact of its own; facts live in these tables.
 */
import type { AllocatorSpec, DialectModel, FlagFamily, FlagFamilySpec, LockAssert, LockMacro, ResourcePair } from './types';

/** What a call does to a lock, as far as the context is concerned (Model.lockEvent). */
export interface LockEvent {
  role: 'acquire' | 'release' | 'assert';
  /** The lock's expression, blanks and parentheses removed ('' for sections without one). */
  key: string;
  description: string;
  forbidsSleep: boolean;
  forbidsAlloc: boolean;
  kind: string;
}

/** A lock expression for comparison: no blanks, no parentheses (`&(sc)->mtx` and `&sc->mtx` are one lock). */
export const lockKey = (t: string | undefined) => (t ?? '').replace(/[\s()]/g, '');

/** The value of a flags expression, as far as the model can tell. */
export interface FlagValue {
  /** Known bits, or undefined when some part is not known. */
  value?: number;
  /** Flag names the expression mentions. */
  names: string[];
  /** Identifiers that are neither flags nor numbers (parameters, variables). */
  unknown: string[];
  /** The expression's text. */
  text: string;
  /** The expression chooses flags at run time (a ?: between flag sets). */
  choice?: FlagValue[];
}

export type Tri = 'yes' | 'no' | 'unknown';

export interface Verdict {
  /** Can the call return NULL? */
  canFail: Tri;
  /** May the call sleep? */
  maySleep: Tri;
  /** Which reserve the call may dig into. */
  reserve: 'none' | 'reserve' | 'interrupt-reserve';
  /** Exactly one wait class given? 'ok', or why not. */
  waitClass: 'ok' | 'none' | 'both' | 'unknown';
  /** "no-wait", "wait", "intwait", "intnowait" for messages and suggestions. */
  klass: 'nowait' | 'wait' | 'intnowait' | 'intwait' | 'unknown';
}

/** Index the model's tables once; lookups in the hot path are map hits. */
export class Model {
  readonly allocators = new Map<string, AllocatorSpec>();
  readonly frees = new Map<string, number>();
  readonly acquire = new Map<string, ResourcePair>();
  readonly release = new Map<string, ResourcePair>();
  /** Functions that release every held resource of a pair (device_delete_children). */
  readonly releaseAll = new Map<string, ResourcePair>();
  /** Cleanup helpers learned from the tree: name -> the fields they release. */
  readonly fieldReleasers = new Map<string, Set<string>>();
  /** Every name that frees or releases something (frees, release, releaseAll). */
  readonly releasing: Set<string>;
  /** Functions that allocate into an out-argument: name -> argument index. */
  readonly outAllocators = new Map<string, number>();
  readonly noReturn: Set<string>;
  readonly successCodes: Set<string>;
  readonly lockAsserts = new Map<string, LockAssert>();
  /** Learned lock macros by name; a name defined in several files has several entries (lockMacro() picks one). */
  readonly lockMacros = new Map<string, LockMacro[]>();
  readonly flagValues: Record<FlagFamily, Map<string, number>>;

  constructor(readonly dialect: DialectModel) {
    for (const a of dialect.allocators) this.allocators.set(a.name, a);
    for (const f of dialect.frees) this.frees.set(f.name, f.arg);
    for (const r of dialect.resources) {
      for (const n of r.acquire) this.acquire.set(n, r);
      for (const n of r.release) this.release.set(n, r);
      for (const n of r.releaseAll ?? []) this.releaseAll.set(n, r);
    }
    for (const [n, f] of Object.entries(dialect.fieldReleasers ?? {})) this.fieldReleasers.set(n, new Set(f));
    for (const [n, i] of Object.entries(dialect.outAllocators ?? {})) this.outAllocators.set(n, i);
    this.releasing = new Set([...this.frees.keys(), ...this.release.keys(), ...this.releaseAll.keys()]);
    this.noReturn = new Set(dialect.noReturn);
    this.successCodes = new Set(dialect.successCodes ?? []);
    for (const a of dialect.lockAsserts ?? []) this.lockAsserts.set(a.name, a);
    for (const m of dialect.lockMacros ?? []) {
      if (this.acquire.has(m.name) || this.release.has(m.name)) continue;
      const l = this.lockMacros.get(m.name);
      if (l) l.push(m);
      else this.lockMacros.set(m.name, [m]);
    }
    this.flagValues = {} as Record<FlagFamily, Map<string, number>>;
    for (const fam of Object.keys(dialect.families) as FlagFamily[]) {
      this.flagValues[fam] = new Map(dialect.families[fam].flags.map((f) => [f.name, f.value]));
    }
  }

  private apiNames?: Set<string>;
  /**
   * Is `name` the allocator itself: a built-in allocator or a function that frees what one
   * returns (not a wrapper or cleanup helper learned from the tree)? Its internals sleep or
   * not as its flags say, whatever its caller's context.
   */
  isAllocatorApi(name: string): boolean {
    if (!this.apiNames) {
      this.apiNames = new Set<string>();
      for (const a of this.allocators.values()) {
        if (a.summary) continue;
        this.apiNames.add(a.name);
        for (const f of a.freedBy) this.apiNames.add(f);
      }
    }
    return this.apiNames.has(name);
  }

  private definedLockish?: Set<string>;
  /** Does the tree define this lock-like name (as a macro or a function) without the model knowing what it does? */
  definesLockish(name: string): boolean {
    this.definedLockish ??= new Set(this.dialect.lockishDefined ?? []);
    return this.definedLockish.has(name);
  }

  /** Does `name` do something to a lock (cheap test before the arguments are split)? */
  private lockNames?: Set<string>;
  isLockCall(name: string): boolean {
    this.lockNames ??= new Set([...this.acquire.keys(), ...this.release.keys(), ...this.lockAsserts.keys(), ...this.lockMacros.keys()]);
    return this.lockNames.has(name);
  }

  /**
   * What the call `name(args)` does to a lock: built-in pairs (not spl levels or
   * other resources), lock assertions, and lock macros learned from the tree.
   * `lockmgr(l, LK_RELEASE)` releases, `lockmgr(l, LK_EXCLUSIVE)` acquires.
   */
  lockEvent(name: string, args: () => string[], file?: string): LockEvent | undefined {
    const pair = this.acquire.get(name) ?? this.release.get(name);
    if (pair) {
      if (pair.kind === 'spl' || pair.kind === 'resource') return undefined;
      const base = { description: pair.description, forbidsSleep: pair.forbidsSleep, forbidsAlloc: pair.forbidsAlloc, kind: pair.kind };
      if ('none' in pair.key) return { role: this.acquire.has(name) ? 'acquire' : 'release', key: '', ...base };
      if ('returned' in pair.key || 'out' in pair.key) return undefined;
      const a = args();
      if (name === 'lockmgr') {
        const how = a[1] ?? '';
        if (/LK_RELEASE/.test(how)) return { role: 'release', key: lockKey(a[0]), ...base };
        return /LK_(EXCLUSIVE|SHARED)/.test(how) && !/LK_NOWAIT/.test(how) ? { role: 'acquire', key: lockKey(a[0]), ...base } : undefined;
      }
      const acq = this.acquire.has(name);
      return { role: acq ? 'acquire' : 'release', key: lockKey(a[acq ? pair.key.acquireArg : pair.key.releaseArg]), ...base };
    }
    const as = this.lockAsserts.get(name);
    if (as) {
      const a = as.arg !== undefined || as.howArg !== undefined ? args() : [];
      if (as.howArg !== undefined && !(as.held ?? []).some((h) => new RegExp(`\\b${h}\\b`).test(a[as.howArg!] ?? ''))) return undefined;
      return { role: 'assert', key: as.arg !== undefined ? lockKey(a[as.arg]) : '', description: as.description, forbidsSleep: as.forbidsSleep, forbidsAlloc: as.forbidsAlloc, kind: 'assert' };
    }
    const m = this.lockMacro(name, file);
    if (m) {
      const a = m.params.length ? args() : [];
      if (m.howParam !== undefined && !(m.held ?? []).some((h) => new RegExp(`\\b${h}\\b`).test(a[m.howParam!] ?? ''))) return undefined;
      return { role: m.role, key: lockKey(substituteParams(m.key, m.params, a)), description: m.description, forbidsSleep: m.forbidsSleep, forbidsAlloc: m.forbidsAlloc, kind: 'macro' };
    }
    return undefined;
  }

  /**
   * The definition of lock macro `name` that a use in `file` sees: the only one, or the one
   * whose file shares the longest folder prefix with `file` (a driver's own header); none
   * when the nearest definitions disagree.
   */
  private nearest = new Map<string, LockMacro | undefined>();
  lockMacro(name: string, file?: string): LockMacro | undefined {
    const l = this.lockMacros.get(name);
    if (!l) return undefined;
    if (l.length === 1) return l[0];
    const k = `${name}\0${file ?? ''}`;
    if (this.nearest.has(k)) return this.nearest.get(k);
    const m = this.pickNearest(l, file);
    this.nearest.set(k, m);
    return m;
  }

  private pickNearest(l: LockMacro[], file?: string): LockMacro | undefined {
    const dir = (f: string) => f.slice(0, f.lastIndexOf('/') + 1);
    const common = (a: string, b: string) => {
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      return a.slice(0, i).lastIndexOf('/');
    };
    const here = file ? dir(file) : '';
    let best = -2;
    let pick: LockMacro[] = [];
    for (const m of l) {
      const c = file ? common(here, dir(m.file)) : -1;
      if (c > best) {
        best = c;
        pick = [m];
      } else if (c === best) pick.push(m);
    }
    const a = pick[0];
    return pick.every((m) => m.role === a.role && m.description === a.description && m.key === a.key && m.forbidsSleep === a.forbidsSleep) ? a : undefined;
  }

  get name() {
    return this.dialect.name;
  }

  family(f: FlagFamily): FlagFamilySpec {
    return this.dialect.families[f];
  }

  /** Is this identifier a flag of any family? */
  isFlagName(name: string): boolean {
    for (const m of Object.values(this.flagValues)) if (m.has(name)) return true;
    return false;
  }

  flagValue(family: FlagFamily, name: string): number | undefined {
    return this.flagValues[family].get(name);
  }

  /** The verdict for an allocator called with the given flags. */
  verdict(spec: AllocatorSpec, flags: FlagValue | undefined): Verdict {
    // a status allocator with no flags argument here may fail whatever its flags (bus_dma(9): ENOMEM with
    // BUS_DMA_WAITOK too); whether it sleeps is its own flag family's business, which this model does not judge.
    // The tree's own status allocators that pass malloc flags through are judged by those flags.
    if (spec.result.kind === 'status' && spec.flagsArg === undefined) return { canFail: 'yes', maySleep: 'unknown', reserve: 'none', waitClass: 'ok', klass: 'unknown' };
    if (spec.alwaysMayFail) return { canFail: 'yes', maySleep: 'no', reserve: 'none', waitClass: 'ok', klass: 'nowait' };
    if (spec.noWait) return { canFail: 'yes', maySleep: 'no', reserve: 'none', waitClass: 'ok', klass: 'nowait' };
    if (!flags) return { canFail: 'unknown', maySleep: 'unknown', reserve: 'none', waitClass: 'unknown', klass: 'unknown' };
    if (flags.choice && flags.choice.length) {
      const vs = flags.choice.map((c) => this.verdict(spec, c));
      const join = (xs: Tri[]): Tri => (xs.every((x) => x === 'no') ? 'no' : xs.some((x) => x === 'yes') ? 'yes' : 'unknown');
      return {
        canFail: join(vs.map((v) => v.canFail)),
        maySleep: join(vs.map((v) => v.maySleep)),
        reserve: vs[0].reserve,
        waitClass: vs.every((v) => v.waitClass === 'ok') ? 'ok' : 'unknown',
        klass: 'unknown',
      };
    }
    const fam = this.family(spec.family);
    const b = fam.bits;
    if (flags.value === undefined) {
      return { canFail: 'unknown', maySleep: 'unknown', reserve: 'none', waitClass: 'unknown', klass: 'unknown' };
    }
    const v = flags.value;
    if (spec.waitFlagsTested) return this.contractVerdict(spec, spec.waitFlagsTested, v);
    const nowait = (v & b.nowait) !== 0;
    const wait = b.waitok !== 0 ? (v & b.waitok) !== 0 : !nowait;
    const waitClass: Verdict['waitClass'] = nowait && wait ? 'both' : !nowait && !wait ? 'none' : 'ok';
    const reserve: Verdict['reserve'] =
      b.useInterruptReserve && v & b.useInterruptReserve ? 'interrupt-reserve' : b.useReserve && v & b.useReserve ? 'reserve' : 'none';
    let canFail: Tri;
    if (nowait) canFail = 'yes';
    else if (!wait) canFail = 'unknown';
    else if (spec.waitMayFail) canFail = 'unknown';
    else if (fam.waitMayFail === 'never') canFail = 'no';
    else if (fam.waitMayFail === 'nullok') canFail = b.nullok && v & b.nullok ? 'yes' : 'no';
    else canFail = 'unknown';
    const maySleep: Tri = wait && !nowait ? 'yes' : nowait ? 'no' : 'unknown';
    const intr = reserve === 'interrupt-reserve';
    const klass: Verdict['klass'] = waitClass !== 'ok' ? 'unknown' : nowait ? (intr ? 'intnowait' : 'nowait') : intr ? 'intwait' : 'wait';
    return { canFail, maySleep, reserve, waitClass, klass };
  }

  /**
   * An allocator with its own flag contract (spec.waitFlagsTested): it waits
   * exactly when one of those flags is set, and otherwise is a no-wait call
   * that may fail; no wait class is ever missing. A waiting call may still
   * fail when the spec says so (waitMayFail).
   */
  private contractVerdict(spec: AllocatorSpec, tested: string[], v: number): Verdict {
    let waitBits = 0;
    for (const n of tested) waitBits |= this.flagValue(spec.family, n) ?? 0;
    const wait = (v & waitBits) !== 0;
    if (!wait) return { canFail: 'yes', maySleep: 'no', reserve: 'none', waitClass: 'ok', klass: 'nowait' };
    return { canFail: spec.waitMayFail ? 'unknown' : 'no', maySleep: 'yes', reserve: 'none', waitClass: 'ok', klass: 'wait' };
  }
}

/** `text` with each macro parameter (a whole word) replaced by the argument given for it. */
export function substituteParams(text: string, params: string[], args: string[]): string {
  if (!params.length || !text) return text;
  return text.replace(/[A-Za-z_]\w*/g, (w) => {
    const i = params.indexOf(w);
    return i >= 0 && args[i] !== undefined ? `(${args[i]})` : w;
  });
}
