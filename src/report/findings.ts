import { createHash } from 'node:crypto';
import type { Loc, RelatedLoc, SiteFacts } from '../analysis/types';
import type { Severity } from '../../rules/types';

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Path as shown: as its tree was given (absolute under an absolute path, else relative to the working directory), with / separators. */
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  message: string;
  related: RelatedLoc[];
  function: string;
  allocator: string;
  flags: string;
  lowConfidence: boolean;
  /** Stable across unrelated edits: no line numbers in it. */
  fingerprint: string;
  /** The fingerprint this finding would have with its file named `file` (baselines name files relative to themselves). */
  fingerprintAs?: (file: string) => string;
  /** The source line, or for a long line a window of it (src/report/excerpt.ts). */
  sourceLine?: string;
  /** When sourceLine is a window: the column of its first character, code points before it, and whether the line goes on after it. */
  sourceWindow?: { start: number; codePointsBefore: number; cutAfter: boolean };
  /** Facts for JSON/SARIF properties (suggestions, context). */
  properties?: Record<string, unknown>;
  /** Path facts for reports that draw the failure path (HTML): the enclosing function's lines, the first NULL test. Not in JSON or SARIF. */
  trace?: { fnLines?: [number, number]; nullTest?: Loc };
}

export function fingerprintOf(ruleId: string, file: string, site: SiteFacts, sourceLine: string, occurrence: number): string {
  const h = createHash('sha256');
  h.update([ruleId, file, site.function, site.allocator, sourceLine.replace(/\s+/g, ' ').trim(), String(occurrence)].join('\0'));
  return h.digest('hex').slice(0, 32);
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

export function compareFindings(a: Finding, b: Finding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

/**
 * A finding's flag suggestion as people read it, with why --fix will not
 * apply it when it will not (JSON's `fixBlocked`), so every format says the
 * same thing: "use M_INTWAIT (...) (not applied by --fix: M_INTWAIT not
 * defined by this tree's header)".
 */
export function suggestionNote(props: Record<string, unknown> | undefined): string | undefined {
  const sug = props?.suggestion as string | undefined;
  if (!sug) return undefined;
  const blocked = props?.fixBlocked as string | undefined;
  return blocked ? `${sug} (not applied by --fix: ${blocked})` : sug;
}

/**
 * The suggestion to print under each finding: once per allocation site
 * (findings of two rules on one call share it), and not when the message
 * already carries it.
 */
export function suggestionsOncePerSite(findings: Finding[]): Map<Finding, string> {
  const out = new Map<Finding, string>();
  const siteOf = (f: Finding) => `${f.file}\0${f.line}\0${f.col}\0${f.allocator}`;
  const said = new Set<string>();
  for (const f of findings) {
    const note = suggestionNote(f.properties);
    if (note && f.message.includes(note)) said.add(siteOf(f));
  }
  for (const f of findings) {
    const note = suggestionNote(f.properties);
    if (!note || said.has(siteOf(f))) continue;
    said.add(siteOf(f));
    out.set(f, note);
  }
  return out;
}
