import { readJsonFile } from './jsonfile';
import { writeFileAtomic } from '../util/atomic';
import type { Diagnostic } from '../analysis/types';
import type { Finding } from '../report/findings';
import { VERSION } from '../util/version';

/**
 * Baseline: accept today's findings, report only new ones. Entries match
 * findings by fingerprint, which has no line number in it, so a baseline
 * survives code moving up or down. An entry whose finding is gone is stale
 * (fixed, or the line changed) and is reported as a note.
 */

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  file: string;
  function?: string;
  message: string;
}

export interface BaselineFile {
  tool: 'kmalloc-lint';
  /** Format version of this file. */
  baselineVersion: 1;
  createdWith: string;
  findings: BaselineEntry[];
}

export class BaselineError extends Error {}

export function baselineOf(findings: Finding[]): BaselineFile {
  const entries = findings.map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file, ...(f.function ? { function: f.function } : {}), message: f.message }));
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  return { tool: 'kmalloc-lint', baselineVersion: 1, createdWith: VERSION, findings: entries };
}

export function writeBaseline(file: string, findings: Finding[]): number {
  const b = baselineOf(findings);
  writeFileAtomic(file, JSON.stringify(b, null, 2) + '\n');
  return b.findings.length;
}

export function readBaseline(file: string): BaselineFile {
  const data = readJsonFile(file, file, 'baseline', 'no such file (create it with --write-baseline)', (m) => new BaselineError(m));
  const d = data as Partial<BaselineFile>;
  if (!d || typeof d !== 'object' || d.tool !== 'kmalloc-lint' || !Array.isArray(d.findings)) {
    throw new BaselineError(`${file}: not a kmalloc-lint baseline (expected {"tool": "kmalloc-lint", "findings": [...]})`);
  }
  if (d.baselineVersion !== 1) throw new BaselineError(`${file}: baselineVersion ${String(d.baselineVersion)} is not supported (this is kmalloc-lint ${VERSION})`);
  d.findings.forEach((e, i) => {
    if (!e || typeof e.fingerprint !== 'string' || typeof e.ruleId !== 'string' || typeof e.file !== 'string') {
      throw new BaselineError(`${file}: findings[${i}]: needs string fingerprint, ruleId and file`);
    }
  });
  return d as BaselineFile;
}

export interface BaselineOutcome {
  kept: Finding[];
  /** Findings hidden because the baseline has them. */
  matched: number;
  /** Entries for files and rules that were linted, with no finding left. */
  stale: BaselineEntry[];
  diagnostics: Diagnostic[];
}

/**
 * Keep the findings the baseline does not have. Only entries for files that
 * were linted and rules that ran can be stale (linting a subset must not call
 * the rest of the baseline stale).
 */
export function applyBaseline(findings: Finding[], base: BaselineFile, linted: Set<string>, ran: Set<string>, baselineName: string): BaselineOutcome {
  const pool = new Map<string, number>();
  for (const e of base.findings) pool.set(e.fingerprint, (pool.get(e.fingerprint) ?? 0) + 1);
  const kept: Finding[] = [];
  let matched = 0;
  for (const f of findings) {
    const n = pool.get(f.fingerprint) ?? 0;
    if (n > 0) {
      pool.set(f.fingerprint, n - 1);
      matched++;
    } else kept.push(f);
  }
  const stale: BaselineEntry[] = [];
  for (const e of base.findings) {
    const n = pool.get(e.fingerprint) ?? 0;
    if (n <= 0 || !linted.has(e.file) || !ran.has(e.ruleId)) continue;
    pool.set(e.fingerprint, n - 1);
    stale.push(e);
  }
  const diagnostics: Diagnostic[] = stale.map((e) => ({
    file: e.file,
    level: 'note',
    message: `stale baseline entry in ${baselineName}: no ${e.ruleId} finding${e.function ? ` in ${e.function}()` : ''} matches it any more (fixed, or the line changed): "${e.message.slice(0, 120)}"; refresh with --write-baseline`,
  }));
  return { kept, matched, stale, diagnostics };
}
