import type { Rule } from './types';
import { callText } from './types';

export const waitokNullCheck: Rule = {
  meta: {
    id: 'waitok-null-check',
    name: 'WaitokNullCheck',
    severity: 'note',
    summary: 'A NULL test after an allocation that the model says cannot fail',
    tags: ['maintainability', 'dead-code', 'kernel'],
    precision: 'high',
    securitySeverity: '0.0',
    doc: {
      what: 'Finds NULL tests of the result of an allocation that cannot return NULL: FreeBSD malloc(9) with M_WAITOK, DragonFly kmalloc(9) with M_WAITOK or M_INTWAIT and without M_NULLOK. A test is called dead only when every path into it carries such a result: a cleanup test that other paths reach with NULL (the buffer was allocated on one branch only, or a goto from before the allocation) is needed and is not reported.',
      why: 'The test is dead code. It suggests to readers that the allocation may fail, and its error path is never exercised, so it rots. On DragonFly a waiting allocation that reaches the pool limit panics rather than returning NULL unless M_NULLOK is given.',
      example: `buf = malloc(len, M_TEMP, M_WAITOK);
if (buf == NULL)
	return (ENOMEM);`,
      fix: 'Remove the test. If the allocation really may fail (a user-controlled size on DragonFly), add M_NULLOK and keep it.',
      fixedExample: `buf = malloc(len, M_TEMP, M_WAITOK);`,
    },
  },
  check(site, ctx) {
    if (site.verdict.canFail !== 'no' || !site.failure.nullTest) return;
    const t = site.failure.nullTest;
    ctx.report({
      message: `${callText(site)} cannot return NULL in ${ctx.model.name}; the NULL test at line ${t.line} is dead code`,
      related: [t],
    });
  },
};
