import { lineOf } from './lines';

/** Function-like macro definitions read by text. */
export interface FunctionMacro {
  name: string;
  /** The parameter list as written, without the parentheses. */
  params: string;
  /** The replacement text, continuation lines joined (each backslash-newline becomes two blanks). */
  body: string;
}

const DEFINE_FN = /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_]\w*\(/gm;
const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/;

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

/**
 * Every `#define NAME(params) body` of a file, in order: found at line starts,
 * then each joined with its continuation lines. (Joining the whole file first
 * and matching there cost a copy of every file and a slow multiline regex.)
 */
let lastMacros: { text: string; out: FunctionMacro[] } | undefined;

export function functionMacros(text: string): FunctionMacro[] {
  // a file's macros are read twice in a row (allocation macros, then lock macros): keep the last answer
  if (lastMacros?.text === text) return lastMacros.out;
  const out: FunctionMacro[] = [];
  DEFINE_FN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEFINE_FN.exec(text))) {
    const at = m.index;
    // a line that continues the one before is not a line of its own
    if (continuesPrevious(text, at)) continue;
    const p = DEFINE_PARTS.exec(text.slice(at, defineEnd(text, at)).replace(/\\\r?\n/g, '  '));
    if (p) out.push({ name: p[1], params: p[2], body: p[3] });
  }
  lastMacros = { text, out };
  return out;
}

const DEFINE_ANY = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\()?/gm;

/**
 * Every `#define` of a file, object-like or function-like, in order, each
 * with its continuation lines joined; `params` is undefined for an
 * object-like macro. Every branch of every `#if` is read.
 */
export function allDefines(text: string): { name: string; params?: string; body: string }[] {
  const out: { name: string; params?: string; body: string }[] = [];
  DEFINE_ANY.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEFINE_ANY.exec(text))) {
    const at = m.index;
    if (continuesPrevious(text, at)) continue;
    const line = text.slice(at + m[0].length, defineEnd(text, at)).replace(/\\\r?\n/g, '  ');
    if (m[2]) {
      const close = line.indexOf(')');
      if (close < 0) continue;
      out.push({ name: m[1], params: line.slice(0, close), body: line.slice(close + 1).trim() });
    } else out.push({ name: m[1], params: undefined, body: line.trim() });
  }
  return out;
}
