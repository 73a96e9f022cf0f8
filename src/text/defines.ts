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

/** The macro whose `#define` (with its backslash-continued lines) holds offset `idx`, if any. */
export function defineAt(text: string, idx: number): string | undefined {
  let ls = text.lastIndexOf('\n', idx - 1) + 1;
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
    let nl = text.indexOf('\n', at);
    while (nl >= 0 && continuesPrevious(text, nl + 1)) nl = text.indexOf('\n', nl + 1);
    const end = nl < 0 ? text.length : nl;
    const p = DEFINE_PARTS.exec(text.slice(at, end).replace(/\\\r?\n/g, '  '));
    if (p) out.push({ name: p[1], params: p[2], body: p[3] });
  }
  lastMacros = { text, out };
  return out;
}
