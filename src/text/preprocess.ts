/*
 * Stage 2, text: offset-preserving clean-up (this file), KNF function bounds (knf.ts), calls found by text (calltext.ts), #define bodies (defines.ts), line tables (lines.ts).
 * Takes: a file's text (Latin-1, one char per byte). Gives: text of the same length and offsets into it.
 * Never: moves a byte: every position it gives points into the user's file.
 */
/**
 * Offset-preserving clean-up of kernel C before tree-sitter sees it. Every
 * replaced byte becomes a space (newlines stay), so node offsets, lines and
 * columns still point into the user's file.
 *
 *  - #if/#ifdef/#elif/#else/#endif: keep one branch (the first, or the #else of
 *    an `#if 0`), blank the directives and the other branches, so that an
 *    `if (...) {` split across branches no longer unbalances braces.
 *  - FOO_FOREACH(...) loop macros become `while` loops.
 *  - K&R parameter declarations between `)` and `{` are blanked.
 */
import { isSpace } from './calltext';

function blank(buf: Uint8Array | Uint16Array, from: number, to: number, src: string) {
  for (let i = from; i < to; i++) if (src.charCodeAt(i) !== 10) buf[i] = 32;
}

/** Latin-1 text (the linter reads files so) becomes a byte copy; anything else a copy of its UTF-16 code units. */
function toUnits(s: string): Uint8Array | Uint16Array {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\xff]/.test(s)) return Buffer.from(s, 'latin1');
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function fromUnits(u: Uint8Array | Uint16Array): string {
  if (Buffer.isBuffer(u)) return u.toString('latin1');
  let s = '';
  for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

const DIRECTIVE = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/;

export function preprocess(src: string): string {
  // edit a copy of the UTF-16 code units, not an array of one-char strings
  let out: Uint8Array | Uint16Array | undefined;
  const chars = () => (out ??= toUnits(src));

  // Conditional compilation. Walk lines; a stack entry says whether the current branch is kept.
  if (src.includes('#')) {
    interface Frame { parentKeep: boolean; taken: boolean; keep: boolean }
    const stack: Frame[] = [];
    let keep = true;
    let pos = 0;
    while (pos < src.length) {
      let end = src.indexOf('\n', pos);
      if (end < 0) end = src.length;
      // a directive may continue over backslash-newlines
      let lineEnd = end;
      const lineStart = pos;
      const first = src.slice(pos, Math.min(end, pos + 64));
      const m = first.length && (first.charCodeAt(0) === 35 || first.trimStart().startsWith('#')) ? DIRECTIVE.exec(first) : null;
      if (m) {
        while (lineEnd > 0 && src.charCodeAt(lineEnd - 1) === 92 /* \ */ && lineEnd < src.length) {
          const nx = src.indexOf('\n', lineEnd + 1);
          lineEnd = nx < 0 ? src.length : nx;
        }
        const kw = m[1];
        const rest = src.slice(lineStart + m[0].length, lineEnd);
        const isZero = /^\s*0\s*(\/[*/].*)?$/.test(rest);
        if (kw === 'if' || kw === 'ifdef' || kw === 'ifndef') {
          const k: boolean = keep && !(kw === "if" && isZero);
          stack.push({ parentKeep: keep, taken: k, keep: k });
          keep = k;
        } else if (kw === 'elif' || kw === 'else') {
          const f = stack[stack.length - 1];
          if (f) {
            const k = f.parentKeep && !f.taken && !(kw === 'elif' && isZero);
            f.keep = k;
            if (k) f.taken = true;
            keep = k;
          }
        } else if (kw === 'endif') {
          const f = stack.pop();
          keep = f ? f.parentKeep : true;
        }
        blank(chars(), lineStart, lineEnd, src);
      } else if (!keep) {
        blank(chars(), lineStart, end, src);
      }
      pos = lineEnd + 1;
    }
  }

  // Loop macros: NAME_FOREACH(...) -> while(...)
  const fe = /\b[A-Z][A-Z0-9_]*_FOREACH[A-Z0-9_]*(?=\s*\()/g;
  let m: RegExpExecArray | null;
  while ((m = fe.exec(src))) {
    const b = chars();
    if (b[m.index] === 32) continue; // already blanked by #if handling
    const w = 'while';
    for (let i = 0; i < m[0].length; i++) b[m.index + i] = i < w.length ? w.charCodeAt(i) : 32;
  }

  // K&R definitions: `name(a, b)\n\ttype a;\n\ttype b;\n{` -- a linear scan over lines
  const text = out ? fromUnits(out) : src;
  const lines: [number, number][] = [];
  for (let p = 0; p <= text.length; ) {
    let e = text.indexOf('\n', p);
    if (e < 0) e = text.length;
    lines.push([p, e]);
    p = e + 1;
  }
  for (let i = 0; i < lines.length - 2; i++) {
    const [hs, he] = lines[i];
    // cheap test first: after comments and trailing blanks are cut, a head ends with ')', so the line ends with ')' or a comment's '/'
    let last = he - 1;
    while (last >= hs && isSpace(text.charCodeAt(last))) last--;
    if (last < hs || (text.charCodeAt(last) !== 41 && text.charCodeAt(last) !== 47)) continue;
    const head = text.slice(hs, he).replace(/\/\*.*?\*\/|\s+$/g, '');
    if (!head.endsWith(')') || /;\s*$/.test(head)) continue;
    let j = i + 1;
    while (j < lines.length) {
      const l = text.slice(lines[j][0], lines[j][1]).replace(/\/\*.*?\*\//g, '').trim();
      if (!l || !l.endsWith(';') || /[{}#=]/.test(l) || !/^[A-Za-z_]/.test(l)) break;
      j++;
    }
    if (j === i + 1 || j >= lines.length || text.charCodeAt(lines[j][0]) !== 123 /* { */) continue;
    blank(chars(), lines[i + 1][0], lines[j - 1][1], text);
    i = j;
  }
  return out ? fromUnits(out) : src;
}
