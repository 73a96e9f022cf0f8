/**
 * An unterminated block comment: `/*` with no `*\/` before the end of the file. A compiler reads the rest of the file
 * as comment; tree-sitter and the text scans recover and go on, so the code after it is still analysed.
 */

const TOKEN = /\/\*|\/\/|["']/g;
const QUOTED = { '"': /(?:[^"\\\n]|\\[\s\S])*/y, "'": /(?:[^'\\\n]|\\[\s\S])*/y };

/** The offset of the `/*` that is never closed, or -1. Strings and character constants end at a newline, as the compiler's do. */
export function unterminatedComment(text: string): number {
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text))) {
    const at = m.index;
    const t = m[0];
    if (t === '/*') {
      const end = text.indexOf('*/', at + 2);
      if (end < 0) return at;
      TOKEN.lastIndex = end + 2;
    } else if (t === '//') {
      // to the end of the line, with backslash-newline continuations
      let nl = text.indexOf('\n', at);
      while (nl > 0 && (text.charCodeAt(nl - 1) === 92 || (text.charCodeAt(nl - 1) === 13 && text.charCodeAt(nl - 2) === 92))) nl = text.indexOf('\n', nl + 1);
      if (nl < 0) return -1;
      TOKEN.lastIndex = nl + 1;
    } else {
      const q = QUOTED[t as '"' | "'"];
      q.lastIndex = at + 1;
      q.exec(text);
      TOKEN.lastIndex = q.lastIndex + 1;
    }
  }
  return -1;
}
