/*
 * Stage 4, analysis: tree-sitter parse of the functions that hold allocator calls, a control-flow graph each, held resources and the paths on which an allocation failed.
 * Takes: one file's text and the (whole-tree resolved) dialect model. Gives: SiteFacts per allocation site (a serialisable FileResult).
 * Never: reads files, or decides severities or messages (rules/ does).
 */
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { mirrorNode, source, type JNode } from './jsast';
import type { SyntaxNode, Tree } from 'tree-sitter';
import { Model } from '../model/model';
import type { DialectModel } from '../model/types';
import { preprocess } from '../text/preprocess';
import { splitKnf } from '../text/knf';
import { lineOf, lineStarts } from '../text/lines';
import { eachCall } from '../text/calltext';
import { defineAt, functionMacros } from '../text/defines';
import { callAt, functionOf, FunctionAnalysis, siteFacts } from './nullpath';
import type { FileResult, SiteFacts } from './types';
import type { FlagValue } from '../model/model';
import { argSpans, blankNoise, flagValueFromText } from '../context/textscan';
import { keyable } from '../util/own';

let parser: Parser | undefined;
export function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser;
}

/** Parse kernel C read as latin1 (one char per byte, so offsets are byte offsets). */
export function parseC(text: string, only?: number[], cleaned?: string, code?: string): { tree: Tree; clean: string } {
  const clean = cleaned ?? preprocess(text);
  const opts: Parser.Options = { bufferSize: Math.max(32 * 1024, clean.length + 1) };
  if (only?.length) {
    // Parse only the functions that hold allocation calls: positions stay those of the whole file.
    opts.includedRanges = functionRanges(code ?? blankNoise(clean), only);
  }
  return { tree: getParser().parse(clean, undefined, opts), clean };
}

/**
 * The KNF function definitions ("{" and "}" in column 0) that contain the given
 * offsets, as tree-sitter ranges. An offset outside every such function (an
 * Allman-style or one-line-header definition, code at file scope) takes the
 * whole gap between the KNF functions around it: those hold complete top-level
 * items, so the parse there is the same as in the whole file.
 */
function functionRanges(text: string, offsets: number[]): Parser.Range[] {
  const fns = splitKnf(text);
  const picked: { start: number; end: number }[] = [];
  let k = 0;
  let last = -1;
  for (const o of offsets) {
    if (o < last) k = 0; // offsets come in order: resume the walk where the last one stopped
    last = o;
    while (k < fns.length && fns[k].end <= o) k++;
    const f = k < fns.length && fns[k].start <= o ? fns[k] : { start: k > 0 ? fns[k - 1].end : 0, end: k < fns.length ? fns[k].start : text.length };
    if (!picked.some((p) => p.start === f.start)) picked.push({ start: f.start, end: f.end });
  }
  picked.sort((a, b) => a.start - b.start);
  // tree-sitter refuses overlapping ranges: clip each to start where the one before ends
  for (let k = 1; k < picked.length; k++) if (picked[k].start < picked[k - 1].end) picked[k].start = picked[k - 1].end;
  const kept = picked.filter((p) => p.end > p.start);
  const starts = lineStarts(text);
  const pos = (i: number) => {
    const row = lineOf(starts, i) - 1;
    return { row, column: i - starts[row] };
  };
  return kept.map((p) => ({ startIndex: p.start, endIndex: p.end, startPosition: pos(p.start), endPosition: pos(p.end) }));
}

/** `#define senderr(e) do { error = (e); goto bad; } while (0)`: this file's macros that jump to a label. */
export function fileGotoMacros(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text.includes('goto')) return out;
  for (const m of functionMacros(text)) {
    const g = /\bgoto\s+([A-Za-z_]\w*)/.exec(m.body);
    if (g && !/\bif\b|\?/.test(m.body) && keyable(m.name)) out[m.name] = g[1];
  }
  return out;
}



const modelCache = new WeakMap<DialectModel, { model: Model }>();
/** The Model of a dialect table, built once per table. */
export function compiled(d: DialectModel) {
  let c = modelCache.get(d);
  if (!c) {
    c = { model: new Model(d) };
    modelCache.set(d, c);
  }
  return c;
}

/** Analyse one file's text: every allocation call the model knows, with its failure paths. */
function locAt(starts: number[], start: number, end: number) {
  // by the file's line starts: a site's cost does not grow with its offset in the file
  const pos = (o: number) => {
    const line = lineOf(starts, o);
    return { line, col: o - starts[line - 1] + 1 };
  };
  const a = pos(start);
  const b = pos(end);
  return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}

export { defineAt };

/**
 * An allocator call inside a macro definition. Its flags and the model's
 * verdict are known; its failure path is the code that invokes the macro, so
 * only rules that need no path (wait-flag-missing, suggestions) apply here.
 */
