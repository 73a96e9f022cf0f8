import type * as fs from 'node:fs';
import { contentHash, knows, type CacheProbe } from './store';
import type { Stamp } from './statindex';

/**
 * The worker's side of the cache: after a file is read, stamp it (stat and
 * content hash) and say whether the main thread's store already holds the
 * entry for that content, so the worker can skip the analysis. This is the
 * only cache call the per-file work makes; the store itself is read and
 * written by the main thread (src/cache/jobs.ts).
 */
export interface Probed {
  stamp: Stamp;
  /** The store holds an entry for this content: the main thread fills it in. */
  hit: boolean;
}

export function probeFile(probe: CacheProbe | undefined, st: fs.Stats | undefined, buf: Buffer, at: number, keyOf: (hash: string) => string): Probed | undefined {
  if (!probe || !st) return undefined;
  const stamp: Stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: contentHash(buf), at };
  return { stamp, hit: knows(probe, keyOf(stamp.hash)) };
}
