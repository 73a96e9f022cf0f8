/**
 * Every rule, registered in one place (clang-tidy style). Adding a rule means
 * a module here, a line in this list, a fixture and a doc page.
 */
import type { Rule } from './types';
import { nowaitNullPanic } from './nowait-null-panic';
import { nowaitNullDeref } from './nowait-null-deref';
import { nowaitNullLeak } from './nowait-null-leak';
import { waitokNullCheck } from './waitok-null-check';
import { waitFlagMissing } from './wait-flag-missing';
import { waitokInAtomic } from './waitok-in-atomic';
import { allocInAtomic } from './alloc-in-atomic';
import { nowaitInSleepable } from './nowait-in-sleepable';
import { suggestFlagsRule } from './suggest-flags';

export const RULES: Rule[] = [nowaitNullPanic, nowaitNullDeref, nowaitNullLeak, waitokNullCheck, waitFlagMissing, waitokInAtomic, allocInAtomic, nowaitInSleepable, suggestFlagsRule];

export type { Rule, RuleMeta, Severity } from './types';
