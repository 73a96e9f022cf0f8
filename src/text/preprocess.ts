/*
 * Stage 2, text: offset-preserving clean-up (this file), KNF function bounds (knf.ts), calls found by text (calltext.ts), #define bodies (defines.ts), line tables (lines.ts).
 * Takes: a file's text (Latin-1, one char per byte). Gives: text of the same length and offsets into it.
 * Never: moves a byte: every position it gives points into the user's file.
 */
/**
 * Offset-preserving clean-up of kernel C before tree-sitter sees it. Every
 * replaced byte becomes a space (newlines stay), so node offsets, lines and
 * columns still point into the user's file.
 *
 *  - #if/#ifdef/#elif/#else/#endif: keep one branch (the first, or the #else of
 *    an `#if 0`), blank the directives and the other branches, so that an
 *    `if (...) {` split across branches no longer unbalances braces.
 *  - Comments inside a multi-line `#define` are blanked (tree-sitter ends the
 *    macro body at such a comment).
 *  - Kernel macros tree-sitter cannot parse as written are rewritten by their
 *    shape, from the table in shapes.ts: attributes (`__unused`, `__packed`)
 *    blanked, type arguments (`mtod(m, struct ip *)`) as identifiers,
 *    `VNET_DEFINE(type, name)` and `TAILQ_HEAD(name, type)` as declarations,
 *    `static MALLOC_DEFINE(...)` without the `static`, FOO_FOREACH(...) loop
 *    macros as `while` loops, and so on.
 *  - K&R parameter declarations between `)` and `{` are blanked.
 */
import { isSpace } from './calltext';
import { argSpans, blankNoise } from '../context/textscan';
import { SHAPE_NAMES, shapeOf } from './shapes';

function blank(buf: Uint8Array | Uint16Array, from: number, to: number, src: string) {
  for (let i = from; i < to; i++) if (src.charCodeAt(i) !== 10) buf[i] = 32;
}

