import { lineOf, lineStarts } from './lines';

/**
 * Kernel Normal Form lets us find function definitions by text: the body's
 * "{" and "}" stand in column 0. Used to parse only the functions that matter
 * and to extract facts from the others without a parse.
 */
/**
 * KNF function definitions by text: the header lines, the body from a column-0 "{" to the next
 * column-0 "}" (or the indented "}" that balances the "{" before it). Pass text whose comments and
 * strings are blanked (blankNoise), so that braces in them do not count; `starts`, its line starts when known.
 */
export function splitKnf(text: string, starts = lineStarts(text)): { start: number; bodyStart: number; end: number; header: string }[] {
  const out: { start: number; bodyStart: number; end: number; header: string }[] = [];
  let prevEnd = 0;
  for (let i = 1; i < starts.length; i++) {
    if (text.charCodeAt(starts[i]) !== 123 /* { */) continue;
    // header: the lines above, back to a blank line or one that ends a declaration, at most 12
    let h = i;
    let sawParen = false;
    // never into the previous definition (its body may end mid-line)
    while (h > 0 && i - h < 16 && starts[h - 1] >= prevEnd) {
      const raw = text.slice(starts[h - 1], starts[h] - 1);
      const line = raw.trim();
      if (!line || line.endsWith('}') || line.startsWith('#') || (line.endsWith('*/') && line.startsWith('/*'))) break;
      // K&R parameter declarations: indented lines ending in ';' between the ')' line and the '{'
      if (line.endsWith(';') && (sawParen || !/^[ \t]/.test(raw))) break;
      if (line.endsWith(')')) sawParen = true;
      h--;
    }
    if (h === i) continue;
    let j = i + 1;
    while (j < starts.length && text.charCodeAt(starts[j]) !== 125 /* } */) j++;
    if (j >= starts.length) break;
    // the "}" that balances the "{" comes first: this function closes with an indented "}" and
    // the column-0 one belongs to a later definition (1 in 1,500 functions in kernel trees)
    const close = matchingBrace(text, starts[i], starts[j]);
    // unless an #if lies between: on text that keeps every branch, the braces may balance only by counting two
    if (close >= 0 && !CONDITIONAL.test(text.slice(starts[i], close))) j = lineOf(starts, close) - 1;
    const end = j + 1 < starts.length ? starts[j + 1] : text.length;
    out.push({ start: starts[h], bodyStart: starts[i], end, header: text.slice(starts[h], starts[i]) });
    prevEnd = end;
    i = j;
  }
  return out;
}


const CONDITIONAL = /^[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|else|endif)\b/m;

/**
 * The offset of the "}" that closes the "{" at `open`, searching before `limit`; -1 if none. The braces are
 * found with indexOf, one search per brace (a /[{}]/g pattern cost an exec and a match per brace).
 */
function matchingBrace(text: string, open: number, limit: number): number {
  let depth = 0;
  let o = text.indexOf('{', open);
  let c = text.indexOf('}', open);
  for (;;) {
    const next = o >= 0 && (c < 0 || o < c) ? o : c;
    if (next < 0 || next >= limit) return -1;
    if (next === o) {
      depth++;
      o = text.indexOf('{', o + 1);
    } else {
      if (--depth === 0) return c;
      c = text.indexOf('}', c + 1);
    }
  }
}
