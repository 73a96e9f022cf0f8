import type { Rule } from './types';
import { callText } from './types';
import type { RelatedLoc } from '../src/analysis/types';

/** Where each held resource was acquired: its description ends in "(name() at line N)" (src/analysis/effects.ts). */
function acquiredAt(resources: string[]): RelatedLoc[] {
  const out: RelatedLoc[] = [];
  for (const r of resources) {
    const m = /^(.*) \((\w+)\(\) at line (\d+)\)$/.exec(r);
    if (!m) continue;
    const line = Number(m[3]);
    out.push({ line, col: 1, endLine: line, endCol: 1, message: `${m[1]} acquired here by ${m[2]}()` });
  }
  return out;
}

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
      what: 'Finds allocations that may return NULL whose failure path leaves the function while still holding what the function acquired earlier: memory held in a local variable (or in a member of an object it allocated), a mutex, spin lock, rwlock, sx lock, lockmgr lock, token, critical section or spl level, or one of the kernel\'s own resources: a newbus child (`device_add_child`), a bus resource, an interrupt handler, a bus_dma tag, map or memory, an ifnet, a multicast membership, a CAM path, CCB, SIM or SIM queue, a taskqueue, a reference count. In a function its file only hands out by name (a newbus method in a method table, a registered handler), what it stored in members of other objects (`sc->buf`, `sc->irq`) counts as held too: newbus does not call detach when attach fails. A call to the tree\'s own cleanup helper (the driver\'s detach or free routine, learned from the whole tree) releases the members it frees. In a loop that builds a pool one entry per iteration (a list insert, `sc->buf[i] = p`, `e->next = head; head = e`), a failure that leaves with an error also leaks the entries of the earlier iterations, unless the failure path frees them (a loop that frees, the driver\'s cleanup routine) or, for a helper, every caller in its file that gives up releases that member (directly or through detach). Memory a function allocates only under a condition (when the caller passed no buffer) counts on the paths that allocated it, unless the cleanup tests that condition, or a flag set beside the allocation, again. Each message names what leaks and where it was acquired. It also finds `p = realloc(p, ...)`, which loses the old buffer when realloc fails. A failure reported as success (attach returning 0 after the allocation failed) is not a leak and is left to a rule of its own.',
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
      related: [...site.failure.leaks.slice(0, 3), ...acquiredAt(l.resources)],
    });
  },
};
