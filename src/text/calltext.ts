/** Character classes of C text read as Latin-1, as the regex \s and \w see them. */
export const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160;
export const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/**
 * The character at `i`, -1 outside the text: no character test matches it, as none matches charCodeAt's
 * NaN, and optimised code is not thrown away at the first read past an end (hot scans read there).
 */
export const codeAt = (s: string, i: number) => (i >= 0 && i < s.length ? s.charCodeAt(i) : -1);

/**
 * Every identifier followed by "(" (what /\b([A-Za-z_]\w*)\s*\(/g finds), in
 * source order: `visit(nameStart, nameEnd, paren)`, which returns true to stop.
 * Found from each "(" backwards, which visits far fewer places than a regex
 * trying every identifier of a file.
 */
export function eachCall(text: string, visit: (start: number, end: number, paren: number) => boolean | void): void {
  for (let p = text.indexOf('('); p >= 0; p = text.indexOf('(', p + 1)) {
    let e = p;
    while (e > 0 && isSpace(text.charCodeAt(e - 1))) e--;
    let b = e;
    while (b > 0 && isWordChar(text.charCodeAt(b - 1))) b--;
    if (b === e) continue;
    const c0 = text.charCodeAt(b);
    if (c0 >= 48 && c0 <= 57) continue; // starts with a digit: not an identifier
    if (visit(b, e, p) === true) return;
  }
}

const ASSIGNED = /([A-Za-z_][\w]*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\s*\[[^\]]*\])*)\s*=\s*(?:\(\s*[^()]*\)\s*)*\(?\s*$/;

/**
 * The lvalue assigned by the text that ends just before a call (`sc->buf[i] = (cast) `), blanks kept, if any.
 * A plain `=` must come last but for casts and parentheses: most calls are not assigned, and the anchored
 * regex, tried from every position of the window, cost more than the rest of the summary pass.
 */
export function assignedBefore(before: string): string | undefined {
  const eq = before.lastIndexOf('=');
  if (eq <= 0) return undefined;
  // after the '=' the pattern allows only blanks and parenthesised casts: check that much before running it
  let depth = 0;
  for (let i = eq + 1; i < before.length; i++) {
    const c = before.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */) depth = Math.max(0, depth - 1);
    else if (depth === 0 && !isSpace(c)) return undefined;
  }
  // the pattern cannot start before a character it cannot match (`;`, `{`, `}`, `,`...) unless that character
  // may stand inside brackets (`[^\]]*`) or a cast's parentheses (`[^()]*`): run it only on the text after
  return ASSIGNED.exec(before.slice(assignedFrom(before, eq)))?.[1];
}

/** Characters ASSIGNED may match outside brackets and parentheses: word characters, blanks, `-`, `>`, `.`, `[`, `]`, `=`, `(`, `)`. */
const loose = (c: number) => isWordChar(c) || isSpace(c) || c === 45 || c === 62 || c === 46 || c === 91 || c === 93 || c === 61 || c === 40 || c === 41;

/** A lower bound of where ASSIGNED's match can start in `before`: after the last character it cannot hold. */
function assignedFrom(before: string, eq: number): number {
  for (let x = eq - 1; x >= 0; x--) {
    if (loose(before.charCodeAt(x))) continue;
    // inside brackets: a "[" after the last "]" before it, and a "]" after it
    if (before.lastIndexOf('[', x) > before.lastIndexOf(']', x) && before.indexOf(']', x) >= 0) continue;
    // inside parentheses: the nearest parenthesis before it opens, the nearest after it closes
    if (nearestParen(before, x, -1) === 40 && nearestParen(before, x, 1) === 41) continue;
    return x + 1;
  }
  return 0;
}

/** The nearest "(" or ")" before (`dir` -1) or after (1) offset `x`, as a character code; 0 if none. */
function nearestParen(s: string, x: number, dir: 1 | -1): number {
  for (let i = x + dir; i >= 0 && i < s.length; i += dir) {
    const c = s.charCodeAt(i);
    if (c === 40 || c === 41) return c;
  }
  return 0;
}
