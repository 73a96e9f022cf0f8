import * as os from 'node:os';
import * as path from 'node:path';
import { RULES, type Rule, type Severity } from '../rules';
import type { Diagnostic, FileResult } from './analysis/types';
import { chooseDialect, dialectOfTree, TreeMarkers, type DialectChoice } from './model/dialect';
import { discover, pathShower } from './run/discover';
import { compareFindings, fingerprintOf, type Finding } from './report/findings';
import { CodePoints, excerptOf } from './report/excerpt';
import { Model } from './model/model';
import { DEFAULT_MAX_FILE_SIZE } from './run/filework';
import { attachContexts } from './context/context';
import { ResultCache, type CacheRunStats } from './cache';
import * as fs from 'node:fs';
import { resolveSummaries, type WholeTreeFacts } from './summaries/resolve';
import type { FieldIndex } from './summaries/fields';
import type { DialectModel } from './model/types';
import type { Suppression } from './workflow/suppress';
import type { Job } from './run/pool';
import type { FileJobOptions } from './run/filework';

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
  /** The exclude patterns to warn about when they match nothing (the command line's; default: all). */
  checkExclude?: string[];
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
  /** Read the dialect of trees from their .kmalloc-lint.json files (default true; --no-config: false). */
  configMarkers?: boolean;
  /** Per-file result cache folder (see src/cache/); no cache when absent. */
  cache?: { dir: string };
}

