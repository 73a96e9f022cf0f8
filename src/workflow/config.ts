import { readJsonFile } from './jsonfile';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Severity } from '../../rules';
import type { AllocatorSpec, DialectModel, FlagFamily, ReleaseSpec, ResourcePair } from '../model/types';

/**
 * `.kmalloc-lint.json`: found by searching upward from the first linted path
 * (or given with --config). The shipped JSON schema,
 * schema/kmalloc-lint.schema.json, describes the same keys for editors; the
 * checks here are hand-written so that every error names the key at fault.
 */
export const CONFIG_NAME = '.kmalloc-lint.json';

export interface ExtraAllocator {
  name: string;
  flagsArg?: number;
  resultArg?: number;
  arity?: number;
  family?: FlagFamily;
  freedBy?: string[];
  noWait?: boolean;
}

export interface KConfig {
  dialect?: 'auto' | 'freebsd' | 'dragonfly';
  /** The lowest severity that makes the exit status 1 (--fail-on). */
  failOn?: FailOn;
  include?: string[];
  exclude?: string[];
  rules?: Record<string, Severity | 'off'>;
  allocators?: ExtraAllocator[];
  wrappers?: ExtraAllocator[];
  releases?: ReleaseSpec[];
  resourcePairs?: {
    acquire: string[];
    release: string[];
    kind: ResourcePair['kind'];
    /** The handle: an argument both calls take (default), the value acquire returns, or an out-argument `&handle` of acquire. */
    handle?: 'argument' | 'result' | 'out';
    /** The acquire argument that is the handle (handle "argument") or receives it (handle "out"; default 0). */
    arg?: number;
    /** The release argument that is the handle (default: arg for "argument", else 0). */
    releaseArg?: number;
    forbidsSleep?: boolean;
    forbidsAlloc?: boolean;
    description?: string;
  }[];
}

export interface LoadedConfig {
  file: string;
  /** As shown in messages: relative to the working directory. */
  shown: string;
  config: KConfig;
}

export class ConfigError extends Error {}

