/*
 * Stage 7, report: findings.ts (the Finding type, order, fingerprints) and one file per format (text, json, sarif, html); docs.ts renders the rule pages.
 * Takes: findings, diagnostics and stats. Gives: the report text.
 * Never: changes or filters findings (the workflow layer does).
 */
import type { LintResult } from '../engine';
import { suggestionsOncePerSite, type Finding } from './findings';
import { SHOWN_WIDTH } from './excerpt';

const C = {
  red: (s: string) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[39m`,
  cyan: (s: string) => `\x1b[36m${s}\x1b[39m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
  green: (s: string) => `\x1b[32m${s}\x1b[39m`,
};
const plain = { red: (s: string) => s, yellow: (s: string) => s, cyan: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s, green: (s: string) => s };

/** `file:line:col: severity rule: message`, then the source line and a caret. */
export function formatText(res: LintResult, color: boolean): string {
  const c = color ? C : plain;
  const out: string[] = [];
  const sugs = suggestionsOncePerSite(res.findings);
  for (const f of res.findings) {
    const sev = f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : c.cyan('note');
    out.push(`${c.bold(`${f.file}:${f.line}:${f.col}:`)} ${sev} ${c.dim(f.ruleId)}: ${f.message}`);
    if (f.sourceLine !== undefined) {
      const { text, caretAt, caretLen } = shownLine(f);
      out.push(`  ${text}`);
      out.push(`  ${text.slice(0, caretAt).replace(/[^\t]/g, ' ')}${c.green('^' + '~'.repeat(Math.max(0, caretLen - 1)))}`);
    }
    const sug = sugs.get(f);
    if (sug) out.push(`  ${c.cyan('suggestion:')} ${sug}`);
    const guess = nameGuess(f);
    if (guess) out.push(`  ${c.cyan('context:')} guessed from the function name only (${guess})`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** The source line to show, at most SHOWN_WIDTH characters around the column (`…` where cut), and where its caret goes. */
function shownLine(f: Finding): { text: string; caretAt: number; caretLen: number } {
  const src = f.sourceLine!.replace(/\r$/, '');
  const w = f.sourceWindow;
  const at = f.col - (w?.start ?? 1); // the column's index in src
  const len = f.endLine === f.line ? Math.max(1, f.endCol - f.col) : Math.max(1, src.length - at);
  if (src.length <= SHOWN_WIDTH && !w) return { text: src, caretAt: at, caretLen: len };
  const a = Math.max(0, Math.min(at - (SHOWN_WIDTH >> 2), src.length - SHOWN_WIDTH));
  const b = Math.min(src.length, a + SHOWN_WIDTH);
  const lead = a > 0 || (w !== undefined && w.start > 1) ? '…' : '';
  const tail = b < src.length || w?.cutAfter ? '…' : '';
  return { text: lead + src.slice(a, b) + tail, caretAt: lead.length + at - a, caretLen: Math.min(len, b - at) };
}

/** A context that rests on a function's name alone (`weak` in JSON): the evidence that says so. */
function nameGuess(f: Finding): string | undefined {
  const ctx = f.properties?.context as { weak?: boolean; evidence?: string[] } | undefined;
  if (!ctx?.weak) return undefined;
  return ctx.evidence?.find((e) => e.startsWith('name ')) ?? ctx.evidence?.[0] ?? 'no registration, lock or caller decides it';
}
