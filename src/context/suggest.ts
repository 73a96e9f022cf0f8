/**
 * Which flags an allocation should use in its context, from the dialect's
 * spell table (FlagFamilySpec.spell) and the flags the model (or the tree's
 * own header) defines. No dialect names are tested here.
 */
import type { SiteFacts } from '../analysis/types';
import type { Model } from '../model/model';
import type { FlagFamily, FlagFamilySpec } from '../model/types';
import type { Level } from './tables';

export type WaitClass = 'wait' | 'intwait' | 'nowait' | 'intnowait' | 'none';

export interface Suggestion {
  /** The flags to write, e.g. ['M_WAITOK', 'M_ZERO']; empty for "do not allocate here". */
  flags: string[];
  /** The flags as a C expression. */
  text: string;
  klass: WaitClass;
  /** The new flags may fail: the caller needs a correct NULL path. */
  needsFailurePath: boolean;
  /** The current NULL test becomes dead (the new flags never fail). */
  deadNullTest: boolean;
  /** One sentence for people. */
  message: string;
  /** May --fix write it? (the model proves the new flags valid in this context) */
  safe: boolean;
  /** Why not, when not safe. */
  unsafeWhy?: string;
}

function defined(fam: FlagFamilySpec, name: string | undefined): name is string {
  return !!name && fam.flags.some((f) => f.name === name);
}

/** Flags that set the wait class or a reserve: replaced by the suggestion; the others (M_ZERO, ...) are kept. */
function waitNames(fam: FlagFamilySpec): Set<string> {
  const s = new Set<string>(fam.exclusiveWaitFlags);
  for (const v of Object.values(fam.spell)) if (v) s.add(v);
  for (const f of fam.flags) {
    const b = fam.bits;
    const waitBits = b.nowait | b.waitok | b.useReserve | b.useInterruptReserve;
    if (f.value !== 0 && (f.value & ~(waitBits | b.nullok)) === 0 && (f.value & waitBits) !== 0) s.add(f.name);
  }
  return s;
}

export interface SuggestInput {
  level: Level | 'unknown';
  /** The context was decided by weak (name) evidence only. */
  weak: boolean;
  /** The context may sleep, but allocations should use the interrupt reserve: why. */
  reserve?: string;
  /** --fix must not apply the suggestion: why (a choice of the code, a caller outside the tree). */
  fixBlock?: string;
}

/** Is the current failure path correct (tested, no deref/panic/leak)? */
export function failurePathOk(site: SiteFacts): boolean {
  const f = site.failure;
  return f.tested && !f.deref && !f.panic && !f.leaks.length && !f.reallocLost;
}

