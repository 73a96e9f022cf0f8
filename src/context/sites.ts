/**
 * Text facts about one allocation call and its neighbours, for the context
 * (extract.ts): does the code mean its no-wait flags (a fallback on failure,
 * a retry loop, a comment saying so), is a nearby sleeping allocation only
 * the other arm of a choice about waiting, does a call hand allocation flags
 * to its callee, which functions return with a lock held. Comments and
 * strings are blanked in `clean` (same offsets as `text`).
 */
import type { Model, LockEvent } from '../model/model';
import type { FlagFamily } from '../model/types';
import { lineOf, lineStarts } from '../text/lines';
import { callsIn, flagValueFromText, isJsSpace, type TextCall, type TextDef } from './textscan';
import { assignedBefore, isWordChar } from '../text/calltext';

/* Lock-like calls the model does not know (`FOO_LOCK(sc)`, `BAR_WUNLOCK(x)`): [stem, "UN" when a release]. */
export { LOCKISH_NAME as LOCKISH_CALL, LOCKISH_ASSERT_NAME as LOCKISH_ASSERT } from '../summaries/locks';

/** Comments that say the no-wait flags are meant: "don't sleep", "must not block", "non-blocking". */
const DELIBERATE =
  /\b(?:needs?\s+M_NOWAIT|M_NOWAIT\s+(?:as|because|since)|non-?blocking|(?:do not|don'?t|must not|mustn'?t|cannot|can'?t|should not|shouldn'?t|never|not allowed to|unable to|may not)\s+(?:ever\s+)?(?:sleep|block|wait)|without\s+(?:sleeping|blocking|waiting)|avoid(?:s|ing)?\s+(?:sleeping|blocking|waiting|a\s+sleep|deadlock)|no\s*-?\s*sleep)/i;

const FLAG_WORD = /\bMB?_[A-Z]/g;

/** Where flag-like words (`M_...`, `MB_...`) are in a body: `near(at)` says whether one follows `at` closely. */
export function flagOffsets(body: string, base: number): { near: (at: number) => boolean } {
  const offs: number[] = [];
  if (body.includes('M_')) {
    FLAG_WORD.lastIndex = 0;
    for (let m = FLAG_WORD.exec(body); m; m = FLAG_WORD.exec(body)) offs.push(base + m.index);
  }
  return { near: (at: number) => offs.length > 0 && startsWithin(offs, at, at + 399) };
}

/**
 * Does `call` pass no-wait allocation flags (`M_NOWAIT`, `M_NOWAIT | M_ZERO`) in one of its
 * arguments? The callee then does not sleep for it. (Waiting flags passed under a lock are
 * the caller's own bug: the restriction still flows.)
 */
export function passesFlags(call: TextCall, model: Model): boolean {
  for (const a of call.args) {
    if (!/\bMB?_[A-Z]/.test(a)) continue;
    for (const fam of ['malloc', 'mbuf'] as FlagFamily[]) {
      const fv = flagValueFromText(a, model, fam);
      const b = model.family(fam).bits;
      if (fv.value !== undefined && fv.names.length && fv.value & b.nowait && !(fv.value & b.waitok)) return true;
    }
  }
  return false;
}

/** Offset of the ")" that closes the "(" at `open` (brackets counted), or -1. */
function closing(t: string, open: number): number {
  let d = 0;
  for (let i = open; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 123 /* { */) d++;
    else if (c === 41 /* ) */ || c === 93 /* ] */ || c === 125 /* } */) {
      d--;
      if (d === 0) return i;
    }
  }
  return -1;
}

/** The statement that starts at `i` (skipping blanks): a `{...}` block or up to its ";". */
function statementAt(t: string, i: number, end: number): [number, number] {
  while (i < end && /\s/.test(t[i])) i++;
  if (t[i] === '{') {
    const c = closing(t, i);
    return [i, c < 0 ? end : c + 1];
  }
  let d = 0;
  for (let j = i; j < end; j++) {
    const c = t[j];
    if (c === '(' || c === '[' || c === '{') d++;
    else if (c === ')' || c === ']' || c === '}') d--;
    else if (c === ';' && d <= 0) return [i, j + 1];
  }
  return [i, end];
}

/** The keyword before the "(" at `open` (`if`, `while`), if any. */
function keywordBefore(t: string, open: number): string | undefined {
  const m = /\b(if|while|for|switch)\s*$/.exec(t.slice(Math.max(0, open - 16), open));
  return m?.[1];
}