export const FAIL_ON = ['error', 'warning', 'note', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

const SEVERITIES = ['error', 'warning', 'note', 'off'];
const FAMILIES = ['malloc', 'mbuf', 'objcache'];
const KINDS: ResourcePair['kind'][] = ['lock', 'spinlock', 'critical', 'spl', 'token', 'resource', 'rwlock', 'sleeplock', 'epoch'];
const TOP = ['$schema', 'dialect', 'failOn', 'include', 'exclude', 'rules', 'allocators', 'wrappers', 'releases', 'resourcePairs'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HANDLES = ['argument', 'result', 'out'];

/** The config file that applies to this path: the nearest one in it or above it. */
export function findConfig(start: string): string | undefined {
  let dir = path.resolve(start);
  try {
    if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    dir = path.dirname(dir);
  }
  for (;;) {
    const cand = path.join(dir, CONFIG_NAME);
    if (fs.existsSync(cand)) return cand;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Check a parsed config; knownRules are the rule ids (for "rules" keys). Throws ConfigError naming the key. */
export function validateConfig(data: unknown, shown: string, knownRules: string[]): KConfig {
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(`${shown}: ${key}: ${msg}`);
  };
  if (!data || typeof data !== 'object' || Array.isArray(data)) fail('(top level)', `must be a JSON object, not ${describe(data)}`);
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!TOP.includes(k)) fail(k, `unknown key (known keys: ${TOP.filter((x) => x !== '$schema').join(', ')})`);
  const str = (v: unknown, key: string) => (typeof v === 'string' && v.length ? v : fail(key, `must be a non-empty string, not ${describe(v)}`));
  const ident = (v: unknown, key: string) => (IDENT.test(str(v, key) as string) ? (v as string) : fail(key, `'${String(v)}' is not a C identifier`));
  const int = (v: unknown, key: string, max = 32) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max ? (v as number) : fail(key, `must be a whole number from 0 to ${max}, not ${describe(v)}`));
  const bool = (v: unknown, key: string) => (typeof v === 'boolean' ? v : fail(key, `must be true or false, not ${describe(v)}`));
  const strList = (v: unknown, key: string, each: (x: unknown, k: string) => string = str) => {
    if (!Array.isArray(v)) fail(key, `must be an array of strings, not ${describe(v)}`);
    return (v as unknown[]).map((x, i) => each(x, `${key}[${i}]`));
  };
  const objList = (v: unknown, key: string, allowed: string[], required: string[]) => {
    if (!Array.isArray(v)) fail(key, `must be an array of objects, not ${describe(v)}`);
    return (v as unknown[]).map((x, i) => {
      const k = `${key}[${i}]`;
      if (!x || typeof x !== 'object' || Array.isArray(x)) fail(k, `must be an object, not ${describe(x)}`);
      const o = x as Record<string, unknown>;
      for (const p of Object.keys(o)) if (!allowed.includes(p)) fail(`${k}.${p}`, `unknown key (known: ${allowed.join(', ')})`);
      for (const p of required) if (!(p in o)) fail(`${k}.${p}`, 'is required');
      return { o, k };
    });
  };
  const out: KConfig = {};
  if ('dialect' in d) {
    if (!['auto', 'freebsd', 'dragonfly'].includes(d.dialect as string)) fail('dialect', `must be "auto", "freebsd" or "dragonfly", not ${describe(d.dialect)}`);
    out.dialect = d.dialect as KConfig['dialect'];
  }
  if ('failOn' in d) {
    if (!FAIL_ON.includes(d.failOn as FailOn)) fail('failOn', `must be "error", "warning", "note" or "never", not ${describe(d.failOn)}`);
    out.failOn = d.failOn as FailOn;
  }
  if ('include' in d) out.include = strList(d.include, 'include');
  if ('exclude' in d) out.exclude = strList(d.exclude, 'exclude');
  if ('rules' in d) {
    const r = d.rules;
    if (!r || typeof r !== 'object' || Array.isArray(r)) fail('rules', `must be an object of rule id -> "error" | "warning" | "note" | "off", not ${describe(r)}`);
    out.rules = {};
    for (const [id, sev] of Object.entries(r as Record<string, unknown>)) {
      if (!knownRules.includes(id)) fail(`rules.${id}`, `unknown rule (known rules: ${knownRules.join(', ')})`);
      if (!SEVERITIES.includes(sev as string)) fail(`rules.${id}`, `must be "error", "warning", "note" or "off", not ${describe(sev)}`);
      out.rules[id] = sev as Severity | 'off';
    }
  }
  const allocs = (key: 'allocators' | 'wrappers') => {
    if (!(key in d)) return;
    out[key] = objList(d[key], key, ['name', 'flagsArg', 'resultArg', 'arity', 'family', 'freedBy', 'noWait'], ['name']).map(({ o, k }) => {
      const a: ExtraAllocator = { name: ident(o.name, `${k}.name`) };
      if ('flagsArg' in o) a.flagsArg = int(o.flagsArg, `${k}.flagsArg`);
      if ('resultArg' in o) a.resultArg = int(o.resultArg, `${k}.resultArg`);
      if ('arity' in o) a.arity = int(o.arity, `${k}.arity`);
      if ('family' in o) {
        if (!FAMILIES.includes(o.family as string)) fail(`${k}.family`, `must be one of ${FAMILIES.join(', ')}, not ${describe(o.family)}`);
        a.family = o.family as FlagFamily;
      }
      if ('freedBy' in o) a.freedBy = strList(o.freedBy, `${k}.freedBy`, ident);
      if ('noWait' in o) a.noWait = bool(o.noWait, `${k}.noWait`);
      if (a.flagsArg === undefined && !a.noWait) fail(`${k}.flagsArg`, 'is required (the index of the flags argument), unless "noWait": true');
      for (const p of ['flagsArg', 'resultArg'] as const) {
        if (a.arity !== undefined && a[p] !== undefined && a[p]! >= a.arity) fail(`${k}.${p}`, `is ${a[p]}, but the call has only ${a.arity} arguments (arity)`);
      }
      return a;
    });
  };
  allocs('allocators');
  allocs('wrappers');
  if ('releases' in d) {
    out.releases = objList(d.releases, 'releases', ['name', 'arg'], ['name', 'arg']).map(({ o, k }) => ({ name: ident(o.name, `${k}.name`), arg: int(o.arg, `${k}.arg`) }));
  }
  if ('resourcePairs' in d) {
    out.resourcePairs = objList(d.resourcePairs, 'resourcePairs', ['acquire', 'release', 'kind', 'handle', 'arg', 'releaseArg', 'forbidsSleep', 'forbidsAlloc', 'description'], ['acquire', 'release', 'kind']).map(({ o, k }) => {
      const names = (v: unknown, key: string) => (typeof v === 'string' ? [ident(v, key)] : strList(v, key, ident));
      if (!KINDS.includes(o.kind as ResourcePair['kind'])) fail(`${k}.kind`, `must be one of ${KINDS.join(', ')}, not ${describe(o.kind)}`);
      return {
        acquire: names(o.acquire, `${k}.acquire`),
        release: names(o.release, `${k}.release`),
        kind: o.kind as ResourcePair['kind'],
        ...('handle' in o ? { handle: HANDLES.includes(o.handle as string) ? (o.handle as 'argument' | 'result' | 'out') : fail(`${k}.handle`, `must be one of ${HANDLES.join(', ')}, not ${describe(o.handle)}`) } : {}),
        ...('arg' in o ? { arg: int(o.arg, `${k}.arg`) } : {}),
        ...('releaseArg' in o ? { releaseArg: int(o.releaseArg, `${k}.releaseArg`) } : {}),
        ...('forbidsSleep' in o ? { forbidsSleep: bool(o.forbidsSleep, `${k}.forbidsSleep`) } : {}),
        ...('forbidsAlloc' in o ? { forbidsAlloc: bool(o.forbidsAlloc, `${k}.forbidsAlloc`) } : {}),
        ...('description' in o ? { description: str(o.description, `${k}.description`) as string } : {}),
      };
    });
  }
  return out;
}

export function loadConfig(file: string, knownRules: string[]): LoadedConfig {
  const shown = path.relative(process.cwd(), file) || file;
  const data = readJsonFile(file, shown, 'config', 'no such file', (m) => new ConfigError(m));
  return { file, shown, config: validateConfig(data, shown, knownRules) };
}

/** Defaults for a resource kind the config does not spell out (mirrors the built-in tables). */
function kindDefaults(kind: ResourcePair['kind']): { forbidsSleep: boolean; forbidsAlloc: boolean } {
  switch (kind) {
    case 'spinlock':
      return { forbidsSleep: true, forbidsAlloc: true };
    case 'lock':
    case 'rwlock':
    case 'epoch':
      return { forbidsSleep: true, forbidsAlloc: false };
    default:
      return { forbidsSleep: false, forbidsAlloc: false };
  }
}

/** The dialect model plus the config's allocators, wrappers, releases and resource pairs (config entries win by name). */
export function mergeModel(m: DialectModel, c: KConfig, source: string): DialectModel {
  const extra = [...(c.allocators ?? []), ...(c.wrappers ?? [])];
  if (!extra.length && !c.releases?.length && !c.resourcePairs?.length) return m;
  const freedByDefault = (fam: FlagFamily) => {
    const same = m.allocators.find((a) => a.family === fam && a.freedBy.length);
    return same ? same.freedBy : [];
  };
  const allocators: AllocatorSpec[] = extra.map((a) => ({
    name: a.name,
    ...(a.arity !== undefined ? { arity: a.arity } : {}),
    ...(a.flagsArg !== undefined ? { flagsArg: a.flagsArg } : {}),
    family: a.family ?? 'malloc',
    result: a.resultArg !== undefined ? { kind: 'arg', index: a.resultArg } : { kind: 'return' },
    freedBy: a.freedBy ?? freedByDefault(a.family ?? 'malloc'),
    ...(a.noWait ? { noWait: true } : {}),
  }));
  const names = new Set(allocators.map((a) => a.name));
  const releases = c.releases ?? [];
  const relNames = new Set(releases.map((r) => r.name));
  const pairs: ResourcePair[] = (c.resourcePairs ?? []).map((p) => ({
    kind: p.kind,
    acquire: p.acquire,
    release: p.release,
    key:
      p.handle === 'result'
        ? { returned: true, releaseArg: p.releaseArg ?? 0 }
        : p.handle === 'out'
          ? { out: p.arg ?? 0, releaseArg: p.releaseArg ?? 0 }
          : { acquireArg: p.arg ?? 0, releaseArg: p.releaseArg ?? p.arg ?? 0 },
    ...kindDefaults(p.kind),
    ...(p.forbidsSleep !== undefined ? { forbidsSleep: p.forbidsSleep } : {}),
    ...(p.forbidsAlloc !== undefined ? { forbidsAlloc: p.forbidsAlloc } : {}),
    description: p.description ?? `${p.kind} (${p.acquire[0]})`,
  }));
  return {
    ...m,
    allocators: [...m.allocators.filter((a) => !names.has(a.name)), ...allocators],
    frees: [...m.frees.filter((f) => !relNames.has(f.name)), ...releases],
    resources: [...m.resources, ...pairs],
    source: `${m.source}; model additions from ${source}`,
  };
}

/** A glob as a regular expression: `**` any folders, `*` and `?` within one name, `{a,b}` alternatives. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end === -1) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')).join('|') + ')';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Does a /-separated relative path match any of the globs (a glob without a slash matches the name in any folder)? */
export function matchesAny(rel: string, globs: string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(rel) || (!g.includes('/') && globToRegExp(g).test(rel.split('/').pop()!)) || globToRegExp(`**/${g}`).test(rel));
}
