/**
 * Per-file extraction for context inference: for every function, what it
 * calls (and under which non-sleepable lock), which functions it registers as
 * handlers, and direct evidence about its context. The result is plain data
 * (JSON-serialisable), made in the worker that parsed the file, so that it can
 * be shipped to the main thread or cached; the whole-tree resolution is in
 * callgraph.ts.
 */
import type { Model } from '../model/model';
import { CONTEXT_TABLES, type Level, type Role } from './tables';
import { lineOf, lineStarts } from '../text/lines';
import { blankNoise, callsIn, flagValueFromText, looseDefs, splitKnf, type TextDef } from './textscan';
import { isWordChar } from '../text/calltext';

export interface CallFact {
  name: string;
  line: number;
  /** A lock/section held at the call (in source order), and what it forbids. */
  under?: { what: string; level: Level };
}

export interface RegFact {
  fn: string;
  role: Role;
  via: string;
  line: number;
}

export interface FnFact {
  name: string;
  isStatic: boolean;
  line: number;
  calls: CallFact[];
  /** First call that sleeps with no non-sleepable lock held (tsleep, M_WAITOK allocation, ...). */
  sleeps?: { what: string; line: number };
  /** spl levels raised in the function. */
  spl: string[];
  /** Another name the function is known by in this file (the argument of a function-defining macro). */
  alias?: string;
}

/** `ptr = fn;` with a bare identifier on the left: calls through `ptr` may reach `fn` (a hook variable). */
export interface HookFact {
  ptr: string;
  fn: string;
}

export interface FileContext {
  file: string;
  fns: FnFact[];
  registrations: RegFact[];
  hooks?: HookFact[];
}


interface HeldLock {
  what: string;
  level: Level;
  release: Set<string>;
  arg: string;
  /** Body offset past which the text does not follow this acquire (see blockExit). */
  until?: number;
}

const JUMP = /\b(?:continue|return|goto)\b/y;

/**
 * `spin_lock(l); ...; continue;` (or return, goto) in a block: the code written
 * after that block is not reached from the acquire, so the lock does not hold
 * there. The offset of the block's closing brace when the acquire at `at` is
 * followed, at the same level of its block, by such a jump; else undefined.
 * (`break` is not one: it leaves the lock held after the loop or switch.)
 */
function blockExit(body: string, at: number): number | undefined {
  let depth = 0;
  let jumps = false;
  for (let i = at; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 123 /* { */ || c === 40 /* ( */) depth++;
    else if (c === 125 /* } */ || c === 41 /* ) */) {
      if (depth === 0) return c === 125 && jumps ? i : undefined;
      depth--;
    } else if (depth === 0 && !jumps && (c === 99 || c === 114 || c === 103) /* c r g */) {
      JUMP.lastIndex = i;
      if ((i === 0 || !isWordChar(body.charCodeAt(i - 1))) && JUMP.test(body)) jumps = true;
    }
  }
  return undefined;
}

/** The bare variable assigned by the "=" at `eq` (`hook = ...`), or undefined (`==`, `+=`, `p->f =`, `a[i] =`). */
function assignedName(text: string, eq: number): string | undefined {
  const before = text.charCodeAt(eq - 1);
  if (before === 61 || before === 33 || before === 60 || before === 62 || '+-*/%&|^'.includes(text[eq - 1])) return undefined;
  let i = eq - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  const end = i + 1;
  while (i >= 0 && isWordChar(text.charCodeAt(i))) i--;
  const name = text.slice(i + 1, end);
  if (!/^[A-Za-z_]\w*$/.test(name)) return undefined;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  const c = text[i];
  return c === '.' || c === '>' || c === ']' || c === ')' ? undefined : name;
}

