import type { Rule } from './types';

/**
 * unused-suppression: the one rule the workflow layer reports
 * (src/workflow/suppress.ts), after the analysis rules ran and the inline
 * suppressions were matched. Its check is empty; it is registered here for
 * --list-rules, the docs and SARIF.
 */
export const UNUSED_SUPPRESSION_ID = 'unused-suppression';

export const unusedSuppressionRule: Rule = {
  meta: {
    id: UNUSED_SUPPRESSION_ID,
    name: 'UnusedSuppression',
    severity: 'note',
    summary: 'An inline kmalloc-lint suppression comment that silences no finding',
    doc: {
      what: 'A `kmalloc-lint: ignore ...` or `NOLINT(kmalloc-lint-...)` comment that matched no finding of the named rule on its line.',
      why: 'The code it excused was fixed or moved; a stale suppression would silently hide a future finding on that line.',
      example: 'p = malloc(n, M_DEVBUF, M_WAITOK); /* kmalloc-lint: ignore nowait-null-deref -- old */',
      fix: 'Delete the comment, or move it to the line of the allocation it is meant for.',
    },
    options:
      'It is reported by the suppression pass after the other rules ran, so it follows them: a suppression naming a rule that did not run is not reported (one naming an unknown rule always is). Turn it off with `--disable-rule unused-suppression` or `"unused-suppression": "off"` in `.kmalloc-lint.json`; set its severity there too.',
    tags: ['maintainability'],
    precision: 'very-high',
    securitySeverity: '0.0',
  },
  check() {},
};
