import * as path from 'node:path';
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
 *
 * Version 2 names files relative to the baseline file's folder, and its
 * fingerprints are made with those names, so it matches from any folder.
 * Version 1 (paths relative to the folder it was written in) is still read,
 * and matches from that folder only.
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
  /** Format version of this file: 2 names files relative to the baseline file's folder. */
  baselineVersion: 1 | 2;
  createdWith: string;
  findings: BaselineEntry[];
}

export class BaselineError extends Error {}

/** A shown path as a baseline in `dir` names it: relative to that folder, with / separators. */
function relativeTo(dir: string): (shown: string) => string {
  return (shown) => path.relative(dir, path.resolve(shown)).split(path.sep).join('/');
}

/** The fingerprint of a finding as a baseline names its file. */
const fingerprintIn = (f: Finding, file: string) => (f.fingerprintAs ? f.fingerprintAs(file) : f.fingerprint);

export function baselineOf(findings: Finding[], baselinePath: string): BaselineFile {
  const rel = relativeTo(path.dirname(path.resolve(baselinePath)));
  const entries = findings.map((f) => {
    const file = rel(f.file);
    return { fingerprint: fingerprintIn(f, file), ruleId: f.ruleId, file, ...(f.function ? { function: f.function } : {}), message: f.message };
  });
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  return { tool: 'kmalloc-lint', baselineVersion: 2, createdWith: VERSION, findings: entries };
}

export function writeBaseline(file: string, findings: Finding[]): number {
  const b = baselineOf(findings, file);
  writeFileAtomic(file, JSON.stringify(b, null, 2) + '\n');
  return b.findings.length;
}

export function readBaseline(file: string): BaselineFile {
  const data = readJsonFile(file, file, 'baseline', 'no such file (create it with --write-baseline)', (m) => new BaselineError(m));
  const d = data as Partial<BaselineFile>;
  if (!d || typeof d !== 'object' || d.tool !== 'kmalloc-lint' || !Array.isArray(d.findings)) {
    throw new BaselineError(`${file}: not a kmalloc-lint baseline (expected {"tool": "kmalloc-lint", "findings": [...]})`);
  }
  if (d.baselineVersion !== 1 && d.baselineVersion !== 2) throw new BaselineError(`${file}: baselineVersion ${String(d.baselineVersion)} is not supported (this is kmalloc-lint ${VERSION})`);
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
  // version 2: match by the names the baseline uses; an entry names its file as this run shows it
  const rel = base.baselineVersion === 2 ? relativeTo(path.dirname(path.resolve(baselineName))) : (f: string) => f;
  const shownOf = new Map<string, string>();
  for (const f of linted) shownOf.set(rel(f), f);
  const pool = new Map<string, number>();
  for (const e of base.findings) pool.set(e.fingerprint, (pool.get(e.fingerprint) ?? 0) + 1);
  const kept: Finding[] = [];
  let matched = 0;
  for (const f of findings) {
    const fp = base.baselineVersion === 2 ? fingerprintIn(f, rel(f.file)) : f.fingerprint;
    const n = pool.get(fp) ?? 0;
    if (n > 0) {
      pool.set(fp, n - 1);
      matched++;
    } else kept.push(f);
  }
  const stale: BaselineEntry[] = [];
  for (const e of base.findings) {
    const n = pool.get(e.fingerprint) ?? 0;
    if (n <= 0 || !shownOf.has(e.file) || !ran.has(e.ruleId)) continue;
    pool.set(e.fingerprint, n - 1);
    stale.push({ ...e, file: shownOf.get(e.file)! });
  }
  const diagnostics: Diagnostic[] = stale.map((e) => ({
    file: e.file,
    level: 'note',
    message: `stale baseline entry in ${baselineName}: no ${e.ruleId} finding${e.function ? ` in ${e.function}()` : ''} matches it any more (fixed, or the line changed): "${e.message.slice(0, 120)}"; refresh with --write-baseline`,
  }));
  return { kept, matched, stale, diagnostics };
}
