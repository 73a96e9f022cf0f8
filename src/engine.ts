import * as os from 'node:os';
import * as path from 'node:path';
import { RULES, type Rule, type Severity } from '../rules';
import type { Diagnostic, FileResult } from './analysis/types';
import { chooseDialect } from './model/dialect';
import { discover } from './run/discover';
import { compareFindings, fingerprintOf, type Finding } from './report/findings';
import { Model } from './model/model';
import { DEFAULT_MAX_FILE_SIZE } from './run/filework';
import { attachContexts } from './context/context';
import { ResultCache, type CacheRunStats } from './cache';
import * as fs from 'node:fs';
import { resolveSummaries, type WholeTreeFacts } from './summaries/resolve';
import type { FieldIndex } from './summaries/fields';
import type { DialectModel } from './model/types';
import type { Suppression } from './workflow/suppress';

export interface LintOptions {
  paths: string[];
  dialect: 'auto' | 'freebsd' | 'dragonfly';
  /** Only these rules (ids); empty means the default set. */
  rules?: string[];
  disableRules?: string[];
  severities?: Record<string, Severity | 'off'>;
  jobs?: number;
  maxFileSize?: number;
  include?: string[];
  exclude?: string[];
  onProgress?: (done: number, total: number) => void;
  /** Whole-tree facts (wrappers, macros, helpers); on unless false. */
  wholeTree?: boolean;
  /** Where whole-tree facts come from when only some files are linted (--staged: the repository); default: paths. */
  factsPaths?: string[];
  /** Whole-tree context inference (handler roles, call graph) and flag suggestions; on unless false. */
  context?: boolean;
  /** Absolute path -> text to analyse instead of the file on disk (--staged: the index content). */
  contents?: Map<string, string>;
  /** Extend or change the dialect model before analysis (config file allocators, releases, resource pairs). */
  adjustModel?: (m: DialectModel) => DialectModel;
  /** Per-file result cache folder (see src/cache/); no cache when absent. */
  cache?: { dir: string };
}

export interface LintResult {
  findings: Finding[];
  diagnostics: Diagnostic[];
  rules: Rule[];
  dialect: { name: string; why: string };
  stats: { files: number; parsed: number; bytes: number; withErrors: number; /** The files whose parsed parts hold ERROR nodes, and the first one's line, by file. */ parseErrors: { file: string; line: number }[]; sites: number; ms: number; cache?: CacheRunStats; /** Every site's context came from the memo of an earlier run. */ contextsFromMemo?: boolean };
  badPaths: boolean;
  wholeTree?: WholeTreeFacts;
  /** Shown paths of the files linted. */
  files: string[];
  /** Inline suppression comments per shown file (src/workflow/suppress.ts). */
  suppressions: Map<string, Suppression[]>;
}

export function selectRules(only: string[] | undefined, disabled: string[] | undefined): { rules: Rule[]; unknown: string[] } {
  const known = new Set(RULES.map((r) => r.meta.id));
  const unknown = [...(only ?? []), ...(disabled ?? [])].filter((r) => !known.has(r));
  let rules = only && only.length ? RULES.filter((r) => only.includes(r.meta.id)) : RULES.filter((r) => !r.meta.optIn);
  if (disabled?.length) rules = rules.filter((r) => !disabled.includes(r.meta.id));
  return { rules, unknown };
}

export function toPosixRel(p: string): string {
  const rel = path.relative(process.cwd(), p) || path.basename(p);
  return rel.split(path.sep).join('/');
}

