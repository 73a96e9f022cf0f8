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
import { isSpace, isWordChar } from './calltext';
import { lineStarts } from './lines';
import { argSpans, blankNoise, isJsSpace } from '../context/textscan';
import { MACRO_SHAPES, shapeOf, type MacroShape } from './shapes';

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

  keepBranches(src, chars);

  rewriteShapes(src, chars);

  // K&R definitions: `name(a, b)\n\ttype a;\n\ttype b;\n{`: from each "{" in column 0, up over the
  // declarations to the head (what a walk down every line found: the first line above that is no declaration)
  const text = out ? fromUnits(out) : src;
  let edited = false;
  let prevBrace = -1; // the "{" line of the last definition blanked: a head comes after it
  const isDecl = (ls: number, le: number) => {
    const l = text.slice(ls, le).replace(/\/\*.*?\*\//g, '').trim();
    return !!l && l.endsWith(';') && !/[{}#=]/.test(l) && /^[A-Za-z_]/.test(l);
  };
  for (let at = text.indexOf('\n{'); at >= 0; at = text.indexOf('\n{', at + 1)) {
    const brace = at + 1;
    let le = at; // the end of the line above
    let decls = 0;
    let hs = -1;
    while (le >= 0) {
      const ls = text.lastIndexOf('\n', le - 1) + 1;
      if (le > 0 && isDecl(ls, le)) {
        decls++;
        le = ls - 1;
        continue;
      }
      hs = ls;
      break;
    }
    if (!decls || hs <= prevBrace) continue;
    // the head: after comments and trailing blanks are cut, it ends with ')' (so the line with ')' or a comment's '/')
    const he = le;
    let last = he - 1;
    while (last >= hs && isSpace(text.charCodeAt(last))) last--;
    if (last < hs || (text.charCodeAt(last) !== 41 && text.charCodeAt(last) !== 47)) continue;
    const head = text.slice(hs, he).replace(/\/\*.*?\*\/|\s+$/g, '');
    if (!head.endsWith(')') || /;\s*$/.test(head)) continue;
    blank(chars(), he + 1, at, text);
    edited = true;
    prevBrace = brace;
  }
  // the text made above when the K&R pass changed nothing
  return edited ? fromUnits(out!) : text;
}

/**
 * Conditional compilation: keep one branch of each #if (see preprocess()), blanking the directives and the
 * other branches in `chars()`. Read from one '#' that starts a line (after blanks) to the next; a stack
 * entry says whether the current branch is kept, and the lines between directives are kept or blanked together.
 */
export function keepBranches(src: string, chars: () => Uint8Array | Uint16Array): void {
  interface Frame { parentKeep: boolean; taken: boolean; keep: boolean }
  const stack: Frame[] = [];
  let keep = true;
  let pos = 0; // the first line not read yet
  for (let h = src.indexOf('#'); h >= 0; ) {
    const lineStart = src.lastIndexOf('\n', h - 1) + 1;
    let end = src.indexOf('\n', h);
    if (end < 0) end = src.length;
    // a directive's line starts with '#' after blanks (within 64 characters)
    let q = lineStart;
    while (q < h && isJsSpace(src.charCodeAt(q))) q++;
    const m = lineStart >= pos && q === h && h < lineStart + 64 ? DIRECTIVE.exec(src.slice(lineStart, Math.min(end, lineStart + 64))) : null;
    if (!m) {
      h = src.indexOf('#', h + 1);
      continue;
    }
    if (!keep && lineStart > pos) blank(chars(), pos, lineStart, src);
    // a directive may continue over backslash-newlines
    let lineEnd = end;
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
    pos = lineEnd + 1;
    h = pos < src.length ? src.indexOf('#', pos) : -1;
  }
  if (!keep && pos < src.length) blank(chars(), pos, src.length, src);
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

/**
 * The shaped names of shapes.ts, found in two parts (one regex of every name, tried at each word of
 * a file, cost most of the clean-up):
 *  - plain: a regex of the names whose shape applies without an argument list (attributes such as
 *    `__packed`, keywords), all `__`-names or nearly: it skips over the text fast;
 *  - called: the names and patterns whose shape does nothing without an argument list (`mtod(`,
 *    `TAILQ_FOREACH(`, `SYSCTL_INT(`), read at each "(" of the blanked text from the word before it,
 *    which is what the rewrite reads. A pattern goes there only with a literal every branch needs
 *    (a cheap test before the pattern runs); the others stay in the regex.
 * Together they find what SHAPE_NAMES finds, less names not followed by "(", which rewriteShapes
 * passes over.
 */
export const SHAPE_SCAN = ((): {
  plain: RegExp;
  calledNames: Set<string>;
  calledPatterns: { re: RegExp; needs: string[] }[];
  minName: number;
  maxName: number;
  lastOf: Uint8Array;
  needPairs: number[];
} => {
  const plain: string[] = [];
  const calledNames = new Set<string>();
  const calledPatterns: { re: RegExp; needs: string[] }[] = [];
  const needsArgs = (shape: MacroShape) => shape.kind !== 'keyword' && shape.kind !== 'attribute';
  const patterns: string[] = [];
  for (const e of MACRO_SHAPES) {
    for (const n of e.names ?? []) {
      if (needsArgs(shapeOf(n)!) && /^\w+$/.test(n)) calledNames.add(n);
      else plain.push(n);
    }
    if (!e.pattern) continue;
    const branches = e.pattern.includes('(') ? [] : e.pattern.split('|');
    const needs = branches.map(requiredLiteral);
    if (needsArgs(e.shape) && branches.length && needs.every((l) => l)) calledPatterns.push({ re: new RegExp(`^(?:${e.pattern})$`), needs: needs as string[] });
    else patterns.push(e.pattern);
  }
  plain.push(...patterns);
  // a cheap test before a word is copied: the lengths and last characters of the names, the shortest literal of the patterns
  const lens = [...calledNames].map((n) => n.length);
  const lastOf = new Uint8Array(128);
  for (const n of calledNames) lastOf[n.charCodeAt(n.length - 1)] = 1;
  // and the pairs of characters a pattern's literal holds (a word must hold them all: see pairBit)
  const needPairs = calledPatterns.flatMap((p) => p.needs.map((l) => {
    let bits = 0;
    for (let i = 0; i + 1 < l.length; i++) bits |= pairBit(l.charCodeAt(i), l.charCodeAt(i + 1));
    return bits;
  }));
  return { plain: new RegExp(`\\b(?:${plain.join('|') || '(?!)'})\\b`, 'g'), calledNames, calledPatterns, minName: Math.min(...lens), maxName: Math.max(...lens), lastOf, needPairs };
})();

/** The longest run of literal word characters (3 or more) every match of a regex branch holds, if any is plain to see. */
function requiredLiteral(branch: string): string | undefined {
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < branch.length; i++) {
    const c = branch[i];
    if (/\w/.test(c)) run += c;
    else if (c === '[') {
      end();
      const close = branch.indexOf(']', i + 2);
      if (close < 0) return undefined;
      i = close;
    } else if (c === '*' || c === '?' || c === '{') {
      // the character before may be absent
      run = run.slice(0, -1);
      end();
    } else if (c === '+') end();
    else return undefined; // escapes, groups, anchors, dots: not read here
  }
  end();
  return best.length >= 3 ? best : undefined;
}

/** One of 32 bits for the pair of characters `a` then `b` (a word's pairs, or'd, bound what literals it may hold). */
function pairBit(a: number, b: number): number {
  return 1 << ((a * 31 + b) & 31);
}

/** Offsets [start, end, ...] of the called shaped names (SHAPE_SCAN) that "(" follows in the blanked text. */
export function calledShapeHits(code: string): number[] {
  const out: number[] = [];
  const { calledNames, calledPatterns, minName, maxName, lastOf, needPairs } = SHAPE_SCAN;
  if (!calledNames.size && !calledPatterns.length) return out;
  for (let p = code.indexOf('('); p >= 0; p = code.indexOf('(', p + 1)) {
    let e = p;
    while (e > 0 && isSpace(code.charCodeAt(e - 1))) e--;
    let b = e;
    let pairs = 0;
    let next = 0;
    while (b > 0) {
      const c = code.charCodeAt(b - 1);
      if (!isWordChar(c)) break;
      if (next) pairs |= pairBit(c, next);
      next = c;
      b--;
    }
    const len = e - b;
    if (len === 0) continue;
    const name = len >= minName && len <= maxName && lastOf[code.charCodeAt(e - 1)] === 1;
    let maybe = false;
    for (const bits of needPairs) if ((pairs & bits) === bits) maybe = true;
    if (!name && !maybe) continue;
    const w = code.slice(b, e);
    if (name && calledNames.has(w)) out.push(b, e);
    else if (maybe && calledPatterns.some((cp) => cp.needs.some((l) => w.includes(l)) && cp.re.test(w))) out.push(b, e);
  }
  return out;
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
  SHAPE_SCAN.plain.lastIndex = 0;
  // the first shaped name of the regex part; the scan below goes on from it (not from the start again)
  const first = SHAPE_SCAN.plain.exec(src);
  // names and arguments are read on the text with comments and strings blanked
  const code = blankNoise(src);
  const called = calledShapeHits(code);
  const hasShape = first !== null || called.length > 0;
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
  // the two parts' hits, merged in order (a rewrite may blank what a later hit reads)
  let m: RegExpExecArray | null = first;
  let li = 0;
  for (;;) {
    const ua = m ? m.index : Infinity;
    const la = li < called.length ? called[li] : Infinity;
    if (ua === Infinity && la === Infinity) break;
    let at: number;
    let name: string;
    if (ua <= la) {
      at = ua;
      name = m![0];
      m = SHAPE_SCAN.plain.exec(src);
      if (la === ua) li += 2;
    } else {
      at = la;
      name = code.slice(la, called[li + 1]);
      li += 2;
    }
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
