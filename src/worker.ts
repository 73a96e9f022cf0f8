import { parentPort, workerData } from 'node:worker_threads';
import { lintFile, type FileJobOptions } from './filework';
import type { DialectModel } from './model/types';

/** A worker thread: lints the files it is sent, one batch at a time. */
const { dialect, opts } = workerData as { dialect: DialectModel; opts: FileJobOptions };

parentPort!.on('message', (msg: { batch: { file: string; shown: string; content?: string }[] }) => {
  const results = msg.batch.map((f) => lintFile(f.file, f.shown, dialect, opts, f.content));
  parentPort!.postMessage({ results });
});
