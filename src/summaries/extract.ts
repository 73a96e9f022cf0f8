import * as fs from 'node:fs';
import { own } from '../util/own';
import { mirror, type JNode as SyntaxNode } from '../analysis/jsast';
import { callArgs, callName, unparen } from '../analysis/ast';
import { compiled, firstCall, getParser, typeArgsAsNames } from '../analysis/file';
import { evalFlags } from '../analysis/flags';
import type { DialectModel } from '../model/types';
import type { Model } from '../model/model';
import { scanFields, type FieldFacts } from './fields';
import { callsIn, flagValueFromText, splitArgs } from '../context/textscan';
import { SummaryText } from './text';
import { probeFile, type Probed } from '../cache/probe';
import type { FileJobOptions } from '../run/filework';
import { assignedBefore, codeAt, isSpace, isWordChar as isWord } from '../text/calltext';
import { defineFacts, functionMacros } from '../text/defines';
import { exitDefsOf, type ExitDef } from './exits';
import { headroomFnsOf, type HeadroomFn } from './headroom';
import { lockishNames, lockMacroDefs, type LockMacroDef } from './locks';

/**
 * Per-file facts for whole-tree analysis. Serialisable, so it runs in worker
 * threads and can be cached; resolved across files by resolve.ts.
 */
export interface FnSummary {
  name: string;
  file: string;
  isStatic: boolean;
  arity: number;
  /** The function returns an allocation that may fail. */
  returnsAlloc?: {
    allocator: string;
    /** The flags come from this parameter. */
    flagsParam?: number;
    /** Or are fixed: can the allocation fail? */
    canFail?: 'yes' | 'no' | 'unknown';
    /** Or come from another function: `return g(a, how)` with g's parameter i fed by our parameter argMap[i]. */
    via?: string;
    argMap?: (number | null)[];
    family: string;
  };
  noReturn: boolean;
  derefParams: number[];
  releasesParams: number[];
  /**
   * Members (`x->buf`: buf) the function frees or releases, and `#description` for a resource pair it
   * releases wholesale (device_delete_children): a cleanup helper's facts, resolved through `helpers`.
   */
  releasesFields?: string[];
  /** The functions of its own file it calls (a detach routine's free helpers), through which it may release members. */
  helpers?: string[];
  /** It allocates into this out-parameter (`*descp = malloc(...)`), which the caller then holds. */
  allocsOut?: number;
  /**
   * A status allocator of the tree (`int foo_alloc(sc, void **out, int how)`): it returns an errno and writes the
   * allocation through parameter `out`, from a built-in status allocator or from an allocator whose flags are
   * parameter `flagsParam` (or that may fail whatever its caller passes: canFail).
   */
  statusOut?: { out: number; allocator: string; family: string; flagsParam?: number; canFail?: 'yes' };
}

export interface MacroSummary {
  name: string;
  file: string;
  params: string[];
  alloc?: { allocator: string; resultParam?: number; flagsParam?: number; canFail?: 'yes' | 'no' | 'unknown'; family: string };
  derefParams: number[];
  /** The expansion returns from the calling function (ERROUT-style with return). */
  exits?: boolean;
  /** The expansion jumps to this label in the caller (`do { error = x; goto done; } while (0)`). */
  gotoLabel?: string;
}

export interface FileSummary {
  file: string;
  functions: FnSummary[];
  macros: MacroSummary[];
  fields?: FieldFacts;
  /** Macros that leave the function, by their definitions in this file (src/summaries/exits.ts). */
  exitDefs?: ExitDef[];
  /** Functions that return an mbuf with reserved headroom (src/summaries/headroom.ts). */
  headroomFns?: HeadroomFn[];
  /** Macros that may be lock macros (src/summaries/locks.ts). */
  lockMacros?: LockMacroDef[];
  /** Lock-like names the file defines (src/summaries/locks.ts lockishNames). */
  lockNames?: string[];
}



/** The parameter that supplies the wait class of a flags expression (`how`, `how | M_ZERO`), if exactly one does. */
function flagsParamOf(fl: SyntaxNode, params: string[], model: import('../model/model').Model, family: import('../model/types').FlagFamily): number | undefined {
  const v = evalFlags(fl, model, family);
  if (v.choice) return undefined;
  const ps = v.unknown.filter((u) => params.includes(u));
  if (ps.length !== 1 || v.unknown.length !== 1) return undefined;
  return params.indexOf(ps[0]);
}


const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');