/** Latin-1 text (the linter reads files so) becomes a byte copy; anything else a copy of its UTF-16 code units. */
function toUnits(s: string): Uint8Array | Uint16Array {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\xff]/.test(s)) return Buffer.from(s, 'latin1');
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function fromUnits(u: Uint8Array | Uint16Array): string {
  if (Buffer.isBuffer(u)) return u.toString('latin1');
  let s = '';
  for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

const DIRECTIVE = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/;

export function preprocess(src: string): string {
  // edit a copy of the UTF-16 code units, not an array of one-char strings
  let out: Uint8Array | Uint16Array | undefined;
  const chars = () => (out ??= toUnits(src));

  // Conditional compilation. Walk lines; a stack entry says whether the current branch is kept.
  if (src.includes('#')) {
    interface Frame { parentKeep: boolean; taken: boolean; keep: boolean }
    const stack: Frame[] = [];
    let keep = true;
    let pos = 0;
    while (pos < src.length) {
      let end = src.indexOf('\n', pos);
      if (end < 0) end = src.length;
      // a directive may continue over backslash-newlines
      let lineEnd = end;
      const lineStart = pos;
      const first = src.slice(pos, Math.min(end, pos + 64));
      const m = first.length && (first.charCodeAt(0) === 35 || first.trimStart().startsWith('#')) ? DIRECTIVE.exec(first) : null;
      if (m) {
        while (lineEnd > 0 && src.charCodeAt(lineEnd - 1) === 92 /* \ */ && lineEnd < src.length) {
          const nx = src.indexOf('\n', lineEnd + 1);
          lineEnd = nx < 0 ? src.length : nx;
        }
        const kw = m[1];
        const rest = src.slice(lineStart + m[0].length, lineEnd);
        const isZero = /^\s*0\s*(\/[*/].*)?$/.test(rest);
        if (kw === 'if' || kw === 'ifdef' || kw === 'ifndef') {
          const k: boolean = keep && !(kw === "if" && isZero);
          stack.push({ parentKeep: keep, taken: k, keep: k });
          keep = k;
        } else if (kw === 'elif' || kw === 'else') {
          const f = stack[stack.length - 1];
          if (f) {
            const k = f.parentKeep && !f.taken && !(kw === 'elif' && isZero);
            f.keep = k;
            if (k) f.taken = true;
            keep = k;
          }
        } else if (kw === 'endif') {
          const f = stack.pop();
          keep = f ? f.parentKeep : true;
        }
        blank(chars(), lineStart, lineEnd, src);
      } else if (!keep) {
        blank(chars(), lineStart, end, src);
      }
      pos = lineEnd + 1;
    }
  }

  rewriteShapes(src, chars);

  // K&R definitions: `name(a, b)\n\ttype a;\n\ttype b;\n{` -- a linear scan over lines
  const text = out ? fromUnits(out) : src;
  const lines: [number, number][] = [];
  for (let p = 0; p <= text.length; ) {
    let e = text.indexOf('\n', p);
    if (e < 0) e = text.length;
    lines.push([p, e]);
    p = e + 1;
  }
  for (let i = 0; i < lines.length - 2; i++) {
    const [hs, he] = lines[i];
    // cheap test first: after comments and trailing blanks are cut, a head ends with ')', so the line ends with ')' or a comment's '/'
    let last = he - 1;
    while (last >= hs && isSpace(text.charCodeAt(last))) last--;
    if (last < hs || (text.charCodeAt(last) !== 41 && text.charCodeAt(last) !== 47)) continue;
    const head = text.slice(hs, he).replace(/\/\*.*?\*\/|\s+$/g, '');
    if (!head.endsWith(')') || /;\s*$/.test(head)) continue;
    let j = i + 1;
    while (j < lines.length) {
      const l = text.slice(lines[j][0], lines[j][1]).replace(/\/\*.*?\*\//g, '').trim();
      if (!l || !l.endsWith(';') || /[{}#=]/.test(l) || !/^[A-Za-z_]/.test(l)) break;
      j++;
    }
    if (j === i + 1 || j >= lines.length || text.charCodeAt(lines[j][0]) !== 123 /* { */) continue;
    blank(chars(), lines[i + 1][0], lines[j - 1][1], text);
    i = j;
  }
  return out ? fromUnits(out) : src;
}

const DEFINE_LINE = /^[ \t]*#[ \t]*define\b/;

/** Is offset `at` on a preprocessor line (`#define`, `#if`) or a backslash-continued line of one? */
function inDirective(src: string, at: number): boolean {
  let ls = src.lastIndexOf('\n', at - 1) + 1;
  // back over continued lines to the line that starts the logical line
  while (ls >= 2 && src.charCodeAt(ls - 2) === 92 /* \ */) ls = src.lastIndexOf('\n', ls - 2) + 1;
  while (ls < at && (src.charCodeAt(ls) === 32 || src.charCodeAt(ls) === 9)) ls++;
  return src.charCodeAt(ls) === 35; /* # */
}

/**
 * Does the name at `at` stand where a definition or declaration names its function: in column 0
 * (KNF), or after a type on its line (`static int foo_for_each(`, `void *`)? A statement stands
 * after `;`, a brace, `)`, `else`, `do` or a label, or alone on an indented line.
 */
function definesName(code: string, at: number): boolean {
  let p = at;
  while (p > 0 && (code.charCodeAt(p - 1) === 32 || code.charCodeAt(p - 1) === 9)) p--;
  if (p === 0 || code.charCodeAt(p - 1) === 10) return p === at;
  const c = code[p - 1];
  if (c === '*') return true;
  if (!/\w/.test(c)) return false;
  const word = /\w+$/.exec(code.slice(Math.max(0, p - 32), p))![0];
  return word !== 'else' && word !== 'do';
}

/** Put `word` at `at` (it fits in the bytes it replaces). */
function put(buf: Uint8Array | Uint16Array, at: number, word: string) {
  for (let i = 0; i < word.length; i++) buf[at + i] = word.charCodeAt(i);
}

/**
 * The rewrites by macro shape (shapes.ts) and the comments of multi-line
 * `#define`s. Names in comments and strings are left alone; arguments are
 * split on the text with comments and strings blanked.
 */
function rewriteShapes(src: string, chars: () => Uint8Array | Uint16Array): void {
  SHAPE_NAMES.lastIndex = 0;
  // the first shaped name; the scan below goes on from it (not from the start again)
  const first = SHAPE_NAMES.exec(src);
  const hasShape = first !== null;
  if (!hasShape && !src.includes('define')) return;
  if (src.includes('define')) {
    // a comment inside a #define continued over lines
    for (let at = src.indexOf('#'); at >= 0; at = src.indexOf('#', at + 1)) {
      const ls = src.lastIndexOf('\n', at - 1) + 1;
      if (!DEFINE_LINE.test(src.slice(ls, at + 16))) continue;
      let end = src.indexOf('\n', at);
      while (end > 0 && src.charCodeAt(end - 1) === 92 /* \ */) end = src.indexOf('\n', end + 1);
      if (end < 0) end = src.length;
      const body = src.slice(ls, end);
      // GNU named variadic parameters: `#define f(fmt, args...)` -> `(fmt,     ...)`
      const va = /^[ \t]*#[ \t]*define[ \t]+\w+\([^()]*?\b(\w+)([ \t]*)\.\.\.\)/.exec(body);
      if (va) {
        const nameEnd = ls + va[0].length - 4 - va[2].length;
        blank(chars(), nameEnd - va[1].length, nameEnd, src);
      }
      if (body.includes('\\\n') && body.includes('/*')) {
        for (const m of body.matchAll(/\/\*[\s\S]*?\*\//g)) blank(chars(), ls + m.index, ls + m.index + m[0].length, src);
      }
      at = end;
    }
  }
  if (!hasShape) return;
  // names and arguments are read on the text with comments and strings blanked
  const code = blankNoise(src);
  SHAPE_NAMES.lastIndex = first.index + first[0].length;
  for (let m: RegExpExecArray | null = first; m; m = SHAPE_NAMES.exec(src)) {
    const at = m.index;
    const name = m[0];
    if (code.charCodeAt(at) === 32) continue; // in a comment or a string
    if (inDirective(src, at)) continue; // `#define __packed ...`, a macro body: tree-sitter keeps them as text
    const b = chars();
    if (b[at] === 32) continue; // in a branch the #if handling dropped
    const shape = shapeOf(name)!;
    const after = at + name.length;
    let open = after;
    while (open < src.length && isSpace(code.charCodeAt(open))) open++;
    const hasArgs = code.charCodeAt(open) === 40; /* ( */
    if (shape.kind === 'keyword') {
      if (shape.to.length <= name.length) {
        blank(b, at, after, src);
        put(b, after - shape.to.length, shape.to);
      }
      continue;
    }
    if (shape.kind === 'loop') {
      if (!hasArgs || name.length < 5) continue;
      if (/[a-z]/.test(name[0])) {
        // a lower-case name followed by `;` is a function call
        const { spans, end } = argSpans(code, open);
        let q = end;
        while (q < code.length && isSpace(code.charCodeAt(q))) q++;
        if (q >= code.length || code.charCodeAt(end - 1) !== 41 /* ) */) continue;
        if (code.charCodeAt(q) === 59 /* ; */ || code.charCodeAt(q) === 44 /* , */ || code.charCodeAt(q) === 41 /* ) */) continue;
        if (definesName(code, at)) continue; // `int\nidr_for_each(...)\n{`: the function itself
        // Linux-style iterators put the loop variable first or last: `while (a + b + c)` keeps every
        // argument a use, and no argument reads as a NULL test (`while (a, b)` would test b)
        for (let k = 1; k < spans.length; k++) b[code.lastIndexOf(',', spans[k][0])] = 43; /* + */
      }
      put(b, at, 'while' + ' '.repeat(name.length - 5));
      continue;
    }
    if (shape.kind === 'attribute') {
      // with its (...) when they close; an unbalanced one loses only the name
      const end = hasArgs ? argSpans(code, open).end : after;
      blank(b, at, code.charCodeAt(end - 1) === 41 /* ) */ ? end : after, src);
      continue;
    }
    if (!hasArgs) continue;
    const { spans, end } = argSpans(code, open);
    if (code.charCodeAt(end - 1) !== 41 /* ) */) continue; // unbalanced: leave it
    switch (shape.kind) {
      case 'typeArg':
      case 'operatorArg': {
        const sp = spans[shape.index];
        // an argument on one line only: an identifier cannot hold a newline
        if (sp && sp[1] > sp[0] && spans.length > shape.index && !/\n/.test(src.slice(sp[0], sp[1])) && !/^[A-Za-z_]\w*$/.test(src.slice(sp[0], sp[1]))) b.fill(95 /* _ */, sp[0], sp[1]);
        break;
      }
      case 'typedDecl': {
        // VNET_DEFINE(type, name) -> type name: the name, the parentheses and the comma blanked
        if (spans.length !== 2) break;
        blank(b, at, open + 1, src);
        blank(b, spans[0][1], spans[1][0], src);
        blank(b, end - 1, end, src);
        break;
      }
      case 'queueHead': {
        // TAILQ_HEAD(name, type) -> struct name; TAILQ_HEAD(, type) -> struct type
        if (open + 1 - at < 7 || spans.length < 1 || spans.length > 2) break;
        blank(b, at, open + 1, src);
        put(b, at, 'struct');
        const [n0, n1] = spans[0];
        if (n1 > n0) blank(b, n1, end, src);
        else if (spans[1]) {
          blank(b, n0, spans[1][0], src);
          blank(b, spans[1][1], end, src);
        }
        break;
      }
      case 'fileScopeCall': {
        // `static NAME(...)`: the storage class a declaration macro carries itself
        let p = at;
        while (p > 0 && (code.charCodeAt(p - 1) === 32 || code.charCodeAt(p - 1) === 9)) p--;
        if (p >= 6 && code.slice(p - 6, p) === 'static' && (p === 6 || /[\s;}]/.test(code[p - 7]))) blank(b, p - 6, p, src);
        break;
      }
      case 'emptyArgs': {
        // an empty argument ends where the comma (or ")") after it stands; a blank before that takes a 0
        for (const [a0, a1] of spans) {
          const c = code.charCodeAt(a0 - 1);
          if (a1 === a0 && a0 - 1 > open && (c === 32 || c === 9)) b[a0 - 1] = 48; /* 0 */
        }
        break;
      }
      case 'functionDef': {
        // DB_SHOW_COMMAND(name, fn) -> void name( fn): a definition of `name`
        if (spans.length < 2 || open + 1 - at < 4) break;
        blank(b, at, open + 1, src);
        put(b, at, 'void');
        b[code.indexOf(',', spans[0][1])] = 40; /* ( in place of the comma */
        break;
      }
    }
  }
}
