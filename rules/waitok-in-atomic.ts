import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText, suggestionText } from './context-util';

export const waitokInAtomic: Rule = {
  meta: {
    id: 'waitok-in-atomic',
    name: 'WaitokInAtomic',
    severity: 'warning',
    summary: 'A sleeping allocation where the code may not sleep (non-sleepable lock, critical section, interrupt, callout)',
    tags: ['correctness', 'kernel', 'locking', 'context'],
    precision: 'medium',
    securitySeverity: '5.5',
    doc: {
      what: 'Finds allocations that may sleep (M_WAITOK, and on DragonFly M_INTWAIT) while a non-sleepable lock is held at the call (a FreeBSD mutex, rwlock, read-mostly lock or spin mutex, an epoch section, a DragonFly spin lock, a FreeBSD critical section), also when it is taken through the tree\'s own lock macros (`FOO_LOCK(sc)`, learned from their definitions), asserted (`mtx_assert(m, MA_OWNED)`, `rw_assert`, `FOO_LOCK_ASSERT(sc)`, `NET_EPOCH_ASSERT()`) or left held by a function that returns locked; or in a function that runs where sleeping is forbidden: an interrupt filter or (FreeBSD) interrupt thread, a fast interrupt, a callout or timeout handler, or anything such a function calls in the tree. A no-sleep context does not flow through calls that pass allocation flags or into the allocator itself, and ends where the function releases its caller\'s lock around the allocation.',
      why: 'Sleeping with a mutex held or in interrupt context is forbidden: WITNESS complains at best, and the thread that sleeps can deadlock the lock holder or the interrupt it preempted. The evidence for the context is given with each finding (the handler registration, the caller chain or the held lock).',
      example: `mtx_lock(&sc->sc_mtx);
buf = malloc(len, M_DEVBUF, M_WAITOK);`,
      fix: 'Allocate before taking the lock, or use a no-wait allocation (M_NOWAIT, with M_USE_RESERVE where it must succeed; M_INTNOWAIT on DragonFly) with a correct failure path.',
      fixedExample: `buf = malloc(len, M_DEVBUF, M_WAITOK);
mtx_lock(&sc->sc_mtx);`,
    },
  },
  check(site, ctx) {
    if (site.verdict.maySleep !== 'yes') return;
    const c = contextOf(site);
    if (!c || (c.level !== 'nosleep' && c.level !== 'noalloc') || c.weak) return;
    ctx.report({ message: `${callText(site)} may sleep, but this code may not: ${evidenceText(c)}.${suggestionText(site)}` });
  },
};
