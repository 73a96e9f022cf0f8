import type { RelatedLoc, SiteFacts } from '../analysis/types';
import { codeAt, isSpace, isWordChar as isWord } from '../text/calltext';
import { lineStarts } from '../text/lines';

/**
 * Struct fields that the tree dereferences without ever testing them: when a
 * may-fail allocation is stored in such a field and not tested where it is
 * made, the NULL reaches those uses. Fields are matched by name (the type of
 * the base pointer is not known), so a field that any file tests against NULL
 * is never used.
 */
export interface FieldUse {
  field: string;
  function: string;
  line: number;
  col: number;
}

export interface FieldFacts {
  uses: FieldUse[];
  /** Fields this file tests against NULL somewhere. */
  tested: string[];
}



/**
 * Does the `->` at `at` end a chain `a->b.c` (no blanks inside) that stands after
 * `!`, `(`, `&&`, `||` or `NULL ==`/`0 !=` (blanks and one "(" allowed between)?
 * What /(?:\b(?:NULL|0)\s*[!=]=|!|\(|&&|\|\|)\s*\(?\s*[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*->/ matches
 * ending there, read backwards.
 */
function testedChainBefore(text: string, at: number): boolean {
  let p = at;
  for (;;) {
    let b = p;
    while (b > 0 && isWord(codeAt(text, b - 1))) b--;
    if (b === p) return false;
    const c0 = codeAt(text, b);
    if (c0 >= 48 && c0 <= 57) return false;
    p = b;
    if (p >= 2 && codeAt(text, p - 1) === 62 /* > */ && codeAt(text, p - 2) === 45 /* - */) p -= 2;
    else if (p >= 1 && codeAt(text, p - 1) === 46 /* . */) p -= 1;
    else break;
  }
  while (p > 0 && isSpace(codeAt(text, p - 1))) p--;
  const c = codeAt(text, p - 1);
  if (c === 40 /* ( */ || c === 33 /* ! */) return true;
  if (p >= 2 && ((c === 38 && codeAt(text, p - 2) === 38) || (c === 124 && codeAt(text, p - 2) === 124))) return true;
  if (c === 61 /* = */ && p >= 2 && (codeAt(text, p - 2) === 61 || codeAt(text, p - 2) === 33)) {
    let q = p - 2;
    while (q > 0 && isSpace(codeAt(text, q - 1))) q--;
    const word = text.slice(Math.max(0, q - 4), q);
    const n = word.endsWith('NULL') ? 4 : word.endsWith('0') ? 1 : 0;
    if (n && (q - n === 0 || !isWord(codeAt(text, q - n - 1)))) return true;
  }
  return false;
}

const isIdStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** A prototype or declaration line (`foo(int);`, or with a comment after the semicolon): not a function header. */
const DECLARATION = /;\s*(\/\*.*)?$/;

/** Does /[!=]=\s*(?:NULL|0)\b|\)\s*(?:&&|\|\||\?|\))/ match at `p`: a NULL test, or a parenthesised truth value? */
function nullTestAt(text: string, p: number): boolean {
  const c = codeAt(text, p);
  if ((c === 33 || c === 61) && codeAt(text, p + 1) === 61) {
    let q = p + 2;
    while (isSpace(codeAt(text, q))) q++;
    const n = text.startsWith('NULL', q) ? 4 : codeAt(text, q) === 48 /* 0 */ ? 1 : 0;
    return n > 0 && !isWord(codeAt(text, q + n));
  }
  if (c !== 41 /* ) */) return false;
  let q = p + 1;
  while (isSpace(codeAt(text, q))) q++;
  return truthAt(text, q) || codeAt(text, q) === 41;
}

/** `&&`, `||` or `?` at `q`. */
function truthAt(text: string, q: number): boolean {
  const c = codeAt(text, q);
  return c === 63 /* ? */ || ((c === 38 || c === 124) && codeAt(text, q + 1) === c);
}

/**
 * Text scan of one file: where fields are dereferenced (`x->f->`, `x->f[`, `*x->f`), and where they are tested.
 * One walk over the file's `->`s (a split into lines and three patterns over the text cost more): each says
 * what the patterns the scan was written with say there (kept in the comments below). `starts`: the text's
 * line starts, when known.
 */
