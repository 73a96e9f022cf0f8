import type { AllocatorSpec, DialectModel, FlagFamilySpec, LockAssert, ReleaseSpec, ResourcePair } from './types';

/*
 * Built-in allocator tables. Sources: FreeBSD malloc(9), uma(9), mbuf(9),
 * locking(9); DragonFly kmalloc(9) and sys/sys/malloc.h (2004 and later).
 * Where a linted tree has its own sys/sys/malloc.h, its #defines override the
 * flag values below (see header.ts).
 */

const ret = { kind: 'return' } as const;
const arg0 = { kind: 'arg', index: 0 } as const;

/*
 * bus_dma(9): bus_dmamem_alloc(tag, &vaddr, flags, &map) returns 0 or an errno (ENOMEM whenever the memory
 * cannot be had, BUS_DMA_WAITOK or not: BUS_DMA_WAITOK is 0 in both kernels' sys/bus_dma.h), and *vaddr is
 * only usable after a 0 return. The same prototype in DragonFly 2004 and 2020.
 */
const statusAllocators: AllocatorSpec[] = [
  { name: 'bus_dmamem_alloc', arity: 4, family: 'malloc', result: { kind: 'status', out: 1 }, freedBy: ['bus_dmamem_free'] },
];

const mallocFree = ['free', 'kfree', 'FREE', 'reallocf', 'zfree'];
const mbufFree = ['m_freem', 'm_free', 'm_freem_list'];

