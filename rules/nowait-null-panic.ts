import type { Rule } from './types';
import { callText } from './types';

export const nowaitNullPanic: Rule = {
  meta: {
    id: 'nowait-null-panic',
    name: 'NowaitNullPanic',
    severity: 'error',
    summary: 'A no-wait allocation whose failure path panics or asserts success',
    tags: ['correctness', 'reliability', 'kernel', 'allocation'],
    precision: 'high',
    securitySeverity: '6.5',
    doc: {
      what: 'Finds allocations that may return NULL (M_NOWAIT and equivalents) whose NULL path calls panic() or a function that never returns, or asserts that the result is not NULL (KASSERT, MPASS, KKASSERT). A panic counts only when the NULL result decides that it is reached: on the failure branch of a test of the result (or of a value the failure branch set), not a state check that the success path reaches too, and not one reached only through another turn of a loop.',
      why: 'M_NOWAIT allocations fail whenever free memory is short, which happens in normal operation under load. Panicking turns a transient shortage into a crash of the whole machine. Matthew Dillon found CAM doing exactly this in 2004. If the code can sleep it should ask for M_WAITOK, which cannot fail; if it cannot sleep, DragonFly offers M_INTWAIT (interrupt reserve) and FreeBSD M_USE_RESERVE; otherwise the failure must be handled.',
      example: `ccb = malloc(sizeof(*ccb), M_DEVBUF, M_NOWAIT);
if (ccb == NULL)
	panic("xpt: out of memory");`,
      fix: 'Where the code may sleep, use M_WAITOK and drop the NULL test. Where it may not (interrupt threads, under a mutex), use M_INTWAIT on DragonFly, or keep M_NOWAIT (with M_USE_RESERVE on FreeBSD) and return an error that the caller handles.',
      fixedExample: `ccb = malloc(sizeof(*ccb), M_DEVBUF, M_NOWAIT);
if (ccb == NULL)
	return (ENOMEM);`,
    },
  },
  check(site, ctx) {
    if (site.verdict.canFail !== 'yes' || !site.failure.panic) return;
    const p = site.failure.panic;
    ctx.report({
      message: `${callText(site)} can ${site.extra?.statusOut !== undefined ? 'fail (it returns an error)' : 'return NULL'}, and its failure path panics: ${p.message} (line ${p.line})`,
      related: [p],
    });
  },
};
