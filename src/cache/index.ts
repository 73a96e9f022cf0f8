import type { FileResult } from '../analysis/types';
import type { FnContext } from '../context/callgraph';
import type { DialectModel } from '../model/types';
import { runJobs, type Job } from '../run/pool';
import type { FileJobOptions } from '../run/filework';
import type { FileSummary } from '../summaries/extract';
import { contextsKey, loadContexts, renameContexts, saveContexts, treePaths } from './contextmemo';
import { runJobsCached, summariesCached, type CacheRunStats } from './jobs';
import { resultSalt } from './store';

/**
 * The cache stage, as the engine sees it: per-file results and summaries for
 * a list of files, computing the missing ones on the worker pool, and the
 * resolved contexts of an earlier run. Without a cache folder every call
 * simply computes.
 *
 * Takes: jobs (files, shown paths, staged contents), the dialect model, the
 * per-file options. Gives: the same values the pool would compute, in job
 * order, plus hit counts. Never: decides what a finding is, or changes a
 * result (a hit is byte-for-byte what the analysis gave for those bytes under
 * the same build, model and options; anything that does not validate is
 * analysed again).
 */
export type { CacheRunStats } from './jobs';

export interface CacheSpec {
  /** The cache folder; no cache when absent. */
  dir?: string;
  /** The linted roots (name the stat index and the contexts memo). */
  roots: string[];
}

export class ResultCache {
  private salt = '';
  constructor(private readonly spec: CacheSpec) {}

  /** The whole-tree pass's per-file summaries. */
  async summaries(jobs: Job[], dialect: DialectModel, opts: FileJobOptions, workers: number, roots = this.spec.roots): Promise<FileSummary[]> {
    if (!this.spec.dir) return runJobs(jobs, dialect, opts, workers, undefined, 'summary');
    return summariesCached(jobs, dialect, opts, workers, { dir: this.spec.dir, salt: resultSalt(dialect, 'summary'), roots });
  }

  /** Per-file analysis results, in job order. */
  async results(jobs: Job[], dialect: DialectModel, opts: FileJobOptions, workers: number, onProgress?: (done: number) => void): Promise<{ results: FileResult[]; stats?: CacheRunStats }> {
    if (!this.spec.dir) return { results: await runJobs(jobs, dialect, opts, workers, onProgress) };
    this.salt = resultSalt(dialect, `analyze:context=${opts.context}`);
    return runJobsCached(jobs, dialect, opts, workers, { dir: this.spec.dir, salt: this.salt, roots: this.spec.roots }, onProgress);
  }

  /**
   * Resolve the function contexts with `solve`, unless the last run over the
   * same context facts (every file's, and the same build and model as the
   * last results() call) left them. Says whether every context came from there.
   */
  contexts(results: FileResult[], solve: (known?: Map<string, FnContext>) => Map<string, FnContext>): boolean {
    if (!this.spec.dir) {
      solve();
      return false;
    }
    // keyed by paths relative to the linted trees: the same tree linted from another folder finds its memo
    const paths = treePaths(results.map((r) => r.file), this.spec.roots);
    const key = contextsKey(this.salt, results, paths.toTree);
    const stored = loadContexts(this.spec.dir, this.spec.roots, key);
    const known = stored && renameContexts(stored, paths.fromTree, /\x01([^\x01]*)\x01/g);
    const used = solve(known);
    const fromMemo = !!known && [...used.keys()].every((k) => known.has(k));
    if (!fromMemo) saveContexts(this.spec.dir, this.spec.roots, key, renameContexts(used, paths.toTree));
    return fromMemo;
  }
}
