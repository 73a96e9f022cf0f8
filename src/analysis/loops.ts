import { lastTexts } from '../util/memo';
import type { JNode as SyntaxNode } from './jsast';
import type { Model } from '../model/model';
import type { AllocatorSpec } from '../model/types';
import { callArgs, callName, isNullLiteral, lvalKey, unparen } from './ast';

/**
 * A pool built one entry per loop iteration: an allocation in a loop whose
 * result is kept in a list or an array (`SLIST_INSERT_HEAD(&sc->free, e, link)`,
 * `sc->buf[i] = p`, `e->next = head; head = e`). When an allocation in a later
 * iteration fails and the function leaves, the entries of the earlier
 * iterations are still there: someone must free them.
 */
export interface LoopPool {
  /** The loop statement. */
  loop: SyntaxNode;
  /** The lvalue key of the list head or array (`sc->free`, `bufs`). */
  container: string;
  /** The allocation whose results the pool keeps. */
  alloc: SyntaxNode;
  allocName: string;
}

/** The statement types that loop. */
export const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);
const INSERT = /^(SLIST|LIST|TAILQ|STAILQ|CIRCLEQ)_INSERT_(HEAD|TAIL)$/;

/** The nearest loop around `n` inside its function (a `break` there leaves it unless a switch is nearer). */
export function loopOf(n: SyntaxNode, forBreak = false): SyntaxNode | undefined {
  for (let p = n.parent; p; p = p.parent) {
    if (LOOPS.has(p.type)) return p;
    if (forBreak && p.type === 'switch_statement') return undefined;
    if (p.type === 'function_definition') return undefined;
  }
  return undefined;
}

/** `n` lies inside `outer` (or is it). */
export function inside(n: SyntaxNode, outer: SyntaxNode): boolean {
  return n.startIndex >= outer.startIndex && n.endIndex <= outer.endIndex;
}

/** Where an allocation's result goes: the lvalue it is assigned to, or its result argument. */
function resultKey(c: SyntaxNode, spec: AllocatorSpec): string | undefined {
  if (spec.result.kind === 'arg') return lvalKey(callArgs(c)[spec.result.index]);
  let up = c.parent;
  while (up && (up.type === 'parenthesized_expression' || up.type === 'cast_expression')) up = up.parent;
  if (up?.type === 'assignment_expression' && up.childForFieldName('operator')?.type === '=') return lvalKey(up.childForFieldName('left'));
  if (up?.type === 'init_declarator') {
    let d: SyntaxNode | null = up.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
    return d?.text;
  }
  return undefined;
}

/** `sc->buf[i]`, `bufs[n]`: the array an element with a variable index belongs to. */
function arrayOf(key: string): string | undefined {
  const m = /^([^[]+)\[[^\]]*[A-Za-z_][^\]]*\]/.exec(key);
  return m ? m[1] : undefined;
}

export function addrOf(a: SyntaxNode | undefined): string | undefined {
  const u = unparen(a);
  if (u?.type === 'pointer_expression' && u.child(0)?.type === '&') return lvalKey(u.childForFieldName('argument'));
  return lvalKey(u);
}

/** The list or array that keeps `p` (the result of an allocation) in the loop body, if any. */
function containerOf(p: string, assigns: SyntaxNode[], calls: SyntaxNode[]): string | undefined {
  const direct = arrayOf(p);
  if (direct) return direct;
  for (const c of calls) {
    const name = callName(c);
    if (!name || !INSERT.test(name)) continue;
    const args = callArgs(c);
    if (args.slice(1).some((a) => lvalKey(a) === p)) return addrOf(args[0]);
  }
  for (const a of assigns) {
    if (a.childForFieldName('operator')?.type !== '=' || lvalKey(a.childForFieldName('right')) !== p) continue;
    const left = lvalKey(a.childForFieldName('left'));
    if (!left || left === p) continue;
    const arr = arrayOf(left);
    if (arr) return arr;
    // `e->next = head; head = e;`: a list built through the entries' own links
    if (assigns.some((b) => lvalKey(b.childForFieldName('left'))?.startsWith(p + '->') && lvalKey(b.childForFieldName('right')) === left)) return left;
  }
  return undefined;
}

/** A function of a file found by its KNF shape: the name's line, the column-0 `{` and `}`. */
interface TextFn {
  start: number;
  bodyStart: number;
  end: number;
}

