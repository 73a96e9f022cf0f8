#!/usr/bin/env node
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ALL_RULES } from '../rules';
import { lint, selectRules, type LintResult } from './engine';
import { formatText } from './report/text';
import { diagnosticLines, summaryText } from './report/summary';
import { formatJson } from './report/json';
import { formatSarif } from './report/sarif';
import { formatHtml } from './report/html';
import { checkWritable, writeFileAtomic } from './util/atomic';
import { applyFixes, planFixes, unifiedDiff } from './workflow/fix';
import { VERSION, ruleDocUri } from './util/version';
import { addWorkflowOptions, failsRun, finishWorkflow, prepareWorkflow, summaryLine, WorkflowUsageError, type WfOpts } from './workflow/run';
import { ConfigError } from './workflow/config';
import { GitError } from './workflow/gitdiff';
import { BaselineError } from './workflow/baseline';
import { formatGithub, sarifLimitWarnings } from './workflow/github';
import { Progress } from './workflow/progress';
import { defaultCacheDir } from './cache/store';

const FORMATS = ['text', 'json', 'sarif', 'github', 'html'];
const DIALECTS = ['auto', 'freebsd', 'dragonfly'];

class UsageError extends Error {}

function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?$/.exec(v.trim());
  if (!m) throw new UsageError(`--max-file-size: '${v}' is not a size (e.g. 8M, 500K)`);
  const mult = { '': 1, k: 1024, m: 1048576, g: 1073741824 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('kmalloc-lint')
    .description('Find no-wait kernel allocations (M_NOWAIT and friends) whose NULL path panics, dereferences NULL or leaks, in FreeBSD and DragonFly BSD trees.')
    .version(VERSION, '-V, --version')
    .argument('[paths...]', 'files or directories to lint (default: the current folder)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--sarif-category <id>', 'SARIF automationDetails.id (code scanning category); default: none, so upload-sarif\'s category applies')
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .addOption(new Option('-d, --dialect <dialect>', 'kernel dialect; auto looks at the tree').choices(DIALECTS).default('auto'))
    .option('-r, --rule <ids>', 'run only these rules (repeatable, comma-separated)', collect, [])
    .option('--disable-rule <ids>', 'do not run these rules (repeatable, comma-separated)', collect, [])
    .option('--list-rules', 'list the rules and exit')
    .option('-j, --jobs <n>', 'worker threads (default: available cores)')
    .option('--max-file-size <size>', 'skip files larger than this', '8M')
    .option('--exclude <glob>', 'skip files matching this glob (repeatable)', collect, [])
    .option('--no-whole-tree', 'skip the whole-tree pass (wrappers, allocation macros, helper summaries)')
    .option('--fix', 'rewrite allocation flags where the model proves the suggested flags valid (atomic writes)')
    .option('--diff', 'print the fixes --fix would make as a unified diff, and change nothing')
    .option('--cache-dir <dir>', 'per-file result cache folder (default: $KMALLOC_LINT_CACHE_DIR, $XDG_CACHE_HOME/kmalloc-lint or ~/.cache/kmalloc-lint)')
    .option('--no-cache', 'do not read or write the result cache')
    .option('-q, --quiet', 'print findings only: no notices on stderr')
    .option('-v, --verbose', 'also list the files tree-sitter could not parse cleanly (findings there are low confidence)')
    .option('--color', 'force colour in text output')
    .option('--no-color', 'never use colour')
    .showHelpAfterError('(run kmalloc-lint --help for usage)');
  addWorkflowOptions(program);
  return program;
}

function listRules(): string {
  const rows = ALL_RULES.map((r) => `${r.meta.id.padEnd(22)} ${r.meta.severity.padEnd(8)} ${r.meta.optIn ? '(opt-in) ' : ''}${r.meta.summary}\n${' '.repeat(31)}${ruleDocUri(r.meta.id)}`);
  return rows.join('\n') + '\n';
}

