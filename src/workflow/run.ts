/*
 * Around the engine: config, changed lines, suppressions, baselines (this file), --fix/--diff (fix.ts), GitHub annotations.
 * Never: changes what the analysis finds; it only selects, suppresses or applies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { ALL_RULES, RULES } from '../../rules';
import type { LintOptions, LintResult } from '../engine';
import { compareFindings } from '../report/findings';
import { applyBaseline, readBaseline, writeBaseline } from './baseline';
import { FAIL_ON, findConfig, loadConfig, matchesAny, mergeModel, type FailOn, type LoadedConfig } from './config';
import { collectChanges, onChangedLines, type ChangeSet } from './gitdiff';
import { applySuppressions, UNUSED_SUPPRESSION, unusedSuppressionRule } from './suppress';

/**
 * The developer-workflow layer around engine.lint(): config file, changed
 * lines (--staged, --diff-base), inline suppressions, baseline. cli.ts calls
 * addWorkflowOptions(), prepareWorkflow() before lint() and finishWorkflow()
 * after it.
 */

export function addWorkflowOptions(program: Command): void {
  program
    .option('--staged', 'lint what is staged in git (the index content) and report only findings on staged changes')
    .option('--diff-base <ref>', 'report only findings on lines changed since this git ref (work tree against REF)')
    .option('--baseline <file>', 'report only findings not recorded in this baseline file')
    .option('--write-baseline <file>', "record today's findings in this baseline file (then exit 0)")
    .option('--config <file>', `use this config file instead of searching for .kmalloc-lint.json`)
    .addOption(new Option('--no-config', 'do not read any .kmalloc-lint.json'))
    .option('--sarif-root <dir>', 'SARIF paths are relative to this folder (default: the git repository of the linted files, else the current folder)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding of this severity or above is reported (default: warning; notes are reported but do not fail)').choices([...FAIL_ON]));
}

export const KNOWN_RULE_IDS = ALL_RULES.map((r) => r.meta.id);

export interface WorkflowPlan {
  config?: LoadedConfig;
  changes?: ChangeSet;
  /** Options to merge into the lint() call. */
  lint: Partial<LintOptions> & { paths: string[] };
  notes: string[];
  unusedSeverity: 'error' | 'warning' | 'note' | 'off';
  /** --fail-on, else the config's failOn, else warning. */
  failOn: FailOn;
}

export interface WfOpts {
  staged?: boolean;
  diffBase?: string;
  baseline?: string;
  writeBaseline?: string;
  config?: string | false;
  dialect: string;
  rule: string[];
  disableRule: string[];
  exclude: string[];
  failOn?: FailOn;
}

export class WorkflowUsageError extends Error {}

export function prepareWorkflow(o: WfOpts, args: string[], dialectFromCli: boolean): WorkflowPlan {
  if (o.staged && o.diffBase !== undefined) throw new WorkflowUsageError('--staged and --diff-base cannot be used together');
  if (o.writeBaseline && (o.staged || o.diffBase !== undefined)) throw new WorkflowUsageError('--write-baseline records the whole tree: do not combine it with --staged or --diff-base');
  const notes: string[] = [];
  // config
  let config: LoadedConfig | undefined;
  if (o.config !== false) {
    const file = typeof o.config === 'string' ? o.config : findConfig(args[0] ?? '.');
    if (file) config = loadConfig(file, KNOWN_RULE_IDS);
  }
  const c = config?.config ?? {};
  // rules: the command line wins over the config
  const disabled = o.disableRule.filter((r) => r !== UNUSED_SUPPRESSION);
  const severities: NonNullable<LintOptions['severities']> = {};
  let only = o.rule.filter((r) => r !== UNUSED_SUPPRESSION);
  for (const [id, sev] of Object.entries(c.rules ?? {})) {
    if (id === UNUSED_SUPPRESSION) continue;
    if (sev === 'off') {
      if (!only.includes(id)) disabled.push(id);
    } else severities[id] = sev;
  }
  if (!o.rule.length) {
    const optIn = Object.entries(c.rules ?? {}).filter(([id, s]) => s !== 'off' && RULES.some((r) => r.meta.id === id && r.meta.optIn)).map(([id]) => id);
    if (optIn.length) only = [...RULES.filter((r) => !r.meta.optIn).map((r) => r.meta.id), ...optIn];
  }
  let unusedSeverity: WorkflowPlan['unusedSeverity'] = c.rules?.[UNUSED_SUPPRESSION] ?? 'note';
  if (o.disableRule.includes(UNUSED_SUPPRESSION)) unusedSeverity = 'off';
  const exclude = [...(c.exclude ?? []), ...o.exclude];
  const lint: WorkflowPlan['lint'] = {
    paths: args.length ? args : ['.'],
    rules: only,
    disableRules: disabled,
    severities,
    ...(c.include ? { include: c.include } : {}),
    exclude,
    checkExclude: o.exclude, // a config pattern may well match nothing in the part of the tree linted now
    // --config FILE's dialect is for everything; a .kmalloc-lint.json found by search is for the files below it (engine: tree markers)
    ...(!dialectFromCli && c.dialect && typeof o.config === 'string' ? { dialect: c.dialect } : {}),
    ...(config ? { adjustModel: (m) => mergeModel(m, c, config!.shown) } : {}),
    ...(o.config === false ? { configMarkers: false } : {}),
  };
  // changed lines
  let changes: ChangeSet | undefined;
  if (o.staged || o.diffBase !== undefined) {
    changes = collectChanges(o.staged ? { kind: 'staged' } : { kind: 'base', ref: o.diffBase! }, process.cwd());
    if (o.staged) lint.contents = changes.contents;
    for (const m of changes.missing) notes.push(`${m}: staged but deleted from the work tree; skipped`);
    // whole-tree facts (wrappers, macros, helpers) still come from the whole repository
    lint.factsPaths = [changes.root];
    if (!args.length) {
      // no paths given: lint just the changed C files
      const include = c.include;
      lint.paths = [...changes.lines.keys()]
        .filter((abs) => {
          const rel = path.relative(changes!.root, abs).split(path.sep).join('/');
          if (include && !matchesAny(rel, include)) return false;
          return !matchesAny(rel, exclude);
        })
        .filter((abs) => fs.existsSync(abs))
        .map((abs) => path.relative(process.cwd(), abs) || abs); // shown relative: the user named no path
    }
  }
  return { config, changes, lint, notes, unusedSeverity, failOn: o.failOn ?? c.failOn ?? 'warning' };
}