/* ---- mbuf allocators: same shape in both kernels; the flag family is mbuf. ---- */
const mbufAllocators: AllocatorSpec[] = [
  { name: 'm_get', arity: 2, flagsArg: 0, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_gethdr', arity: 2, flagsArg: 0, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getclr', arity: 2, flagsArg: 0, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getcl', arity: 3, flagsArg: 0, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getjcl', arity: 4, flagsArg: 0, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getc', arity: 3, flagsArg: 1, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_get2', arity: 4, flagsArg: 1, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getm', arity: 4, flagsArg: 2, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_getm2', arity: 5, flagsArg: 2, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_dup', arity: 2, flagsArg: 1, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_copym', arity: 4, flagsArg: 3, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_copypacket', arity: 2, flagsArg: 1, family: 'mbuf', result: ret, freedBy: mbufFree },
  { name: 'm_prepend', arity: 3, flagsArg: 2, family: 'mbuf', result: ret, freedBy: mbufFree, freesOldOnFailure: true, prepend: { mbufArg: 0, lenArg: 1 } },
  { name: 'm_pullup', arity: 2, family: 'mbuf', result: ret, freedBy: mbufFree, alwaysMayFail: true, freesOldOnFailure: true },
  { name: 'm_pulldown', arity: 4, family: 'mbuf', result: ret, freedBy: [], alwaysMayFail: true, freesOldOnFailure: true },
  { name: 'MGET', arity: 3, flagsArg: 1, family: 'mbuf', result: arg0, freedBy: mbufFree, macro: true },
  { name: 'MGETHDR', arity: 3, flagsArg: 1, family: 'mbuf', result: arg0, freedBy: mbufFree, macro: true },
  { name: 'M_PREPEND', arity: 3, flagsArg: 2, family: 'mbuf', result: arg0, freedBy: mbufFree, macro: true, freesOldOnFailure: true, prepend: { mbufArg: 0, lenArg: 1 } },
];

const freebsdAllocators: AllocatorSpec[] = [
  { name: 'malloc', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'mallocarray', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'malloc_domainset', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'malloc_aligned', arity: 5, flagsArg: 4, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'realloc', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree, reallocArg: 0 },
  { name: 'reallocf', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree, reallocArg: 0, freesOldOnFailure: true },
  /* contigmalloc can return NULL even with M_WAITOK (no contiguous range). */
  { name: 'contigmalloc', arity: 7, flagsArg: 2, family: 'malloc', result: ret, freedBy: ['contigfree', 'free'], waitMayFail: true },
  { name: 'contigmalloc_domainset', arity: 8, flagsArg: 3, family: 'malloc', result: ret, freedBy: ['contigfree', 'free'], waitMayFail: true },
  { name: 'uma_zalloc', arity: 2, flagsArg: 1, family: 'malloc', result: ret, freedBy: ['uma_zfree'] },
  { name: 'uma_zalloc_arg', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: ['uma_zfree', 'uma_zfree_arg'] },
  { name: 'uma_zalloc_pcpu', arity: 2, flagsArg: 1, family: 'malloc', result: ret, freedBy: ['uma_zfree_pcpu'] },
  { name: 'uma_zalloc_domain', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: ['uma_zfree'] },
  { name: 'MALLOC', arity: 5, typeArg: 1, flagsArg: 4, family: 'malloc', result: arg0, freedBy: mallocFree, macro: true },
  ...statusAllocators,
  ...mbufAllocators,
];

const dragonflyAllocators: AllocatorSpec[] = [
  { name: 'kmalloc', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'kmalloc_cachealign', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'kmalloc_powerof2', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'krealloc', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree, reallocArg: 0 },
  /* 2004-era spellings of the same slab allocator. */
  { name: 'malloc', arity: 3, flagsArg: 2, family: 'malloc', result: ret, freedBy: mallocFree },
  { name: 'realloc', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree, reallocArg: 0 },
  { name: 'reallocf', arity: 4, flagsArg: 3, family: 'malloc', result: ret, freedBy: mallocFree, reallocArg: 0, freesOldOnFailure: true },
  { name: 'MALLOC', arity: 5, typeArg: 1, flagsArg: 4, family: 'malloc', result: arg0, freedBy: mallocFree, macro: true },
  /* DragonFly contigmalloc tests only M_WAITOK (and M_ZERO) in its flags: 0 is a valid no-wait request. */
  { name: 'contigmalloc', arity: 7, flagsArg: 2, family: 'malloc', result: ret, freedBy: ['contigfree', 'free', 'kfree'], waitMayFail: true, waitFlagsTested: ['M_WAITOK'] },
  { name: 'objcache_get', arity: 2, flagsArg: 1, family: 'objcache', result: ret, freedBy: ['objcache_put'] },
  { name: 'mpipe_alloc_nowait', arity: 1, family: 'malloc', result: ret, freedBy: ['mpipe_free'], noWait: true },
  /* 2004: mpipe_alloc(mpipe, flags) */
  { name: 'mpipe_alloc', arity: 2, flagsArg: 1, family: 'malloc', result: ret, freedBy: ['mpipe_free'] },
  ...statusAllocators,
  /* DragonFly 2020 orders m_getm(m0, len, type, how); 2004 followed FreeBSD (m, len, how, type). */
  ...mbufAllocators.map((a) => (a.name === 'm_getm' ? { ...a, flagsArg: 3 } : a)),
];

const frees: ReleaseSpec[] = [
  { name: 'free', arg: 0 }, { name: 'kfree', arg: 0 }, { name: 'FREE', arg: 0 },
  { name: 'contigfree', arg: 0 }, { name: 'zfree', arg: 1 }, { name: 'zfreei', arg: 1 },
  { name: 'uma_zfree', arg: 1 }, { name: 'uma_zfree_arg', arg: 1 }, { name: 'uma_zfree_pcpu', arg: 1 },
  { name: 'm_freem', arg: 0 }, { name: 'm_free', arg: 0 }, { name: 'objcache_put', arg: 1 },
  { name: 'mpipe_free', arg: 1 }, { name: 'free_domain', arg: 0 }, { name: 'zfree_arg', arg: 1 },
];

const argKey = { acquireArg: 0, releaseArg: 0 };
const freebsdResources: ResourcePair[] = [
  { kind: 'lock', acquire: ['mtx_lock', 'mtx_lock_flags'], release: ['mtx_unlock', 'mtx_unlock_flags'], key: argKey, forbidsSleep: true, forbidsAlloc: false, description: 'mutex' },
  { kind: 'spinlock', acquire: ['mtx_lock_spin', 'mtx_lock_spin_flags'], release: ['mtx_unlock_spin', 'mtx_unlock_spin_flags'], key: argKey, forbidsSleep: true, forbidsAlloc: true, description: 'spin mutex' },
  { kind: 'rwlock', acquire: ['rw_wlock', 'rw_rlock'], release: ['rw_wunlock', 'rw_runlock', 'rw_unlock'], key: argKey, forbidsSleep: true, forbidsAlloc: false, description: 'rwlock' },
  /*
   * rmlock(9): "readers cannot sleep", also on RM_SLEEPABLE locks; a writer may sleep only on an
   * RM_SLEEPABLE lock, which the call does not show, so the write side is taken as non-sleepable too.
   */
  { kind: 'rwlock', acquire: ['rm_wlock'], release: ['rm_wunlock'], key: argKey, forbidsSleep: true, forbidsAlloc: false, description: 'rmlock' },
  { kind: 'rwlock', acquire: ['rm_rlock'], release: ['rm_runlock'], key: argKey, forbidsSleep: true, forbidsAlloc: false, description: 'rmlock (read)' },
  /*
   * epoch(9): the API "does not support sleeping in epoch_preempt sections", and only non-sleepable locks
   * may be taken in one; non-preemptible sections (epoch_enter) do not even allow preemption.
   * NET_EPOCH_ENTER(et) is a macro of sys/net/if_var.h or sys/epoch.h; listed so that trees without that header see it.
   */
  { kind: 'epoch', acquire: ['NET_EPOCH_ENTER', 'epoch_enter_preempt', 'epoch_enter'], release: ['NET_EPOCH_EXIT', 'epoch_exit_preempt', 'epoch_exit'], key: { none: true }, forbidsSleep: true, forbidsAlloc: false, description: 'epoch section' },
  { kind: 'sleeplock', acquire: ['sx_xlock', 'sx_slock'], release: ['sx_xunlock', 'sx_sunlock', 'sx_unlock'], key: argKey, forbidsSleep: false, forbidsAlloc: false, description: 'sx lock' },
  { kind: 'critical', acquire: ['critical_enter'], release: ['critical_exit'], key: { none: true }, forbidsSleep: true, forbidsAlloc: true, description: 'critical section' },
  /* DragonFly critical sections are per-thread and survive a blocking call (kmalloc(9), crit_enter(9)). */
  { kind: 'critical', acquire: ['crit_enter', 'crit_enter_id', 'crit_enter_gd'], release: ['crit_exit', 'crit_exit_id', 'crit_exit_gd'], key: { none: true }, forbidsSleep: false, forbidsAlloc: false, description: 'critical section' },
  { kind: 'spinlock', acquire: ['spin_lock', 'spin_lock_wr', 'spin_lock_rd', 'spin_lock_quick', 'spin_lock_shared'], release: ['spin_unlock', 'spin_unlock_wr', 'spin_unlock_rd', 'spin_unlock_quick', 'spin_unlock_shared', 'spin_unlock_any'], key: argKey, forbidsSleep: true, forbidsAlloc: false, description: 'spin lock' },
  { kind: 'token', acquire: ['lwkt_gettoken', 'lwkt_gettoken_shared'], release: ['lwkt_reltoken'], key: argKey, forbidsSleep: false, forbidsAlloc: false, description: 'LWKT token' },
  { kind: 'sleeplock', acquire: ['lwkt_serialize_enter'], release: ['lwkt_serialize_exit'], key: argKey, forbidsSleep: false, forbidsAlloc: false, description: 'LWKT serializer' },
  { kind: 'sleeplock', acquire: ['lockmgr'], release: [], key: argKey, forbidsSleep: false, forbidsAlloc: false, description: 'lockmgr lock' },
  { kind: 'spl', acquire: ['splbio', 'splnet', 'splimp', 'spltty', 'splhigh', 'splclock', 'splvm', 'splcam', 'splsoftclock', 'splsoftnet', 'splsofttty', 'splstatclock', 'splsoftcam', 'splsoftvm', 'splxx'], release: ['splx'], key: { returned: true, releaseArg: 0 }, forbidsSleep: false, forbidsAlloc: false, description: 'spl level' },
  { kind: 'resource', acquire: ['cam_periph_getccb'], release: ['xpt_release_ccb'], key: { returned: true, releaseArg: 0 }, forbidsSleep: false, forbidsAlloc: false, description: 'CAM CCB' },
  { kind: 'resource', acquire: ['xpt_alloc_ccb', 'xpt_alloc_ccb_nowait'], release: ['xpt_free_ccb'], key: { returned: true, releaseArg: 0 }, forbidsSleep: false, forbidsAlloc: false, description: 'CAM CCB' },
];

/*
 * The kernel's own resources a failure path can leak (nowait-null-leak): newbus children, bus resources,
 * interrupts, bus_dma tags, maps and memory, ifnets, multicast memberships, CAM paths, SIMs and queues,
 * taskqueues, reference counts. Sources: device_add_child(9), bus_alloc_resource(9),
 * bus_release_resource(9), bus_setup_intr(9), bus_dma(9), ifnet(9), refcount(9), taskqueue(9), and the
 * DragonFly prototypes in sys/sys/bus.h, sys/sys/bus_dma.h, net/if_var.h, bus/cam/cam_sim.h and
 * bus/cam/cam_xpt.h (2004 and 2020). Callouts are not here: callout_init(9) creates no handle to release.
 */
const held = (description: string, acquire: string[], release: string[], key: ResourcePair['key'], more: Partial<ResourcePair> = {}): ResourcePair =>
  ({ kind: 'resource', acquire, release, key, forbidsSleep: false, forbidsAlloc: false, description, ...more });
const returned = (releaseArg: number) => ({ returned: true, releaseArg }) as const;
const kernelResources = (intrCookie: number): ResourcePair[] => [
  held('child device', ['device_add_child', 'device_add_child_ordered', 'BUS_ADD_CHILD'], ['device_delete_child'], returned(1), { releaseAll: ['device_delete_children'], failsWith: 'null' }),
  held('bus resource', ['bus_alloc_resource', 'bus_alloc_resource_any', 'bus_alloc_resource_anywhere'], ['bus_release_resource'], returned(3), { failsWith: 'null' }),
  held('interrupt handler', ['bus_setup_intr', 'bus_setup_intr_descr'], ['bus_teardown_intr'], { out: intrCookie, releaseArg: 2 }, { failsWith: 'error' }),
  held('bus_dma tag', ['bus_dma_tag_create'], ['bus_dma_tag_destroy'], { out: -1, releaseArg: 0 }, { failsWith: 'error' }),
  held('bus_dma map', ['bus_dmamap_create'], ['bus_dmamap_destroy'], { out: 2, releaseArg: 1 }, { failsWith: 'error' }),
  held('bus_dma memory', ['bus_dmamem_alloc'], ['bus_dmamem_free'], { out: 1, releaseArg: 1 }, { failsWith: 'error' }),
  held('ifnet', ['if_alloc', 'if_alloc_dev'], ['if_free'], returned(0), { failsWith: 'null' }),
  // FreeBSD also drops a membership by the ifmultiaddr that if_addmulti() handed back (if_delmulti_ifma(ifma)):
  // that names the out-argument, not the address, so it counts as releasing the memberships the function holds
  held('multicast membership', ['if_addmulti'], ['if_delmulti'], { acquireArg: 1, releaseArg: 1 }, { releaseAll: ['if_delmulti_ifma'] }),
  held('CAM path', ['xpt_create_path', 'xpt_create_path_unlocked'], ['xpt_free_path'], { out: 0, releaseArg: 0 }, { failsWith: 'error' }),
  held('CAM SIM', ['cam_sim_alloc'], ['cam_sim_free', 'cam_sim_release'], returned(0), { failsWith: 'null' }),
  held('CAM SIM queue', ['cam_simq_alloc'], ['cam_simq_free', 'cam_simq_release'], returned(0), { failsWith: 'null' }),
  held('taskqueue', ['taskqueue_create', 'taskqueue_create_fast'], ['taskqueue_free'], returned(0), { failsWith: 'null' }),
  held('reference', ['refcount_acquire'], ['refcount_release'], argKey),
];

/* DragonFly's mtx(9) is a sleepable lock: it may be held across tsleep. DragonFly has no epoch(9). */
const dragonflyResources: ResourcePair[] = [
  ...freebsdResources
    .filter((r) => r.kind !== 'epoch')
    .map((r) => (r.acquire.includes('mtx_lock') ? ({ ...r, kind: 'sleeplock', forbidsSleep: false, description: 'mtx lock' } as ResourcePair) : r)),
  /* bus_setup_intr(dev, r, flags, handler, arg, cookiep[, serializer]): the cookie is argument 5 */
  ...kernelResources(5),
];
/* bus_setup_intr(dev, r, flags, filter, handler, arg, cookiep) */
freebsdResources.push(...kernelResources(6));

/*
 * Lock assertions: mutex(9) mtx_assert MA_OWNED, rwlock(9) rw_assert RA_LOCKED/RA_RLOCKED/RA_WLOCKED,
 * rmlock(9) rm_assert, epoch(9) NET_EPOCH_ASSERT. sx(9) sx_assert and lockmgr(9) lockmgr_assert are
 * listed as locks that allow sleeping (an sx or lockmgr lock may be held across a sleep): asserting one
 * restricts nothing, but a macro made of one is a known lock, not an unknown one.
 */
const sleepableAssert = (name: string, description: string, arg = 0): LockAssert => ({ name, arg, description, forbidsSleep: false, forbidsAlloc: false });
const freebsdLockAsserts: LockAssert[] = [
  sleepableAssert('sx_assert', 'sx lock'),
  sleepableAssert('lockmgr_assert', 'lockmgr lock'),
  { name: 'mtx_assert', arg: 0, howArg: 1, held: ['MA_OWNED'], description: 'mutex', forbidsSleep: true, forbidsAlloc: false },
  { name: 'rw_assert', arg: 0, howArg: 1, held: ['RA_LOCKED', 'RA_RLOCKED', 'RA_WLOCKED'], description: 'rwlock', forbidsSleep: true, forbidsAlloc: false },
  { name: 'rm_assert', arg: 0, howArg: 1, held: ['RA_LOCKED', 'RA_RLOCKED', 'RA_WLOCKED'], description: 'rmlock', forbidsSleep: true, forbidsAlloc: false },
  { name: 'NET_EPOCH_ASSERT', description: 'epoch section', forbidsSleep: true, forbidsAlloc: false },
];

/**
 * Return values other than 0 that report success to the caller: a CAM peripheral constructor
 * (cam_periph_alloc's periph_ctor_t) returns a cam_status, CAM_REQ_CMP when it succeeded.
 */
const successCodes = ['CAM_REQ_CMP'];

const noReturn = ['panic', 'vpanic', 'kassert_panic', 'kproc_exit', 'kthread_exit', 'lwkt_exit', 'lwp_exit', 'exit1', 'cpu_proc_exit', 'cpu_thread_exit', 'cpu_lwp_exit', 'sigexit', 'crit_panic', 'longjmp'];
const asserts: Record<string, number> = { KASSERT: 0, MPASS: 0, KKASSERT: 0, MPASS2: 0, VNASSERT: 0, KKASSERT_UNSPIN: 0 };

const derefArgs: Record<string, number[]> = {
  bzero: [0], memset: [0], explicit_bzero: [0], bcopy: [0, 1], ovbcopy: [0, 1], memcpy: [0, 1], memmove: [0, 1],
  memcmp: [0, 1], bcmp: [0, 1], strcpy: [0, 1], strncpy: [0, 1], strlcpy: [0, 1], strcat: [0, 1], strlcat: [0, 1],
  strcmp: [0, 1], strncmp: [0, 1], strlen: [0], sprintf: [0], snprintf: [0], ksprintf: [0], ksnprintf: [0],
  copyin: [1], copyout: [0], copyinstr: [1], copystr: [1],
  TAILQ_INSERT_HEAD: [1], TAILQ_INSERT_TAIL: [1], TAILQ_INSERT_AFTER: [2], TAILQ_INSERT_BEFORE: [0], TAILQ_REMOVE: [1],
  LIST_INSERT_HEAD: [1], LIST_INSERT_AFTER: [0, 1], LIST_INSERT_BEFORE: [0, 1], LIST_REMOVE: [0],
  STAILQ_INSERT_HEAD: [1], STAILQ_INSERT_TAIL: [1], STAILQ_INSERT_AFTER: [2], SLIST_INSERT_HEAD: [1], SLIST_INSERT_AFTER: [0, 1],
  TAILQ_INIT: [0], LIST_INIT: [0], STAILQ_INIT: [0], SLIST_INIT: [0],
  mtx_init: [0], sx_init: [0], rw_init: [0], lockinit: [0], spin_init: [0], callout_init: [0], callout_init_mtx: [0],
  bus_dmamap_load: [3], uiomove: [0], m_copydata: [3], m_copyback: [3], mtod: [0],
};

const mbufFamilyFreeBSD: FlagFamilySpec = {
  bits: { nowait: 0x1, waitok: 0x2, nullok: 0, useReserve: 0, useInterruptReserve: 0 },
  flags: [
    { name: 'M_NOWAIT', value: 0x1 }, { name: 'M_WAITOK', value: 0x2 },
    { name: 'M_DONTWAIT', value: 0x1, doc: 'old spelling of M_NOWAIT' },
    { name: 'M_WAIT', value: 0x2, doc: 'old spelling of M_WAITOK' }, { name: 'M_TRYWAIT', value: 0x2, doc: 'old spelling of M_WAITOK' },
  ],
  waitMayFail: 'never',
  exclusiveWaitFlags: ['M_NOWAIT', 'M_WAITOK'],
  spell: { wait: 'M_WAITOK', nowait: 'M_NOWAIT' },
};

export const FREEBSD: DialectModel = {
  name: 'freebsd',
  allocators: freebsdAllocators,
  frees,
  families: {
    malloc: {
      bits: { nowait: 0x1, waitok: 0x2, nullok: 0, useReserve: 0x400, useInterruptReserve: 0 },
      flags: [
        { name: 'M_NOWAIT', value: 0x1 }, { name: 'M_WAITOK', value: 0x2 }, { name: 'M_ZERO', value: 0x100 },
        { name: 'M_NOVM', value: 0x200 }, { name: 'M_USE_RESERVE', value: 0x400 }, { name: 'M_NODUMP', value: 0x800 },
        { name: 'M_FIRSTFIT', value: 0x1000 }, { name: 'M_BESTFIT', value: 0x2000 }, { name: 'M_EXEC', value: 0x4000 },
        { name: 'M_NEXTFIT', value: 0x8000 }, { name: 'M_NEVERFREED', value: 0x10000 }, { name: 'M_NOFREE', value: 0x20000 },
        { name: 'M_DONTWAIT', value: 0x1, doc: 'mbuf spelling of M_NOWAIT' },
      ],
      waitMayFail: 'never',
      exclusiveWaitFlags: ['M_NOWAIT', 'M_WAITOK'],
      spell: { wait: 'M_WAITOK', nowait: 'M_NOWAIT', useReserve: 'M_USE_RESERVE', useInterruptReserve: 'M_USE_INTERRUPT_RESERVE' },
    },
    mbuf: mbufFamilyFreeBSD,
    objcache: mbufFamilyFreeBSD,
  },
  resources: freebsdResources,
  lockAsserts: freebsdLockAsserts,
  noReturn,
  successCodes,
  asserts,
  derefArgs,
  source: 'built-in',
};

const dflyMalloc: FlagFamilySpec = {
  bits: { nowait: 0x1, waitok: 0x2, nullok: 0x400, useReserve: 0x200, useInterruptReserve: 0x1000 },
  flags: [
    { name: 'M_RNOWAIT', value: 0x1 }, { name: 'M_WAITOK', value: 0x2 }, { name: 'M_ZERO', value: 0x100 },
    { name: 'M_USE_RESERVE', value: 0x200 }, { name: 'M_NULLOK', value: 0x400 }, { name: 'M_PASSIVE_ZERO', value: 0x800 },
    { name: 'M_USE_INTERRUPT_RESERVE', value: 0x1000 }, { name: 'M_POWEROF2', value: 0x2000 }, { name: 'M_CACHEALIGN', value: 0x4000 },
    { name: 'M_NOWAIT', value: 0x1 | 0x400 | 0x200, doc: 'M_RNOWAIT|M_NULLOK|M_USE_RESERVE' },
    { name: 'M_SYSNOWAIT', value: 0x1 | 0x400 | 0x200 },
    { name: 'M_INTNOWAIT', value: 0x1 | 0x400 | 0x200 | 0x1000, doc: 'M_NOWAIT|M_USE_INTERRUPT_RESERVE' },
    { name: 'M_INTWAIT', value: 0x2 | 0x200 | 0x1000, doc: 'M_WAITOK|M_USE_RESERVE|M_USE_INTERRUPT_RESERVE' },
    { name: 'M_SYSWAIT', value: 0x2 | 0x200 }, { name: 'M_SYSALLOC', value: 0x2 | 0x200 },
    /* mbuf spellings passed to kmalloc by mistake: read as the author meant them, no-wait */
    { name: 'M_DONTWAIT', value: 0x1, doc: 'mbuf flag used in a malloc call; read as no-wait' },
    { name: 'MB_DONTWAIT', value: 0x1, doc: 'mbuf flag used in a malloc call; read as no-wait' },
  ],
  waitMayFail: 'nullok',
  exclusiveWaitFlags: ['M_WAITOK', 'M_INTWAIT', 'M_NOWAIT', 'M_INTNOWAIT', 'M_SYSWAIT', 'M_SYSALLOC', 'M_SYSNOWAIT', 'M_RNOWAIT'],
  spell: { wait: 'M_WAITOK', nowait: 'M_NOWAIT', intwait: 'M_INTWAIT', intnowait: 'M_INTNOWAIT', useReserve: 'M_USE_RESERVE', useInterruptReserve: 'M_USE_INTERRUPT_RESERVE' },
};

const dflyMbuf: FlagFamilySpec = {
  bits: { nowait: 0x4, waitok: 0x8, nullok: 0, useReserve: 0, useInterruptReserve: 0 },
  flags: [
    { name: 'M_DONTWAIT', value: 0x4 }, { name: 'M_TRYWAIT', value: 0x8 }, { name: 'M_WAIT', value: 0x8 },
    { name: 'MB_DONTWAIT', value: 0x4 }, { name: 'MB_TRYWAIT', value: 0x8 }, { name: 'MB_WAIT', value: 0x8 },
    { name: 'M_NOWAIT', value: 0x4 }, { name: 'M_WAITOK', value: 0x8 },
  ],
  /* 2004 mbuf code could still return NULL after a bounded wait: never call such a test dead. */
  waitMayFail: 'unknown',
  exclusiveWaitFlags: ['M_DONTWAIT', 'M_TRYWAIT', 'M_WAIT', 'MB_DONTWAIT', 'MB_WAIT', 'MB_TRYWAIT', 'M_NOWAIT', 'M_WAITOK'],
  spell: { wait: 'M_WAIT', nowait: 'M_DONTWAIT' },
};

export const DRAGONFLY: DialectModel = {
  name: 'dragonfly',
  allocators: dragonflyAllocators,
  frees,
  families: {
    malloc: dflyMalloc,
    mbuf: dflyMbuf,
    objcache: {
      ...dflyMalloc,
      waitMayFail: 'nullok',
    },
  },
  resources: dragonflyResources,
  /* lockmgr(9): lockstatus() and lockowned() test a lockmgr lock, which may be held across a sleep */
  lockAsserts: [sleepableAssert('lockstatus', 'lockmgr lock'), sleepableAssert('lockowned', 'lockmgr lock')],
  noReturn,
  successCodes,
  asserts,
  derefArgs,
  source: 'built-in',
};

export const DIALECTS: Record<string, DialectModel> = { freebsd: FREEBSD, dragonfly: DRAGONFLY };