export function suggestFlags(site: SiteFacts, ctx: SuggestInput, model: Model): Suggestion | undefined {
  if (!['malloc', 'mbuf', 'objcache'].includes(site.family)) return undefined;
  if (ctx.level === 'unknown') return suggestUnknown(site, model);
  const spec = model.allocators.get(site.allocator);
  if (!spec || spec.flagsArg === undefined || spec.alwaysMayFail || spec.noWait) return undefined;
  const fam = model.family(site.family as FlagFamily);
  const cur = site.verdict.klass;
  const fv = site.flagValue;
  const simple = !!fv && fv.value !== undefined && !fv.choice && fv.unknown.length === 0;
  const waits = waitNames(fam);
  const keep = (fv?.names ?? []).filter((n) => !waits.has(n));
  const sp = fam.spell;
  const okPath = failurePathOk(site);
  let flags: string[];
  let klass: WaitClass;
  let why: string;
  switch (ctx.level) {
    case 'noalloc':
      return {
        flags: [], text: '', klass: 'none', needsFailurePath: false, deadNullTest: false, safe: false, unsafeWhy: 'no flags make an allocation valid here',
        message: 'do not allocate here: move the allocation before the lock/section is entered (or out of the filter)',
      };
    case 'sleepable':
      if (cur === 'wait' || cur === 'intwait' || cur === 'unknown') return undefined;
      if (ctx.reserve && defined(fam, sp.intwait)) {
        flags = [sp.intwait, ...keep];
        klass = 'intwait';
        why = ctx.reserve;
        break;
      }
      flags = [sp.wait, ...keep];
      klass = 'wait';
      why = 'the context may sleep';
      break;
    case 'interrupt':
      if (defined(fam, sp.intwait)) {
        if (cur === 'intwait' || cur === 'unknown') return undefined;
        if (cur === 'intnowait' && okPath) return undefined;
        flags = [sp.intwait, ...keep];
        klass = 'intwait';
        why = 'interrupt thread: may block briefly but should not fail';
        break;
      }
    // no interrupt wait class in this family: treat as "may not sleep"
    // falls through
    case 'nosleep': {
      if (cur === 'unknown') return undefined;
      const intr = defined(fam, sp.intnowait) ? [sp.intnowait] : [sp.nowait, ...(defined(fam, sp.useReserve) ? [sp.useReserve] : []), ...(defined(fam, sp.useInterruptReserve) ? [sp.useInterruptReserve] : [])];
      if ((cur === 'nowait' || cur === 'intnowait') && okPath) return undefined; // already right
      flags = [...intr, ...keep];
      klass = defined(fam, sp.intnowait) ? 'intnowait' : 'nowait';
      why = 'the context may not sleep';
      break;
    }
  }
  const text = flags.join(' | ');
  const newValue = flags.reduce((v, n) => v | (model.flagValue(site.family as FlagFamily, n) ?? 0), 0);
  if (fv?.value !== undefined && newValue === fv.value) return undefined; // same flags: nothing to change (a broken NULL path is the null-* rules' finding)
  const canFailAfter = klass === 'nowait' || klass === 'intnowait' || (fam.bits.nullok !== 0 && keep.some((n) => (model.flagValue(site.family as FlagFamily, n) ?? 0) & fam.bits.nullok));
  const needsFailurePath = canFailAfter && !okPath;
  const deadNullTest = !canFailAfter && fam.waitMayFail !== 'unknown' && !spec.waitMayFail && !!site.failure.nullTest;
  const unknownNames = flags.filter((n) => !defined(fam, n));
  const notInHeader = fam.definedByHeader ? flags.filter((n) => !fam.definedByHeader!.includes(n)) : [];
  const heldSpl = site.heldAtCall.some((h) => h.kind === 'spl');
  let unsafeWhy: string | undefined;
  if (!simple || !site.flagsRange) unsafeWhy = 'the flags argument is not a plain combination of flag names';
  else if (unknownNames.length || notInHeader.length) unsafeWhy = `${[...unknownNames, ...notInHeader].join(', ')} not defined by this tree's header`;
  else if (ctx.weak) unsafeWhy = 'the context is inferred from the function name only';
  else if (ctx.fixBlock) unsafeWhy = ctx.fixBlock;
  else if (canFailAfter && !okPath) unsafeWhy = 'the new flags may fail and the NULL path is not correct';
  else if (!canFailAfter && (klass === 'wait' || ctx.reserve) && heldSpl) unsafeWhy = 'an spl level is held at the call: sleeping would open the protected region';
  else if (text === fv?.text) unsafeWhy = 'no change';
  let message = `use ${text} (${why})`;
  if (deadNullTest) message += `; the NULL test at line ${site.failure.nullTest!.line} becomes dead`;
  if (needsFailurePath) message += '; and handle NULL correctly';
  if (klass === 'intwait' && ctx.level === 'interrupt' && okPath && defined(fam, sp.intnowait)) message += `, or ${[sp.intnowait, ...keep].join(' | ')} if failing here is harmless`;
  return { flags, text, klass, needsFailurePath, deadNullTest, message, safe: !unsafeWhy, unsafeWhy };
}

/**
 * The context is unknown. Where the family has an interrupt-wait class
 * (DragonFly's M_INTWAIT), that class is valid in any thread context --
 * process or interrupt thread, since interrupts are threads there -- and cannot
 * fail, so it is the suggestion that is right whichever the context turns out
 * to be. It is never applied by --fix: the context was not proven.
 */
function suggestUnknown(site: SiteFacts, model: Model): Suggestion | undefined {
  const spec = model.allocators.get(site.allocator);
  if (!spec || spec.flagsArg === undefined || spec.alwaysMayFail || spec.noWait || spec.waitMayFail) return undefined;
  const fam = model.family(site.family as FlagFamily);
  const sp = fam.spell;
  if (!defined(fam, sp.intwait)) return undefined;
  if (site.verdict.klass !== 'nowait' && site.verdict.klass !== 'intnowait') return undefined;
  if (site.heldAtCall.some((h) => h.forbidsSleep)) return undefined;
  const waits = waitNames(fam);
  const keep = (site.flagValue?.names ?? []).filter((n) => !waits.has(n));
  const flags = [sp.intwait, ...keep];
  const text = flags.join(' | ');
  const dead = fam.waitMayFail !== 'unknown' && !!site.failure.nullTest;
  let message = `use ${text} (context unknown: ${sp.intwait} is valid in process and interrupt threads and cannot fail)`;
  if (dead) message += `; the NULL test at line ${site.failure.nullTest!.line} becomes dead`;
  if (defined(fam, sp.intnowait) && failurePathOk(site)) message += `, or ${[sp.intnowait, ...keep].join(' | ')} if failing here is harmless`;
  return { flags, text, klass: 'intwait', needsFailurePath: false, deadNullTest: dead, message, safe: false, unsafeWhy: 'the context is unknown' };
}
