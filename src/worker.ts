import { parentPort, workerData } from 'node:worker_threads';
import { lintFile, type FileJobOptions } from './filework';
import { summarizeFile } from './summaries/extract';
import type { DialectModel } from './model/types';

/** A worker thread: lints the files it is sent, one batch at a time. */
const { dialect, opts } = workerData as { dialect: DialectModel; opts: FileJobOptions };

parentPort!.on('message', (msg: { kind: 'lint' | 'summary'; batch: { file: string; shown: string; content?: string }[] }) => {
  const results = msg.batch.map((f) => (msg.kind === 'summary' ? summarizeFile(f.file, f.shown, dialect, opts.maxFileSize, f.content) : lintFile(f.file, f.shown, dialect, opts, f.content)));
  parentPort!.postMessage({ results });
});
