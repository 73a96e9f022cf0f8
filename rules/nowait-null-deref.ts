import type { Rule } from './types';
import { callText } from './types';

export const nowaitNullDeref: Rule = {
  meta: {
    id: 'nowait-null-deref',
    name: 'NowaitNullDeref',
    severity: 'error',
    summary: 'The result of a no-wait allocation is dereferenced on a path where it may be NULL',
    tags: ['correctness', 'security', 'kernel', 'null-dereference'],
    precision: 'high',
    securitySeverity: '7.5',
    doc: {
      what: 'Finds allocations that may return NULL whose result is dereferenced (`p->f`, `*p`, `p[i]`), or handed to a function that dereferences it (bzero, bcopy, memcpy, strlcpy, list and queue insert macros, ...), on a path where it has not been tested against NULL. Allocators that report failure by a non-zero status and write the memory through an out-argument (`bus_dmamem_alloc(tag, &vaddr, flags, &map)`, and the tree\'s own `int` functions that return an errno and set `*out` from such an allocator or from a no-wait or flag-passing allocation) count too: the out-argument used where the status says the call failed, or where the status is ignored, is reported.',
      why: 'A NULL dereference in the kernel is a page fault in kernel mode: a panic at best, and with a mapped page zero an exploitable write. M_NOWAIT allocations do fail under memory pressure, exactly when a machine is busiest.',
      example: `sc = malloc(sizeof(*sc), M_DEVBUF, M_NOWAIT | M_ZERO);
sc->sc_dev = dev;`,
      fix: 'Test the result before using it and unwind on failure, or, where the code may sleep, allocate with M_WAITOK, which cannot return NULL.',
      fixedExample: `sc = malloc(sizeof(*sc), M_DEVBUF, M_NOWAIT | M_ZERO);
if (sc == NULL)
	return (ENOMEM);
sc->sc_dev = dev;`,
    },
  },
  check(site, ctx) {
    if (site.verdict.canFail !== 'yes') return;
    const fd = site.failure.fieldDeref;
    if (!site.failure.deref && fd?.length) {
      ctx.report({
        message: `${callText(site)} can return NULL; the result is stored in '${site.lvalue}' without a NULL test, and ${fd[0].message} (${fd[0].file}:${fd[0].line})`,
        related: fd,
      });
      return;
    }
    if (!site.failure.deref) return;
    const d = site.failure.deref;
    const out = site.extra?.statusOut;
    ctx.report({
      message: out !== undefined
        ? `${callText(site)} can fail (it returns an error), and its out-argument${out ? ` '${out}'` : ''} is used when it did: ${d.message} (line ${d.line})`
        : `${callText(site)} can return NULL, and the result is used without a NULL test: ${d.message} (line ${d.line})`,
      related: [d],
    });
  },
};