export async function main(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    throw e;
  }
  const o = program.opts();
  try {
    if (o.listRules) {
      io.stdout.write(listRules());
      return 0;
    }
    const { unknown } = selectRules(o.rule, o.disableRule.filter((r: string) => r !== 'unused-suppression'));
    if (unknown.length) throw new UsageError(`unknown rule${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (see --list-rules)`);
    let jobs: number | undefined;
    if (o.jobs !== undefined) {
      jobs = Number(o.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw new UsageError(`--jobs: '${o.jobs}' is not a whole number from 1 to 256`);
    }
    const maxFileSize = parseSize(o.maxFileSize);
    if (o.output) {
      try {
        checkWritable(o.output); // before the run, not after it
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const plan = prepareWorkflow(o as WfOpts, program.args, program.getOptionValueSource('dialect') === 'cli');
    const progress = Progress.forStderr(o.quiet === true, io.stderr as NodeJS.WriteStream);
    const cache = o.cache === false ? undefined : { dir: o.cacheDir ? path.resolve(o.cacheDir) : defaultCacheDir() };
    if (o.sarifCategory !== undefined && o.format !== 'sarif') throw new UsageError('--sarif-category is for --format sarif');
    if (o.fix && o.diff) throw new UsageError('--fix and --diff cannot be used together: --diff prints the rewrites --fix would make and changes nothing; run one, then the other');
    const run = async () => {
      const r: LintResult = await lint({ dialect: o.dialect, jobs, maxFileSize, wholeTree: o.wholeTree, cache, ...plan.lint, onProgress: progress.update });
      progress.done();
      return { res: r, wf: finishWorkflow(r, plan, o as WfOpts) };
    };
    let { res, wf } = await run();
    // --fix: rewrite, then report what remains (as eslint --fix does)
    const fixPlan = o.fix || o.diff ? planFixes(res.findings) : undefined;
    if (o.fix && fixPlan) {
      const n = applyFixes(fixPlan.files);
      if (!o.quiet) io.stderr.write(`kmalloc-lint: fixed ${n} allocation${n === 1 ? '' : 's'} in ${fixPlan.files.length} file${fixPlan.files.length === 1 ? '' : 's'}${n ? '; linted again, the report shows what remains' : ''}\n`);
      if (n) ({ res, wf } = await run());
    }
    const colorSource = program.getOptionValueSource('color');
    const color = colorSource === 'cli' ? o.color === true : !o.output && !process.env.NO_COLOR && (io.stdout as NodeJS.WriteStream).isTTY === true;
    let report: string;
    if (o.format === 'json') report = formatJson(res);
    else if (o.format === 'sarif') report = formatSarif(res, o.sarifCategory, o.sarifRoot);
    else if (o.format === 'github') report = formatGithub(res);
    else if (o.format === 'html') report = formatHtml(res, { roots: program.args });
    else report = formatText(res, color);
    if (fixPlan) {
      if (o.diff) io.stdout.write(unifiedDiff(fixPlan.files));
      for (const s of fixPlan.skipped) io.stderr.write(`kmalloc-lint: ${s}\n`);
      if (o.diff && !o.output) report = '';
    }
    if (o.output) {
      try {
        writeFileAtomic(o.output, report);
      } catch (e) {
        throw new Error(`${o.output}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    else io.stdout.write(report);
    // -q silences notices, never errors (a missing path still says why the exit code is 2)
    for (const line of diagnosticLines(res.diagnostics, o.quiet === true)) io.stderr.write(line);
    if (!o.quiet) {
      if (o.verbose) for (const p of res.stats.parseErrors) io.stderr.write(`kmalloc-lint: ${p.file}:${p.line}: note: tree-sitter could not parse this code cleanly; findings whose path crosses it are low confidence\n`);
      io.stderr.write(summaryText(res, o.verbose === true));
      const extra = summaryLine(wf, plan);
      if (extra) io.stderr.write(extra);
      if (o.format === 'sarif') for (const w of sarifLimitWarnings(report, res.findings.length)) io.stderr.write(`kmalloc-lint: warning: ${w}\n`);
    }
    // 2 when something could not be analysed (an internal error), not only for a bad path
    if (res.badPaths || res.diagnostics.some((d) => d.level === 'error')) return 2;
    if (wf.wroteBaseline) return 0;
    return failsRun(res.findings, plan.failOn) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof WorkflowUsageError || e instanceof ConfigError || e instanceof GitError || e instanceof BaselineError) {
      io.stderr.write(`kmalloc-lint: error: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`kmalloc-lint: fatal: ${(e as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) {
  // `kmalloc-lint ... | head`: a reader that stops early is no crash; the exit status stays the run's
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kmalloc-lint: fatal: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