/*
 * What comes before an occurrence, read backwards from `i` within the window [w, i) (what the patterns
 * tried on `body.slice(w, i)`, given with each, see there: end-anchored patterns tried at every position
 * of the window cost most of the summary pass's macro work).
 */
/** The offset after the blanks at `p`. */
function afterBlanks(s: string, p: number): number {
  while (isSpace(codeAt(s, p))) p++;
  return p;
}
/** The offset before the blanks that end [w, p). */
function backBlanks(s: string, p: number, w: number): number {
  while (p > w && isSpace(codeAt(s, p - 1))) p--;
  return p;
}
/** Does the window end in this character (after blanks)? Then the offset before it, else -1. */
function endsIn(s: string, p: number, w: number, c: number): number {
  p = backBlanks(s, p, w);
  return p > w && codeAt(s, p - 1) === c ? p - 1 : -1;
}
/** /\*\s*\(?\s*$/ */
function starBefore(s: string, i: number, w: number): boolean {
  const o = endsIn(s, i, w, 40 /* ( */);
  return endsIn(s, o >= 0 ? o : i, w, 42 /* * */) >= 0;
}
/** /(?:\b(?:NULL|0)\s*[!=]=|!\s*\(?|\|\||\?)\s*$/ */
function testWordBefore(s: string, i: number, w: number): boolean {
  const p = backBlanks(s, i, w);
  if (p === w) return false;
  const c = codeAt(s, p - 1);
  if (c === 63 /* ? */ || c === 33 /* ! */) return true;
  if (c === 124 /* | */) return p - 1 > w && codeAt(s, p - 2) === 124;
  if (c === 40 /* ( */) return endsIn(s, p - 1, w, 33) >= 0;
  if (c !== 61 /* = */ || p - 1 === w || (codeAt(s, p - 2) !== 61 && codeAt(s, p - 2) !== 33)) return false;
  const q = backBlanks(s, p - 2, w);
  const n = q - 4 >= w && s.startsWith('NULL', q - 4) ? 4 : q - 1 >= w && codeAt(s, q - 1) === 48 /* 0 */ ? 1 : 0;
  return n > 0 && (q - n === w || !isWord(codeAt(s, q - n - 1)));
}
/** /&&\s*$/ */
const andBefore = (s: string, i: number, w: number) => {
  const o = endsIn(s, i, w, 38 /* & */);
  return o > w && codeAt(s, o - 1) === 38;
};
/** /if\s*\(\s*$/ */
const ifBefore = (s: string, i: number, w: number) => {
  const o = endsIn(s, i, w, 40 /* ( */);
  const q = o >= 0 ? backBlanks(s, o, w) : -1;
  return q - 2 >= w && codeAt(s, q - 2) === 105 /* i */ && codeAt(s, q - 1) === 102 /* f */;
};
/** /\b(\w+)\s*\(\s*(?:\(\w[\w\s*]*\)\s*)?$/: the called name. */
function callBefore(s: string, i: number, w: number): string | undefined {
  let p = backBlanks(s, i, w);
  if (p > w && codeAt(s, p - 1) === 41 /* ) */) {
    // a cast: "(" then a word character then words, blanks and stars
    let o = p - 1;
    for (let c = codeAt(s, o - 1); o > w && (isWord(c) || isSpace(c) || c === 42); c = codeAt(s, --o - 1));
    if (o === w || codeAt(s, o - 1) !== 40 || o === p - 1 || !isWord(codeAt(s, o))) return undefined;
    p = o - 1;
  }
  const o = endsIn(s, p, w, 40 /* ( */);
  if (o < 0) return undefined;
  const e = backBlanks(s, o, w);
  let b = e;
  while (b > w && isWord(codeAt(s, b - 1))) b--;
  return b < e ? s.slice(b, e) : undefined;
}

/**
 * Does `body` dereference `p` (`p->`, `p[`, `*p`, or passes it first to a
 * function that dereferences its first argument), and does it test `p`
 * against NULL anywhere? Each occurrence of `p` is checked by its
 * surroundings (48 characters before it): one indexOf scan per name instead
 * of whole-body regexes.
 */
