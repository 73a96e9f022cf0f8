import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText } from './context-util';

export const suggestFlagsRule: Rule = {
  meta: {
    id: 'suggest-flags',
    name: 'SuggestFlags',
    severity: 'note',
    summary: 'Flags the allocator model suggests for an allocation, from its inferred context (opt-in; one note per site)',
    tags: ['maintainability', 'kernel', 'context'],
    precision: 'medium',
    securitySeverity: '0.0',
    optIn: true,
    doc: {
      what: 'For every allocation whose context the linter could infer (interrupt handler, callout, lock held, attach path, kernel thread, ...) and whose flags differ from what the allocator model suggests there, a note with the suggested flags and the evidence; for a no-wait allocation whose context is unknown, a note saying so. This is an audit aid for reviewing a whole tree; the default rules attach the same suggestion to their findings.',
      why: 'Choosing the wait class is a question of context: M_WAITOK where the code may sleep (the allocation cannot fail), and on DragonFly M_INTWAIT in interrupt threads; no-wait flags with a correct failure path only where the code may not sleep.',
      example: `static int
foo_attach(device_t dev)
{
	sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_NOWAIT | M_ZERO);`,
      fix: 'Apply the suggestion (`--fix` writes the ones the model proves safe).',
      fixedExample: `	sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_WAITOK | M_ZERO);`,
    },
  },
  check(site, ctx) {
    const s = site.extra?.suggestion as string | undefined;
    const c = contextOf(site);
    if (!c) return;
    if (!s) {
      // the audit says so when it cannot decide a no-wait site; a site whose flags fit its context needs no note
      if (c.level === 'unknown' && site.verdict.canFail === 'yes' && (site.verdict.klass === 'nowait' || site.verdict.klass === 'intnowait'))
        ctx.report({ message: `${callText(site)}: context unknown, no suggestion (${evidenceText(c)})` });
      return;
    }
    ctx.report({ message: `${callText(site)}: ${s}; ${c.weak ? 'context judged by the function name: ' : ''}${evidenceText(c)}` });
  },
};
