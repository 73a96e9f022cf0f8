import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIALECTS } from './dialects';
import { applyHeader, readDefines, sniffDialect } from './header';
import type { DialectModel, DialectName } from './types';

export interface DialectChoice {
  model: DialectModel;
  /** Why this dialect and these flag values. */
  why: string;
  header?: string;
}

/** Look for the tree's own sys/sys/malloc.h (and mbuf.h) above or below the given paths. */
export function findHeader(paths: string[], name: 'malloc.h' | 'mbuf.h'): string | undefined {
  for (const p of paths) {
    let dir = path.resolve(p);
    try {
      if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
    } catch {
      continue;
    }
    for (let d = dir, i = 0; i < 8; i++) {
      for (const cand of [path.join(d, 'sys', 'sys', name), path.join(d, 'sys', name)]) {
        if (fs.existsSync(cand) && (cand.endsWith(path.join('sys', 'sys', name)) || path.basename(d) === 'sys')) return cand;
      }
      const up = path.dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}

function readMaybe(f: string | undefined): string | undefined {
  if (!f) return undefined;
  try {
    return fs.readFileSync(f, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * Choose the dialect: as asked, or from the tree (its malloc.h, its use of
 * kmalloc). Where the tree has its own headers, their #defines set the flag values.
 */
export function chooseDialect(asked: string, paths: string[], sample: () => boolean): DialectChoice {
  const mallocH = findHeader(paths, 'malloc.h');
  const mbufH = findHeader(paths, 'mbuf.h');
  const mallocText = readMaybe(mallocH);
  let name: DialectName;
  let why: string;
  if (asked === 'auto') {
    const s = sniffDialect(mallocText, mallocText ? false : sample());
    name = s.dialect;
    why = `auto: ${s.why}`;
  } else {
    name = asked as DialectName;
    why = 'chosen with --dialect';
  }
  let model = DIALECTS[name];
  if (mallocText) {
    model = applyHeader(model, readDefines(mallocText), ['malloc', 'objcache'], path.relative(process.cwd(), mallocH!) || mallocH!);
    why += `; flag values from ${path.relative(process.cwd(), mallocH!) || mallocH}`;
  }
  const mbufText = readMaybe(mbufH);
  if (mbufText) model = applyHeader(model, readDefines(mbufText), ['mbuf'], model.source);
  return { model, why, header: mallocH };
}