function paramUse(body: string, p: string, derefFns: Record<string, number[]>): { deref: boolean; viaFn: boolean; tested: boolean } {
  let deref = false;
  let viaFn = false;
  let tested = false;
  for (let i = body.indexOf(p); i >= 0 && !tested; i = body.indexOf(p, i + 1)) {
    const j = i + p.length;
    // inside a longer word (`m` in `mtx`): nothing to read, and no `?` can follow
    if (j < body.length && isWord(codeAt(body, j))) continue;
    const wordStart = i === 0 || !isWord(codeAt(body, i - 1));
    // what follows, after blanks
    const q = afterBlanks(body, j);
    const c = codeAt(body, q);
    const c1 = codeAt(body, q + 1);
    const w = Math.max(0, i - 48);
    // /\s*\?/: `p ?` (any text ending in the name, as before)
    if (c === 63) tested = true;
    // /\s*\)?\s*(?:->|\[)/ (once a dereference is seen, only tests are left to look for)
    if (wordStart && !deref) {
      const r = c === 41 ? afterBlanks(body, q + 1) : q;
      const d = codeAt(body, r);
      if ((d === 45 && codeAt(body, r + 1) === 62) || d === 91) deref = true;
    }
    // /\s*[!=]=\s*(?:NULL|0)\b/
    if (wordStart && (c === 33 || c === 61) && c1 === 61) {
      const r = afterBlanks(body, q + 2);
      const n = body.startsWith('NULL', r) ? 4 : codeAt(body, r) === 48 ? 1 : 0;
      if (n && !isWord(codeAt(body, r + n))) tested = true;
    }
    // a star before, unless /\s*[,)]\s*\w/ follows
    if (!deref && starBefore(body, i, w) && !((c === 44 || c === 41) && isWord(codeAt(body, afterBlanks(body, q + 1))))) deref = true;
    if (testWordBefore(body, i, w)) tested = true;
    // `&&` before and /\s*[)&|]/ after
    else if (andBefore(body, i, w) && (c === 41 || c === 38 || c === 124)) tested = true;
    else if (endsIn(body, i, w, 40 /* ( */) >= 0) {
      // /\s*\)\s*(?:\?|&&|\|\|)/, or `if (` before and /\s*(?:\)|&&|\|\|)/ after
      let t = false;
      if (c === 41) {
        const r = afterBlanks(body, q + 1);
        const d = codeAt(body, r);
        t = d === 63 || ((d === 38 || d === 124) && codeAt(body, r + 1) === d);
      }
      if (t || (ifBefore(body, i, w) && (c === 41 || ((c === 38 || c === 124) && c1 === c)))) tested = true;
    }
    // /\s*[,)]/: an argument
    if (!deref && !viaFn && (c === 44 || c === 41)) {
      const name = callBefore(body, i, w);
      if (name !== undefined && own(derefFns, name)?.includes(0)) viaFn = true;
    }
  }
  return { deref, viaFn, tested };
}

/** Parameters a body dereferences without ever testing them against NULL. */
export function derefParamsOf(body: string, params: string[], derefFns: Record<string, number[]>): number[] {
  const out: number[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (!p || !/^[A-Za-z_]\w*$/.test(p) || !body.includes(p)) continue;
    const u = paramUse(body, p, derefFns);
    if ((u.deref || u.viaFn) && !u.tested) out.push(i);
  }
  return out;
}

/** Summaries of the functions and allocation macros in one file. */
/**
 * withFunctions: summarise the file's functions (true), only what they release through members of objects
 * ('cleanup': a file that calls no allocator may still hold a driver's detach or free routine), or not at all.
 */
