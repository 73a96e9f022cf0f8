import { lineOf, lineStarts } from '../text/lines';
import { createHash } from 'node:crypto';
import type { Severity } from '../../rules';
import { unusedSuppressionRule, UNUSED_SUPPRESSION_ID } from '../../rules/unused-suppression';
import type { Finding } from '../report/findings';

/**
 * Inline suppressions, written in a comment:
 *
 *   p = malloc(n, M_DEVBUF, M_NOWAIT); /* kmalloc-lint: ignore nowait-null-deref -- checked by caller *\/
 *   /* kmalloc-lint: ignore-next-line nowait-null-panic,nowait-null-leak -- boot time only *\/
 *   p = malloc(n, M_DEVBUF, M_NOWAIT); // NOLINT(kmalloc-lint-nowait-null-deref)
 *   // NOLINTNEXTLINE(kmalloc-lint-nowait-null-deref)
 *
 * `ignore` covers the line it is on (any line of a call written over several
 * lines); `ignore-next-line` the line after the comment. `all` (or `*`) names
 * every rule. A suppression that silences nothing is reported as an
 * `unused-suppression` finding, so stale comments do not pile up.
 */
export interface Suppression {
  /** Line of the directive, 1-based. */
  line: number;
  col: number;
  endCol: number;
  /** Line the directive silences. */
  target: number;
  rules: string[];
  reason?: string;
  kind: 'ignore' | 'ignore-next-line' | 'NOLINT' | 'NOLINTNEXTLINE';
  lineText: string;
}

export const UNUSED_SUPPRESSION = UNUSED_SUPPRESSION_ID;

export { unusedSuppressionRule };

const DIRECTIVE = /kmalloc-lint:\s*(ignore-next-line|ignore)\b([^\n]*)/g;
const NOLINT = /\b(NOLINTNEXTLINE|NOLINT)\(([^)\n]*)\)/g;

function inComment(text: string, lineStart: number, idx: number): 'line' | 'block' | undefined {
  const before = text.slice(lineStart, idx);
  const bo = before.lastIndexOf('/*');
  const bc = before.lastIndexOf('*/');
  if (bo !== -1 && bo > bc) return 'block';
  if (before.includes('//')) return 'line';
  // a continuation line of a block comment: ` * kmalloc-lint: ...`
  if (/^\s*\*/.test(before) || /^\s*$/.test(before)) {
    const open = text.lastIndexOf('/*', lineStart);
    const close = text.lastIndexOf('*/', lineStart);
    if (open !== -1 && open > close) return 'block';
  }
  return undefined;
}


/** Find the suppression comments in a file's text (cheap when there are none). */
export function scanSuppressions(text: string): Suppression[] {
  const hasOwn = text.includes('kmalloc-lint:');
  const hasNolint = text.includes('NOLINT');
  if (!hasOwn && !hasNolint) return [];
  const starts = lineStarts(text);
  const out: Suppression[] = [];
  const lineText = (line: number) => text.slice(starts[line - 1], line < starts.length ? starts[line] - 1 : text.length).replace(/\r$/, '');
  const add = (idx: number, len: number, kind: Suppression['kind'], rules: string[], reason: string | undefined) => {
    const line = lineOf(starts, idx);
    const ls = starts[line - 1];
    const where = inComment(text, ls, idx);
    if (!where) return;
    let target = line;
    if (kind === 'ignore-next-line' || kind === 'NOLINTNEXTLINE') {
      target = line + 1;
      if (where === 'block') {
        const close = text.indexOf('*/', idx);
        if (close !== -1) target = lineOf(starts, close) + 1;
      }
    }
    out.push({ line, col: idx - ls + 1, endCol: idx - ls + 1 + len, target, rules, reason, kind, lineText: lineText(line) });
  };
  if (hasOwn) {
    DIRECTIVE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = DIRECTIVE.exec(text))) {
      let rest = m[2];
      const end = rest.indexOf('*/');
      if (end !== -1) rest = rest.slice(0, end);
      let reason: string | undefined;
      const dash = rest.indexOf('--');
      if (dash !== -1) {
        reason = rest.slice(dash + 2).trim() || undefined;
        rest = rest.slice(0, dash);
      }
      const rules = rest.split(/[\s,]+/).filter(Boolean).map((r) => (r === '*' ? 'all' : r));
      const core = (m[0].slice(0, m[0].length - m[2].length) + (end === -1 ? m[2] : m[2].slice(0, end))).trimEnd();
      add(m.index, core.length, m[1] as Suppression['kind'], rules.length ? rules : ['all'], reason);
    }
  }
  if (hasNolint) {
    NOLINT.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = NOLINT.exec(text))) {
      const rules = m[2]
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.startsWith('kmalloc-lint-'))
        .map((s) => s.slice('kmalloc-lint-'.length))
        .map((r) => (r === '*' ? 'all' : r));
      if (rules.length) add(m.index, m[0].length, m[1] as Suppression['kind'], rules, undefined);
    }
  }
  return out;
}

