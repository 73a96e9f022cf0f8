import type { RelatedLoc, SiteFacts } from '../analysis/types';
import { isSpace, isWordChar as isWord } from '../text/calltext';

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

const FN_HEAD = /^([A-Za-z_]\w*)\s*\(/;


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
    while (b > 0 && isWord(text.charCodeAt(b - 1))) b--;
    if (b === p) return false;
    const c0 = text.charCodeAt(b);
    if (c0 >= 48 && c0 <= 57) return false;
    p = b;
    if (p >= 2 && text.charCodeAt(p - 1) === 62 /* > */ && text.charCodeAt(p - 2) === 45 /* - */) p -= 2;
    else if (p >= 1 && text.charCodeAt(p - 1) === 46 /* . */) p -= 1;
    else break;
  }
  while (p > 0 && isSpace(text.charCodeAt(p - 1))) p--;
  const c = text.charCodeAt(p - 1);
  if (c === 40 /* ( */ || c === 33 /* ! */) return true;
  if (p >= 2 && ((c === 38 && text.charCodeAt(p - 2) === 38) || (c === 124 && text.charCodeAt(p - 2) === 124))) return true;
  if (c === 61 /* = */ && p >= 2 && (text.charCodeAt(p - 2) === 61 || text.charCodeAt(p - 2) === 33)) {
    let q = p - 2;
    while (q > 0 && isSpace(text.charCodeAt(q - 1))) q--;
    const word = text.slice(Math.max(0, q - 4), q);
    const n = word.endsWith('NULL') ? 4 : word.endsWith('0') ? 1 : 0;
    if (n && (q - n === 0 || !isWord(text.charCodeAt(q - n - 1)))) return true;
  }
  return false;
}

/** Text scan of one file: where fields are dereferenced (`x->f->`, `x->f[`, `*x->f`), and where they are tested. */
export function scanFields(text: string): FieldFacts {
  const uses: FieldUse[] = [];
  const tested = new Set<string>();
  for (const m of text.matchAll(/->\s*([A-Za-z_]\w*)\s*(?:[!=]=\s*(?:NULL|0)\b|\)\s*(?:&&|\|\||\?|\)))/g)) tested.add(m[1]);
  // `!x->f)`, `(p->q->f &&`, `NULL != x->f ?`: a chain ending in ->f used as a truth value
  for (const m of text.matchAll(/->\s*([A-Za-z_]\w*)\s*(?=\)|&&|\|\||\?)/g)) if (testedChainBefore(text, m.index ?? 0)) tested.add(m[1]);
  // function of each line: the last column-0 identifier followed by "(" before a column-0 "{"
  const lines = text.split('\n');
  let fn = '';
  let candidate = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const h = FN_HEAD.exec(l);
    if (h && !/;\s*(\/\*.*)?$/.test(l)) candidate = h[1];
    if (l.startsWith('{')) fn = candidate;
    if (!l.includes('->')) continue;
    for (const m of l.matchAll(/->\s*([A-Za-z_]\w*)\s*(->|\[)/g)) {
      if (!fn) continue;
      uses.push({ field: m[1], function: fn, line: i + 1, col: (m.index ?? 0) + 1 });
    }
  }
  // one use per (field, function) is enough
  const seen = new Set<string>();
  return {
    uses: uses.filter((u) => (seen.has(u.field + '|' + u.function) ? false : (seen.add(u.field + '|' + u.function), true))),
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
