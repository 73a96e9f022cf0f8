/** Character classes of C text read as Latin-1, as the regex \s and \w see them. */
export const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160;
export const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

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
  return ASSIGNED.exec(before)?.[1];
}
