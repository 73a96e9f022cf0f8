/** Function-like macro definitions read by text. */
export interface FunctionMacro {
  name: string;
  /** The parameter list as written, without the parentheses. */
  params: string;
  /** The replacement text, continuation lines joined (each backslash-newline becomes two blanks). */
  body: string;
}

const DEFINE_FN = /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_]\w*\(/gm;
const DEFINE_PARTS = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)[ \t]*(.*)/;

/**
 * Every `#define NAME(params) body` of a file, in order: found at line starts,
 * then each joined with its continuation lines. (Joining the whole file first
 * and matching there cost a copy of every file and a slow multiline regex.)
 */
export function functionMacros(text: string): FunctionMacro[] {
  const out: FunctionMacro[] = [];
  DEFINE_FN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DEFINE_FN.exec(text))) {
    const at = m.index;
    // a line that continues the one before (which ends in a backslash) is not a line of its own
    if (at > 0) {
      let q = at - 1; // the newline before this line
      if (q > 0 && text.charCodeAt(q - 1) === 13) q--;
      if (q > 0 && text.charCodeAt(q - 1) === 92) continue;
    }
    let end = at;
    for (;;) {
      const nl = text.indexOf('\n', end);
      if (nl < 0) {
        end = text.length;
        break;
      }
      let q = nl;
      if (q > 0 && text.charCodeAt(q - 1) === 13) q--;
      if (q > 0 && text.charCodeAt(q - 1) === 92) {
        end = nl + 1;
        continue;
      }
      end = nl;
      break;
    }
    const p = DEFINE_PARTS.exec(text.slice(at, end).replace(/\\\r?\n/g, '  '));
    if (p) out.push({ name: p[1], params: p[2], body: p[3] });
  }
  return out;
}