/**
 * What the code around a no-wait allocation says about its flags:
 *  - choice: they are meant (the failure path falls back to another allocation or
 *    retries, the call is the test of a retry loop, or a comment says the code must not sleep);
 *  - noFix: the suggestion may stand but --fix must not rewrite the flags (a loop that stops at
 *    the first failure, an arm of a choice about waiting);
 *  - siblings: sleeping allocations in the other arm of that choice (no evidence for this call).
 */
export function deliberateNoWait(text: string, clean: string, def: TextDef, call: TextCall, model: Model): { choice?: string; noFix?: string; siblings?: number[] } {
  const out: { choice?: string; noFix?: string; siblings?: number[] } = {};
  const at = call.at;
  // a comment in the run of lines (no blank line) that leads to the call, or on its line
  const from = Math.max(def.bodyStart, paragraphStart(text, at, 15));
  const eol = text.indexOf('\n', at);
  const around = text.slice(from, eol < 0 ? text.length : eol);
  for (const m of around.matchAll(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g)) {
    if (DELIBERATE.test(m[0].replace(/\s+/g, ' '))) {
      out.choice = 'a comment at the call says the code must not sleep here';
      return out;
    }
  }
  const open = clean.indexOf('(', at);
  const close = open < 0 ? -1 : closing(clean, open);
  if (close < 0) return out;
  // the call inside a condition: `if ((p = alloc()) == NULL)` or `while ((p = alloc()) == NULL)`
  let branch: [number, number] | undefined;
  let d = 0;
  for (let i = at - 1; i > def.bodyStart && at - i < 200; i--) {
    const c = clean[i];
    if (c === ')' || c === ']') d++;
    else if (c === '(' || c === '[') {
      if (d > 0) {
        d--;
        continue;
      }
      const kw = keywordBefore(clean, i);
      if (kw === 'while' || kw === 'for') {
        out.choice = 'the allocation is the test of a retry loop';
        return out;
      }
      if (kw === 'if') {
        const cc = closing(clean, i);
        if (cc > 0) branch = statementAt(clean, cc + 1, def.end);
        break;
      }
    } else if (c === ';' || c === '{' || c === '}') break;
  }
  const before = clean.slice(Math.max(def.bodyStart, at - 200), at);
  const lv = assignedBefore(before)?.replace(/\s+/g, '');
  if (lv) {
    // `if (p == NULL) p = alloc(...)`: the second try after a failed one (a smaller or later retry)
    const esc = lv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/(->|\\\.)/g, '\\s*$1\\s*');
    const retry = new RegExp(`\\bif\\s*\\(\\s*(?:!\\s*${esc}|${esc}\\s*==\\s*(?:NULL|0)|(?:NULL|0)\\s*==\\s*${esc})\\s*\\)\\s*\\{?\\s*${esc}\\s*=\\s*(?:\\(\\s*[^()]*\\)\\s*)*\\(?\\s*$`);
    const rm = retry.exec(before);
    if (rm) {
      // ... and the statement before that test allocated into the same place
      const prev = clean.slice(Math.max(def.bodyStart, at - before.length + rm.index - 400), at - before.length + rm.index);
      const assigns = [...prev.matchAll(new RegExp(`${esc}\\s*=\\s*(?:\\(\\s*[^()]*\\)\\s*)*([A-Za-z_]\\w*)\\s*\\(`, 'g'))];
      const last = assigns[assigns.length - 1];
      if (last && model.allocators.has(last[1])) {
        out.choice = 'the allocation is the retry after a failed one';
        return out;
      }
    }
  }
  if (!branch) {
    // `p = alloc(...);` then `if (p == NULL) ...` (or `!p`, `p == 0`)
    const stEnd = statementAt(clean, close + 1, def.end)[1];
    const next = /^\s*(?:(?!if\b|while\b|for\b|switch\b|return\b)[A-Za-z_]\w*\s*\([^;]*\)\s*;\s*)?if\s*\(/.exec(clean.slice(stEnd, stEnd + 300));
    if (lv && next) {
      const io = stEnd + next[0].length - 1;
      const ic = closing(clean, io);
      const cond = ic > 0 ? clean.slice(io, ic + 1).replace(/\s+/g, '') : '';
      const esc = lv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(?:!|==(?:NULL|0)|(?:NULL|0)==|${esc}\\)?$)`).test(cond) && cond.includes(lv)) branch = statementAt(clean, ic + 1, def.end);
    }
  }
  if (branch) {
    const bt = clean.slice(branch[0], branch[1]);
    const norm = (a: string[]) => a.join(',').replace(/\s+/g, '');
    const again = callsIn(bt, 0).filter((c) => model.allocators.has(c.name));
    // another allocation, a different one (smaller, elsewhere) or the same one later (a loop, a sleep): not the same call at once
    const same = again.every((c) => c.name === call.name && norm(c.args) === norm(call.args)) && !/\b(?:while|for|goto)\b/.test(bt) && !callsIn(bt, 0).some((c) => /sleep|pause|wait/.test(c.name));
    if (again.length && !same) {
      out.choice = 'the failure path falls back to another allocation or retries';
      return out;
    }
    if (/\bbreak\b/.test(bt)) out.noFix = 'the code stops a loop at the first failure (a prefill that settles for what it gets)';
  }
  // a sleeping allocation in the other arm of an if/else within a few lines: a choice about waiting
  const lo = nthLineBack(clean, at, 8);
  const hiNl = nthLineForward(clean, at, 8);
  const win = clean.slice(Math.max(lo, def.bodyStart), Math.min(hiNl, def.end));
  const base = Math.max(lo, def.bodyStart);
  let starts: number[] | undefined;
  for (const c of callsIn(win, base)) {
    if (c.at === at) continue;
    const spec = model.allocators.get(c.name);
    if (!spec || spec.flagsArg === undefined || !c.args[spec.flagsArg]) continue;
    if (model.verdict(spec, flagValueFromText(c.args[spec.flagsArg], model, spec.family)).klass !== 'wait') continue;
    const between = clean.slice(Math.min(c.at, at), Math.max(c.at, at));
    if (!/\belse\b/.test(between)) continue;
    (out.siblings ??= []).push(lineOf((starts ??= lineStarts(text)), c.at));
    out.noFix = 'the flags are one arm of a choice about waiting';
  }
  return out;
}

/** The start of the first line of the run of non-blank lines that holds `at` (at most `n` lines back). */
function paragraphStart(t: string, at: number, n: number): number {
  let ls = t.lastIndexOf('\n', at - 1) + 1;
  for (let k = 0; k < n && ls > 0; k++) {
    const prev = t.lastIndexOf('\n', ls - 2) + 1;
    if (!t.slice(prev, ls - 1).trim()) break;
    ls = prev;
  }
  return ls;
}

function nthLineBack(t: string, at: number, n: number): number {
  let i = at;
  for (let k = 0; k <= n && i > 0; k++) i = t.lastIndexOf('\n', i - 1);
  return Math.max(0, i + 1);
}

function nthLineForward(t: string, at: number, n: number): number {
  let i = at;
  for (let k = 0; k < n && i >= 0; k++) i = t.indexOf('\n', i + 1);
  return i < 0 ? t.length : i;
}

/** Where a global regex matches in `text`, in order. */
export function startsOf(text: string, re: RegExp): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index);
  return out;
}

/** Does the sorted list hold an offset in [from, to]? */
export function startsWithin(starts: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < starts.length && starts[lo] <= to;
}

export interface LockedReturn {
  key: string;
  params: string[];
  description: string;
  level: 'nosleep' | 'noalloc';
}

/**
 * Functions that return with a lock of one of their parameters held on every
 * return (`lookup(inp)` that takes INP_WLOCK(inp) and returns the object
 * locked): by text, the last lock event before each `return` acquires the
 * same lock, and the lock is named through a parameter.
 */
export function lockedReturns(
  defs: TextDef[],
  clean: string,
  headerOf: (d: TextDef) => string,
  callsOf: (d: TextDef) => TextCall[],
  lockEv: (c: TextCall) => LockEvent | undefined,
  /** Where 'unlock' and 'UNLOCK' stand in `clean`, sorted (found here when not given). */
  unlocks = startsOf(clean, /unlock|UNLOCK/g),
): Map<string, LockedReturn> {
  const out = new Map<string, LockedReturn>();
  // only bodies that release something
  if (!unlocks.length) return out;
  for (const def of defs) {
    if (!startsWithin(unlocks, def.bodyStart, def.end - 6)) continue;
    const body = clean.slice(def.bodyStart, def.end);
    if (!body.includes('return')) continue;
    const hm = /([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/.exec(headerOf(def).trim());
    if (!hm) continue;
    const params = hm[2].split(',').map((x) => /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(x.trim())?.[1] ?? '');
    const events: { at: number; ev: LockEvent }[] = [];
    for (const c of callsOf(def)) {
      const ev = lockEv(c);
      if (ev && ev.role !== 'assert' && (ev.forbidsSleep || ev.forbidsAlloc) && ev.key) events.push({ at: c.at - def.bodyStart, ev });
    }
    if (!events.length || !events.some((e) => e.ev.role === 'release')) continue;
    let key: string | undefined;
    let desc: LockEvent | undefined;
    let ok = true;
    let returns = 0;
    for (const m of body.matchAll(/\breturn\b/g)) {
      returns++;
      let last: LockEvent | undefined;
      for (const e of events) if (e.at < m.index) last = e.ev;
      if (!last || last.role !== 'acquire' || (key !== undefined && last.key !== key)) {
        ok = false;
        break;
      }
      key = last.key;
      desc = last;
    }
    if (!ok || !returns || !key || !desc) continue;
    // entered with the lock held (released and taken back inside): the caller's lock, not one this function takes
    if (events.find((e) => e.ev.key === key)?.ev.role !== 'acquire') continue;
    if (!params.some((p) => p && new RegExp(`\\b${p}\\b`).test(key!))) continue;
    out.set(hm[1], { key, params, description: desc.description, level: desc.forbidsAlloc ? 'noalloc' : 'nosleep' });
  }
  return out;
}

/* The words WAIT_TEST needs (what the body must name for any arm: /sleep|wait|block|WAITOK|NOWAIT/i). */
const WAIT_WORD = /sleep|wait|block/gi;

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Does t[from, to) hold a letter, blanks, a letter (which the condition read without blanks joins)? */
function spacedLetters(t: string, from: number, to: number): boolean {
  for (let i = from + 1; i < to - 1; i++) {
    if (!isJsSpace(t.charCodeAt(i)) || !isLetter(t.charCodeAt(i - 1))) continue;
    let j = i + 1;
    while (j < to && isJsSpace(t.charCodeAt(j))) j++;
    if (j < to && isLetter(t.charCodeAt(j))) return true;
    i = j;
  }
  return false;
}

/* `if (sleep)`, `if (canwait)`, `if (sc->may_block)`, `if (how & M_WAITOK)`, `if (!(flags & M_NOWAIT))`: a test that the caller may wait */
const WAIT_TEST = /^(?:(?=[A-Za-z_])[\w.>-]*?(?:sleep|wait|block)\w*|.*&\s*M_WAITOK\b.*|!\s*\(\s*[\w.>-]+\s*&\s*M_NOWAIT\s*\))$/i;

/**
 * The body ranges (offsets plus `base`) of `if` arms entered only when a test says the
 * code may wait: what is called there is called only when waiting is allowed, so a
 * caller's no-sleep context does not flow into it.
 */
export function waitArms(body: string, base: number): [number, number][] {
  const out: [number, number][] = [];
  // WAIT_TEST needs sleep, wait or block in the condition once blanks are dropped (WAITOK and NOWAIT hold
  // WAIT), and the body must name one as such: where they are (no two overlap, none holds a bracket)
  const words: number[] = [];
  WAIT_WORD.lastIndex = 0;
  for (let m = WAIT_WORD.exec(body); m; m = WAIT_WORD.exec(body)) words.push(m.index, m.index + m[0].length);
  if (!words.length) return out;
  let w = 0;
  // each `if (` (what /\bif\s*\(/g finds)
  for (let i = body.indexOf('if'); i >= 0; i = body.indexOf('if', i + 2)) {
    if (i > 0 && isWordChar(body.charCodeAt(i - 1))) continue;
    let open = i + 2;
    while (open < body.length && isJsSpace(body.charCodeAt(open))) open++;
    if (body.charCodeAt(open) !== 40 /* ( */) continue;
    const close = closing(body, open);
    if (close < 0) continue;
    // a word in the condition, or letters with blanks between them that may spell one
    while (w < words.length && words[w] <= open) w += 2;
    if ((w >= words.length || words[w + 1] > close) && !spacedLetters(body, open + 1, close)) continue;
    const cond = body.slice(open + 1, close).replace(/\s+/g, ' ').trim();
    if (cond.length > 80 || !WAIT_TEST.test(cond.replace(/\s/g, '')) || /no_?(?:sleep|wait|block)|nonblock|dont/i.test(cond)) continue;
    const [a, b] = statementAt(body, close + 1, body.length);
    out.push([base + a, base + b]);
  }
  return out;
}
