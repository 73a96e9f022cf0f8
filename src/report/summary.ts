/*
 * Stage 7, report: what goes to stderr besides the report (diagnostics and the one-line summary).
 * Never: changes findings or the exit status.
 */
import { ALL_RULES as RULES } from '../../rules';
import type { LintResult } from '../engine';
import type { Diagnostic } from '../analysis/types';

/** `1 file`, `2 files`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const LATIN1 = 'file is not valid UTF-8; read as Latin-1 (columns count bytes)';

/** Diagnostic lines for stderr: one line each, except one line for all the files read as Latin-1. `quiet`: errors only. */
export function diagnosticLines(diags: Diagnostic[], quiet: boolean): string[] {
  const shown = diags.filter((d) => !quiet || d.level === 'error');
  const latin1 = shown.filter((d) => d.message === LATIN1);
  const out: string[] = [];
  for (const d of shown) {
    if (latin1.length > 1 && d.message === LATIN1) continue;
    out.push(`kmalloc-lint: ${d.file}: ${d.level}: ${d.message}\n`);
  }
  if (latin1.length > 1) {
    const few = latin1.slice(0, 3).map((d) => d.file).join(', ');
    out.push(`kmalloc-lint: note: ${latin1.length} files are not valid UTF-8 and were read as Latin-1 (columns count bytes): ${few}${latin1.length > 3 ? ` and ${latin1.length - 3} more` : ''}\n`);
  }
  return out;
}

/** `N files, M findings: E errors, W warnings, N notes (rule n, ... in registry order); K files with parse errors; dialect ...; time`. */
export function summaryText(res: LintResult, verbose = false): string {
  const order = new Map(RULES.map((r, i) => [r.meta.id, i]));
  const per = new Map<string, number>();
  const sev = { error: 0, warning: 0, note: 0 };
  for (const f of res.findings) {
    per.set(f.ruleId, (per.get(f.ruleId) ?? 0) + 1);
    sev[f.severity]++;
  }
  const rules = [...per].sort(([a], [b]) => (order.get(a) ?? RULES.length) - (order.get(b) ?? RULES.length) || (a < b ? -1 : 1));
  const n = res.findings.length;
  const totals = n ? `: ${count(sev.error, 'error')}, ${count(sev.warning, 'warning')}, ${count(sev.note, 'note')} (${rules.map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  const parse = res.stats.withErrors ? `; ${count(res.stats.withErrors, 'file')} with parse errors (findings there may be low confidence${verbose ? '' : '; --verbose lists them'})` : '';
  const c = res.stats.cache;
  const cacheText = c ? `; ${c.indexHits + c.contentHits} of ${count(res.stats.files, 'file')} from cache` : '';
  return `kmalloc-lint: ${count(res.stats.files, 'file')}, ${count(n, 'finding')}${totals}${parse}; dialect ${res.dialect.name} (${res.dialect.why}); ${(res.stats.ms / 1000).toFixed(2)}s${cacheText}\n`;
}
