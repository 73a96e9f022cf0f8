import type { LintResult } from '../engine';
import { VERSION } from '../util/version';

export function formatJson(res: LintResult): string {
  return (
    JSON.stringify(
      {
        tool: { name: 'kmalloc-lint', version: VERSION },
        dialect: res.dialect,
        stats: { files: res.stats.files, parsedFiles: res.stats.parsed, filesWithParseErrors: res.stats.withErrors, allocationSites: res.stats.sites },
        parseErrors: res.stats.parseErrors,
        findings: res.findings.map((f) => ({
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
        })),
        diagnostics: res.diagnostics,
      },
      null,
      2,
    ) + '\n'
  );
}
