import type { Rule } from './types';
import { callText } from './types';
import { contextOf, evidenceText } from './context-util';
import { suggestionNote } from '../src/report/findings';

export const suggestFlagsRule: Rule = {
  meta: {
    id: 'suggest-flags',
    name: 'SuggestFlags',
    severity: 'note',
    summary: 'Allocations whose flags the allocator model would change for their inferred context, with the flags it suggests (opt-in; a note only where it would change them)',
    tags: ['maintainability', 'kernel', 'context'],
    precision: 'medium',
    securitySeverity: '0.0',
    optIn: true,
    doc: {
      what: 'A note for each allocation (malloc, mbuf and objcache allocators whose flags are an argument of the call) whose flags the allocator model would change for the context the linter inferred, with the suggested flags and the evidence: no-wait flags where the code may sleep (suggests M_WAITOK, or M_INTWAIT on DragonFly where the reserve matters), M_WAITOK or a wrong failure path where the code may not sleep (suggests no-wait flags, with M_USE_RESERVE on FreeBSD or M_INTNOWAIT on DragonFly, and a correct failure path), DragonFly interrupt threads (M_INTWAIT), and places where nothing may be allocated at all (spin mutex, critical section, interrupt filter: move the allocation). Where the context is unknown, only DragonFly sites with no-wait flags get a note (M_INTWAIT is valid in any thread and cannot fail; never applied by --fix). No note for a site whose flags already fit its context or whose suggested flags are the ones it has, for a site of unknown context on FreeBSD, or for allocators that take no flags or always may fail (wrappers with the flags fixed inside, m_pullup). So the number of notes is the number of sites the model would change, not the number of allocations. This is an audit aid for reviewing a whole tree; the default rules attach the same suggestion to their findings.',
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
