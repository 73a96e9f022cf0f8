import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText, suggestionText } from './context-util';
import { failurePathOk } from '../src/context/suggest';

export const nowaitInSleepable: Rule = {
  meta: {
    id: 'nowait-in-sleepable',
    name: 'NowaitInSleepable',
    severity: 'note',
    summary: 'A no-wait allocation where the code may sleep and the failure path only returns an error',
    tags: ['maintainability', 'kernel', 'context', 'reliability'],
    precision: 'medium',
    securitySeverity: '0.0',
    doc: {
      what: 'Finds M_NOWAIT allocations in code that may sleep (an attach, probe, ioctl or open routine, a kernel thread, a taskqueue handler, a SYSINIT, a function that sleeps itself under the same locks, or is called only from such code) whose NULL path is correct but only turns the failure into an error return. No-wait flags the code means are left alone: a comment saying it must not sleep, a failure path that falls back to another allocation or retries later, a retry loop. A lock macro the tree does not define held at the call makes the context unknown. `--fix` rewrites only where the evidence holds at the call: not for exported functions sleepable only through the callers seen, prefill loops that stop at the first failure, or one arm of a choice about waiting.',
      why: 'A no-wait allocation fails under memory pressure although the caller could simply have waited: the operation fails spuriously (a device does not attach, an ioctl returns ENOMEM) and the error path is rarely tested. M_WAITOK cannot fail, which removes the error path.',
      example: `sc->sc_buf = malloc(BUFSZ, M_DEVBUF, M_NOWAIT);
if (sc->sc_buf == NULL)
	return (ENOMEM);`,
      fix: 'Use M_WAITOK (keeping M_ZERO and the other flags) and remove the NULL test, which becomes dead. `--fix` rewrites the flags where the context is proved; it leaves the dead test to you.',
      fixedExample: `sc->sc_buf = malloc(BUFSZ, M_DEVBUF, M_WAITOK);`,
    },
  },
  check(site, ctx) {
    if (site.verdict.klass !== 'nowait' || site.verdict.canFail !== 'yes') return;
    const c = contextOf(site);
    if (!c || c.level !== 'sleepable' || site.extra?.suggestedClass !== 'wait') return;
    if (!failurePathOk(site)) return; // broken failure paths are the null-* rules' business
    if (c.choice) return; // the code means its no-wait flags (a fallback, a retry, a comment)
    ctx.report({ message: `${callText(site)} may fail although the code may sleep${c.weak ? ' (judged by the function name)' : ''}: ${evidenceText(c)}.${suggestionText(site)}` });
  },
};
