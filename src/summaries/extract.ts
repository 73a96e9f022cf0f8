import * as fs from 'node:fs';
import type { SyntaxNode } from 'tree-sitter';
import { callArgs, callName, lvalKey, unparen } from '../analysis/ast';
import { compiled, getParser, parseC } from '../analysis/file';
import { evalFlags } from '../analysis/flags';
import type { DialectModel } from '../model/types';
import { scanFields, type FieldFacts } from './fields';
import { splitKnf } from '../knf';
import { Cache, contentHash, type CacheConfig } from '../cache';
import type { Stamp } from '../cacheindex';

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
}

function paramList(fd: SyntaxNode | null): string[] {
  while (fd && fd.type !== 'function_declarator') fd = fd.childForFieldName('declarator');
  const pl = fd?.childForFieldName('parameters');
  if (!pl) return [];
  return pl.namedChildren.map((p) => {
    let d: SyntaxNode | null = p.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? (d.type === 'parenthesized_declarator' ? d.namedChildren[0] : null);
    if (d) return d.text;
    const t = p.childForFieldName('type');
    return t && !p.childForFieldName('declarator') ? t.text : '';
  });
}

function fnName(fd: SyntaxNode | null): string | undefined {
  while (fd && fd.type !== 'identifier') fd = fd.childForFieldName('declarator');
  return fd?.text;
}

/** The parameter that supplies the wait class of a flags expression (`how`, `how | M_ZERO`), if exactly one does. */
function flagsParamOf(fl: SyntaxNode, params: string[], model: import('../model/model').Model, family: import('../model/types').FlagFamily): number | undefined {
  const v = evalFlags(fl, model, family);
  if (v.choice) return undefined;
  const ps = v.unknown.filter((u) => params.includes(u));
  if (ps.length !== 1 || v.unknown.length !== 1) return undefined;
  return params.indexOf(ps[0]);
}

