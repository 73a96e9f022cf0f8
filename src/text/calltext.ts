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
