/**
 * Context extraction without a parse tree: most files have no allocation
 * call, and parsing every one of them only to learn who calls whom cost more
 * than the whole NULL-path analysis. KNF function bodies are found by text
 * ("{" and "}" in column 0), calls by `name(`, arguments by a bracket-counting
 * split. Comments and string literals are blanked first, keeping offsets.
 */
import { lastTexts } from '../util/memo';
import type { Model, FlagValue } from '../model/model';
import type { FlagFamily } from '../model/types';
import { splitKnf } from '../text/knf';
import { eachCall, isSpace } from '../text/calltext';

/** The regex \s, beyond Latin-1 too (what a fast path must match to read as a regex does). */
export const isJsSpace = (c: number) =>
  c <= 255 ? isSpace(c) : c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;

const KEYWORDS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'case', 'else', 'defined', '__attribute__', 'typeof', '__typeof', 'offsetof', '__builtin_offsetof', 'alignof']);

const KEYWORDS_BY_LENGTH: (string[] | undefined)[] = [];
for (const k of KEYWORDS) (KEYWORDS_BY_LENGTH[k.length] ??= []).push(k);

const NOISE = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;
/**
 * Blank comments, string and character literals (offsets kept). The last two answers are kept: a file's
 * text is blanked by the clean-up (preprocess) and again by the context extraction, with its cleaned-up
 * copy blanked in between.
 */
export const blankNoise = lastTexts(2, (text: string): string => {
  let out: string;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(text)) out = text.replace(NOISE, (m) => m.replace(/[^\n]/g, ' '));
  else {
    // Latin-1 text (how files are read): blank a byte copy in place
    const buf = Buffer.from(text, 'latin1');
    NOISE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = NOISE.exec(text))) {
      const at = m.index;
      buf.fill(32, at, at + m[0].length);
      for (let i = m[0].indexOf('\n'); i >= 0; i = m[0].indexOf('\n', i + 1)) buf[at + i] = 10;
    }
    out = buf.toString('latin1');
  }
  return out;
});

export interface TextCall {
  name: string;
  /** Offset of the name. */
  at: number;
  readonly args: string[];
}

/**
 * The top-level arguments of the call whose "(" is at `open`, as offsets with
 * the blanks around each argument left out, and the offset after its ")".
 */
export function argSpans(text: string, open: number): { spans: [number, number][]; end: number } {
  const spans: [number, number][] = [];
  const add = (a: number, b: number) => {
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    spans.push([a, b]);
  };
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 123 /* { */) depth++;
    else if (c === 41 /* ) */ || c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
      if (depth === 0) {
        add(start, i);
        const [a, b] = spans[spans.length - 1];
        if (a === b && spans.length === 1) spans.pop(); // f(): no argument
        return { spans, end: i + 1 };
      }
    } else if (c === 44 /* , */ && depth === 1) {
      add(start, i);
      start = i + 1;
    } else if (c === 59 /* ; */ && depth <= 1) break;
  }
  return { spans, end: text.length };
}

/** The top-level arguments of the call whose "(" is at `open`. */
export function splitArgs(text: string, open: number): { args: string[]; end: number } {
  const { spans, end } = argSpans(text, open);
  return { args: spans.map(([a, b]) => text.slice(a, b)), end };
}

/** A call found by text; its arguments are split on first use (most callers only want the name). */
class LazyCall implements TextCall {
  private split?: string[];
  constructor(readonly name: string, readonly at: number, private readonly body: string, private readonly open: number) {}
  get args(): string[] {
    return (this.split ??= splitArgs(this.body, this.open).args);
  }
}

/**
 * Calls in a body, in source order (nested calls after the call that contains
 * them, by offset): every identifier followed by "(", found from each "("
 * backwards, keywords left out.
 */
export function callsIn(body: string, base: number): TextCall[] {
  const out: TextCall[] = [];
  eachCall(body, (b, e, p) => {
    // keywords (`if (`, `return (`, `sizeof(`: a good part of all) are told by their letters, not copied
    const kws = KEYWORDS_BY_LENGTH[e - b];
    if (kws) for (const k of kws) if (body.startsWith(k, b)) return;
    out.push(new LazyCall(body.slice(b, e), base + b, body, p));
  });
  return out;
}