const RETURN_CALL = /\breturn\s*\(?\s*(?:\([^()]*\)\s*)?[A-Za-z_]\w*\s*\(/;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Parameters a body dereferences without ever testing them against NULL. */
export function derefParamsOf(body: string, params: string[], derefFns: Record<string, number[]>): number[] {
  const out: number[] = [];
  // one pass for the names the body dereferences at all; the precise per-parameter checks only for those
  const derefd = new Set<string>();
  for (const m of body.matchAll(/\b([A-Za-z_]\w*)\s*\)?\s*(?:->|\[)|\*\s*\(?\s*([A-Za-z_]\w*)/g)) derefd.add(m[1] ?? m[2]);
  params.forEach((p, i) => {
    if (!p || !/^[A-Za-z_]\w*$/.test(p) || !body.includes(p)) return;
    if (!derefd.has(p) && !body.includes(p + ',') && !body.includes(p + ')')) return;
    const e = esc(p);
    const deref = new RegExp(`\\b${e}\\s*\\)?\\s*->|\\*\\s*\\(?\\s*${e}\\b(?!\\s*[,)]\\s*\\w)|\\b${e}\\s*\\)?\\s*\\[`).test(body);
    let viaFn = false;
    if (!deref) {
      for (const m of body.matchAll(new RegExp(`\\b(\\w+)\\s*\\(\\s*(?:\\(\\w[\\w\\s*]*\\)\\s*)?${e}\\s*[,)]`, 'g'))) {
        if (derefFns[m[1]]?.includes(0)) viaFn = true;
      }
    }
    if (!deref && !viaFn) return;
    const tested = new RegExp(`\\b${e}\\s*[!=]=\\s*(NULL|0)\\b|\\b(NULL|0)\\s*[!=]=\\s*${e}\\b|!\\s*\\(?\\s*${e}\\b|\\(\\s*${e}\\s*\\)\\s*(\\?|&&|\\|\\|)|if\\s*\\(\\s*${e}\\s*(\\)|&&|\\|\\|)|&&\\s*${e}\\s*[)&|]|\\|\\|\\s*${e}\\b|\\?\\s*${e}\\b|${e}\\s*\\?`).test(body);
    if (!tested) out.push(i);
  });
  return out;
}

/** Summaries of the functions and allocation macros in one file. */
export function summarizeText(file: string, text: string, dialect: DialectModel, parseFunctions: boolean): FileSummary {
  const { model, re } = compiled(dialect);
  const out: FileSummary = { file, functions: [], macros: [] };
  // Macros: #define NAME(params) body -- read by text, parsed as a snippet when they allocate or dereference.
  if (text.includes('#define') || text.includes('# define')) {
    const joined = text.replace(/\\\r?\n/g, '  ');
    for (const m of joined.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)[ \t]*(.*)$/gm)) {
      const [, name, plist, body] = m;
      if (model.allocators.has(name)) continue;
      const params = plist.split(',').map((s) => s.trim());
      re.lastIndex = 0;
      // a macro that returns handles the failure itself (IP6_EXTHDR_CHECK-style): not an allocation site
      const allocs = re.test(body) && !/\breturn\b/.test(body);
      const derefParams = derefParamsOf(body, params, dialect.derefArgs);
      const gotoLabel = /\bgoto\s+([A-Za-z_]\w*)/.exec(body)?.[1];
      // unconditional `return`/`goto` in the expansion (a conditional one handles only some paths)
      const exits = /\breturn\b/.test(body) && !/\bif\b|\?/.test(body);
      if (!allocs && !derefParams.length && !gotoLabel && !exits) continue;
      const ms: MacroSummary = { name, file, params, derefParams };
      if (gotoLabel && !/\bif\b|\?/.test(body)) ms.gotoLabel = gotoLabel;
      if (exits) ms.exits = true;
      if (allocs) {
        const src = `void __kml_macro(void) { ${body.replace(/\/\*.*?\*\//g, ' ')}; }`;
        const tree = getParser().parse(src);
        re.lastIndex = 0;
        const hit = re.exec(src);
        if (hit) {
          const id = tree.rootNode.descendantForIndex(hit.index, hit.index);
          const call = id?.parent?.type === 'call_expression' ? id.parent : null;
          const spec = call ? model.allocators.get(callName(call) ?? '') : undefined;
          if (call && spec && (spec.arity === undefined || callArgs(call).length === spec.arity)) {
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
  if (!parseFunctions) return out;
  re.lastIndex = 0;
  const freeRe = new RegExp(`\\b(?:${[...model.frees.keys()].join('|')})\\s*\\(`);
  const noRet = new RegExp(`\\b(?:${[...model.noReturn].join('|')})\\s*\\([^;]*\\)\\s*;\\s*$`);
  // Split the file into KNF function definitions by text ("{" and "}" in column 0); parse only
  // the ones whose body can return an allocation or free a parameter.
  for (const fn of splitKnf(text)) {
    const bodyText = text.slice(fn.bodyStart, fn.end);
    re.lastIndex = 0;
    const needTree = re.test(bodyText) || RETURN_CALL.test(bodyText) || freeRe.test(bodyText);
    re.lastIndex = 0;
    if (!needTree) {
      const h = fn.header.split('\n').filter((l) => !/^[ \t].*;\s*$/.test(l)).join('\n');
      const name = /([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/.exec(h.replace(/\/\*[\s\S]*?\*\//g, ' ').trim());
      if (!name) continue;
      const params = name[2].split(',').map((x) => /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(x.trim())?.[1] ?? '').map((x) => (x === 'void' ? '' : x));
      const sm: FnSummary = { name: name[1], file, isStatic: /\bstatic\b/.test(h), arity: params.filter(Boolean).length, noReturn: false, derefParams: [], releasesParams: [] };
      const inner = bodyText.replace(/^\{|\}\s*$/g, '');
      if (!/\breturn\b/.test(inner) && noRet.test(inner.replace(/\/\*[\s\S]*?\*\//g, ' ').trimEnd())) sm.noReturn = true;
      sm.derefParams = derefParamsOf(bodyText, params, dialect.derefArgs);
      if (sm.noReturn || sm.derefParams.length) out.functions.push(sm);
      continue;
    }
    const tree = parseC(text.slice(fn.start, fn.end));
    const fd = tree.rootNode.descendantsOfType('function_definition')[0];
    if (fd) summarizeFn(fd);
  }
  return out;

  function summarizeFn(fd: SyntaxNode) {
    const decl = fd.childForFieldName('declarator');
    const name = fnName(decl);
    const body = fd.childForFieldName('body');
    if (!name || !body) return;
    const params = paramList(decl);
    const isStatic = fd.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    const s: FnSummary = { name, file, isStatic, arity: params.length, noReturn: false, derefParams: [], releasesParams: [] };
    const bodyText = body.text;
    // what locals were assigned from allocations
    const allocOf = new Map<string, SyntaxNode>();
    const returns: SyntaxNode[] = [];
    let hasReturn = false;
    const visit = (n: SyntaxNode) => {
      if (n.type === 'return_statement') {
        hasReturn = true;
        const v = n.namedChildren[0];
        if (v) returns.push(v);
      }
      if (n.type === 'call_expression') {
        const cn = callName(n);
        const args = callArgs(n);
        if (cn) {
          const fi = model.frees.get(cn);
          if (fi !== undefined) {
            const a = unparen(args[fi] ?? null);
            if (a && a.type === 'identifier' && params.includes(a.text)) s.releasesParams.push(params.indexOf(a.text));
          }
          if (model.allocators.has(cn)) {
            let up: SyntaxNode | null = n.parent;
            while (up && (up.type === 'parenthesized_expression' || up.type === 'cast_expression')) up = up.parent;
            if (up?.type === 'assignment_expression') {
              const k = lvalKey(up.childForFieldName('left'));
              if (k) allocOf.set(k, n);
            } else if (up?.type === 'init_declarator') {
              let d: SyntaxNode | null = up.childForFieldName('declarator');
              while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
              if (d) allocOf.set(d.text, n);
            }
          }
        }
      }
    };
    const walk = (b: SyntaxNode) => {
      // one native query for the two node types that matter, not a walk over every node
      for (const n of b.descendantsOfType(['return_statement', 'call_expression'])) visit(n);
    };
    // walking a body node by node is the expensive part: only where the text says it can matter
    hasReturn = /\breturn\b/.test(bodyText);
    re.lastIndex = 0;
    if (re.test(bodyText) || RETURN_CALL.test(bodyText) || freeRe.test(bodyText)) walk(body);
    re.lastIndex = 0;
    for (const r of returns) {
      let v = unparen(r);
      if (v && v.type === 'identifier' && allocOf.has(v.text)) v = allocOf.get(v.text)!;
      if (!v || v.type !== 'call_expression') continue;
      const cn = callName(v);
      if (!cn) continue;
      const args = callArgs(v);
      const spec = model.allocators.get(cn);
      if (spec && (spec.arity === undefined || args.length === spec.arity)) {
        const fl = spec.flagsArg !== undefined ? args[spec.flagsArg] : undefined;
        const fp = fl ? flagsParamOf(fl, params, model, spec.family) : undefined;
        if (fp !== undefined) {
          s.returnsAlloc = { allocator: cn, flagsParam: fp, family: spec.family };
        } else {
          const canFail = model.verdict(spec, fl ? evalFlags(fl, model, spec.family) : undefined).canFail;
          if (canFail === 'yes') s.returnsAlloc = { allocator: cn, canFail, family: spec.family };
        }
      } else if (!spec) {
        s.returnsAlloc ??= {
          allocator: cn,
          via: cn,
          family: 'malloc',
          argMap: args.map((a) => {
            const u = unparen(a);
            return u && u.type === 'identifier' && params.includes(u.text) ? params.indexOf(u.text) : null;
          }),
        };
        // keep fixed flag arguments visible to the resolver
        (s.returnsAlloc as { argText?: string[] }).argText = args.map((a) => a.text);
      }
      if (s.returnsAlloc && !s.returnsAlloc.via) break;
    }
    // never returns: no return statement and the last statement calls a no-return function
    if (!hasReturn) {
      const last = body.namedChildren.filter((c) => c.type !== 'comment').pop();
      const call = last?.type === 'expression_statement' ? unparen(last.namedChildren[0]) : null;
      if (call && call.type === 'call_expression' && model.noReturn.has(callName(call) ?? '')) s.noReturn = true;
    }
    s.derefParams = derefParamsOf(bodyText, params, dialect.derefArgs);
    s.releasesParams = [...new Set(s.releasesParams)];
    if (s.returnsAlloc || s.noReturn || s.derefParams.length || s.releasesParams.length) out.functions.push(s);
    }
}

export type SummarizedFile = FileSummary & { cacheInfo?: { stamp: Stamp; hit: boolean } };

/** Is this (parsed from a cache entry) a well-formed FileSummary? */
export function isFileSummary(v: unknown): v is FileSummary {
  const o = v as FileSummary;
  return !!o && typeof o === 'object' && typeof o.file === 'string' && Array.isArray(o.functions) && Array.isArray(o.macros) &&
    o.functions.every((f) => f && typeof f.name === 'string' && Array.isArray(f.derefParams) && Array.isArray(f.releasesParams) && typeof f.noReturn === 'boolean') &&
    o.macros.every((m) => m && typeof m.name === 'string' && Array.isArray(m.params) && Array.isArray(m.derefParams)) &&
    (o.fields === undefined || (Array.isArray(o.fields.uses) && Array.isArray(o.fields.tested)));
}

const summaryCaches = new Map<string, Cache>();

export function summarizeFile(file: string, shown: string, dialect: DialectModel, maxSize: number, content?: string, cacheConfig?: CacheConfig): SummarizedFile {
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
    let cache: Cache | undefined;
    let stamp: Stamp | undefined;
    if (cacheConfig && st) {
      const k = `${cacheConfig.dir}\0${cacheConfig.salt}`;
      cache = summaryCaches.get(k);
      if (!cache) summaryCaches.set(k, (cache = new Cache(cacheConfig)));
      stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: contentHash(buf), at };
      const hit = cache.get('summary', stamp.hash, isFileSummary);
      if (hit) {
        hit.file = shown;
        for (const f of hit.functions) f.file = shown;
        for (const m of hit.macros) m.file = shown;
        return Object.assign(hit, { cacheInfo: { stamp, hit: true } });
      }
    }
    const text = buf.toString('latin1');
    const { re } = compiled(dialect);
    re.lastIndex = 0;
    const parseFns = re.test(text);
    re.lastIndex = 0;
    const sum = summarizeText(shown, text, dialect, parseFns);
    if (text.includes('->')) sum.fields = scanFields(text);
    if (cache && stamp) {
      cache.put('summary', stamp.hash, sum);
      return Object.assign(sum, { cacheInfo: { stamp, hit: false } });
    }
    return sum;
  } catch {
    return none();
  }
}
