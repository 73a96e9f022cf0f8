/*
 * Stage 1, run: discover.ts finds the files, pool.ts spreads per-file jobs over worker threads (worker.ts), filework.ts reads and checks one file.
 * Takes: paths, the dialect model, per-file options. Gives: one result or summary per file, in job order.
 * Never: decides a finding, or lets one bad file stop the run (problems become diagnostics naming the file).
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { FileResult } from '../analysis/types';
import type { DialectModel } from '../model/types';
import { runFile, type FileJobOptions } from './filework';
import type { FileSummary } from '../summaries/extract';

export type JobKind = 'lint' | 'summary';
type ResultOf<K extends JobKind> = K extends 'lint' ? FileResult : FileSummary;

export interface Job {
  file: string;
  shown: string;
  /** Analyse this text instead of reading the file (latin1: one char per byte). */
  content?: string;
}

/**
 * Run the file jobs on N worker threads (in this thread only for a few
 * files: --jobs 1 on a tree still uses one worker, whose heap and native
 * trees stay out of the main thread's, which holds every result; in one
 * thread the 2020 tree peaked at 540 MB, with a worker at 290 MB). Results
 * come back in job order whatever the scheduling, so the output is the same
 * for any N.
 */
export async function runJobs<K extends JobKind = 'lint'>(jobs: Job[], dialect: DialectModel, opts: FileJobOptions, workers: number, onProgress?: (done: number) => void, kind: K = 'lint' as K): Promise<ResultOf<K>[]> {
  const results: ResultOf<K>[] = new Array(jobs.length);
  const one = (j: Job) => runFile(kind, j, dialect, opts) as ResultOf<K>;
  if (jobs.length < 16) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = one(jobs[i]);
      onProgress?.(i + 1);
      // let native trees be collected between files
      if (i % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    return results;
  }
  const batch = Math.max(1, Math.min(16, Math.floor(jobs.length / (workers * 8))));
  let next = 0;
  let done = 0;
  const script = path.join(__dirname, 'worker.js');
  await new Promise<void>((resolve, reject) => {
    let alive = 0;
    const pool: Worker[] = [];
    const finish = () => {
      for (const w of pool) void w.terminate();
      resolve();
    };
    for (let k = 0; k < Math.min(workers, Math.ceil(jobs.length / batch)); k++) {
      const w = new Worker(script, { workerData: { dialect, opts } });
      pool.push(w);
      alive++;
      let mine: number[] = [];
      const feed = () => {
        if (next >= jobs.length) {
          alive--;
          if (alive === 0) finish();
          return;
        }
        mine = [];
        for (let i = 0; i < batch && next < jobs.length; i++) mine.push(next++);
        w.postMessage({ kind, batch: mine.map((i) => jobs[i]) });
      };
      w.on('message', (m: { results: ResultOf<K>[] }) => {
        m.results.forEach((r, j) => (results[mine[j]] = r));
        done += m.results.length;
        onProgress?.(done);
        feed();
      });
      w.on('error', (e) => {
        for (const w2 of pool) void w2.terminate();
        reject(e);
      });
      feed();
    }
  });
  return results;
}
