import { parentPort, workerData } from 'node:worker_threads';
import { runFile, type FileJobOptions } from './filework';
import type { DialectModel } from '../model/types';

/** A worker thread: lints (or summarises) the files it is sent, one batch at a time. */
const { dialect, opts } = workerData as { dialect: DialectModel; opts: FileJobOptions };

parentPort!.on('message', async (msg: { kind: 'lint' | 'summary'; batch: { file: string; shown: string; content?: string }[] }) => {
  const results = [];
  for (const f of msg.batch) {
    results.push(runFile(msg.kind, f, dialect, opts));
    // native trees are freed only when the event loop turns
    await new Promise((r) => setImmediate(r));
  }
  parentPort!.postMessage({ results });
});
