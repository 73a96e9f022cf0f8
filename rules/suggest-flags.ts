import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText } from './context-util';
import { suggestionNote } from '../src/report/findings';

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
      what: 'For every allocation whose context the linter could infer (interrupt handler, callout, lock held, attach path, kernel thread, ...) and whose flags differ from what the allocator model suggests there, a note with the suggested flags and the evidence. Sites whose context is unknown get no note (the findings of the other rules say \"context unknown\"). This is an audit aid for reviewing a whole tree; the default rules attach the same suggestion to their findings.',
      why: 'Choosing the wait class is a question of context: M_WAITOK where the code may sleep (the allocation cannot fail), and on DragonFly M_INTWAIT in interrupt threads; no-wait flags with a correct failure path only where the code may not sleep.',
      example: `/* in foo_attach(), which may sleep */
sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_NOWAIT | M_ZERO);`,
      fix: 'Apply the suggestion (`--fix` writes the ones the model proves safe).',
      fixedExample: `	sc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_WAITOK | M_ZERO);`,
    },
  },
  check(site, ctx) {
    const s = suggestionNote(site.extra);
    const c = contextOf(site);
    if (!c || !s) return; // unknown context or flags that fit: nothing to say (findings of other rules carry context.level "unknown")
    ctx.report({ message: `${callText(site)}: ${s}; ${c.weak ? 'context judged by the function name: ' : ''}${evidenceText(c)}` });
  },
};