/** The functions of a file by name, read from the text (the parse holds only functions with allocations); the last answer is kept. */
const textFunctions = lastTexts(1, (text: string): Map<string, TextFn> => {
  const fns = new Map<string, TextFn>();
  let cand: { name: string; at: number } | undefined;
  let cur: (TextFn & { name: string }) | undefined;
  let pos = 0;
  for (const l of text.split('\n')) {
    const h = /^(?:[A-Za-z_][\w \t]*[\s*]+)?([A-Za-z_]\w*)\s*\(/.exec(l);
    if (h && !/;\s*(\/\*.*)?$/.test(l)) cand = { name: h[1], at: pos };
    if (l.startsWith('{') && cand) cur = { name: cand.name, start: cand.at, bodyStart: pos, end: text.length };
    if (l.startsWith('}') && cur) {
      cur.end = pos + 1;
      if (!fns.has(cur.name)) fns.set(cur.name, { start: cur.start, bodyStart: cur.bodyStart, end: cur.end });
      cur = cand = undefined;
    }
    pos += l.length + 1;
  }
  return fns;
});

/** The offset just past the bracket that closes the one at `open` (comments and strings not skipped). */
function closeOf(text: string, open: number): number {
  const o = text[open];
  const c = o === '(' ? ')' : '}';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i + 1;
  }
  return text.length;
}

/** The statement that starts at or after `p`: a block, or text up to its `;`. */
function statementAt(text: string, p: number): string {
  while (p < text.length && /\s/.test(text[p])) p++;
  if (text[p] === '{') return text.slice(p, closeOf(text, p));
  const e = text.indexOf(';', p);
  return text.slice(p, e < 0 ? text.length : e + 1);
}

