/**
 * Per-file extraction for context inference: for every function, what it
 * calls (and under which non-sleepable lock), which functions it registers as
 * handlers, and direct evidence about its context. The result is plain data
 * (JSON-serialisable), made in the worker that parsed the file, so that it can
 * be shipped to the main thread or cached; the whole-tree resolution is in
 * callgraph.ts.
 */
import type { Model } from '../model/model';
import type { AllocatorSpec } from '../model/types';
import { CONTEXT_TABLES, type Level, type Registration, type Role } from './tables';
import { blankNoise, callsIn, flagValueFromText, isJsSpace, looseDefs, splitKnf, type TextCall, type TextDef } from './textscan';
import { lockKey, substituteParams, type LockEvent } from '../model/model';
import { deliberateNoWait, flagOffsets, lockedReturns, LOCKISH_ASSERT, LOCKISH_CALL, passesFlags, startsWithin, waitArms } from './sites';
import { isWordChar } from '../text/calltext';

export interface CallFact {
  name: string;
  line: number;
  /** A lock/section held at the call (in source order), and what it forbids. */
  under?: { what: string; level: Level; kind?: string };
  /**
   * A caller's no-sleep context does not flow into the callee through this call: it passes
   * allocation flags (the callee sleeps or not as told) or is made only when a test says the
   * code may wait (`if (canwait)`), or it enters the allocator itself.
   */
  quiet?: 'flags' | 'allocator';
  /** The call lies where this function has released a lock of this kind that its callers hold. */
  dropped?: string;
}

/** An allocation call as the text shows it: what is held there and what the code around it says. */
export interface AllocFact {
  line: number;
  name: string;
  /** Locks held by text (learned macros, assertions, functions that return locked), most restricted first. */
  held?: { what: string; level: Level }[];
  /** The non-sleepable and unknown locks held, as one string (absent: none): sleep evidence counts only under the same locks. */
  sig?: string;
  /** Lock-like calls held at the allocation whose kind the model does not know (`IF_ADDR_WLOCK()`, its stem shown). */
  unknownLocks?: string[];
  /** Inside a window where the function released its callers' lock of this kind. */
  dropped?: string;
  /** The no-wait flags are a choice of the code (a fallback, a comment): not a finding. */
  choice?: string;
  /** The suggestion may stand but --fix must not apply it: why. */
  noFix?: string;
  /** Sleeping allocations in the other arm of a choice about waiting (no evidence for this one). */
  siblings?: number[];
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
  /** Every such sleeping call (the first few), with the locks held there (AllocFact.sig) and the branch it is in. */
  sleepsAt?: { what: string; line: number; sig?: string }[];
  /** The allocation calls. */
  allocs?: AllocFact[];
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
  /** Functions stored in a structure field by code (`sc->rx.init = fn;`): run from wherever that field is called. */
  stored?: string[];
  /** init-named functions listed in a file-scope table (a method switch): called through it. */
  tabled?: string[];
}


interface HeldLock {
  what: string;
  level: Level;
  /** The lock (Model.lockKey), '' for sections. */
  key: string;
  description: string;
  /** Body offset past which the text does not follow this acquire (see blockExit). */
  until?: number;
  /** Known from a macro, an assertion or a function that returns locked (not in the analysis' heldAtCall). */
  byText?: boolean;
}

/** What the model says of one called name (extractContext asks once per name and file). */
interface NameFacts {
  spl: boolean;
  /** A lock-like name the model does not know (LOCKISH_CALL's match). */
  lockish: RegExpExecArray | null;
  /** A lock-assertion-like name the model does not know. */
  assertish: boolean;
  spec?: AllocatorSpec;
  api: boolean;
  noReturn: boolean;
  sleeper: boolean;
  regs?: Registration[];
}

const modelFacts = new WeakMap<Model, Map<string, NameFacts>>();

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