function macroSite(macro: string, text: string, idx: number, model: Model, starts: number[]): SiteFacts | undefined {
  const m = /^([A-Za-z_]\w*)\s*\(/.exec(text.slice(idx, idx + 80));
  if (!m) return undefined;
  const spec = model.allocators.get(m[1]);
  if (!spec) return undefined;
  const { spans, end } = argSpans(text, idx + m[0].length - 1);
  if (spec.arity !== undefined && spans.length !== spec.arity) return undefined;
  let flagsRange: [number, number] | undefined;
  let flagValue: FlagValue | undefined;
  if (spec.flagsArg !== undefined && spans[spec.flagsArg]) {
    flagsRange = spans[spec.flagsArg];
    flagValue = flagValueFromText(text.slice(...flagsRange), model, spec.family);
  }
  return {
    loc: locAt(starts, idx, end),
    function: `macro ${macro}`,
    allocator: spec.name,
    flags: flagValue?.text ?? '',
    flagNames: flagValue?.names ?? [],
    flagsRange,
    flagValue,
    family: spec.family,
    verdict: model.verdict(spec, flagValue),
    heldAtCall: [],
    lowConfidence: false,
    failure: { leaks: [], tested: false },
    extra: { inMacro: macro },
  };
}

/**
 * Offsets of calls to allocators the model knows: every identifier followed
 * by "(" looked up by name (src/text/calltext.ts).
 */
export function callHits(text: string, names: { has(name: string): boolean }, first = false): number[] {
  const hits: number[] = [];
  eachCall(text, (b, e) => {
    if (!names.has(text.slice(b, e))) return false;
    hits.push(b);
    return first;
  });
  return hits;
}

/** The offset of the first allocator call in `text`, or -1. */
export function firstCall(text: string, names: { has(name: string): boolean }): number {
  return callHits(text, names, true)[0] ?? -1;
}

/**
 * `MALLOC(p, struct foo *, size, M_FOO, M_NOWAIT)`: a type where tree-sitter
 * expects an expression merges two arguments into an ERROR. Replace such an
 * argument by a placeholder identifier of the same length (offsets kept) so
 * the call parses with all its arguments.
 */
export function typeArgsAsNames(text: string, hits: number[], model: Model): string {
  let out: Buffer | undefined;
  for (const idx of hits) {
    const m = /^([A-Za-z_]\w*)\s*\(/.exec(text.slice(idx, idx + 80));
    const spec = m && model.allocators.get(m[1]);
    if (!m || !spec || spec.typeArg === undefined) continue;
    const { spans } = argSpans(text, idx + m[0].length - 1);
    // only an argument followed by others (the type is never the last one)
    if (spans.length <= spec.typeArg + 1) continue;
    const [a, b] = spans[spec.typeArg];
    const t = text.slice(a, b);
    if (t && !/^[A-Za-z_]\w*$/.test(t) && !/[\n(){}]/.test(t)) {
      out ??= Buffer.from(text, 'latin1');
      out.fill(95 /* _ */, a, b);
    }
  }
  return out ? out.toString('latin1') : text;
}

/** The line of the first ERROR or MISSING node under n (which has one). */
function firstErrorLine(n: SyntaxNode): number {
  for (;;) {
    if (n.type === 'ERROR' || n.isMissing) return n.startPosition.row + 1;
    const next = n.children.find((c) => c.hasError || c.isMissing);
    if (!next) return n.startPosition.row + 1;
    n = next;
  }
}

/** Deeper trees than this (real kernel code stays under 150 levels) are not analysed: the walks recurse. */
export const MAX_NESTING = 1000;

export function analyzeText(file: string, text: string, dialect: DialectModel): FileResult {
  const { model } = compiled(dialect);
  const result: FileResult = { file, sites: [], diagnostics: [], parse: { bytes: text.length, errorNodes: false, functions: 0 }, lines: {} };
  const hits = callHits(text, model.allocators);
  if (!hits.length) return result;
  // hits that need no tree: in a branch preprocess() dropped, in a comment or string, or in a #define body
  const pre = preprocess(text);
  const code = blankNoise(pre);
  const live: number[] = [];
  const macros = new Map<number, string>();
  let starts: number[] | undefined; // line starts, made when first needed
  let rawCode: string | undefined;
  for (const idx of hits) {
    if (code.charCodeAt(idx) === 32) {
      // a #define in an #if branch preprocess() dropped (the kernel side of `#ifndef _KERNEL`, a
      // debugging variant) is still a definition someone compiles: read it by text too
      if (pre.charCodeAt(idx) !== 32) continue; // a comment or a string
      rawCode ??= blankNoise(text);
      const macro = rawCode.charCodeAt(idx) === 32 ? undefined : defineAt(text, idx, (starts ??= lineStarts(text)));
      if (macro !== undefined) macros.set(idx, macro);
      continue;
    }
    const macro = defineAt(pre, idx, (starts ??= lineStarts(text)));
    if (macro !== undefined) macros.set(idx, macro);
    else live.push(idx);
  }
  if (!live.length && !macros.size) return result;
  const { tree, clean } = live.length ? parseC(text, live, typeArgsAsNames(pre, live, model), code) : { tree: undefined, clean: pre };
  result.parse.errorNodes = tree?.rootNode.hasError ?? false;
  if (tree && result.parse.errorNodes) result.parse.errorLine = firstErrorLine(tree.rootNode);
  // the analysis reads JavaScript copies (src/analysis/jsast.ts) of the top-level definitions that hold calls
  const src = source(clean);
  const tops = new Map<number, JNode | null>();
  let curTop = -1;
  let functions = 0;
  // the top-level items, walked along with the hits (which come in order): asking tree-sitter for a node's parent
  // scans its parent's children, which made a file of many items on one line quadratic
  let items: SyntaxNode[] | undefined;
  let item = 0;
  const identAt = (idx: number): JNode | undefined => {
    items ??= tree!.rootNode.children;
    if (item > 0 && items[item - 1].endIndex > idx) item = 0; // not in order after all: search again
    while (item < items.length && items[item].endIndex <= idx) item++;
    const top = items[item];
    if (!top || top.startIndex > idx) return undefined;
    if (top.startIndex !== curTop && !tops.has(top.startIndex)) {
      // hits come in order, so a definition left behind is never met again: let its trees go
      functions += fns.size;
      fns.clear();
      tops.clear();
    }
    curTop = top.startIndex;
    let j = tops.get(top.startIndex);
    if (j === undefined) {
      const st = { depth: 0 };
      j = mirrorNode(top, src, st);
      // the analysis walks trees recursively: a definition nested deeper than any real code is skipped, alone
      if (st.depth > MAX_NESTING) {
        unanalysed(top.startIndex, `code nested ${st.depth} levels deep (over ${MAX_NESTING})`);
        j = null;
      }
      tops.set(top.startIndex, j);
    }
    const n = j?.descendantForIndex(idx, idx);
    return n?.type === 'identifier' ? n : undefined;
  };
  const unanalysed = (at: number, why: string) => {
    starts ??= lineStarts(text);
    result.diagnostics.push({ file, level: 'error', message: `line ${lineOf(starts, at)}: ${why}; the allocations in this definition were not analysed` });
  };
  const fns = new Map<number, FunctionAnalysis>();
  let localGotos: Record<string, string> | undefined;
  // the source line of each site, for reports (not a split of the whole file)
  const lineText = (line: number) => {
    starts ??= lineStarts(text);
    if (line < 1 || line > starts.length) return '';
    const a = starts[line - 1];
    const b = line < starts.length ? starts[line] - 1 : text.length;
    return text.slice(a, b);
  };
  const seenCalls = new Set<number>();
  const failed = new Set<number>();
  const liveSet = new Set(live);
  for (const idx of hits) {
    const macro = macros.get(idx);
    if (macro === undefined && !liveSet.has(idx)) continue;
    if (macro !== undefined) {
      // an allocation in a #define body: tree-sitter keeps the body as text; read the call from it
      const site = macroSite(macro, text, idx, model, (starts ??= lineStarts(text)));
      if (site) {
        result.sites.push(site);
        result.lines[site.loc.line] = lineText(site.loc.line);
      }
      continue;
    }
    curTop = -1;
    try {
      const call = tree && callAt(identAt(idx));
      if (!call) continue;
      if (seenCalls.has(call.startIndex)) continue;
      seenCalls.add(call.startIndex);
      const name = text.slice(idx, call.childForFieldName('arguments')!.startIndex).trim();
      const spec = model.allocators.get(name.replace(/\s+/g, ''));
      if (!spec) continue;
      const fn = functionOf(call);
      if (!fn) continue; // in a macro body or at file scope: handled by whole-tree analysis
      fn.localGotos = localGotos ??= fileGotoMacros(text);
      let fa = fns.get(fn.key);
      if (!fa) {
        fa = new FunctionAnalysis(fn, model);
        fns.set(fn.key, fa);
      }
      const ev = fa.ev;
      if (!ev.allocSpec(call)) continue; // another arity: a userland malloc(n) or a local function of that name
      const site = siteFacts(call, spec, fa, model);
      if (!site) continue;
      result.sites.push(site);
      result.lines[site.loc.line] = lineText(site.loc.line);
    } catch (e) {
      // one definition the analysis cannot handle loses its sites, not the file's other findings
      const at = curTop >= 0 ? curTop : idx;
      if (failed.has(at)) continue;
      failed.add(at);
      tops.set(at, null);
      unanalysed(at, `internal error (${(e as Error).message})`);
    }
  }
  result.parse.functions = functions + fns.size;
  return result;
}