export function summarizeText(file: string, text: string, dialect: DialectModel, withFunctions: boolean | 'cleanup', st = new SummaryText(text)): FileSummary {
  const { model } = compiled(dialect);
  const out: FileSummary = { file, functions: [], macros: [] };
  // Macros: #define NAME(params) body -- read by text, parsed as a snippet when they allocate or dereference.
  if (text.includes('#define') || text.includes('# define')) {
    for (const { name, params: plist, body } of functionMacros(text)) {
      if (model.allocators.has(name)) continue;
      // (arrays built by push alike for macros and functions: one array shape for the code that reads them)
      const params: string[] = [];
      for (const x of plist.split(',')) params.push(x.trim());
      // a macro that returns handles the failure itself (IP6_EXTHDR_CHECK-style): not an allocation site
      // (the patterns run only on the bodies that hold their word: most macros are constants or accessors)
      const returns = body.includes('return') && /\breturn\b/.test(body);
      const allocs = !returns && firstCall(body, model.allocators) >= 0;
      const derefParams = derefParamsOf(body, params, dialect.derefArgs);
      const gotoLabel = body.includes('goto') ? /\bgoto\s+([A-Za-z_]\w*)/.exec(body)?.[1] : undefined;
      // unconditional `return`/`goto` in the expansion (a conditional one handles only some paths)
      const exits = returns && !/\bif\b|\?/.test(body);
      if (!allocs && !derefParams.length && !gotoLabel && !exits) continue;
      const ms: MacroSummary = { name, file, params, derefParams };
      if (gotoLabel && !/\bif\b|\?/.test(body)) ms.gotoLabel = gotoLabel;
      if (exits) ms.exits = true;
      if (allocs) {
        const src = `void __kml_macro(void) { ${body.replace(/\/\*.*?\*\//g, ' ')}; }`;
        const hit = firstCall(src, model.allocators);
        const tree = mirror(getParser().parse(typeArgsAsNames(src, hit >= 0 ? [hit] : [], model)), src);
        if (hit >= 0) {
          const id = tree.rootNode.descendantForIndex(hit, hit);
          const call = id?.parent?.type === 'call_expression' ? id.parent : null;
          const spec = call ? model.allocators.get(callName(call) ?? '') : undefined;
          // a status allocator's value is an errno, not the allocation: no allocation macro
          if (call && spec && spec.result.kind !== 'status' && (spec.arity === undefined || callArgs(call).length === spec.arity)) {
            const args = callArgs(call);
            const fl = spec.flagsArg !== undefined ? args[spec.flagsArg] : undefined;
            const fp = fl ? flagsParamOf(fl, params, model, spec.family) : undefined;
            const alloc: NonNullable<MacroSummary['alloc']> = { allocator: spec.name, family: spec.family };
            if (fp !== undefined) alloc.flagsParam = fp;
            else alloc.canFail = model.verdict(spec, fl ? evalFlags(fl, model, spec.family) : undefined).canFail;
            // result: assigned to a macro parameter, or the macro's value
            let up: SyntaxNode | null = call.parent;
            while (up && (up.type === 'parenthesized_expression' || up.type === 'cast_expression')) up = up.parent;
            if (up?.type === 'assignment_expression') {
              const l = unparen(up.childForFieldName('left'));
              if (l && l.type === 'identifier' && params.includes(l.text)) alloc.resultParam = params.indexOf(l.text);
            } else if (spec.result.kind === 'arg') {
              const a = unparen(args[spec.result.index]);
              if (a && a.type === 'identifier' && params.includes(a.text)) alloc.resultParam = params.indexOf(a.text);
            }
            if (alloc.resultParam !== undefined || up?.type === 'expression_statement' || up?.type === 'compound_statement' || up?.type === 'comma_expression' || up === null) {
              ms.alloc = alloc;
            } else if (up && up.type !== 'assignment_expression') ms.alloc = alloc;
          }
        }
      }
      out.macros.push(ms);
    }
  }
  // object-like macros that return from the caller (`#define USB_ATTACH_ERROR_RETURN return ENXIO`)
  for (const i of defineFacts(text).returning) {
    const m = OBJECT_RETURN.exec(text.slice(i, text.indexOf('\n', i) >>> 0));
    if (m && text.lastIndexOf('#', i) >= text.lastIndexOf('\n', i) && !/[?]|\bif\b|\\$/.test(m[0]) && !out.macros.some((x) => x.name === m[1])) {
      out.macros.push({ name: m[1], file, params: [], derefParams: [], exits: true });
    }
  }
  if (!withFunctions) return out;
  const noRet = new RegExp(`\\b(?:${[...model.noReturn].join('|')})\\s*\\([^;]*\\)\\s*;\\s*$`);
  const clean = st.clean;
  // KNF function definitions by text ("{" and "}" in column 0); no parse needed for summaries
  const knf = st.knf;
  // the functions this file defines: a cleanup helper's own helpers are the driver's, in the same file
  const defined = new Set<string>();
  const raws: string[] = [];
  const heads: (RegExpExecArray | null)[] = [];
  for (const fn of knf) {
    const raw = clean.slice(fn.start, fn.bodyStart);
    const m = FN_HEADER.exec(raw.trim());
    if (m) defined.add(m[1]);
    raws.push(raw);
    heads.push(m);
  }
  for (let k = 0; k < knf.length; k++) {
    const fn = knf[k];
    const raw = raws[k];
    // without K&R parameter declarations (indented lines ending in ";") the header is read as it stands
    const h = raw.includes(';') ? raw.split('\n').filter((l) => !/^[ \t].*;\s*$/.test(l)).join('\n') : raw;
    const hm = h === raw ? heads[k] : FN_HEADER.exec(h.trim());
    if (!hm) continue;
    const params: string[] = [];
    for (const x of hm[2].split(',')) {
      const n = paramName(x.trim());
      params.push(n === 'void' ? '' : n);
    }
    // `f(void)` and `f()` take none; an unnamed or function-pointer parameter still counts
    const arity = hm[2].trim() === '' || hm[2].trim() === 'void' ? 0 : params.length;
    const s: FnSummary = { name: hm[1], file, isStatic: /\bstatic\b/.test(h), arity, noReturn: false, derefParams: [], releasesParams: [] };
    const bodyText = clean.slice(fn.bodyStart, fn.end);
    if (withFunctions === 'cleanup') {
      memberReleases(bodyText, model, s, defined);
      if (s.helpers) out.functions.push(s);
      continue;
    }
    const inner = innerOf(bodyText);
    const hasReturn = /\breturn\b/.test(inner);
    if (!hasReturn && noRet.test(inner.trimEnd())) s.noReturn = true;
    s.derefParams = derefParamsOf(bodyText, params, dialect.derefArgs);
    const paramOf = (t: string | undefined) => {
      const u = stripParens(t ?? '');
      return /^[A-Za-z_]\w*$/.test(u) && params.includes(u) ? params.indexOf(u) : undefined;
    };
    const calls = callsIn(bodyText, 0);
    // what firstCall(bodyText) >= 0 says: the calls callsIn leaves out are keywords, never allocators
    const hasAlloc = calls.some((c) => model.allocators.has(c.name));
    if (hasAlloc || hasReturn) {
      const allocOf = new Map<string, { name: string; args: string[] }>();
      // the names the body returns (`return (req);`): a call assigned to one may be a wrapper's allocation
      const returned = hasReturn ? returnedNames(inner) : undefined;
      for (const c of calls) {
        const fi = model.frees.get(c.name);
        if (fi !== undefined) {
          const pi = paramOf(c.args[fi]);
          if (pi !== undefined && !s.releasesParams.includes(pi)) s.releasesParams.push(pi);
        }
        // an allocator, or (for a returned variable) any other function: another wrapper, resolved in resolve.ts
        if (model.allocators.has(c.name) || (returned?.size && !KEYWORD_CALLS.has(c.name))) {
          // `x = (cast) alloc(...)` or `type *x = alloc(...)`: the text just before the call
          const before = bodyText.slice(Math.max(0, c.at - 160), c.at);
          const lhs = assignedBefore(before)?.replace(/\s+/g, '');
          if (lhs && (model.allocators.has(c.name) || returned!.has(lhs))) allocOf.set(lhs, { name: c.name, args: c.args });
        }
      }
      for (const rm of inner.matchAll(/\breturn\b\s*([^;]*);/g)) {
        let v = stripParens(rm[1]);
        let call: { name: string; args: string[] } | undefined;
        if (/^[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*)*$/.test(v)) call = allocOf.get(v);
        else {
          v = v.replace(/^\(\s*[A-Za-z_][\w\s]*\**\s*\)\s*/, ''); // a cast
          const cm = /^([A-Za-z_]\w*)\s*\(/.exec(v);
          if (cm) call = { name: cm[1], args: splitArgs(v, cm[0].length - 1).args };
        }
        if (!call) continue;
        const spec = model.allocators.get(call.name);
        if (spec?.result.kind === 'status') continue; // returns an errno, not the allocation
        if (spec && (spec.arity === undefined || call.args.length === spec.arity)) {
          const fl = spec.flagsArg !== undefined ? call.args[spec.flagsArg] : undefined;
          const fv = fl !== undefined ? flagValueFromText(fl, model, spec.family) : undefined;
          const fp = fv && fv.unknown.length === 1 && params.includes(fv.unknown[0]) ? params.indexOf(fv.unknown[0]) : undefined;
          if (fp !== undefined) s.returnsAlloc = { allocator: call.name, flagsParam: fp, family: spec.family };
          else if (model.verdict(spec, fv).canFail === 'yes') s.returnsAlloc = { allocator: call.name, canFail: 'yes', family: spec.family };
          if (s.returnsAlloc) break;
        } else if (!spec && !KEYWORD_CALLS.has(call.name) && !s.returnsAlloc) {
          // the first call returned: the argument texts belong with the argument map
          s.returnsAlloc = { allocator: call.name, via: call.name, family: 'malloc', argMap: call.args.map((a) => paramOf(a) ?? null) };
          (s.returnsAlloc as { argText?: string[] }).argText = call.args;
        }
      }
    }
    memberReleases(bodyText, model, s, defined, calls);
    if (hasAlloc) {
      // `*descp = malloc(...)`: the allocation goes to the caller through an out-parameter
      for (const m of bodyText.matchAll(OUT_ALLOC)) {
        const spec = model.allocators.get(m[2]);
        const pi = params.indexOf(m[1]);
        if (spec && spec.result.kind === 'return' && pi >= 0) {
          s.allocsOut = pi;
          break;
        }
      }
      const so = statusOutOf(h.trim().slice(0, hm.index), inner, calls, params, model);
      if (so) s.statusOut = so;
    }
    if (s.returnsAlloc || s.noReturn || s.derefParams.length || s.releasesParams.length || s.helpers || s.allocsOut !== undefined || s.statusOut) out.functions.push(s);
  }
  // helpers matter only on the way to a function of this file that releases members
  if (!out.functions.some((f) => f.releasesFields)) {
    for (const f of out.functions) delete f.helpers;
    out.functions = out.functions.filter((f) => f.returnsAlloc || f.noReturn || f.derefParams.length || f.releasesParams.length || f.allocsOut !== undefined || f.statusOut);
  }
  return out;
}

/** A KNF function header's name and parameter list, at its end. */
const FN_HEADER = /([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/;
const PARAM_NAME = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/;

/**
 * The name a parameter declaration (trimmed) ends in (`struct foo *sc`: sc, `char buf[8]`: buf), or ''; what
 * PARAM_NAME finds, read from the end when there is no bracket (the pattern is tried from every position).
 */
function paramName(t: string): string {
  if (t.includes('[')) return PARAM_NAME.exec(t)?.[1] ?? '';
  // the trailing word, from its first character that may start a name
  let b = t.length;
  while (b > 0 && isWord(t.charCodeAt(b - 1))) b--;
  while (b < t.length && t.charCodeAt(b) >= 48 && t.charCodeAt(b) <= 57) b++;
  return t.slice(b);
}

/** A body without its opening "{" and its closing "}" (and the blanks after it): what bodyText.replace(/^\{|\}\s*$/g, '') gives. */
function innerOf(body: string): string {
  const a = body.charCodeAt(0) === 123 /* { */ ? 1 : 0;
  let e = body.length;
  while (e > a && isSpace(body.charCodeAt(e - 1))) e--;
  return body.slice(a, e > a && body.charCodeAt(e - 1) === 125 /* } */ ? e - 1 : body.length);
}

/** `*out = (cast) alloc(`: a parameter's target set from a call. */
const OUT_ALLOC = /\*\s*([A-Za-z_]\w*)\s*=\s*(?:\([^()]*\)\s*)*([A-Za-z_]\w*)\s*\(/g;
const ERRNO_RETURN = /\breturn\s*\(?\s*E[A-Z][A-Z0-9]*\s*\)?\s*;/;
const ZERO_RETURN = /\breturn\s*\(?\s*0\s*\)?\s*;/;

/**
 * Is this function a status allocator (FnSummary.statusOut)? Conservative: an `int` function (`retType`: the
 * header before its name) that writes `*out = alloc(...)` for a parameter `out` and returns an errno constant and 0,
 * or hands a parameter to a built-in status allocator as its out-argument and returns that call's status.
 */
function statusOutOf(retType: string, inner: string, calls: { name: string; args: string[] }[], params: string[], model: Model): FnSummary['statusOut'] {
  if (!/(?:^|\s)(?:u_?)?int\s*$/.test(retType.replace(/\s+/g, ' ').trimEnd() + ' ') || retType.includes('*')) return undefined;
  const paramAt = (t: string | undefined) => {
    const u = stripParens((t ?? '').replace(/^\s*\(\s*[A-Za-z_][\w\s]*\**\s*\)\s*/, ''));
    return /^[A-Za-z_]\w*$/.test(u) ? params.indexOf(u) : -1;
  };
  for (const c of calls) {
    const spec = model.allocators.get(c.name);
    if (!spec || (spec.arity !== undefined && c.args.length !== spec.arity)) continue;
    if (spec.result.kind === 'status' && !spec.summary) {
      const pi = paramAt(c.args[spec.result.out]);
      if (pi < 0) continue;
      const esc = c.name.replace(/\W/g, '');
      const st = new RegExp(`\\b([A-Za-z_]\\w*)\\s*=\\s*${esc}\\s*\\(`).exec(inner)?.[1];
      const returnsIt = new RegExp(`\\breturn\\s*\\(?\\s*${esc}\\s*\\(`).test(inner) || (!!st && new RegExp(`\\breturn\\s*\\(?\\s*${st}\\s*\\)?\\s*;`).test(inner));
      if (returnsIt) return { out: pi, allocator: c.name, family: spec.family, canFail: 'yes' };
    }
  }
  if (!ERRNO_RETURN.test(inner) || !ZERO_RETURN.test(inner)) return undefined;
  // `*out = malloc(...)`, or `p = malloc(...); ... *out = p;`
  const direct = [...inner.matchAll(OUT_ALLOC)].map((m) => [m[1], m[2]]);
  const viaLocal = [...inner.matchAll(/\*\s*([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*;/g)].flatMap((m) => {
    if (params.includes(m[2])) return [];
    const a = new RegExp(`(?:^|[^\\w>.])${m[2]}\\s*=\\s*(?:\\([^()]*\\)\\s*)*([A-Za-z_]\\w*)\\s*\\(`).exec(inner);
    return a ? [[m[1], a[1]]] : [];
  });
  for (const m of [...direct, ...viaLocal]) {
    const spec = model.allocators.get(m[1]);
    const pi = params.indexOf(m[0]);
    if (!spec || spec.result.kind !== 'return' || spec.summary || pi < 0 || readsOut(inner, m[0])) continue;
    const c = calls.find((x) => x.name === m[1]);
    if (!c || (spec.arity !== undefined && c.args.length !== spec.arity)) continue;
    const fl = spec.flagsArg !== undefined ? c.args[spec.flagsArg] : undefined;
    const fv = fl !== undefined ? flagValueFromText(fl, model, spec.family) : undefined;
    const fp = fv && fv.unknown.length === 1 && params.includes(fv.unknown[0]) ? params.indexOf(fv.unknown[0]) : undefined;
    if (fp !== undefined) return { out: pi, allocator: spec.name, family: spec.family, flagsParam: fp };
    if (model.verdict(spec, fv).canFail === 'yes') return { out: pi, allocator: spec.name, family: spec.family, canFail: 'yes' };
  }
  return undefined;
}

/**
 * Does the body read `*p` other than to test the allocation it stored there (`*mp = m_pullup(*mp, n)`,
 * `alc_encap(sc, &m)` reading the packet)? Then `*p` is an in-out argument, still the caller's after some
 * failures: not a status allocator's out-argument.
 */
function readsOut(inner: string, p: string): boolean {
  for (const m of inner.matchAll(new RegExp(`(^|[^\\w)\\]\\s])(\\s*)\\*\\s*${p}\\b(?!\\s*(?:=[^=]|==\\s*NULL\\b|!=\\s*NULL\\b|\\)\\s*==\\s*NULL\\b))`, 'g'))) {
    const before = inner.slice(Math.max(0, (m.index ?? 0) - 2), (m.index ?? 0) + m[1].length);
    if (/!\s*$/.test(before)) continue; // `if (!*p)`
    return true;
  }
  return false;
}

const KEYWORD_CALLS = new Set(['sizeof', 'if', 'while', 'for', 'switch', 'return']);
/** `define NAME return ...` (after the `#`): an object-like macro that returns from the caller. */
const OBJECT_RETURN = /^define[ \t]+([A-Za-z_]\w*)[ \t]+return\b.*$/;

/** The member an argument's text names (`sc->buf`, `(sc)->rx.map[i]`: buf, map), if it names one. */
function memberOf(arg: string | undefined): string | undefined {
  const t = stripParens(arg ?? '').replace(/\s+/g, '');
  return /^[A-Za-z_][\w>.\-[\]()]*(?:->|\.)([A-Za-z_]\w*)(?:\[[^\]]*\])*\)*$/.exec(t)?.[1];
}

/**
 * What a function releases through members of objects: `free(sc->buf)`, `bus_release_resource(dev, t,
 * rid, sc->irq)`, `device_delete_children(dev)`; and the functions it calls, through which it may
 * release more (resolve.ts follows them). Sets s.releasesFields and s.helpers.
 */
function memberReleases(body: string, model: import('../model/model').Model, s: FnSummary, local: Set<string>, calls = callsIn(body, 0)) {
  const fields = new Set<string>();
  const helpers = new Set<string>();
  for (const c of calls) {
    if (!local.has(c.name) && !model.releasing.has(c.name)) continue;
    const fi = model.frees.get(c.name);
    const rel = fi === undefined ? model.release.get(c.name) : undefined;
    const i = fi ?? (rel && !('none' in rel.key) ? own(rel.releaseArgs, c.name) ?? rel.key.releaseArg : undefined);
    if (i !== undefined) {
      const m = memberOf(c.args[i]);
      if (m) fields.add(m);
      continue;
    }
    const all = model.releaseAll.get(c.name);
    if (all) fields.add(`#${all.description}`);
    else if (local.has(c.name) && c.name !== s.name) helpers.add(c.name);
  }
  if (fields.size) s.releasesFields = [...fields].sort();
  if (fields.size || helpers.size) s.helpers = [...helpers].sort();
}

/** The plain names (`p`, `sc->sc_buf`) that `return` statements of a body return. */
function returnedNames(body: string): Set<string> {
  const out = new Set<string>();
  for (const rm of body.matchAll(/\breturn\b\s*([^;]*);/g)) {
    const v = stripParens(rm[1]);
    if (/^[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*)*$/.test(v)) out.add(v);
  }
  return out;
}

/** `((x))` -> `x`; keeps a cast in front of a value. */
function stripParens(t: string): string {
  let u = t.trim();
  while (u.startsWith('(') && u.endsWith(')') && splitArgs(u, 0).end === u.length) u = u.slice(1, -1).trim();
  return u;
}

export type SummarizedFile = FileSummary & { cacheInfo?: Probed };

/** Is this (parsed from a cache entry) a well-formed FileSummary? */
export function isFileSummary(v: unknown): v is FileSummary {
  const o = v as FileSummary;
  return !!o && typeof o === 'object' && typeof o.file === 'string' && Array.isArray(o.functions) && Array.isArray(o.macros) &&
    o.functions.every((f) => f && typeof f.name === 'string' && Array.isArray(f.derefParams) && Array.isArray(f.releasesParams) && typeof f.noReturn === 'boolean') &&
    o.macros.every((m) => m && typeof m.name === 'string' && Array.isArray(m.params) && Array.isArray(m.derefParams)) &&
    (o.fields === undefined || (Array.isArray(o.fields.uses) && Array.isArray(o.fields.tested))) &&
    (o.lockNames === undefined || (Array.isArray(o.lockNames) && o.lockNames.every((n) => typeof n === 'string'))) &&
    (o.lockMacros === undefined || (Array.isArray(o.lockMacros) && o.lockMacros.every((m) => m && typeof m.name === 'string' && Array.isArray(m.params) && Array.isArray(m.calls))));
}

export function summarizeFile(file: string, shown: string, dialect: DialectModel, opts: FileJobOptions, content?: string): SummarizedFile {
  const { maxFileSize: maxSize, cache: probe } = opts;
  const none = (): FileSummary => ({ file: shown, functions: [], macros: [] });
  try {
    let buf: Buffer;
    let st: fs.Stats | undefined;
    const at = Date.now();
    if (content !== undefined) buf = Buffer.from(content, 'latin1');
    else {
      st = fs.statSync(file);
      if (!st.isFile() || st.size > maxSize) return none();
      buf = fs.readFileSync(file);
    }
    if (buf.indexOf(0) !== -1) return none();
    // known to the main thread's cache: it fills in the entry
    const probed = probeFile(probe, st, buf, at, (hash) => hash);
    if (probed?.hit) return Object.assign(none(), { cacheInfo: probed });
    const text = buf.toString('latin1');
    const allocates = firstCall(text, compiled(dialect).model.allocators) >= 0;
    // a header's inline functions may wrap wrappers defined elsewhere (a level up, another header) without calling an allocator themselves
    const inlineWrappers = !allocates && /\.h$/.test(file) && /\binline\b/.test(text);
    // the file's blanked text, lines and KNF functions, found once for every scan below
    const shared = new SummaryText(text);
    // a file that allocates nothing may still define the cleanup routines (detach) another file's failure paths call
    const cleanup = !allocates && !inlineWrappers && firstCall(text, compiled(dialect).model.releasing) >= 0;
    const sum = summarizeText(shown, text, dialect, allocates || inlineWrappers || (cleanup && 'cleanup'), shared);
    const exits = text.includes('define') ? exitDefsOf(text, compiled(dialect).model.noReturn) : [];
    if (exits.length) sum.exitDefs = exits;
    const room = allocates ? headroomFnsOf(text, shared) : [];
    if (room.length) sum.headroomFns = room;
    if (text.includes('->')) sum.fields = scanFields(text, shared.lineStarts);
    const locks = lockMacroDefs(text);
    if (locks.length) sum.lockMacros = locks;
    const names = lockishNames(text, shared);
    if (names.length) sum.lockNames = names;
    return probed ? Object.assign(sum, { cacheInfo: probed }) : sum;
  } catch {
    return none();
  }
}
