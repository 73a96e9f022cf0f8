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
  return dialectFrom(asked === 'auto' ? undefined : { name: asked as DialectName, why: 'chosen with --dialect' }, mallocH, mbufH, sample);
}

const shown = (f: string) => path.relative(process.cwd(), f) || f;

/** The dialect as given (or from the header, else from the sample), with the header's flag values. */
function dialectFrom(given: { name: DialectName; why: string } | undefined, mallocH: string | undefined, mbufH: string | undefined, sample: () => boolean): DialectChoice {
  const mallocText = readMaybe(mallocH);
  let name: DialectName;
  let why: string;
  if (!given) {
    const s = sniffDialect(mallocText, mallocText ? false : sample());
    name = s.dialect;
    why = `auto: ${s.why}`;
  } else ({ name, why } = given);
  let model = DIALECTS[name];
  if (mallocText) {
    model = applyHeader(model, readDefines(mallocText), ['malloc', 'objcache'], shown(mallocH!));
    why += `; flag values from ${shown(mallocH!)}`;
  }
  const mbufText = readMaybe(mbufH);
  if (mbufText) model = applyHeader(model, readDefines(mbufText), ['mbuf'], model.source);
  return { model, why, header: mallocH };
}

/** What marks the tree a file belongs to: the nearest sys/sys/malloc.h above it, the nearest .kmalloc-lint.json naming a dialect. */
export interface TreeMarks {
  header?: string;
  config?: { file: string; dialect: DialectName };
}

const CONFIG_NAME = '.kmalloc-lint.json';

function headerIn(d: string): string | undefined {
  const a = path.join(d, 'sys', 'sys', 'malloc.h');
  if (fs.existsSync(a)) return a;
  const b = path.join(d, 'sys', 'malloc.h');
  return path.basename(d) === 'sys' && fs.existsSync(b) ? b : undefined;
}

function configIn(d: string): TreeMarks['config'] {
  const file = path.join(d, CONFIG_NAME);
  if (!fs.existsSync(file)) return undefined;
  try {
    const dialect = (JSON.parse(fs.readFileSync(file, 'utf8')) as { dialect?: unknown }).dialect;
    return dialect === 'freebsd' || dialect === 'dragonfly' ? { file, dialect } : undefined;
  } catch {
    return undefined; // none, or not JSON (the config loader reports the run's own config)
  }
}

/**
 * The marks of every file's tree, memoised per folder, so paths that span
 * several trees (a FreeBSD and a DragonFly checkout, fixture folders of both
 * dialects) are linted each with its own dialect and header.
 */
export class TreeMarkers {
  private memo = new Map<string, TreeMarks>();

  /** configs: read .kmalloc-lint.json markers (not with --no-config). */
  constructor(private readonly configs = true) {}

  of(file: string): TreeMarks {
    return this.dir(path.dirname(path.resolve(file)));
  }

  private dir(d: string): TreeMarks {
    let m = this.memo.get(d);
    if (m) return m;
    const up = path.dirname(d);
    const parent: TreeMarks = up === d ? {} : this.dir(up);
    const header = headerIn(d) ?? parent.header;
    const config = (this.configs ? configIn(d) : undefined) ?? parent.config;
    m = header === parent.header && config === parent.config ? parent : { header, config };
    this.memo.set(d, m);
    return m;
  }
}

/** A tree's dialect: its .kmalloc-lint.json says, else its malloc.h, else the sample; its malloc.h and mbuf.h set the flag values. */
export function dialectOfTree(marks: TreeMarks, sample: () => boolean): DialectChoice {
  const mbufH = marks.header && path.join(path.dirname(marks.header), 'mbuf.h');
  const given = marks.config && { name: marks.config.dialect, why: `${shown(marks.config.file)} says "dialect": "${marks.config.dialect}"` };
  return dialectFrom(given, marks.header, mbufH && fs.existsSync(mbufH) ? mbufH : undefined, sample);
}