export interface LintResult {
  findings: Finding[];
  diagnostics: Diagnostic[];
  rules: Rule[];
  dialect: { name: string; why: string };
  /** When the paths span trees linted with different dialects or headers: each tree's. */
  dialects?: { tree: string; name: string; why: string }[];
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

/** A path relative to the current folder, with / separators (where a tree is, in the summary). */
export function toPosixRel(p: string): string {
  const rel = path.relative(process.cwd(), p) || path.basename(p);
  return rel.split(path.sep).join('/');
}

/** One tree of the run: its dialect choice, which files belong to it, the names its cache entries go under. */
interface Tree {
  choice: DialectChoice;
  has: (file: string) => boolean;
  roots: string[];
  /** Where it is, for the summary (set when the paths span several trees). */
  where?: string;
}

/** Does the code call kmalloc()? A sample of the files, for trees whose header does not say. */
function kmallocSample(files: string[]): () => boolean {
  return () => {
    for (const f of files.filter((x) => x.endsWith('.c')).slice(0, 400)) {
      try {
        if (/\bkmalloc\s*\(/.test(fs.readFileSync(f, 'latin1'))) return true;
      } catch {
        /* reported later */
      }
    }
    return false;
  };
}

/**
 * The trees the files belong to. `-d` (or a config's dialect) forces one
 * dialect for everything; otherwise files under different markers (their
 * nearest sys/sys/malloc.h, a .kmalloc-lint.json naming a dialect) are
 * linted as separate trees, each with its own dialect and header.
 */
function treesOf(opts: LintOptions, files: string[], roots: string[]): Tree[] {
  const one = (): Tree[] => [{ choice: chooseDialect(opts.dialect, opts.paths, kmallocSample(files)), has: () => true, roots }];
  if (opts.dialect !== 'auto' || !files.length) return one();
  const markers = new TreeMarkers(opts.configMarkers !== false);
  const keyOf = (f: string) => {
    const m = markers.of(f);
    return `${m.config?.file ?? ''}\0${m.header ?? ''}`;
  };
  const byKey = new Map<string, string[]>();
  for (const f of files) {
    const k = keyOf(f);
    const list = byKey.get(k);
    if (list) list.push(f);
    else byKey.set(k, [f]);
  }
  if (byKey.size === 1 && !markers.of(files[0]).config) return one();
  const trees: (Tree & { where: string })[] = [...byKey].map(([k, list]) => {
    const marks = markers.of(list[0]);
    const marker = marks.config?.file ?? (marks.header && path.dirname(path.dirname(path.dirname(marks.header))));
    return {
      choice: dialectOfTree(marks, kmallocSample(list)),
      has: (f: string) => keyOf(f) === k,
      roots: [...roots, k],
      where: marker ? toPosixRel(marks.config ? path.dirname(marker) : marker) : 'elsewhere',
    };
  });
  return trees.sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
}

export async function lint(opts: LintOptions): Promise<LintResult> {
  const t0 = Date.now();
  const T = process.env.KMALLOC_LINT_TIMING ? (what: string) => process.stderr.write(`timing: ${what} ${Date.now() - t0} ms\n`) : () => undefined;
  const { rules } = selectRules(opts.rules, opts.disableRules);
  const disc = await discover(opts.paths, { include: opts.include, exclude: opts.exclude, checkExclude: opts.checkExclude });
  const files = disc.files;
  T('discovered');
  // a file is shown as its tree was given: absolute under an absolute path, else relative to the current folder
  const shown = pathShower(opts.paths);
  const jobs = files.map((f) => ({ file: f, shown: shown(f), content: opts.contents?.get(f) }));
  const workers = Math.max(1, opts.jobs ?? (os.availableParallelism?.() ?? os.cpus().length));
  const jobOpts = { maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, context: opts.context !== false };
  // files with staged contents bypass the cache (src/cache/jobs.ts); the rest of the tree still uses it
  const roots = opts.paths.map((p) => path.resolve(p));
  let factJobs = jobs;
  let factRoots = roots;
  if (opts.wholeTree !== false && opts.factsPaths?.length) {
    // the linted files (their staged contents) plus the rest of the tree they belong to
    const more = await discover(opts.factsPaths, { include: opts.include, exclude: opts.exclude });
    const have = new Set(jobs.map((j) => j.file));
    factJobs = [...jobs, ...more.files.filter((f) => !have.has(f)).map((f) => ({ file: f, shown: shown(f), content: opts.contents?.get(f) }))];
    factRoots = opts.factsPaths.map((p) => path.resolve(p));
  }
  const trees = treesOf(opts, files, roots);
  const findings: Finding[] = [];
  const diagnostics: Diagnostic[] = [...disc.diagnostics];
  const suppressions = new Map<string, Suppression[]>();
  const stats = { parsed: 0, bytes: 0, withErrors: 0, parseErrors: [] as { file: string; line: number }[], sites: 0 };
  let cacheStats: CacheRunStats | undefined;
  let contextsFromMemo = true;
  let wholeTree: WholeTreeFacts | undefined;
  let done = 0;
  for (const tree of trees) {
    const tJobs = trees.length > 1 ? jobs.filter((j) => tree.has(j.file)) : jobs;
    const tFacts = trees.length > 1 ? factJobs.filter((j) => tree.has(j.file)) : factJobs;
    const base = done;
    const progress = (d: number) => opts.onProgress?.(base + d, jobs.length);
    const r = await lintTree(opts, rules, tree, tJobs, tFacts, trees.length > 1 ? [...factRoots, ...tree.roots.slice(roots.length)] : factRoots, workers, jobOpts, progress, T, { findings, diagnostics, suppressions, stats });
    done += tJobs.length;
    if (r.cacheStats) {
      cacheStats ??= { indexHits: 0, contentHits: 0, analysed: 0 };
      for (const k of Object.keys(cacheStats) as (keyof CacheRunStats)[]) cacheStats[k] += r.cacheStats[k];
    }
    contextsFromMemo &&= r.contextsFromMemo;
    wholeTree ??= r.wholeTree;
  }
  findings.sort(compareFindings);
  T('rules');
  const dialect = trees.length === 1
    ? { name: trees[0].choice.model.name, why: trees[0].choice.why }
    : { name: 'per tree', why: trees.map((t) => `${t.where}: ${t.choice.model.name}, ${t.choice.why}`).join('; ') };
  return {
    findings,
    diagnostics,
    rules,
    dialect,
    ...(trees.length > 1 ? { dialects: trees.map((t) => ({ tree: t.where!, name: t.choice.model.name, why: t.choice.why })) } : {}),
    stats: { files: files.length, ...stats, parseErrors: stats.parseErrors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), ms: Date.now() - t0, ...(cacheStats ? { cache: cacheStats } : {}), ...(contextsFromMemo ? { contextsFromMemo } : {}) },
    badPaths: disc.badPaths,
    wholeTree,
    files: jobs.map((j) => j.shown),
    suppressions,
  };
}

/** The passes over one tree with its model: whole-tree summaries, analysis, contexts, rules. Adds to `into`. */
async function lintTree(
  opts: LintOptions,
  rules: Rule[],
  tree: Tree,
  jobs: Job[],
  factJobs: Job[],
  factRoots: string[],
  workers: number,
  jobOpts: FileJobOptions,
  progress: (done: number) => void,
  T: (what: string) => void,
  into: { findings: Finding[]; diagnostics: Diagnostic[]; suppressions: Map<string, Suppression[]>; stats: { parsed: number; bytes: number; withErrors: number; parseErrors: { file: string; line: number }[]; sites: number } },
): Promise<{ cacheStats?: CacheRunStats; contextsFromMemo: boolean; wholeTree?: WholeTreeFacts }> {
  const cache = new ResultCache({ dir: opts.cache?.dir, roots: tree.roots });
  let dialect = opts.adjustModel ? opts.adjustModel(tree.choice.model) : tree.choice.model;
  let wholeTree: WholeTreeFacts | undefined;
  let fields: FieldIndex | undefined;
  if (opts.wholeTree !== false) {
    // pass 1: per-file summaries (wrappers, macros, helpers), resolved into model data
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
  const { findings, diagnostics, suppressions, stats } = into;
  for (const r of results) {
    diagnostics.push(...r.diagnostics);
    if (r.suppressions?.length) suppressions.set(r.file, r.suppressions);
    stats.bytes += r.parse.bytes;
    if (r.parse.functions > 0 || r.sites.length) stats.parsed++;
    if (r.parse.errorNodes) {
      stats.withErrors++;
      stats.parseErrors.push({ file: r.file, line: r.parse.errorLine ?? 0 });
    }
    stats.sites += r.sites.length;
    const occ = new Map<string, number>();
    const codePoints = new Map<number, CodePoints>();
    for (const site of r.sites) {
      // a long line costs a finding a window of it, not the whole line
      const full = r.lines[site.loc.line] ?? '';
      const ex = excerptOf(full, site.loc.col);
      const src = ex.text;
      let sourceWindow: Finding['sourceWindow'];
      if (ex.text !== full) {
        let cp = codePoints.get(site.loc.line);
        if (!cp) codePoints.set(site.loc.line, (cp = new CodePoints(full)));
        sourceWindow = { start: ex.start, codePointsBefore: cp.before(ex.start), cutAfter: ex.cutAfter };
      }
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
              message: rep.message + (site.lowConfidence ? ` [low confidence: ${(site.extra?.lowConfidenceReason as string | undefined) ?? 'the path crosses code that did not parse cleanly'}]` : ''),
              related: rep.related ?? [],
              function: site.function,
              allocator: site.allocator,
              flags: site.flags,
              lowConfidence: site.lowConfidence,
              fingerprint: fingerprintOf(rule.meta.id, r.file, site, src, n),
              fingerprintAs: (file) => fingerprintOf(rule.meta.id, file, site, src, n),
              sourceLine: src,
              ...(sourceWindow ? { sourceWindow } : {}),
              properties: site.extra,
              trace: { fnLines: site.fnLines, nullTest: site.failure.nullTest },
            });
          },
        });
      }
    }
  }
  return { cacheStats, contextsFromMemo, wholeTree };
}
