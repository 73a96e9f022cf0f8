import type { Rule } from './types';
import { callText } from './types';

export const nowaitNullLeak: Rule = {
  meta: {
    id: 'nowait-null-leak',
    name: 'NowaitNullLeak',
    severity: 'warning',
    summary: 'The failure path of a no-wait allocation leaks memory or returns with a lock held',
    tags: ['correctness', 'reliability', 'kernel', 'resource-leak'],
    precision: 'medium',
    securitySeverity: '5.0',
    doc: {
      what: 'Finds allocations that may return NULL whose failure path leaves the function while still holding what the function acquired earlier: memory held only in a local variable, a mutex, spin lock, rwlock, sx lock, lockmgr lock, token, critical section or spl level, or a paired resource such as a CAM CCB. It also finds `p = realloc(p, ...)`, which loses the old buffer when realloc fails.',
      why: 'Failure paths run rarely, so their leaks survive review and testing. A leaked lock deadlocks the next caller; a leaked spl level or critical section leaves interrupts blocked; leaked memory under memory pressure makes the shortage that caused the failure worse.',
      example: `mtx_lock(&sc->sc_mtx);
e = malloc(sizeof(*e), M_DEVBUF, M_NOWAIT);
if (e == NULL)
	return (ENOMEM);`,
      fix: 'Release everything on the failure path, usually with a single `goto fail` cleanup label that undoes the acquisitions in reverse order. For realloc, assign to a temporary first, or use reallocf().',
      fixedExample: `mtx_lock(&sc->sc_mtx);
e = malloc(sizeof(*e), M_DEVBUF, M_NOWAIT);
if (e == NULL) {
	mtx_unlock(&sc->sc_mtx);
	return (ENOMEM);
}`,
    },
  },
  check(site, ctx) {
    if (site.verdict.canFail !== 'yes') return;
    if (site.failure.reallocLost) {
      ctx.report({
        message: `${callText(site)} assigns its result to the buffer it reallocates: when it fails the old buffer '${site.lvalue}' is lost; use a temporary or reallocf()`,
      });
      return;
    }
    const l = site.failure.leaks[0];
    if (!l) return;
    ctx.report({
      message: `when ${callText(site)} fails, the function leaves at line ${l.line} still holding ${l.resources.join(', ')}`,
      related: site.failure.leaks.slice(0, 3),
    });
  },
};
