import { gzipSync } from 'node:zlib';
import type { LintResult } from '../engine';
import { suggestionsOncePerSite } from '../report/findings';

/**
 * `--format github`: GitHub Actions workflow commands, one per finding, which
 * the runner turns into annotations on the pull request:
 *   ::error file=sys/kern/x.c,line=10,col=5,endLine=10,endColumn=30,title=nowait-null-deref::message
 */

/** Escape the message part (actions/toolkit escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property value (actions/toolkit escapeProperty): also ':' and ','. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND = { error: 'error', warning: 'warning', note: 'notice' } as const;

export function formatGithub(res: LintResult): string {
  const out: string[] = [];
  const sugs = suggestionsOncePerSite(res.findings);
  for (const f of res.findings) {
    const props = [
      `file=${escapeProperty(f.file)}`,
      `line=${f.line}`,
      `col=${f.col}`,
      `endLine=${f.endLine}`,
      ...(f.endLine === f.line ? [`endColumn=${f.endCol}`] : []),
      `title=${escapeProperty(f.ruleId)}`,
    ];
    const sug = sugs.get(f);
    out.push(`::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message + (sug ? `\nsuggestion: ${sug}` : ''))}`);
  }
  for (const d of res.diagnostics) {
    if (d.level === 'note') continue;
    out.push(`::${d.level === 'error' ? 'error' : 'warning'} file=${escapeProperty(d.file)},title=kmalloc-lint::${escapeData(d.message)}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** GitHub code scanning upload limits (per SARIF run / per file). */
export const SARIF_LIMITS = { resultsPerRun: 25_000, gzippedBytes: 10 * 1024 * 1024 };

/** Warnings when a SARIF report would be cut or refused by code scanning. */
export function sarifLimitWarnings(sarif: string, results: number): string[] {
  const out: string[] = [];
  if (results > SARIF_LIMITS.resultsPerRun) {
    out.push(`the SARIF run has ${results} results; GitHub code scanning keeps at most ${SARIF_LIMITS.resultsPerRun} per run (use --baseline, fewer rules or split the tree into runs with categories)`);
  }
  const gz = gzipSync(Buffer.from(sarif, 'utf8')).length;
  if (gz > SARIF_LIMITS.gzippedBytes) {
    out.push(`the SARIF file is ${(gz / 1048576).toFixed(1)} MB gzipped; GitHub code scanning refuses uploads over ${SARIF_LIMITS.gzippedBytes / 1048576} MB gzipped`);
  }
  return out;
}
