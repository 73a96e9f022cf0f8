/**
 * The programmatic API, for editor integrations and scripts:
 *
 *   import { lint } from 'kmalloc-lint';
 *   const { findings } = await lint({ paths: ['sys/dev/foo'] });
 *
 * `lint()` does what the command line does without --fix, --staged or a
 * baseline: it reads the `.kmalloc-lint.json` above the first path (unless
 * `config: false`), lints, applies inline suppressions and reports unused
 * ones. Findings are the objects `--format json` prints. This file is the
 * package's stable interface (package.json `main`/`types`); everything else
 * under dist/ may change between versions.
 */
import * as path from 'node:path';
import { lint as lintEngine, selectRules } from './engine';
import { jsonFinding, type JsonFinding } from './report/json';
import { finishWorkflow, prepareWorkflow } from './workflow/run';
import { VERSION } from './util/version';

export type Finding = JsonFinding;
export { VERSION };

export interface Options {
  /** Files or folders to lint (`.c` and `.h` under folders). */
  paths: string[];
  /** Default `auto`: each tree's own sys/sys/malloc.h or .kmalloc-lint.json says. */
  dialect?: 'auto' | 'freebsd' | 'dragonfly';
  /** Only these rules (ids, see `kmalloc-lint --list-rules`); default: the default set. */
  rules?: string[];
  /** Not these rules. */
  disableRules?: string[];
  /** Skip files matching these globs (as `--exclude`). */
  exclude?: string[];
  /** Worker threads; default 1 (an editor lints a file or a few). */
  jobs?: number;
  /** A config file to use, or false for none; default: the `.kmalloc-lint.json` above the first path. */
  config?: string | false;
  /** Result cache folder; default none. */
  cacheDir?: string;
  /** Text to lint instead of a file's content on disk (an editor's unsaved buffer), by path. */
  contents?: Record<string, string>;
}

export interface Result {
  /** In file, line, column, rule order. */
  findings: Finding[];
  /** Files that could not be read or were skipped, and other notes. */
  diagnostics: { file: string; level: 'error' | 'warning' | 'note'; message: string }[];
  /** The dialect used and why ("per tree" when the paths span trees). */
  dialect: { name: string; why: string };
  /** The files linted, as shown in findings (as their path was given: absolute under an absolute path, else relative to the working folder; / separators). */
  files: string[];
}

/** Unknown rule ids, a bad config file and the like throw an Error whose message says what is wrong. */
export async function lint(options: Options): Promise<Result> {
  const { unknown } = selectRules(options.rules, options.disableRules?.filter((r) => r !== 'unused-suppression'));
  if (unknown.length) throw new Error(`unknown rule${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (see kmalloc-lint --list-rules)`);
  const wf = { dialect: options.dialect ?? 'auto', rule: options.rules ?? [], disableRule: options.disableRules ?? [], exclude: options.exclude ?? [], config: options.config };
  const plan = prepareWorkflow(wf, options.paths, options.dialect !== undefined && options.dialect !== 'auto');
  const contents = options.contents ? new Map(Object.entries(options.contents).map(([f, t]) => [path.resolve(f), t])) : undefined;
  const res = await lintEngine({
    dialect: wf.dialect,
    jobs: options.jobs ?? 1,
    ...plan.lint,
    ...(contents ? { contents } : {}),
    ...(options.cacheDir ? { cache: { dir: path.resolve(options.cacheDir) } } : {}),
  });
  finishWorkflow(res, plan, wf);
  return { findings: res.findings.map(jsonFinding), diagnostics: res.diagnostics, dialect: res.dialect, files: res.files };
}
