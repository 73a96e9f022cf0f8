/**
 * The allocator model is data: one table per dialect. Rules and the analysis
 * never test dialect names; they ask the model.
 */

export type DialectName = 'freebsd' | 'dragonfly';

/** Where an allocator's result lands. */
export type ResultSpec =
  | { kind: 'return' }
  /** Macro-style allocators (MALLOC, MGET, M_PREPEND) assign through an argument. */
  | { kind: 'arg'; index: number }
  /**
   * Status allocators (`error = bus_dmamem_alloc(tag, &vaddr, flags, &map)`): the allocation is written through
   * argument `out` (`&p`), and the call returns 0 on success or an errno; on failure the out-argument is unusable.
   */
  | { kind: 'status'; out: number };

/** Which flag family the "how" argument belongs to. */
export type FlagFamily = 'malloc' | 'mbuf' | 'objcache';

export interface AllocatorSpec {
  name: string;
  /** Number of arguments a real call has; calls with another count are not this allocator (userland malloc(n)). */
  arity?: number;
  /** This argument is a type (`MALLOC(p, struct foo *, size, type, flags)`): tree-sitter cannot parse it as an expression. */
  typeArg?: number;
  /** Index of the flags argument; undefined when the allocator has no flags argument. */
  flagsArg?: number;
  family: FlagFamily;
  result: ResultSpec;
  /** Functions that free the result (any of them). */
  freedBy: string[];
  /** A waiting call may still return NULL (contigmalloc). */
  waitMayFail?: boolean;
  /**
   * The allocator's own flag contract: it tests only these wait flags, so a call
   * that gives none of them is a valid no-wait call (DragonFly contigmalloc tests
   * only M_WAITOK and M_ZERO: flags 0 do not wait and may return NULL).
   */
  waitFlagsTested?: string[];
  /** Prepends `lenArg` bytes to the mbuf in `mbufArg` (M_PREPEND): it cannot fail when that room was reserved. */
  prepend?: { mbufArg: number; lenArg: number };
  /** The allocator may fail whatever the flags (m_pullup). */
  alwaysMayFail?: boolean;
  /** Fixed no-wait allocator with no flags argument (mpipe_alloc_nowait). */
  noWait?: boolean;
  /** realloc-style: this argument is the old buffer; assigning the result to it loses the buffer on failure. */
  reallocArg?: number;
  /** The allocator frees the old buffer itself on failure (reallocf, m_pullup, M_PREPEND). */
  freesOldOnFailure?: boolean;
  /** Learned from the tree: a wrapper function or an allocation macro. */
  summary?: 'wrapper' | 'macro';
  /** True when the allocator is a macro in the kernel headers (MALLOC, MGET). */
  macro?: boolean;
}

export interface ReleaseSpec {
  name: string;
  /** Argument that is released. */
  arg: number;
}

/** A pair acquire/release for locks and other resources (data, not code). */
export interface ResourcePair {
  kind: 'lock' | 'spinlock' | 'critical' | 'spl' | 'token' | 'resource' | 'rwlock' | 'sleeplock' | 'epoch';
  acquire: string[];
  release: string[];
  /**
   * How the held resource is identified: an argument of acquire/release (the object it attaches to), the value
   * returned by acquire, or an out-argument `&handle` of acquire (`out` < 0 counts from the last argument); then
   * passed to release as argument `releaseArg` (or `releaseArgs[name]` for a release function that takes it elsewhere).
   */
  key: { acquireArg: number; releaseArg: number } | { returned: true; releaseArg: number } | { out: number; releaseArg: number } | { none: true };
  /** Release functions that take the handle in another argument than key.releaseArg. */
  releaseArgs?: Record<string, number>;
  /** Functions that release every resource of this pair the function holds (device_delete_children). */
  releaseAll?: string[];
  /** What a failed acquire returns, when nothing was acquired: a NULL handle, or a non-zero error with the out-argument unset. */
  failsWith?: 'null' | 'error';
  /** True when sleeping (M_WAITOK) is forbidden while held. */
  forbidsSleep: boolean;
  /** True when any allocation is forbidden while held (spin mutex, critical section on FreeBSD). */
  forbidsAlloc: boolean;
  /** Acquire may fail and is then not held (mtx_trylock); not tracked. */
  description: string;
}