export async function lint(opts: LintOptions): Promise<LintResult> {
  const t0 = Date.now();
  const T = process.env.KMALLOC_LINT_TIMING ? (what: string) => process.stderr.write(`timing: ${what} ${Date.now() - t0} ms\n`) : () => undefined;
  const { rules } = selectRules(opts.rules, opts.disableRules);
  const disc = await discover(opts.paths, { include: opts.include, exclude: opts.exclude });
  const files = disc.files;
  T('discovered');
  const choice = chooseDialect(opts.dialect, opts.paths, () => {
    // no header: does the code call kmalloc()? look at a sample of files
    for (const f of files.filter((x) => x.endsWith('.c')).slice(0, 400)) {
      try {
        if (/\bkmalloc\s*\(/.test(fs.readFileSync(f, 'latin1'))) return true;
      } catch {
        /* reported later */
      }
    }
    return false;
  });
  if (opts.adjustModel) choice.model = opts.adjustModel(choice.model);
  const jobs = files.map((f) => ({ file: f, shown: toPosixRel(f), content: opts.contents?.get(f) }));
  const workers = Math.max(1, opts.jobs ?? (os.availableParallelism?.() ?? os.cpus().length));
  const jobOpts = { maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, context: opts.context !== false };
  const progress = (d: number) => opts.onProgress?.(d, jobs.length);
  // files with staged contents bypass the cache (src/cache/jobs.ts); the rest of the tree still uses it
  const roots = opts.paths.map((p) => path.resolve(p));
  const cache = new ResultCache({ dir: opts.cache?.dir, roots });
  let dialect = choice.model;
  let wholeTree: WholeTreeFacts | undefined;
  let fields: FieldIndex | undefined;
  if (opts.wholeTree !== false) {
    // pass 1: per-file summaries (wrappers, macros, helpers), resolved into model data
    let factJobs = jobs;
    let factRoots = roots;
    if (opts.factsPaths?.length) {
      // the linted files (their staged contents) plus the rest of the tree they belong to
      const more = await discover(opts.factsPaths, { include: opts.include, exclude: opts.exclude });
      const have = new Set(jobs.map((j) => j.file));
      factJobs = [...jobs, ...more.files.filter((f) => !have.has(f)).map((f) => ({ file: f, shown: toPosixRel(f), content: opts.contents?.get(f) }))];
      factRoots = opts.factsPaths.map((p) => path.resolve(p));
    }
    const sums = await cache.summaries(factJobs, dialect, jobOpts, workers, factRoots);
    T('summaries');
    const r = resolveSummaries(dialect, sums);
    T('resolved');
    dialect = r.model;
    wholeTree = r.facts;
    fields = r.fields;
  }
  const { results, stats: cacheStats } = await cache.results(jobs, dialect, jobOpts, workers, progress);
  T('analysed');
  const model = new Model(dialect);
  // the resolved contexts of the last run over the same context facts, when there is a cache
  const contextsFromMemo = opts.context !== false && cache.contexts(results, (known) => attachContexts(results, model, known));
  T('contexts');
  const findings: Finding[] = [];
  const diagnostics: Diagnostic[] = [...disc.diagnostics];
  const suppressions = new Map<string, Suppression[]>();
  let parsed = 0, bytes = 0, withErrors = 0, sites = 0;
  const parseErrors: { file: string; line: number }[] = [];
  for (const r of results) {
    diagnostics.push(...r.diagnostics);
    if (r.suppressions?.length) suppressions.set(r.file, r.suppressions);
    bytes += r.parse.bytes;
    if (r.parse.functions > 0 || r.sites.length) parsed++;
    if (r.parse.errorNodes) {
      withErrors++;
      parseErrors.push({ file: r.file, line: r.parse.errorLine ?? 0 });
    }
    sites += r.sites.length;
    const occ = new Map<string, number>();
    for (const site of r.sites) {
      const src = r.lines[site.loc.line] ?? '';
      const elsewhere = fields?.usesFor(site, r.file);
      if (elsewhere?.length) site.failure.fieldDeref = elsewhere;
      for (const rule of rules) {
        const sevOverride = opts.severities?.[rule.meta.id];
        if (sevOverride === 'off') continue;
        rule.check(site, {
          model,
          report: (rep) => {
            const k = `${rule.meta.id}|${site.function}|${site.allocator}|${src.trim()}`;
            const n = occ.get(k) ?? 0;
            occ.set(k, n + 1);
            findings.push({
              ruleId: rule.meta.id,
              severity: sevOverride ?? rep.severity ?? rule.meta.severity,
              file: r.file,
              line: site.loc.line,
              col: site.loc.col,
              endLine: site.loc.endLine,
              endCol: site.loc.endCol,
              message: rep.message + (site.lowConfidence ? ' [low confidence: the path crosses code that did not parse cleanly]' : ''),
              related: rep.related ?? [],
              function: site.function,
              allocator: site.allocator,
              flags: site.flags,
              lowConfidence: site.lowConfidence,
              fingerprint: fingerprintOf(rule.meta.id, r.file, site, src, n),
              sourceLine: src,
              properties: site.extra,
            });
          },
        });
      }
    }
  }
  findings.sort(compareFindings);
  T("rules");
  return {
    findings,
    diagnostics,
    rules,
    dialect: { name: choice.model.name, why: choice.why },
    stats: { files: files.length, parsed, bytes, withErrors, parseErrors: parseErrors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), sites, ms: Date.now() - t0, ...(cacheStats ? { cache: cacheStats } : {}), ...(contextsFromMemo ? { contextsFromMemo } : {}) },
    badPaths: disc.badPaths,
    wholeTree,
    files: jobs.map((j) => j.shown),
    suppressions,
  };
}
