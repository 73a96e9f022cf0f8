import * as fs from 'node:fs';
import type { FileResult } from '../analysis/types';
import type { DialectModel } from '../model/types';
import { SegmentStore, type CacheProbe } from './store';
import { FileIndex } from './statindex';
import { emptyResult, isEmptyResult, isStoredResult, packResult, resultKey, unpackResult, type StoredResult } from './entries';
import type { FileJobOptions, LintedFile } from '../run/filework';
import { runJobs, type Job } from '../run/pool';
import { isFileSummary, type FileSummary, type SummarizedFile } from '../summaries/extract';

export interface CacheRunOptions {
  dir: string;
  /** From resultSalt(): build + model + analysis options. */
  salt: string;
  /** The linted roots (names the stat index). */
  roots: string[];
}

export interface CacheRunStats {
  /** Results found through the stat index without reading the file. */
  indexHits: number;
  /** Results found by hashing the file's bytes. */
  contentHits: number;
  /** Files analysed. */
  analysed: number;
}

/**
 * runJobs() with the per-file result cache: files whose stat matches the
 * index are answered from the cache here, without reading them or starting
 * workers; the rest go to the pool, where each file is hashed and looked up
 * by content before it is parsed. Results stay in job order.
 */
export async function runJobsCached(
  jobs: Job[],
  dialect: DialectModel,
  opts: FileJobOptions,
  workers: number,
  cacheOpts: CacheRunOptions,
  onProgress?: (done: number) => void,
): Promise<{ results: FileResult[]; stats: CacheRunStats }> {
  return runCached(jobs, dialect, opts, workers, cacheOpts, 'lint', onProgress) as Promise<{ results: FileResult[]; stats: CacheRunStats }>;
}

/** The whole-tree pass's per-file summaries, through the same cache (kind 'summary'). */
export async function summariesCached(jobs: Job[], dialect: DialectModel, opts: FileJobOptions, workers: number, cacheOpts: CacheRunOptions): Promise<FileSummary[]> {
  return (await runCached(jobs, dialect, opts, workers, cacheOpts, 'summary')).results as FileSummary[];
}

async function runCached(
  jobs: Job[],
  dialect: DialectModel,
  opts: FileJobOptions,
  workers: number,
  cacheOpts: CacheRunOptions,
  kind: 'lint' | 'summary',
  onProgress?: (done: number) => void,
): Promise<{ results: (FileResult | FileSummary)[]; stats: CacheRunStats }> {
  const config = { dir: cacheOpts.dir, salt: cacheOpts.salt };
  const store =
    kind === 'summary' ? new SegmentStore<FileSummary>(config, 'summary', isFileSummary) : new SegmentStore<StoredResult>(config, 'result', isStoredResult);
  const index = FileIndex.load(cacheOpts.dir, cacheOpts.roots);
  const results: (FileResult | FileSummary)[] = new Array(jobs.length);
  const stats: CacheRunStats = { indexHits: 0, contentHits: 0, analysed: 0 };
  const key = (hash: string, j: Job) => (kind === 'lint' ? resultKey(hash, j.file, opts.context) : hash);
  const fromStore = (hash: string, j: Job) => {
    const v = store.get(key(hash, j));
    return v && (kind === 'summary' ? retargetSummary(v as FileSummary, j.shown) : unpackResult(v as StoredResult, j.shown));
  };
  let misses: number[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i];
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(j.file);
    } catch {
      st = undefined;
    }
    // a job with its own content (--staged: the index blob) is not what the stat index describes
    const known = j.content === undefined && st && st.isFile() && st.size <= opts.maxFileSize ? index.lookup(j.file, st, config.salt) : undefined;
    const hit = !known ? undefined : kind === 'lint' && known.empty ? emptyResult(j.shown, st!.size) : fromStore(known.hash, j);
    if (hit) {
      results[i] = hit;
      stats.indexHits++;
    } else misses.push(i);
  }
  const base = jobs.length - misses.length;
  if (base) onProgress?.(base);
  // the workers hash each file and skip those whose content the store holds
  let probe: CacheProbe | undefined = { known: store.keys() };
  for (let round = 0; misses.length && round < 2; round++) {
    const got = (await runJobs(
      misses.map((i) => jobs[i]),
      dialect,
      { ...opts, cache: probe },
      workers,
      onProgress && ((d) => onProgress(base + d)),
      kind,
    )) as (LintedFile | SummarizedFile)[];
    const again: number[] = [];
    got.forEach((r, k) => {
      const i = misses[k];
      const info = r.cacheInfo;
      delete r.cacheInfo;
      if (!info) {
        stats.analysed++;
        results[i] = r;
        return;
      }
      let empty = false;
      if (info.hit) {
        const v = fromStore(info.stamp.hash, jobs[i]);
        if (!v) {
          again.push(i); // the entry did not survive validation: analyse the file after all
          return;
        }
        results[i] = v;
        stats.contentHits++;
      } else {
        results[i] = r;
        stats.analysed++;
        // an empty result (no allocator call at all: most files) is not worth an entry; the stat index remembers it
        empty = kind === 'lint' && isEmptyResult(r as FileResult, info.stamp.size);
        if (!empty) store.put(key(info.stamp.hash, jobs[i]), (kind === 'summary' ? r : packResult(r as FileResult)) as never);
      }
      index.record(jobs[i].file, info.stamp, empty ? config.salt : undefined);
    });
    misses = again;
    probe = { known: [] };
  }
  store.flush();
  index.save();
  return { results, stats };
}

function retargetSummary(s: FileSummary, shown: string): FileSummary {
  s.file = shown;
  for (const f of s.functions) f.file = shown;
  for (const m of s.macros) m.file = shown;
  return s;
}