/** Extract the context facts of one parsed file. */
export function extractContext(file: string, text: string, model: Model): FileContext {
  const tables = CONTEXT_TABLES[model.name];
  const regBy = new Map<string, typeof tables.registrations>();
  for (const r of tables.registrations) regBy.set(r.call, [...(regBy.get(r.call) ?? []), r]);
  const fieldRole = new Map(tables.fields.map((f) => [f.field, f.role]));
  const sleepers = new Set(tables.sleepers);
  const out: FileContext = { file, fns: [], registrations: [] };
  const byName = new Map<string, FnFact>();

  const clean = blankNoise(text);
  let lineStartsCache: number[] | undefined;
  const lineAtOff = (off: number) => lineOf((lineStartsCache ??= lineStarts(text)), off);
  const fnArgText = (a: string | undefined) => {
    const t = (a ?? '').replace(/^\(\s*[^()]*\)\s*(?=[A-Za-z_&])/, '').replace(/^&\s*/, '').replace(/^\(|\)$/g, '').trim();
    return /^[A-Za-z_]\w*$/.test(t) && !/^(NULL|0)$/.test(t) ? t : undefined;
  };
  const knf: TextDef[] = splitKnf(clean);
  const fnMacros = new Map(tables.fnMacros.map((f) => [f.macro, f]));
  for (const def of [...knf, ...looseDefs(clean, knf)]) {
    const header = clean.slice(def.start, def.headerEnd ?? def.bodyStart).split('\n').filter((l) => !/^[ \t].*;\s*$/.test(l)).join(' ');
    const hm = /([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/.exec(header.trim());
    if (!hm) continue;
    let name = hm[1];
    let isStatic = /\bstatic\b/.test(header);
    let alias: string | undefined;
    const fm = fnMacros.get(name);
    if (fm && /^\s*[A-Za-z_]\w*\s*$/.test(hm[2])) {
      alias = hm[2].trim();
      name = alias + fm.suffix;
      isStatic = true;
      out.registrations.push({ fn: name, role: fm.role, via: `${fm.macro}()`, line: lineAtOff(def.start) });
    }
    let fn = byName.get(name);
    if (!fn) {
      fn = { name, isStatic, line: lineAtOff(def.start), calls: [], spl: [], ...(alias ? { alias } : {}) };
      byName.set(name, fn);
      out.fns.push(fn);
    }
    const held: HeldLock[] = [];
    const seen = new Set<string>();
    const bodyText = clean.slice(def.bodyStart, def.end);
    for (const call of callsIn(bodyText, def.bodyStart)) {
      const cn = call.name;
      const line = lineAtOff(call.at);
      // locks, in source order (an approximation of "held on the path")
      const acq = model.acquire.get(cn);
      const rel = model.release.get(cn);
      // arguments are split only for the calls that need them (call.args is computed on first use)
      const arg0 = acq || (rel && rel.kind !== 'spl') ? (call.args[0] ?? '').replace(/\s+/g, '') : '';
      if (acq) {
        if (acq.kind === 'spl') {
          if (!fn.spl.includes(cn)) fn.spl.push(cn);
        } else if (acq.forbidsSleep || acq.forbidsAlloc) {
          const exit = blockExit(bodyText, call.at - def.bodyStart);
          held.push({ what: `${acq.description} ${arg0}`.trim(), level: acq.forbidsAlloc ? 'noalloc' : 'nosleep', release: new Set(acq.release), arg: arg0, ...(exit !== undefined ? { until: def.bodyStart + exit } : {}) });
        }
      }
      if (rel && rel.kind !== 'spl') {
        for (let i = held.length - 1; i >= 0; i--) {
          if (!held[i].release.has(cn)) continue;
          if ('none' in rel.key) {
            held.splice(i, 1); // counted (crit_enter/crit_exit): one release ends one acquire
            break;
          }
          // a lock taken in several arms of a switch or if/else and released once after them: the
          // text shows several acquires for one release, and none of them is held after it
          if (held[i].arg === arg0) held.splice(i, 1);
        }
      }
      for (let i = held.length - 1; i >= 0; i--) if (held[i].until !== undefined && call.at > held[i].until!) held.splice(i, 1);
      const top = held.length ? held.reduce((a, b) => (a.level === 'noalloc' ? a : b)) : undefined;
      const key = `${cn}|${top?.what ?? ''}`;
      // panic() and the like never return: what they call runs in a dying system, not in this context
      if (!seen.has(key) && !model.noReturn.has(cn)) {
        seen.add(key);
        fn.calls.push(top ? { name: cn, line, under: { what: top.what, level: top.level } } : { name: cn, line });
      }
      if (!top && !fn.sleeps) {
        if (sleepers.has(cn)) fn.sleeps = { what: `${cn}()`, line };
        else {
          const spec = model.allocators.get(cn);
          const args = spec && spec.flagsArg !== undefined ? call.args : undefined;
          if (spec && args && spec.flagsArg !== undefined && args[spec.flagsArg] && (spec.arity === undefined || spec.arity === args.length)) {
            const fv = flagValueFromText(args[spec.flagsArg], model, spec.family);
            const v = model.verdict(spec, fv);
            if (v.klass === 'wait') fn.sleeps = { what: `${cn}(..., ${fv.text})`, line };
          }
        }
      }
      // handler registrations
      for (const r of regBy.get(cn) ?? []) {
        const args = call.args;
        const target = fnArgText(args[r.arg]);
        if (!target) continue;
        let role = r.role;
        if (r.fastFlag && args[r.fastFlag.arg] && r.fastFlag.re.test(args[r.fastFlag.arg])) role = 'fast-interrupt';
        out.registrations.push({ fn: target, role, via: `${cn}()`, line });
      }
    }
    // calls through a pointer variable, `(*hook)(...)`, and assignments of a function to a bare variable, `hook = fn;`
    if (bodyText.includes('(*')) {
      for (const m of bodyText.matchAll(/\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(/g)) {
        if (seen.has(`${m[1]}|`)) continue;
        seen.add(`${m[1]}|`);
        fn.calls.push({ name: m[1], line: lineAtOff(def.bodyStart + (m.index ?? 0)) });
      }
    }
    for (const m of bodyText.matchAll(/=\s*&?\s*([A-Za-z_]\w*)\s*;/g)) {
      const ptr = assignedName(bodyText, m.index);
      if (ptr && m[1] !== 'NULL' && ptr !== m[1]) (out.hooks ??= []).push({ ptr, fn: m[1] });
    }
    if (fieldRole.size && bodyText.includes('->')) {
      for (const m of bodyText.matchAll(/->\s*([A-Za-z_]\w*)\s*=(?!=)\s*([^;]+);/g)) {
        const role = fieldRole.get(m[1]);
        if (!role) continue;
        const target = fnArgText(m[2]);
        if (target) out.registrations.push({ fn: target, role, via: `->${m[1]} =`, line: lineAtOff(def.bodyStart + (m.index ?? 0)) });
      }
    }
  }

  // File-scope registrations: method tables and boot-time hooks (macros, matched in the text).
  let starts: number[] | undefined;
  const lineAt = (off: number) => lineOf((starts ??= lineStarts(text)), off);
  const scan = (re: RegExp, f: (m: RegExpExecArray) => { fn: string; role: Role; via: string } | undefined) => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const r = f(m);
      if (r && !/^(NULL|0)$/.test(r.fn)) out.registrations.push({ ...r, line: lineAt(m.index) });
    }
  };
  if (text.includes('DEVMETHOD'))
    scan(/\bDEVMETHOD\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)/g, (m) => {
      const role: Role | undefined = tables.methodRoles?.find((r) => r.re.test(m[1]))?.role ?? (tables.sleepableMethods.test(m[1]) ? 'device-method' : undefined);
      return role ? { fn: m[2], role, via: `DEVMETHOD(${m[1]})` } : undefined;
    });
  if (text.includes('SYSINIT'))
    scan(/\bSYSINIT\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*&?\s*(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'SYSINIT()' }));
  if (text.includes('moduledata_t'))
    scan(/\bmoduledata_t\s+\w+\s*=\s*\{\s*"[^"]*"\s*,\s*\(?\s*(?:modeventhand_t\s*\)\s*)?(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'moduledata_t (MOD_LOAD)' }));
  if (text.includes('DRIVER_MODULE'))
    scan(/\bDRIVER_MODULE\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'DRIVER_MODULE() event handler' }));
  return out;
}

