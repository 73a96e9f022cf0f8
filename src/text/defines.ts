import { lastTexts } from '../util/memo';
import { lineOf } from './lines';

/** Function-like macro definitions read by text. */
export interface FunctionMacro {
  name: string;
  /** The parameter list as written, without the parentheses. */
  params: string;
  /** The replacement text, continuation lines joined (each backslash-newline becomes two blanks). */
  body: string;
}

const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/;

const isBlank = (c: number) => c === 32 || c === 9;
/** Per Latin-1 character: 1 may start a name, 2 a digit, 0 neither (past the end, charCodeAt's NaN reads undefined). */
const ID = new Uint8Array(256);
for (let c = 0; c < 256; c++) ID[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ? 1 : c >= 48 && c <= 57 ? 2 : 0;
const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdChar = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);

/**
 * One pass over every "define" of a text that blanks and a name follow (`#if defined(X)` is not one):
 * `word(at, nameEnd)` for each, and `visit(lineStart, nameStart, nameEnd)` for each that is a `#define`
 * directive (what /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/gm finds: a line starts after a newline or a
 * carriage return), in order. Found from each "define" back to its line start: a pattern tried at every
 * line start cost more (register headers have hundreds of thousands of lines).
 */
export function eachDefine(text: string, visit: (ls: number, nameStart: number, nameEnd: number) => void, word?: (at: number, nameEnd: number) => void): void {
  for (let i = text.indexOf('define'); i >= 0; i = text.indexOf('define', i + 6)) {
    let n = i + 6;
    let c = text.charCodeAt(n);
    if (c !== 32 && c !== 9) continue;
    do c = text.charCodeAt(++n);
    while (c === 32 || c === 9);
    if (ID[c] !== 1) continue;
    // names run long in register headers: a table per character
    let e = n + 1;
    while (ID[text.charCodeAt(e)]) e++;
    if (word) word(i, e);
    let b = i;
    while (b > 0 && isBlank(text.charCodeAt(b - 1))) b--;
    if (b === 0 || text.charCodeAt(b - 1) !== 35 /* # */) continue;
    let ls = b - 1;
    while (ls > 0 && isBlank(text.charCodeAt(ls - 1))) ls--;
    if (ls > 0 && text.charCodeAt(ls - 1) !== 10 && text.charCodeAt(ls - 1) !== 13) continue;
    visit(ls, n, e);
  }
}

/** Does the line starting at `ls` continue the one before it (which ends in a backslash)? */
function continuesPrevious(text: string, ls: number): boolean {
  if (ls <= 0) return false;
  let q = ls - 1; // the newline before this line
  if (q > 0 && text.charCodeAt(q - 1) === 13) q--;
  return q > 0 && text.charCodeAt(q - 1) === 92 /* \ */;
}

/** The end of the line at `at` with the lines that continue it (a `#define` with its backslash-newlines). */
function defineEnd(text: string, at: number): number {
  let nl = text.indexOf('\n', at);
  while (nl >= 0 && continuesPrevious(text, nl + 1)) nl = text.indexOf('\n', nl + 1);
  return nl < 0 ? text.length : nl;
}

/**
 * The macro whose `#define` (with its backslash-continued lines) holds offset `idx`, if any. `starts` (the
 * text's line starts) finds the line's start without a scan back over a long line.
 */
export function defineAt(text: string, idx: number, starts?: number[]): string | undefined {
  let ls = starts ? starts[lineOf(starts, idx) - 1] : text.lastIndexOf('\n', idx - 1) + 1;
  while (continuesPrevious(text, ls)) ls = text.lastIndexOf('\n', ls - 2) + 1;
  return DEFINE.exec(text.slice(ls, ls + 256))?.[1];
}
const DEFINE_PARTS = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)[ \t]*(.*)/;

/** What one pass over a file's `#define`s gives. */
export interface DefineFacts {
  /**
   * Every `#define NAME` directive in order, three numbers each: its line start (after a newline or a
   * carriage return), where its name starts, where the name ends.
   */
  directives: number[];
  /** Every `#define NAME(params) body`, in order. */
  macros: FunctionMacro[];
  /**
   * The offset of every "define" (in a directive or not) followed by blanks, a name, blanks and the word
   * `return`: where an object-like macro may return from its caller (src/summaries/extract.ts reads the line).
   */
  returning: number[];
}

/**
 * Every `#define NAME(params) body` of a file, in order: found at line starts,
 * then each joined with its continuation lines (joining the whole file first
 * and matching there cost a copy of every file and a slow multiline regex);
 * and in the same pass the "define"s that a name and `return` follow.
 */
// a file's macros are read several times in a row (allocation macros, returning macros, lock macros): the last answer is kept
export const defineFacts = lastTexts(1, (text: string): DefineFacts => {
  const directives: number[] = [];
  const macros: FunctionMacro[] = [];
  const returning: number[] = [];
  eachDefine(
    text,
    (at, n, e) => {
      directives.push(at, n, e);
      // function-like: "(" right after the name; a line that continues the one before is not a line of its own
      if (text.charCodeAt(e) !== 40 /* ( */ || continuesPrevious(text, at)) return;
      const p = DEFINE_PARTS.exec(text.slice(at, defineEnd(text, at)).replace(/\\\r?\n/g, '  '));
      if (p) macros.push({ name: p[1], params: p[2], body: p[3] });
    },
    (at, e) => {
      if (!isBlank(text.charCodeAt(e))) return;
      while (isBlank(text.charCodeAt(e))) e++;
      if (text.startsWith('return', e) && !isIdChar(text.charCodeAt(e + 6))) returning.push(at);
    },
  );
  return { directives, macros, returning };
});

/** Every `#define NAME(params) body` of a file, in order (defineFacts). */
export function functionMacros(text: string): FunctionMacro[] {
  return defineFacts(text).macros;
}

/**
 * Every `#define` of a file, object-like or function-like, in order, each
 * with its continuation lines joined; `params` is undefined for an
 * object-like macro. Every branch of every `#if` is read.
 */
export function allDefines(text: string): { name: string; params?: string; body: string }[] {
  const out: { name: string; params?: string; body: string }[] = [];
  const ds = defineFacts(text).directives;
  for (let k = 0; k < ds.length; k += 3) {
    const at = ds[k];
    const e = ds[k + 2];
    if (continuesPrevious(text, at)) continue;
    const call = text.charCodeAt(e) === 40; /* ( */
    const name = text.slice(ds[k + 1], e);
    const line = text.slice(call ? e + 1 : e, defineEnd(text, at)).replace(/\\\r?\n/g, '  ');
    if (call) {
      const close = line.indexOf(')');
      if (close < 0) continue;
      out.push({ name, params: line.slice(0, close), body: line.slice(close + 1).trim() });
    } else out.push({ name, params: undefined, body: line.trim() });
  }
  return out;
}
