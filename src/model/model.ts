/*
 * The allocator model: dialects.ts holds the tables per dialect (allocators, flags, locks, releases), header.ts reads a tree's own malloc.h, dialect.ts chooses the dialect; this file indexes the tables for fast lookups.
 * Never: a rule or analysis step encodes an allocator fact of its own; facts live in these tables.
 */
import type { AllocatorSpec, DialectModel, FlagFamily, FlagFamilySpec, ResourcePair } from './types';

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
    this.flagValues = {} as Record<FlagFamily, Map<string, number>>;
    for (const fam of Object.keys(dialect.families) as FlagFamily[]) {
      this.flagValues[fam] = new Map(dialect.families[fam].flags.map((f) => [f.name, f.value]));
    }
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