export interface WorkflowSummary {
  suppressed: number;
  baselined: number;
  stale: number;
  outsideChanges: number;
  wroteBaseline?: { file: string; count: number };
}

export function finishWorkflow(res: LintResult, plan: WorkflowPlan, o: WfOpts): WorkflowSummary {
  const sum: WorkflowSummary = { suppressed: 0, baselined: 0, stale: 0, outsideChanges: 0 };
  const ran = new Set(res.rules.map((r) => r.meta.id));
  const sup = applySuppressions(res.findings, res.suppressions, ran, new Set(KNOWN_RULE_IDS), plan.unusedSeverity);
  sum.suppressed = sup.suppressed;
  let findings = [...sup.kept, ...sup.unused].sort(compareFindings);
  if (plan.unusedSeverity !== 'off') ran.add(UNUSED_SUPPRESSION);
  if (o.writeBaseline) sum.wroteBaseline = { file: o.writeBaseline, count: writeBaseline(o.writeBaseline, findings) };
  if (o.baseline) {
    const base = readBaseline(o.baseline);
    const b = applyBaseline(findings, base, new Set(res.files), ran, o.baseline);
    findings = b.kept;
    sum.baselined = b.matched;
    sum.stale = b.stale.length;
    res.diagnostics.push(...b.diagnostics);
  }
  if (plan.changes) {
    const before = findings.length;
    findings = findings.filter((f) => onChangedLines(f, plan.changes!, process.cwd()));
    sum.outsideChanges = before - findings.length;
  }
  for (const n of plan.notes) {
    const i = n.indexOf(': ');
    res.diagnostics.push({ file: n.slice(0, i), level: 'note', message: n.slice(i + 2) });
  }
  res.findings = findings;
  if (findings.some((f) => f.ruleId === UNUSED_SUPPRESSION) && !res.rules.includes(unusedSuppressionRule)) res.rules = [...res.rules, unusedSuppressionRule];
  return sum;
}

/** Exit status 1: a finding at or above the --fail-on severity. */
export function failsRun(findings: { severity: string }[], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  const order = FAIL_ON.indexOf(failOn);
  return findings.some((f) => FAIL_ON.indexOf(f.severity as FailOn) <= order);
}

export function summaryLine(s: WorkflowSummary, plan: WorkflowPlan): string | undefined {
  const parts: string[] = [];
  if (plan.config) parts.push(`config ${plan.config.shown}`);
  if (s.suppressed) parts.push(`${s.suppressed} suppressed inline`);
  if (s.baselined) parts.push(`${s.baselined} in the baseline`);
  if (s.stale) parts.push(`${s.stale} stale baseline entr${s.stale === 1 ? 'y' : 'ies'}`);
  if (plan.changes) parts.push(`${s.outsideChanges} outside the ${plan.changes.mode.kind === 'staged' ? 'staged changes' : `changes since ${plan.changes.mode.ref}`} not shown`);
  if (s.wroteBaseline) parts.push(`wrote ${s.wroteBaseline.count} finding${s.wroteBaseline.count === 1 ? '' : 's'} to the baseline ${s.wroteBaseline.file}`);
  return parts.length ? `kmalloc-lint: ${parts.join('; ')}\n` : undefined;
}
