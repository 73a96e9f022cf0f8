/**
 * Context extraction without a parse tree: most files have no allocation
 * call, and parsing every one of them only to learn who calls whom cost more
 * than the whole NULL-path analysis. KNF function bodies are found by text
 * ("{" and "}" in column 0), calls by `name(`, arguments by a bracket-counting
 * split. Comments and string literals are blanked first, keeping offsets.
 */
import type { Model, FlagValue } from '../model/model';
import type { FlagFamily } from '../model/types';
import { splitKnf } from '../knf';

const KEYWORDS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'case', 'else', 'defined', '__attribute__', 'typeof', '__typeof', 'offsetof', '__builtin_offsetof', 'alignof']);

/** Blank comments, string and character literals (offsets kept). */
export function blankNoise(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

export interface TextCall {
  name: string;
  /** Offset of the name. */
  at: number;
  args: string[];
}

/** The top-level arguments of the call whose "(" is at `open`. */
export function splitArgs(text: string, open: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 123 /* { */) depth++;
    else if (c === 41 /* ) */ || c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
      if (depth === 0) {
        const last = text.slice(start, i).trim();
        if (last || args.length) args.push(last);
        return { args, end: i + 1 };
      }
    } else if (c === 44 /* , */ && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    } else if (c === 59 /* ; */ && depth <= 1) break;
  }
  return { args, end: text.length };
}

/** Calls in a body, in source order (nested calls after the call that contains them, by offset). */
export function callsIn(body: string, base: number): TextCall[] {
  const out: TextCall[] = [];
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (KEYWORDS.has(m[1])) continue;
    const open = m.index + m[0].length - 1;
    const { args } = splitArgs(body, open);
    out.push({ name: m[1], at: base + m.index, args });
  }
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
