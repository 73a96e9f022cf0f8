import type { Rule } from './types';

export const waitFlagMissing: Rule = {
  meta: {
    id: 'wait-flag-missing',
    name: 'WaitFlagMissing',
    severity: 'warning',
    summary: 'An allocation gives neither or both of the wait flags',
    tags: ['correctness', 'kernel', 'api-misuse'],
    precision: 'very-high',
    securitySeverity: '4.0',
    doc: {
      what: 'Finds malloc-family calls whose flags give neither or both wait classes. FreeBSD malloc(9) requires exactly one of M_WAITOK and M_NOWAIT; DragonFly kmalloc(9) requires exactly one of M_WAITOK, M_INTWAIT and M_NOWAIT (or their M_INT*/M_SYS* combinations). An allocator with its own contract in the model is judged by it: DragonFly contigmalloc tests only M_WAITOK (and M_ZERO), so flags 0 ask for a no-wait allocation that may return NULL and are not reported.',
      why: 'With neither flag the behaviour depends on the header\'s bit values: in old FreeBSD headers M_WAITOK was 0, so `M_ZERO` alone meant "may sleep", while today INVARIANTS kernels panic on it. With both, the call may sleep although the author expected it not to.',
      example: `p = malloc(len, M_DEVBUF, M_ZERO);`,
      fix: 'Say which you mean: M_WAITOK where the code may sleep, M_NOWAIT (with a failure path) where it may not.',
      fixedExample: `p = malloc(len, M_DEVBUF, M_WAITOK | M_ZERO);`,
    },
  },
  check(site, ctx) {
    if (site.family !== 'malloc' && site.family !== 'objcache') return;
    const w = site.verdict.waitClass;
    if (w !== 'none' && w !== 'both') return;
    const fam = ctx.model.family(site.family as 'malloc');
    const names = fam.spell.intwait ? `${fam.spell.wait}, ${fam.spell.intwait} or ${fam.spell.nowait}` : `${fam.spell.wait} or ${fam.spell.nowait}`;
    ctx.report({
      message:
        w === 'none'
          ? `${site.allocator}() flags '${site.flags}' give no wait class: exactly one of ${names} is required`
          : `${site.allocator}() flags '${site.flags}' give both a waiting and a no-wait class: exactly one of ${names} is required`,
    });
  },
};