const FILE_SCOPE = /DEVMETHOD|SYSINIT|moduledata_t|DRIVER_MODULE/g;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The identifier the "=" at `eq` assigns when a `;` ends it (`= fn;`, `= &fn;`): what /=\s*&?\s*([A-Za-z_]\w*)\s*;/y reads. */
export function assignedIdent(text: string, eq: number): string | undefined {
  let i = eq + 1;
  while (i < text.length && isJsSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 38 /* & */) {
    i++;
    while (i < text.length && isJsSpace(text.charCodeAt(i))) i++;
  }
  const c0 = text.charCodeAt(i);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95)) return undefined;
  let j = i + 1;
  while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
  let k = j;
  while (k < text.length && isJsSpace(text.charCodeAt(k))) k++;
  return text.charCodeAt(k) === 59 /* ; */ ? text.slice(i, j) : undefined;
}

/** Every offset where each literal stands in `text` (overlapping ones too), in one pass. */
export function literalsAt(text: string, lits: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>(lits.map((l) => [l, []]));
  const uniq = [...out.keys()].filter((l) => l);
  if (!uniq.length) return out;
  const re = new RegExp(uniq.map(escapeRe).join('|'), 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (const l of uniq) if (text.startsWith(l, m.index)) out.get(l)!.push(m.index);
    re.lastIndex = m.index + 1;
  }
  return out;
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
  // where the literals that gate a body's searches stand, found in one pass over the file: the registering
  // fields (only bodies that name one are searched for assignments), unlocks, '(*', '_init'
  const fieldNames = [...fieldRole.keys()];
  const at = literalsAt(clean, ['unlock', 'UNLOCK', '(*', '_init', ...fieldNames]);
  const merged = (lits: string[]) => lits.flatMap((l) => at.get(l)!).sort((a, b) => a - b);
  const fieldNamed = merged(fieldNames);
  const unlocks = merged(['unlock', 'UNLOCK']);
  const derefAt = at.get('(*')!;
  const initAt = at.get('_init')!;
  // the line of an offset, counted from the last one asked (offsets mostly come in order: calls in a body)
  let curOff = 0;
  let curLine = 1;
  const lineAtOff = (off: number): number => {
    if (off >= curOff) for (let i = text.indexOf('\n', curOff); i >= 0 && i < off; i = text.indexOf('\n', i + 1)) curLine++;
    else for (let i = text.lastIndexOf('\n', curOff - 1); i >= off; i = i > 0 ? text.lastIndexOf('\n', i - 1) : -1) curLine--;
    curOff = off;
    return curLine;
  };
  const fnArgText = (a: string | undefined) => {
    const t = (a ?? '').replace(/^\(\s*[^()]*\)\s*(?=[A-Za-z_&])/, '').replace(/^&\s*/, '').replace(/^\(|\)$/g, '').trim();
    return /^[A-Za-z_]\w*$/.test(t) && !/^(NULL|0)$/.test(t) ? t : undefined;
  };
  const knf: TextDef[] = splitKnf(clean);
  const fnMacros = new Map(tables.fnMacros.map((f) => [f.macro, f]));
  const defs = [...knf, ...looseDefs(clean, knf)];
  const headers = new Map<TextDef, string>();
  const headerOf = (def: TextDef) => {
    let h = headers.get(def);
    if (h === undefined) {
      const raw = clean.slice(def.start, def.headerEnd ?? def.bodyStart);
      // lines of K&R declarations (indented, ending in ';') left out; without a ';' there is none
      h = raw.includes(';') ? raw.split('\n').filter((l) => !/^[ \t].*;\s*$/.test(l)).join(' ') : raw.replaceAll('\n', ' ');
      headers.set(def, h);
    }
    return h;
  };
  // a body's calls and their lock events, made once for lockedReturns() and the walk below
  const callsOf = new Map<TextDef, TextCall[]>();
  const bodyCalls = (def: TextDef) => {
    let c = callsOf.get(def);
    if (!c) callsOf.set(def, (c = callsIn(clean.slice(def.bodyStart, def.end), def.bodyStart)));
    return c;
  };
  const events = new Map<TextCall, LockEvent | undefined>();
  const lockEv = (c: TextCall) => {
    if (!model.isLockCall(c.name)) return undefined;
    if (events.has(c)) return events.get(c);
    const ev = model.lockEvent(c.name, () => c.args, file);
    events.set(c, ev);
    return ev;
  };
  // functions of this file that return with a lock of a parameter held (a lookup returning its object locked)
  const returnsLocked = lockedReturns(defs, clean, headerOf, bodyCalls, lockEv, unlocks);
  // what the model says of a called name, asked once per name rather than at every call
  // (what depends on the model only is kept for the next file: a worker extracts many with one model)
  let facts = modelFacts.get(model);
  if (!facts) modelFacts.set(model, (facts = new Map()));
  const factsOf = (cn: string): NameFacts => {
    let f = facts.get(cn);
    if (!f) {
      const lockish = cn.length > 4 && (cn.includes('LOCK') || cn.includes('lock')) && !model.definesLockish(cn) ? LOCKISH_CALL.exec(cn) : null;
      f = {
        spl: model.acquire.get(cn)?.kind === 'spl',
        lockish,
        assertish: !lockish && cn.endsWith('_ASSERT') && LOCKISH_ASSERT.test(cn) && !model.definesLockish(cn),
        spec: model.allocators.get(cn),
        api: model.isAllocatorApi(cn),
        noReturn: model.noReturn.has(cn),
        sleeper: sleepers.has(cn),
        regs: regBy.get(cn),
      };
      facts.set(cn, f);
    }
    return f;
  };
  for (const def of defs) {
    const header = headerOf(def);
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
    /* lock-like calls the model does not know, held by text (with `held`, what sleep evidence must match) */
    const sig: string[] = [];
    const sigNames: string[] = [];
    /* locks of the callers released here (an unlock with no lock before it): kind -> line */
    const drops = new Map<string, number | undefined>();
    /* locks released in a block that then leaves (return, goto, continue): held again after that block */
    const suspended: { lock: HeldLock; until: number }[] = [];
    const seen = new Set<string>();
    const seenPlain = new Set<string>();
    const bodyText = clean.slice(def.bodyStart, def.end);
    const flagAt = flagOffsets(bodyText, def.bodyStart);
    const arms = waitArms(bodyText, def.bodyStart);
    /* the locks held and the unknown lock-like calls, as one string (AllocFact.sig) */
    const sigText = () => [...held.map((h) => h.key || h.description), ...sig].sort().join(',');
    for (const call of bodyCalls(def)) {
      const cn = call.name;
      const nf = factsOf(cn);
      const line = lineAtOff(call.at);
      // locks, in source order (an approximation of "held on the path"); first what ended before this call
      for (let i = held.length - 1; i >= 0; i--) if (held[i].until !== undefined && call.at > held[i].until!) held.splice(i, 1);
      for (let i = suspended.length - 1; i >= 0; i--) {
        if (call.at <= suspended[i].until) continue;
        const h = suspended[i].lock;
        if (h.until === undefined || call.at <= h.until) held.push(h); // taken in that same block: gone with it
        suspended.splice(i, 1);
      }

      if (nf.spl) {
        if (!fn.spl.includes(cn)) fn.spl.push(cn);
      }
      const rl = returnsLocked.size ? returnsLocked.get(cn) : undefined;
      const ev = lockEv(call) ?? (rl ? { role: 'acquire' as const, key: lockKey(substituteParams(rl.key, rl.params, call.args)), description: `${rl.description}`, what: `${rl.description} ${lockKey(substituteParams(rl.key, rl.params, call.args))} (returned locked by ${cn}())`, forbidsSleep: true, forbidsAlloc: rl.level === 'noalloc', kind: 'returned' } : undefined);
      const restricts = !!ev && (ev.forbidsSleep || ev.forbidsAlloc);
      // a function that returns locked: the lock is held after the call, not while it runs
      const later = ev?.kind === 'returned' ? ev : undefined;
      if (ev && ev.role !== 'release' && !later) {
        if (restricts) {
          const exit = ev.role === 'acquire' ? blockExit(bodyText, call.at - def.bodyStart) : undefined;
          held.push({
            what: `${ev.description} ${ev.key}`.trim() + (ev.kind === 'assert' || (ev.kind === 'macro' && ev.role === 'assert') ? ` (asserted by ${cn}())` : ev.kind === 'macro' ? ` (${cn}())` : ''), level: ev.forbidsAlloc ? 'noalloc' : 'nosleep', key: ev.key, description: ev.description,
            ...(exit !== undefined ? { until: def.bodyStart + exit } : {}), ...(ev.kind === 'macro' || ev.kind === 'assert' || ev.kind === 'returned' ? { byText: true } : {}),
          });
          drops.delete(ev.description);
        }
      } else if (ev) {
        // `unlock; ...; return;` (or goto, continue) in a block: released in the block only, held again after it
        let exit: number | undefined | null = null;
        let found = false;
        for (let i = held.length - 1; i >= 0; i--) {
          // sections without a key (critical, epoch) match by kind; locks by their expression
          if (ev.key === '' ? held[i].description === ev.description && held[i].key === '' : held[i].key === ev.key) {
            // counted sections (crit_enter/crit_exit): one release ends one acquire; a lock taken in several arms
            // of a switch or if/else and released once after them: none of them is held after it
            const [h] = held.splice(i, 1);
            if (exit === null) exit = blockExit(bodyText, call.at - def.bodyStart);
            if (exit !== undefined) suspended.push({ lock: h, until: def.bodyStart + exit });
            found = true;
            if (ev.key === '') break;
          }
        }
        if (!found && restricts) {
          // released in a block that then leaves: the window ends with the block
          if (exit === null) exit = blockExit(bodyText, call.at - def.bodyStart);
          drops.set(ev.description, exit === undefined ? undefined : def.bodyStart + exit);
        }
      } else {
        // only names the tree does not define (a header left out): the others are no lock the model could know
        const lk = nf.lockish;
        if (nf.assertish && !sigNames.includes(`${cn}()`)) {
          sig.push(`${cn}:`);
          sigNames.push(`${cn}()`);
        }
        if (lk) {
          const key = `${lk[1] ?? ''}:${lockKey(call.args[0])}`;
          if (lk[2] || lk[3]) {
            const k = sig.lastIndexOf(key);
            if (k >= 0) {
              sig.splice(k, 1);
              sigNames.splice(k, 1);
            }
          } else {
            sig.push(key);
            sigNames.push(`${cn}()`);
          }
        }
      }
      const top = held.length ? held.reduce((a, b) => (a.level === 'noalloc' ? a : b)) : undefined;
      const spec = nf.spec;
      const quiet: CallFact['quiet'] = nf.api ? 'allocator' : (flagAt.near(call.at) && passesFlags(call, model)) || (arms.length && arms.some(([a, b]) => call.at > a && call.at < b)) ? 'flags' : undefined;
      if (drops.size) for (const [d, until] of drops) if (until !== undefined && call.at > until) drops.delete(d);
      const dropped = drops.size ? drops.keys().next().value : undefined;
      const what = top?.what ?? '';
      // panic() and the like never return: what they call runs in a dying system, not in this context
      if (!nf.noReturn) {
        // the key `name|under|quiet|dropped`; most calls have none of the three: their names are kept apart
        let fresh: boolean;
        if (what === '' && !quiet && !dropped) {
          fresh = !seenPlain.has(cn);
          if (fresh) seenPlain.add(cn);
        } else {
          const key = `${cn}|${what}|${quiet ?? ''}|${dropped ?? ''}`;
          fresh = !seen.has(key);
          if (fresh) seen.add(key);
        }
        if (fresh) {
          const cf: CallFact = { name: cn, line };
          if (top) cf.under = { what: top.what, level: top.level, kind: top.description };
          if (quiet) cf.quiet = quiet;
          if (dropped) cf.dropped = dropped;
          fn.calls.push(cf);
        }
      }
      if (later) held.push({ what: (later as { what?: string }).what ?? later.description, level: later.forbidsAlloc ? 'noalloc' : 'nosleep', key: later.key, description: later.description, byText: true });
      let sleepWhat: string | undefined;
      if (nf.sleeper) sleepWhat = `${cn}()`;
      else if (spec && spec.flagsArg !== undefined) {
        const args = call.args;
        if (args[spec.flagsArg] && (spec.arity === undefined || spec.arity === args.length)) {
          const fv = flagValueFromText(args[spec.flagsArg], model, spec.family);
          const v = model.verdict(spec, fv);
          if (v.klass === 'wait') sleepWhat = `${cn}(..., ${fv.text})`;
          const byText = held.filter((h) => h.byText);
          const sg = sigText();
          const unknown = [...new Set(sigNames)];
          const a: AllocFact = { line, name: cn, ...(sg ? { sig: sg } : {}), ...(unknown.length ? { unknownLocks: unknown } : {}), ...(byText.length ? { held: byText.map((h) => ({ what: h.what, level: h.level })) } : {}), ...(dropped ? { dropped } : {}) };
          if (v.klass === 'nowait' || v.klass === 'intnowait') Object.assign(a, deliberateNoWait(text, clean, def, call, model));
          (fn.allocs ??= []).push(a);
        }
      }
      if (sleepWhat && !top) {
        fn.sleeps ??= { what: sleepWhat, line };
        const list = (fn.sleepsAt ??= []);
        const sg = sigText();
        if (list.length < 12) list.push({ what: sleepWhat, line, ...(sg ? { sig: sg } : {}) });
      }
      // handler registrations
      if (nf.regs) for (const r of nf.regs) {
        const args = call.args;
        const target = fnArgText(args[r.arg]);
        if (!target) continue;
        let role = r.role;
        if (r.fastFlag && args[r.fastFlag.arg] && r.fastFlag.re.test(args[r.fastFlag.arg])) role = 'fast-interrupt';
        out.registrations.push({ fn: target, role, via: `${cn}()`, line });
      }
    }
    // calls through a pointer variable, `(*hook)(...)`, and assignments of a function to a bare variable, `hook = fn;`
    if (startsWithin(derefAt, def.bodyStart, def.end - 2)) {
      for (const m of bodyText.matchAll(/\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(/g)) {
        if (seen.has(`${m[1]}|`)) continue;
        seen.add(`${m[1]}|`);
        fn.calls.push({ name: m[1], line: lineAtOff(def.bodyStart + (m.index ?? 0)) });
      }
    }
    for (let eq = bodyText.indexOf('='); eq >= 0; eq = bodyText.indexOf('=', eq + 1)) {
      const target = assignedIdent(bodyText, eq);
      if (target === undefined) continue;
      const ptr = assignedName(bodyText, eq);
      if (ptr && target !== 'NULL' && ptr !== target) (out.hooks ??= []).push({ ptr, fn: target });
    }
    if (startsWithin(initAt, def.bodyStart, def.end - 5)) {
      // only init-named functions care (tables.tableInitSuffix)
      for (const m of bodyText.matchAll(/(?:->|\.)\s*[A-Za-z_]\w*\s*=(?!=)\s*&?\s*([A-Za-z_]\w*_init)\s*;/g)) {
        if (m[1] !== 'NULL' && !(out.stored ??= []).includes(m[1])) out.stored.push(m[1]);
      }
    }
    if (fieldRole.size && startsWithin(fieldNamed, def.bodyStart, def.end) && bodyText.includes('->')) {
      for (const m of bodyText.matchAll(/(?:->|\.)\s*([A-Za-z_]\w*)\s*=(?!=)\s*([^;]+);/g)) {
        const role = fieldRole.get(m[1]);
        if (!role) continue;
        const target = fnArgText(m[2]);
        if (target) out.registrations.push({ fn: target, role, via: `->${m[1]} =`, line: lineAtOff(def.bodyStart + (m.index ?? 0)) });
      }
    }
  }

  // init routines named in a file-scope method table (`{ foo_probe, foo_init, ... }`, `.init = foo_init,`,
  // `KOBJMETHOD(channel_init, foo_init),`)
  if (initAt.length) {
    let k = 0;
    const sorted = [...defs].sort((a, b) => a.start - b.start);
    // found from the literal '_init' back to the name's start (a pattern starting at every word cost more)
    for (const m of clean.matchAll(/_init\s*[,})]/g)) {
      let b = m.index;
      while (b > 0 && isWordChar(clean.charCodeAt(b - 1))) b--;
      const c0 = clean.charCodeAt(b);
      if (b === m.index || (c0 >= 48 && c0 <= 57)) continue; // `_init` alone, or a number
      const name = clean.slice(b, m.index + 5);
      while (k < sorted.length && sorted[k].end <= b) k++;
      if (k < sorted.length && sorted[k].start <= b) continue; // inside a function
      if (!(out.tabled ??= []).includes(name)) out.tabled.push(name);
    }
  }

  // File-scope registrations: method tables and boot-time hooks (macros, matched in the text).
  const lineAt = lineAtOff;
  // (from the first place the macro is named: no match starts before it)
  const scan = (re: RegExp, from: number, f: (m: RegExpExecArray) => { fn: string; role: Role; via: string } | undefined) => {
    re.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const r = f(m);
      if (r && !/^(NULL|0)$/.test(r.fn)) out.registrations.push({ ...r, line: lineAt(m.index) });
    }
  };
  // which of the macros the file names at all, in one pass (four includes() cost three times more)
  const named = new Map<string, number>();
  FILE_SCOPE.lastIndex = 0;
  for (let m = FILE_SCOPE.exec(text); m && named.size < 4; m = FILE_SCOPE.exec(text)) {
    if (!named.has(m[0])) named.set(m[0], m.index);
    FILE_SCOPE.lastIndex = m.index + 1; // overlapping names (`DEVMETHODRIVER_MODULE`) each count
  }
  if (named.has('DEVMETHOD'))
    scan(/\bDEVMETHOD\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)/g, named.get('DEVMETHOD')!, (m) => {
      const role: Role | undefined = tables.methodRoles?.find((r) => r.re.test(m[1]))?.role ?? (tables.sleepableMethods.test(m[1]) ? 'device-method' : undefined);
      return role ? { fn: m[2], role, via: `DEVMETHOD(${m[1]})` } : undefined;
    });
  if (named.has('SYSINIT'))
    scan(/\bSYSINIT\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*&?\s*(\w+)/g, named.get('SYSINIT')!, (m) => ({ fn: m[1], role: 'module-init', via: 'SYSINIT()' }));
  if (named.has('moduledata_t'))
    scan(/\bmoduledata_t\s+\w+\s*=\s*\{\s*"[^"]*"\s*,\s*\(?\s*(?:modeventhand_t\s*\)\s*)?(\w+)/g, named.get('moduledata_t')!, (m) => ({ fn: m[1], role: 'module-init', via: 'moduledata_t (MOD_LOAD)' }));
  if (named.has('DRIVER_MODULE'))
    scan(/\bDRIVER_MODULE\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*(\w+)/g, named.get('DRIVER_MODULE')!, (m) => ({ fn: m[1], role: 'module-init', via: 'DRIVER_MODULE() event handler' }));
  return out;
}

