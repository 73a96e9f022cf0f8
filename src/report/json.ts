import type { LintResult } from '../engine';
import { VERSION } from '../util/version';
import type { Finding } from './findings';

/** A finding as `--format json` and the API (src/index.ts) give it. */
export interface JsonFinding {
  ruleId: string;
  severity: 'error' | 'warning' | 'note';
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  function: string;
  allocator: string;
  flags: string;
  lowConfidence: boolean;
  fingerprint: string;
  related: { file: string; line: number; column: number; message: string }[];
  /** The flags the model suggests, in words; `suggestedFlags` as C; `fixBlocked`: why --fix will not write them. */
  suggestion?: string;
  suggestedFlags?: string;
  fixBlocked?: string;
  /** The inferred context and other facts. */
  [property: string]: unknown;
}

export function jsonFinding(f: Finding): JsonFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    file: f.file,
    line: f.line,
    column: f.col,
    endLine: f.endLine,
    endColumn: f.endCol,
    message: f.message,
    function: f.function,
    allocator: f.allocator,
    flags: f.flags,
    lowConfidence: f.lowConfidence,
    fingerprint: f.fingerprint,
    related: f.related.map((r) => ({ file: r.file ?? f.file, line: r.line, column: r.col, message: r.message })),
    ...(f.properties ?? {}),
  };
}

export function formatJson(res: LintResult): string {
  return (
    JSON.stringify(
      {
        tool: { name: 'kmalloc-lint', version: VERSION },
        dialect: res.dialect,
        ...(res.dialects ? { dialects: res.dialects } : {}),
        stats: { files: res.stats.files, parsedFiles: res.stats.parsed, filesWithParseErrors: res.stats.withErrors, allocationSites: res.stats.sites },
        parseErrors: res.stats.parseErrors,
        findings: res.findings.map(jsonFinding),
        diagnostics: res.diagnostics,
      },
      null,
      2,
    ) + '\n'
  );
}