export interface SuppressionOutcome {
  kept: Finding[];
  suppressed: number;
  unused: Finding[];
}

/**
 * Drop the findings an inline comment silences; report the comments that
 * silenced nothing (only for rules that ran, or rule ids nobody knows).
 */
export function applySuppressions(
  findings: Finding[],
  byFile: Map<string, Suppression[]>,
  ran: Set<string>,
  known: Set<string>,
  severity: Severity | 'off' = 'note',
): SuppressionOutcome {
  const used = new Map<Suppression, Set<string>>();
  const kept: Finding[] = [];
  let suppressed = 0;
  for (const f of findings) {
    const sups = byFile.get(f.file);
    const hit = sups?.find((s) => s.target >= f.line && s.target <= f.endLine && (s.rules.includes(f.ruleId) || s.rules.includes('all')));
    if (!hit) {
      kept.push(f);
      continue;
    }
    suppressed++;
    let u = used.get(hit);
    if (!u) used.set(hit, (u = new Set()));
    u.add(hit.rules.includes(f.ruleId) ? f.ruleId : 'all');
  }
  const unused: Finding[] = [];
  if (severity !== 'off') {
    for (const [file, sups] of byFile) {
      const occ = new Map<string, number>();
      for (const s of sups) {
        const u = used.get(s) ?? new Set<string>();
        const problems: string[] = [];
        for (const r of s.rules) {
          if (r === 'all') {
            if (!u.size) problems.push('matched no finding');
          } else if (!known.has(r)) problems.push(`names an unknown rule '${r}' (see --list-rules)`);
          else if (ran.has(r) && !u.has(r)) problems.push(`matched no ${r} finding`);
        }
        if (!problems.length) continue;
        const where = s.target === s.line ? 'on this line' : `on line ${s.target}`;
        const key = `${s.lineText.replace(/\s+/g, ' ').trim()}|${s.rules.join(',')}`;
        const n = occ.get(key) ?? 0;
        occ.set(key, n + 1);
        unused.push({
          ruleId: UNUSED_SUPPRESSION,
          severity,
          file,
          line: s.line,
          col: s.col,
          endLine: s.line,
          endCol: s.endCol,
          message: `this suppression (${s.rules.join(', ')}) ${problems.join('; ')} ${where}; remove it or fix the rule id`,
          related: [],
          function: '',
          allocator: '',
          flags: '',
          lowConfidence: false,
          fingerprint: createHash('sha256').update([UNUSED_SUPPRESSION, file, key, String(n)].join('\0')).digest('hex').slice(0, 32),
          fingerprintAs: (as) => createHash('sha256').update([UNUSED_SUPPRESSION, as, key, String(n)].join('\0')).digest('hex').slice(0, 32),
          sourceLine: s.lineText,
        });
      }
    }
  }
  return { kept, suppressed, unused };
}