/** A flags expression's value from its text (`M_NOWAIT | M_ZERO`). */
export function flagValueFromText(text: string, model: Model, family: FlagFamily): FlagValue {
  const names: string[] = [];
  const unknown: string[] = [];
  let v = 0;
  for (const part of text.replace(/[()\s]/g, '').split('|')) {
    if (!part) continue;
    const x = model.flagValue(family, part) ?? (/^(0x[0-9a-f]+|\d+)$/i.test(part) ? Number(part) : undefined);
    if (x === undefined) unknown.push(part);
    else {
      if (!/^\d/.test(part)) names.push(part);
      v |= x;
    }
  }
  return { value: unknown.length ? undefined : v, names, unknown, text: text.replace(/\s+/g, ' ').trim() };
}

export { splitKnf };

/** A function definition found by text. `headerEnd`: where its header ends (before K&R declarations), when not at bodyStart. */
export interface TextDef {
  start: number;
  bodyStart: number;
  end: number;
  headerEnd?: number;
}

const NOT_FN = /^(if|while|for|switch|do|else|struct|union|enum|typedef|return|sizeof)\b/;

/**
 * Function definitions that the KNF splitter does not see: K&R parameter
 * declarations that are not indented or set off by a blank line, and headers
 * with the "{" at the end of the line (`foo(int x) {`). `knf` are the
 * definitions already found (sorted by offset); only the text between them is
 * searched. The body runs to the matching "}" (comments and strings
 * must already be blanked), or to the next "}" in column 0.
 */
export function looseDefs(clean: string, knf: { start: number; end: number }[]): TextDef[] {
  const out: TextDef[] = [];
  const lineStartOf = (off: number) => clean.lastIndexOf('\n', off - 1) + 1;
  const bodyEnd = (open: number) => {
    let depth = 0;
    for (let i = open; i < clean.length; i++) {
      const c = clean.charCodeAt(i);
      if (c === 123) depth++;
      else if (c === 125) {
        depth--;
        if (depth === 0 || (i > 0 && clean.charCodeAt(i - 1) === 10)) {
          const nl = clean.indexOf('\n', i);
          return nl < 0 ? clean.length : nl + 1;
        }
      }
    }
    return clean.length;
  };
  // (a) "{" in column 0 after K&R declarations or blank lines; (b) "name(...) {" at the end of a column-0 line
  // only the text between the KNF bodies is searched
  const re = /^\{|^[A-Za-z_][^\n;={}]*\)[ \t]*\{[ \t]*$/gm;
  let k = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean))) {
    const at = m.index;
    while (k < knf.length && knf[k].end <= at) k++;
    if (k < knf.length && knf[k].start <= at) {
      re.lastIndex = knf[k].end;
      continue;
    }
    let start: number;
    let headerEnd: number;
    let open: number;
    if (m[0] === '{') {
      // walk back over blank lines and declarations ending in ';' to the line ending in ')'
      let ls = at;
      let steps = 0;
      let found = -1;
      while (ls > 0 && steps++ < 16) {
        const prev = lineStartOf(ls - 1);
        const line = clean.slice(prev, ls - 1).trim();
        if (!line || line.endsWith(';')) {
          ls = prev;
          continue;
        }
        if (line.endsWith(')') && !line.startsWith('#')) found = prev;
        break;
      }
      if (found < 0) continue;
      headerEnd = clean.indexOf('\n', found);
      start = found;
      // the return type on the line(s) above, KNF style
      for (let n = 0; n < 3 && start > 0; n++) {
        const prev = lineStartOf(start - 1);
        const line = clean.slice(prev, start - 1).trim();
        if (!line || /[;}{]$/.test(line) || line.startsWith('#') || line.endsWith('*/') || /\)\s*$/.test(line)) break;
        start = prev;
      }
      open = at;
    } else {
      start = at;
      open = at + m[0].lastIndexOf('{');
      headerEnd = open;
      const line = m[0].trim();
      if (NOT_FN.test(line) || /^\w+\s*:/.test(line)) continue;
    }
    const header = clean.slice(start, headerEnd).trim();
    if (NOT_FN.test(header) || !/[A-Za-z_]\w*\s*\([^;]*\)$/.test(header)) continue;
    const end = bodyEnd(open);
    out.push({ start, bodyStart: open, end, headerEnd });
    re.lastIndex = Math.max(re.lastIndex, end);
  }
  return out;
}
