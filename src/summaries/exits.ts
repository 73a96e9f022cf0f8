/*
 * Stage 3, summaries: macros that leave the function. ACPICA's return_VOID,
 * USB's USB_ATTACH_ERROR_RETURN and their kind are defined once per OS or
 * debug level in #if branches of a header; a macro is an exit only when every
 * definition the tree gives it returns (or jumps to one label, or calls a
 * function that never returns), whichever branch the preprocessor keeps.
 * Takes: one file's text (every branch). Gives: per macro name, how it leaves.
 */
import { allDefines } from '../text/defines';

/** How the expansion of a macro leaves the calling function. */
export interface ExitDef {
  name: string;
  /** 'return', 'noreturn' (calls a function that never returns), 'goto' (to `label`), or 'none' (some definition does not always leave). */
  kind: 'return' | 'noreturn' | 'goto' | 'none';
  label?: string;
  /** Function-like (used as a call) or object-like (used as a bare name). */
  call: boolean;
}

const CONDITIONAL = /\b(?:if|switch|for)\b|\?|\bwhile\s*\((?!\s*0\s*\))/;
const LEADS = /^(?:do\s*)?[({\s]*([A-Za-z_]\w*)\s*(?:\(|;|$|\}|\))/;

/** Does `word` stand in a `#define` line or a continued line (a cheap test before reading every definition)? */
function definesLeave(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) {
    const ls = text.lastIndexOf('\n', i - 1) + 1;
    let p = ls;
    while (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9) p++;
    if (text.charCodeAt(p) === 35 /* # */) return true;
    let q = ls - 2;
    if (q >= 0 && text.charCodeAt(q) === 13) q--;
    if (q >= 0 && text.charCodeAt(q) === 92 /* \ */) return true;
  }
  return false;
}

/**
 * This file's macros that leave the function, and those of its names that
 * some definition in the file does not leave by (so that no other file's
 * definition makes them an exit). A definition whose body only invokes
 * another macro of the file (`return_ACPI_STATUS(s)` -> `ACPI_TRACE_EXIT(...)`)
 * leaves as that macro does. `noReturn` names functions that never return.
 */
export function exitDefsOf(text: string, noReturn: Set<string>): ExitDef[] {
  if (!definesLeave(text, 'return') && !definesLeave(text, 'goto')) return [];
  const defs = allDefines(text);
  type One = { kind: ExitDef['kind'] | 'ref'; label?: string; ref?: string };
  const byName = new Map<string, { call: boolean; defs: One[] }>();
  for (const d of defs) {
    const body = d.body.replace(/\/\*.*?\*\//g, ' ').replace(/"(?:\\.|[^"\\])*"/g, '""').trim();
    let one: One = { kind: 'none' };
    if (body && !CONDITIONAL.test(body)) {
      const g = /\bgoto\s+([A-Za-z_]\w*)/.exec(body);
      if (/\breturn\b/.test(body)) one = { kind: 'return' };
      else if (g) one = { kind: 'goto', label: g[1] };
      else {
        const lead = LEADS.exec(body)?.[1];
        if (lead && noReturn.has(lead)) one = { kind: 'noreturn' };
        else if (lead && lead !== d.name) one = { kind: 'ref', ref: lead };
      }
    }
    let e = byName.get(d.name);
    if (!e) byName.set(d.name, (e = { call: d.params !== undefined, defs: [] }));
    e.defs.push(one);
  }
  // resolve references to macros of this file, to a fixpoint
  const kindOf = new Map<string, One>();
  const settle = (name: string, seen: Set<string>): One => {
    const k = kindOf.get(name);
    if (k) return k;
    const e = byName.get(name);
    if (!e || seen.has(name)) return { kind: 'none' };
    seen.add(name);
    const ones = e.defs.map((o) => (o.kind === 'ref' ? settle(o.ref!, seen) : o));
    const first = ones[0];
    const same = ones.every((o) => o.kind === first.kind && o.label === first.label);
    const r: One = same && first.kind !== 'ref' ? first : { kind: 'none' };
    kindOf.set(name, r);
    return r;
  };
  const out: ExitDef[] = [];
  for (const [name, e] of byName) {
    const direct = e.defs.some((o) => o.kind !== 'none');
    if (!direct) continue;
    const k = settle(name, new Set());
    // a name none of whose definitions leaves says nothing worth keeping; one that sometimes does is a veto
    if (k.kind === 'none' && !e.defs.some((o) => (o.kind !== 'ref' && o.kind !== 'none') || (o.kind === 'ref' && settle(o.ref!, new Set()).kind !== 'none'))) continue;
    out.push(k.kind === 'goto' ? { name, kind: 'goto', label: k.label, call: e.call } : { name, kind: k.kind as ExitDef['kind'], call: e.call });
  }
  return out;
}

/**
 * The tree's exit macros from every file's definitions: a name is an exit
 * (or a jump to one label) when every file that defines it agrees.
 */
export function resolveExitDefs(files: { exitDefs?: ExitDef[] }[]): { exits: string[]; gotos: Record<string, string>; noReturn: string[] } {
  const agreed = new Map<string, ExitDef | null>();
  for (const f of files) {
    for (const d of f.exitDefs ?? []) {
      const prev = agreed.get(d.name);
      if (prev === undefined) agreed.set(d.name, d.kind === 'none' ? null : d);
      else if (prev && (prev.kind !== d.kind || prev.label !== d.label)) agreed.set(d.name, null);
    }
  }
  const exits: string[] = [];
  const noReturn: string[] = [];
  const gotos: Record<string, string> = {};
  for (const [name, d] of [...agreed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (!d) continue;
    if (d.kind === 'return') exits.push(name);
    else if (d.kind === 'noreturn' && d.call) noReturn.push(name);
    else if (d.kind === 'goto' && d.label) gotos[name] = d.label;
  }
  return { exits, gotos, noReturn };
}