/**
 * A lock assertion (`mtx_assert(m, MA_OWNED)`): from it on, the function runs
 * with the lock held (its caller holds it). `howArg`/`held`: the assertion
 * says "held" only when that argument mentions one of these names.
 */
export interface LockAssert {
  name: string;
  /** Argument naming the lock; undefined for a fixed lock (NET_EPOCH_ASSERT()). */
  arg?: number;
  howArg?: number;
  held?: string[];
  description: string;
  forbidsSleep: boolean;
  forbidsAlloc: boolean;
}

/**
 * A lock macro learned from its definition (`#define FOO_LOCK(sc) mtx_lock(&(sc)->sc_mtx)`):
 * what it does to which lock. `key` is the lock expression in terms of the
 * macro's parameters; `howParam`: the parameter that decides an assertion (`FOO_ASSERT(sc, MA_OWNED)`).
 */
export interface LockMacro {
  name: string;
  role: 'acquire' | 'release' | 'assert';
  params: string[];
  key: string;
  howParam?: number;
  held?: string[];
  description: string;
  forbidsSleep: boolean;
  forbidsAlloc: boolean;
  /** The definition's file. */
  file: string;
}

export interface FlagSpec {
  name: string;
  value: number;
  doc?: string;
}

export interface FamilyBits {
  /** The "do not wait" bit. */
  nowait: number;
  /** The "may wait" bit (0 in very old headers). */
  waitok: number;
  /** DragonFly M_NULLOK: a waiting allocation may return NULL. */
  nullok: number;
  useReserve: number;
  useInterruptReserve: number;
}

export interface FlagFamilySpec {
  bits: FamilyBits;
  /** Named flags, single bits and combinations. */
  flags: FlagSpec[];
  /** May a waiting allocation of this family return NULL? 'nullok' means only when the nullok bit is set. */
  waitMayFail: 'never' | 'nullok' | 'unknown';
  /** Flags that must appear exactly once among them (wait-flag-missing). */
  exclusiveWaitFlags: string[];
  /** The spellings used in suggestions. */
  spell: { wait: string; nowait: string; intwait?: string; intnowait?: string; useReserve?: string; useInterruptReserve?: string };
  /** Flag names the linted tree's own header defines (set when a header was read); fixes only write these. */
  definedByHeader?: string[];
}

export interface DialectModel {
  name: DialectName;
  allocators: AllocatorSpec[];
  frees: ReleaseSpec[];
  families: Record<FlagFamily, FlagFamilySpec>;
  resources: ResourcePair[];
  /** Functions that never return. */
  noReturn: string[];
  /** Named return values that report success (besides 0): a failure path that returns one tolerated the failure. */
  successCodes?: string[];
  /** Assertion macros: name -> index of the asserted condition. */
  asserts: Record<string, number>;
  /** Functions that dereference a pointer argument: name -> argument indexes. */
  derefArgs: Record<string, number[]>;
  /**
   * Cleanup helpers learned from the tree (a driver's detach or free routine): name -> the struct fields
   * (`x->buf`, `x->irq`: the last member name) it frees or releases, directly or through other helpers.
   */
  fieldReleasers?: Record<string, string[]>;
  /** Functions learned from the tree that allocate into an out-argument (`*descp = malloc(...)`): name -> that argument. */
  outAllocators?: Record<string, number>;
  /** Macros whose expansion returns from the caller (learned from the tree). */
  exitMacros?: string[];
  /** Macros whose expansion is `goto label` in the caller (learned from the tree). */
  gotoMacros?: Record<string, string>;
  /** Functions that return an mbuf with room reserved before its data (learned from the tree): the argument that says how much, or its text. */
  headroom?: Record<string, { arg?: number; text?: string }>;
  /** Lock assertions (context only: they say what the caller holds). */
  lockAsserts?: LockAssert[];
  /** Lock-like names (FOO_LOCK) the tree defines, as macros or functions (context only). */
  lockishDefined?: string[];
  /** Lock, unlock and assertion macros learned from the tree (context only; src/summaries/locks.ts). */
  lockMacros?: LockMacro[];
  /** Where the header facts came from ("built-in" or a tree's sys/sys/malloc.h). */
  source: string;
}
