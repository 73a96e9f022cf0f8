/*
 * Stage 3, summaries: functions that hand back an mbuf with room reserved in
 * front of its data. `m->m_data += headroom` with headroom a parameter makes
 * that argument the reserved room; a function that returns the result of
 * such a call reserves the room its argument there says. A later
 * M_PREPEND of a header that fits in that room cannot fail.
 * Takes: one file's text. Gives: per function, where its headroom comes from.
 */
import { splitArgs } from '../context/textscan';
import { isSpace } from '../text/calltext';
import { SummaryText } from './text';

export interface HeadroomFn {
  name: string;
  /** The function reserves the room its argument `param` gives. */
  param?: number;
  /** Or returns what `callee(args...)` returned. */
  callee?: string;
  args?: string[];
}

const RESERVE = /->\s*m_data\s*\+=\s*([A-Za-z_]\w*)\s*;/;
const RETURNS = /\breturn\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*;/g;

/** The name and parameter names of a KNF definition's header. */
function signature(header: string): { name: string; params: string[] } | undefined {
  const close = header.lastIndexOf(')');
  if (close < 0) return undefined;
  // the "(" that the last ")" closes
  let depth = 0;
  let open = -1;
  for (let i = close; i >= 0; i--) {
    const c = header.charCodeAt(i);
    if (c === 41) depth++;
    else if (c === 40 && --depth === 0) {
      open = i;
      break;
    }
  }
  const name = open > 0 ? /([A-Za-z_]\w*)\s*$/.exec(header.slice(0, open))?.[1] : undefined;
  if (!name) return undefined;
  const params = splitArgs(header, open).args.map((a) => /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(a)?.[1] ?? '');
  return { name, params };
}

/** `\s` of a pattern: Latin-1 blanks, and beyond Latin-1 what the pattern says. */
const space = (c: number) => isSpace(c) || (c > 255 && /\s/.test(String.fromCharCode(c)));
/** A line starts at `p` (the `^` of a multiline pattern). */
const lineStart = (text: string, p: number) => {
  const c = text.charCodeAt(p - 1);
  return p === 0 || c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
};

/**
 * Does a line start with the type of a function returning an mbuf, what
 * /^(?:static\s+)?(?:__inline\s+|inline\s+)?struct\s+mbuf\s*\* /m finds? Read from each `mbuf` of the
 * text (the pattern was tried at every line start).
 */
export function definesMbufFn(text: string): boolean {
  for (let i = text.indexOf('mbuf'); i >= 0; i = text.indexOf('mbuf', i + 4)) {
    let p = i + 4;
    while (space(text.charCodeAt(p))) p++;
    if (text.charCodeAt(p) !== 42 /* * */) continue;
    // `struct` and blanks before
    let s = i;
    while (s > 0 && space(text.charCodeAt(s - 1))) s--;
    if (s === i || s < 6 || !text.startsWith('struct', s - 6)) continue;
    if (typeLineStart(text, s - 6)) return true;
  }
  return false;
}

/** Do a line start and `(?:static\s+)?(?:__inline\s+|inline\s+)?` lead to offset `at`? */
function typeLineStart(text: string, at: number): boolean {
  if (lineStart(text, at)) return true;
  let w = at;
  while (w > 0 && space(text.charCodeAt(w - 1))) w--;
  if (w === at || w < 6) return false;
  if (text.startsWith('static', w - 6)) return lineStart(text, w - 6);
  if (!text.startsWith('inline', w - 6)) return false;
  // `inline` or `__inline`, at a line start or after `static` and blanks
  const starts = w - 8 >= 0 && text.startsWith('__', w - 8) ? [w - 8] : [w - 6];
  for (const u of starts) {
    if (lineStart(text, u)) return true;
    let v = u;
    while (v > 0 && space(text.charCodeAt(v - 1))) v--;
    if (v < u && v >= 6 && text.startsWith('static', v - 6) && lineStart(text, v - 6)) return true;
  }
  return false;
}

/** This file's functions that return an mbuf with reserved headroom, or the result of a call that may. */
export function headroomFnsOf(text: string, st = new SummaryText(text)): HeadroomFn[] {
  // only files that define a function returning an mbuf (KNF: the type on its own line)
  if (!definesMbufFn(text)) return [];
  const clean = st.clean;
  const out: HeadroomFn[] = [];
  for (const fn of st.knf) {
    const header = clean.slice(fn.start, fn.bodyStart);
    if (!/\bmbuf\s*\*/.test(header)) continue;
    const sig = signature(header);
    if (!sig) continue;
    const body = clean.slice(fn.bodyStart, fn.end);
    const r = RESERVE.exec(body);
    const p = r ? sig.params.indexOf(r[1]) : -1;
    if (p >= 0) {
      out.push({ name: sig.name, param: p });
      continue;
    }
    // `m = callee(...); ... return (m);`
    let asg: RegExpExecArray | null = null;
    for (const rm of body.matchAll(RETURNS)) {
      if (rm[1] === 'NULL') continue;
      asg = new RegExp(`\\b${rm[1]}\\s*=\\s*([A-Za-z_]\\w*)\\s*\\(`).exec(body);
      break;
    }
    if (!asg || asg[1] === sig.name) continue;
    const args = splitArgs(body, asg.index + asg[0].length - 1).args;
    out.push({ name: sig.name, callee: asg[1], args });
  }
  return out;
}

/**
 * The reserved headroom of each function, resolved across files: an argument
 * index, or the text of a fixed amount. A name summarised two ways is dropped.
 */
export function resolveHeadroom(files: { headroomFns?: HeadroomFn[] }[]): Record<string, { arg?: number; text?: string }> {
  const byName = new Map<string, HeadroomFn | null>();
  for (const f of files) {
    for (const h of f.headroomFns ?? []) {
      const prev = byName.get(h.name);
      if (prev === undefined) byName.set(h.name, h);
      else if (prev && JSON.stringify(prev) !== JSON.stringify(h)) byName.set(h.name, null);
    }
  }
  const out: Record<string, { arg?: number; text?: string }> = Object.create(null);
  for (const [name, h] of byName) if (h && h.param !== undefined) out[name] = { arg: h.param };
  const sorted = [...byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let round = 0; round < 2; round++) {
    for (const [name, h] of sorted) {
      const via = h?.callee !== undefined && !out[name] ? out[h.callee] : undefined;
      if (via?.arg !== undefined && h!.args?.[via.arg] !== undefined) out[name] = { text: h!.args[via.arg] };
      else if (via?.text !== undefined) out[name] = { text: via.text };
    }
  }
  return out;
}
