import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText } from './context-util';

export const allocInAtomic: Rule = {
  meta: {
    id: 'alloc-in-atomic',
    name: 'AllocInAtomic',
    severity: 'warning',
    summary: 'An allocation, even a no-wait one, under a spin mutex, in a critical section or in an interrupt filter',
    tags: ['correctness', 'kernel', 'locking', 'context'],
    precision: 'high',
    securitySeverity: '5.5',
    doc: {
      what: 'Finds any malloc-family call made while a lock that forbids allocation is held (FreeBSD spin mutex, critical_enter section), or in a function that runs as an interrupt filter (or is called from one). The model\'s lock table says which locks forbid allocation (forbidsAlloc).',
      why: 'FreeBSD malloc(9): malloc, realloc and free "may not be called in a critical section or while holding a spin lock", not even with M_NOWAIT, because the allocator itself takes sleepable locks. A filter runs in primary interrupt context, where only spin mutexes may be taken.',
      example: `mtx_lock_spin(&sc->sc_spin);
ev = malloc(sizeof(*ev), M_DEVBUF, M_NOWAIT);`,
      fix: 'Allocate before entering the section, or preallocate (a free list or UMA zone filled outside it).',
      fixedExample: `ev = malloc(sizeof(*ev), M_DEVBUF, M_WAITOK);
mtx_lock_spin(&sc->sc_spin);`,
    },
  },
  check(site, ctx) {
    if (site.family !== 'malloc' && site.family !== 'objcache') return;
    const c = contextOf(site);
    if (!c || c.level !== 'noalloc' || c.weak) return;
    ctx.report({ message: `${callText(site)} allocates where no allocation is allowed: ${evidenceText(c)}` });
  },
};