const CALLED = /\b([A-Za-z_]\w*)\s*\(/g;

/**
 * Does `text` (a failure path) release member `mem`: name it, or call the tree's cleanup helper for it,
 * or a function of this file that does (attach's failure path calls detach, which calls the driver's
 * free routine)?
 */
function releasesMember(text: string, mem: string, file: string, model: Model, seen: Set<string>, depth: number): boolean {
  if (new RegExp(`\\b${mem}\\b`).test(text)) return true;
  const fns = textFunctions(file);
  for (const m of text.matchAll(CALLED)) {
    const name = m[1];
    if (model.fieldReleasers.get(name)?.has(mem)) return true;
    const f = fns.get(name);
    if (!f || seen.has(name) || depth <= 0) continue;
    seen.add(name);
    if (releasesMember(file.slice(f.bodyStart, f.end), mem, file, model, seen, depth - 1)) return true;
  }
  return false;
}

/** Does the function `name` of the file holding `at` name member `mem` (or call one that does, two calls deep)? */
export function fileFunctionReleases(at: SyntaxNode, name: string, mem: string, model: Model): boolean {
  const file = at.sourceText;
  const f = textFunctions(file).get(name);
  return !!f && releasesMember(file.slice(f.bodyStart, f.end), mem, file, model, new Set([name]), 2);
}

/**
 * Every caller of helper `name` (defined at [start, end)) in its file is a file entry point (attach)
 * that, when the helper fails, leaves with an error without releasing member `mem` (directly, or
 * through a function of the file that names it, such as detach). No caller in the file: its callers
 * are out of sight.
 */
function callersLeaveUncleaned(file: string, name: string, start: number, end: number, mem: string, model: Model, isEntry: EntryText): boolean {
  const fns = [...textFunctions(file).entries()];
  let callers = 0;
  for (const m of file.matchAll(new RegExp(`\\b${name}\\s*\\(`, 'g'))) {
    const i = m.index ?? 0;
    if (i >= start && i < end) continue;
    const ls = file.lastIndexOf('\n', i - 1) + 1;
    const before = file.slice(ls, i);
    // a prototype, or a name in a table
    if (/^[A-Za-z_][\w \t*]*$/.test(before) && !/\breturn\b/.test(before)) continue;
    const f = fns.find(([, x]) => x.bodyStart <= i && i < x.end);
    if (!f) return false;
    if (!isEntry(file, f[0], f[1].start, f[1].end)) return false;
    const region = failureRegion(file, i, name, f[1]);
    if (region === undefined) return false;
    if (releasesMember(region, mem, file, model, new Set([name]), 3)) return false;
    callers++;
  }
  return callers > 0;
}

/**
 * The text of what the caller runs when the call at `i` reports failure, up to leaving: the branch of
 * `if (helper(sc))` or of the test of the variable it was stored in, then every label it jumps to
 * through the end of the function. undefined: the failure is tolerated or not understood.
 */
function failureRegion(file: string, i: number, name: string, f: TextFn): string | undefined {
  const ls = file.lastIndexOf('\n', i - 1) + 1;
  const before = file.slice(ls, i);
  if (/\breturn\b/.test(before)) return '';
  let branch: string | undefined;
  const iff = /\bif\s*\(/.exec(before);
  if (iff) branch = statementAt(file, closeOf(file, ls + iff.index + iff[0].length - 1));
  else {
    const v = /^\s*([A-Za-z_]\w*)\s*=\s*$/.exec(before)?.[1];
    if (!v) return undefined;
    const after = closeOf(file, i + file.slice(i).indexOf('('));
    const semi = file.indexOf(';', after);
    const nx = /^\s*if\s*\(/.exec(file.slice(semi + 1));
    if (!nx) return undefined;
    const open = semi + 1 + nx[0].length - 1;
    const close = closeOf(file, open);
    if (!new RegExp(`\\b${v}\\b`).test(file.slice(open, close))) return undefined;
    branch = statementAt(file, close);
  }
  void name;
  if (!/\b(return|goto)\b/.test(branch)) return undefined;
  let text = branch;
  for (const g of branch.matchAll(/\bgoto\s+([A-Za-z_]\w*)/g)) {
    const body = file.slice(f.bodyStart, f.end);
    const l = new RegExp(`^[ \\t]*${g[1]}\\s*:`, 'm').exec(body);
    if (l) text += '\n' + body.slice(l.index);
  }
  return text;
}

/** entryPointText() of src/analysis/effects.ts. */
export type EntryText = (text: string, name: string, start: number, end: number) => boolean;

/**
 * The pool an allocation at `origin` fails to add to: the nearest loop around it keeps the results of
 * an allocation in it (this one or another) in a list or array that the function owns: a local list
 * or array built from nothing, or a member of an object the function's caller handed in, where the
 * function is a file entry point (newbus calls nothing when attach fails) or every caller in the file
 * leaves without releasing that member when the function fails.
 */
export function loopPool(
  origin: SyntaxNode,
  model: Model,
  allocSpec: (c: SyntaxNode) => AllocatorSpec | undefined,
  locals: Set<string>,
  isEntry: EntryText,
): LoopPool | undefined {
  const loop = loopOf(origin);
  const body = loop?.childForFieldName('body');
  if (!loop || !body) return undefined;
  let fn: SyntaxNode | null = loop.parent;
  while (fn && fn.type !== 'function_definition') fn = fn.parent;
  if (!fn) return undefined;
  const calls = body.descendantsOfType('call_expression');
  const assigns = body.descendantsOfType('assignment_expression');
  for (const c of calls) {
    const spec = allocSpec(c);
    if (!spec || spec.summary || loopOf(c) !== loop) continue;
    const p = resultKey(c, spec);
    if (!p) continue;
    const container = containerOf(p, assigns, calls);
    if (!container) continue;
    const root = /^[*&(]*([A-Za-z_]\w*)/.exec(container)?.[1];
    if (!root) continue;
    if (locals.has(root) && !container.includes('->')) {
      if (!ownLocal(fn, root, p)) continue;
    } else {
      // a member of an object the caller handed in (`sc->free`, or a local pointing to it); a global
      // pool is nobody's to free here
      if (!container.includes('->') || !(locals.has(root) || paramOf(fn, root))) continue;
      const mem = /(?:->|\.)([A-Za-z_]\w*)(?:\[[^\]]*\])*$/.exec(container)?.[1];
      if (!mem) continue;
      const name = nameOf(fn);
      if (!name) continue;
      if (!isEntry(fn.sourceText, name, fn.startIndex, fn.endIndex) && !callersLeaveUncleaned(fn.sourceText, name, fn.startIndex, fn.endIndex, mem, model, isEntry)) continue;
    }
    return { loop, container, alloc: c, allocName: callName(c) ?? '' };
  }
  return undefined;
}

function paramOf(fn: SyntaxNode, name: string): boolean {
  let d: SyntaxNode | null = fn.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const params = d?.childForFieldName('parameters')?.text ?? '';
  return new RegExp(`\\b${name}\\b`).test(params) || new RegExp(`\\b${name}\\b`).test(fn.text.slice(0, (fn.childForFieldName('body')?.startIndex ?? fn.startIndex) - fn.startIndex));
}

/**
 * A local list head or array the function builds from nothing: declared as an array, or a pointer
 * only ever set to NULL or to an entry (`head = NULL; ... e->next = head; head = e;`).
 */
function ownLocal(fn: SyntaxNode, root: string, entry: string): boolean {
  const body = fn.childForFieldName('body');
  if (!body) return false;
  let set = false;
  for (const d of body.descendantsOfType('declaration')) {
    for (const c of d.namedChildren) {
      const decl = c.type === 'init_declarator' ? c.childForFieldName('declarator') : c;
      let id: SyntaxNode | null = decl;
      let array = false;
      let pointer = false;
      while (id && id.type !== 'identifier') {
        if (id.type === 'array_declarator') array = true;
        if (id.type === 'pointer_declarator') pointer = true;
        id = id.childForFieldName('declarator');
      }
      if (id?.text !== root) continue;
      if (array) return true;
      if (!pointer) return false;
      if (c.type === 'init_declarator') {
        if (!isNullLiteral(c.childForFieldName('value'))) return false;
        set = true;
      }
    }
  }
  for (const a of body.descendantsOfType('assignment_expression')) {
    if (lvalKey(a.childForFieldName('left')) !== root) continue;
    const r = a.childForFieldName('right');
    if (!isNullLiteral(r) && lvalKey(r) !== entry) return false;
    if (isNullLiteral(r)) set = true;
  }
  return set;
}

function nameOf(f: SyntaxNode): string | undefined {
  let d: SyntaxNode | null = f.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const id = d?.childForFieldName('declarator');
  return id?.type === 'identifier' ? id.text : undefined;
}
