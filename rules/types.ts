import type { Model } from '../src/model/model';
import type { RelatedLoc, SiteFacts } from '../src/analysis/types';

export type Severity = 'error' | 'warning' | 'note';

/** A ruff-style rule document: what it finds, why it matters, an example, the fix. */
export interface RuleDoc {
  what: string;
  why: string;
  example: string;
  fix: string;
  fixedExample?: string;
}

export interface RuleMeta {
  id: string;
  /** PascalCase name for SARIF. */
  name: string;
  severity: Severity;
  /** One line. */
  summary: string;
  doc: RuleDoc;
  tags: string[];
  precision: 'very-high' | 'high' | 'medium' | 'low';
  /** CVSS-like score as a string, for GitHub code scanning. */
  securitySeverity: string;
  /** Off unless asked for with --rule or config. */
  optIn?: boolean;
  /** The doc page's "Options" text, when --rule/--disable-rule alone do not say it. */
  options?: string;
}

export interface ReportInput {
  message: string;
  related?: RelatedLoc[];
  /** Defaults to the rule's severity. */
  severity?: Severity;
}

export interface RuleContext {
  model: Model;
  report(r: ReportInput): void;
}

/** eslint-style: metadata plus a check over each allocation site the engine analysed. */
export interface Rule {
  meta: RuleMeta;
  check(site: SiteFacts, ctx: RuleContext): void;
}

/** `malloc(..., M_NOWAIT)` for messages. */
export function callText(site: SiteFacts): string {
  const via = site.via ? ` (${site.via.startsWith('macro') ? 'allocation macro' : 'allocation wrapper'})` : '';
  return site.flags && !site.flags.startsWith('(') ? `${site.allocator}(..., ${site.flags})${via}` : `${site.allocator}()${via}`;
}