export function scanFields(text: string, starts = lineStarts(text)): FieldFacts {
  const uses: FieldUse[] = [];
  const tested = new Set<string>();
  const truthTested: string[] = [];
  // function of each line: the last column-0 identifier followed by "(" before a column-0 "{"
  let fn = '';
  let candidate = '';
  let li = 0; // the index in `starts` of the line of the current "->", whose function is known
  let lineDone = -1;
  let useFrom = 0; // where the next dereference may start (matches of one line do not overlap)
  const seen = new Set<string>();
  for (let k = text.indexOf('->'); k >= 0; k = text.indexOf('->', k + 2)) {
    // the member name after the "->" and the blanks around it (`\s`), and whether they hold a line end
    let p = k + 2;
    let c = codeAt(text, p);
    let lineEnd = false;
    for (; isSpace(c); c = codeAt(text, ++p)) if (c === 10) lineEnd = true;
    if (!isIdStart(c)) continue;
    const start = p;
    while (isWord(codeAt(text, ++p)));
    const end = p;
    for (c = codeAt(text, p); isSpace(c); c = codeAt(text, ++p)) if (c === 10) lineEnd = true;
    // /->\s*([A-Za-z_]\w*)\s*(?:[!=]=\s*(?:NULL|0)\b|\)\s*(?:&&|\|\||\?|\)))/g
    if (nullTestAt(text, p)) tested.add(text.slice(start, end));
    // `!x->f)`, `(p->q->f &&`, `NULL != x->f ?`: a chain ending in ->f used as a truth value,
    // /->\s*([A-Za-z_]\w*)\s*(?=\)|&&|\|\||\?)/g then testedChainBefore
    if ((c === 41 || truthAt(text, p)) && testedChainBefore(text, k)) truthTested.push(text.slice(start, end));
    // per line, /->\s*([A-Za-z_]\w*)\s*(->|\[)/g: no line end inside, and not within the last match
    if (k < useFrom || lineEnd) continue;
    const arrow = c === 45 && codeAt(text, p + 1) === 62;
    if (!arrow && c !== 91 /* [ */) continue;
    useFrom = p + (arrow ? 2 : 1);
    // the lines up to this one: their function
    for (; li + 1 < starts.length && starts[li + 1] <= k; li++) if (lineDone !== li) lineFn(li);
    if (lineDone !== li) lineFn(li);
    if (!fn) continue;
    // one use per (field, function) is enough: the first
    const field = text.slice(start, end);
    const key = field + '|' + fn;
    if (seen.has(key)) continue;
    seen.add(key);
    uses.push({ field, function: fn, line: li + 1, col: k - starts[li] + 1 });
  }
  for (const t of truthTested) tested.add(t);
  /** Line `l` (0-based): a column-0 "{" opens the function of the last column-0 `name(` line that is no declaration. */
  function lineFn(l: number) {
    lineDone = l;
    const s = starts[l];
    const e = l + 1 < starts.length ? starts[l + 1] - 1 : text.length;
    const c0 = codeAt(text, s);
    if (c0 === 123 /* { */) fn = candidate;
    else if (isIdStart(c0) && s < e) {
      // /^([A-Za-z_]\w*)\s*\(/ on the line
      let p = s + 1;
      while (isWord(codeAt(text, p))) p++;
      let q = p;
      while (q < e && isSpace(codeAt(text, q))) q++;
      if (q < e && codeAt(text, q) === 40 && !DECLARATION.test(text.slice(s, e))) candidate = text.slice(s, p);
    }
  }
  return {
    uses,
    tested: [...tested],
  };
}

export class FieldIndex {
  private uses = new Map<string, (FieldUse & { file: string })[]>();
  private tested = new Set<string>();

  add(file: string, f: FieldFacts) {
    for (const t of f.tested) this.tested.add(t);
    for (const u of f.uses) {
      let l = this.uses.get(u.field);
      if (!l) this.uses.set(u.field, (l = []));
      l.push({ ...u, file });
    }
  }

  /** For a site that stores an untested may-fail result in `x->f`: the uses elsewhere that dereference f. */
  usesFor(site: SiteFacts, file: string): RelatedLoc[] {
    const lv = site.lvalue;
    if (!lv || site.verdict.canFail !== 'yes' || site.failure.tested || site.failure.deref) return [];
    const m = /(?:->|\.)([A-Za-z_]\w*)$/.exec(lv);
    if (!m || this.tested.has(m[1])) return [];
    const list = (this.uses.get(m[1]) ?? []).filter((u) => !(u.file === file && u.function === site.function));
    return list
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line))
      .slice(0, 3)
      .map((u) => ({ file: u.file, line: u.line, col: u.col, endLine: u.line, endCol: u.col + 2 + u.field.length, message: `${u.function}() dereferences '${m[1]}' without a NULL test` }));
  }
}
