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
import { unusedSuppressionRule } from './unused-suppression';

export const RULES: Rule[] = [nowaitNullPanic, nowaitNullDeref, nowaitNullLeak, waitokNullCheck, waitFlagMissing, waitokInAtomic, allocInAtomic, nowaitInSleepable, suggestFlagsRule];

/** The analysis rules and unused-suppression (reported by the suppression pass): --list-rules, docs, config keys. */
export const ALL_RULES: Rule[] = [...RULES, unusedSuppressionRule];

export type { Rule, RuleMeta, Severity } from './types';
