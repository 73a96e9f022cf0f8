/**
 * Per-file extraction for context inference: for every function, what it
 * calls (and under which non-sleepable lock), which functions it registers as
 * handlers, and direct evidence about its context. The result is plain data
 * (JSON-serialisable), made in the worker that parsed the file, so that it can
 * be shipped to the main thread or cached; the whole-tree resolution is in
 * callgraph.ts.
 */
import type { SyntaxNode, Tree } from 'tree-sitter';
import type { Model } from '../model/model';
import { callArgs, callName, unparen } from '../analysis/ast';
import { evalFlags } from '../analysis/flags';
import { CONTEXT_TABLES, type Level, type Role } from './tables';

export interface CallFact {
  name: string;
  line: number;
  /** A lock/section held at the call (in source order), and what it forbids. */
  under?: { what: string; level: Level };
}

export interface RegFact {
  fn: string;
  role: Role;
  via: string;
  line: number;
}

export interface FnFact {
  name: string;
  isStatic: boolean;
  line: number;
  calls: CallFact[];
  /** First call that sleeps with no non-sleepable lock held (tsleep, M_WAITOK allocation, ...). */
  sleeps?: { what: string; line: number };
  /** spl levels raised in the function. */
  spl: string[];
}

export interface FileContext {
  file: string;
  fns: FnFact[];
  registrations: RegFact[];
}

function declName(d: SyntaxNode | null): string | undefined {
  while (d) {
    if (d.type === 'identifier') return d.text;
    d = d.childForFieldName('declarator') ?? (d.type === 'parenthesized_declarator' ? d.namedChildren[0] ?? null : null);
  }
  return undefined;
}

function lineOf(text: string, offset: number, starts: number[]): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The function an argument names: `foo`, `&foo`, `(cast)foo`. */
function fnArg(n: SyntaxNode | undefined): string | undefined {
  let u = unparen(n);
  if (u && u.type === 'pointer_expression' && u.child(0)?.type === '&') u = unparen(u.childForFieldName('argument'));
  return u && u.type === 'identifier' && !/^(NULL|0)$/.test(u.text) ? u.text : undefined;
}

interface HeldLock {
  what: string;
  level: Level;
  release: Set<string>;
  arg: string;
}

/** Extract the context facts of one parsed file. */
export function extractContext(file: string, text: string, tree: Tree, model: Model): FileContext {
  const tables = CONTEXT_TABLES[model.name];
  const regBy = new Map<string, typeof tables.registrations>();
  for (const r of tables.registrations) regBy.set(r.call, [...(regBy.get(r.call) ?? []), r]);
  const fieldRole = new Map(tables.fields.map((f) => [f.field, f.role]));
  const sleepers = new Set(tables.sleepers);
  const out: FileContext = { file, fns: [], registrations: [] };
  const byName = new Map<string, FnFact>();

  for (const def of tree.rootNode.descendantsOfType('function_definition')) {
    const body = def.childForFieldName('body');
    const name = declName(def.childForFieldName('declarator'));
    if (!body || !name) continue;
    const isStatic = def.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    let fn = byName.get(name);
    if (!fn) {
      fn = { name, isStatic, line: def.startPosition.row + 1, calls: [], spl: [] };
      byName.set(name, fn);
      out.fns.push(fn);
    }
    const held: HeldLock[] = [];
    const seen = new Set<string>();
    for (const call of body.descendantsOfType('call_expression')) {
      const cn = callName(call);
      if (!cn) continue;
      const line = call.startPosition.row + 1;
      const args = callArgs(call);
      // locks, in source order (an approximation of "held on the path")
      const acq = model.acquire.get(cn);
      if (acq) {
        if (acq.kind === 'spl') {
          if (!fn.spl.includes(cn)) fn.spl.push(cn);
        } else if (acq.forbidsSleep || acq.forbidsAlloc) {
          held.push({ what: `${acq.description} ${args[0]?.text.replace(/\s+/g, '') ?? ''}`.trim(), level: acq.forbidsAlloc ? 'noalloc' : 'nosleep', release: new Set(acq.release), arg: args[0]?.text.replace(/\s+/g, '') ?? '' });
        }
      }
      const rel = model.release.get(cn);
      if (rel && rel.kind !== 'spl') {
        const a = args[0]?.text.replace(/\s+/g, '') ?? '';
        for (let i = held.length - 1; i >= 0; i--) {
          if (held[i].release.has(cn) && (held[i].arg === a || 'none' in rel.key)) {
            held.splice(i, 1);
            break;
          }
        }
      }
      const top = held.length ? held.reduce((a, b) => (a.level === 'noalloc' ? a : b)) : undefined;
      const key = `${cn}|${top?.what ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        fn.calls.push(top ? { name: cn, line, under: { what: top.what, level: top.level } } : { name: cn, line });
      }
      if (!top && !fn.sleeps) {
        if (sleepers.has(cn)) fn.sleeps = { what: `${cn}()`, line };
        else {
          const spec = model.allocators.get(cn);
          if (spec && spec.flagsArg !== undefined && args[spec.flagsArg] && (spec.arity === undefined || spec.arity === args.length)) {
            const fv = evalFlags(args[spec.flagsArg], model, spec.family);
            const v = model.verdict(spec, fv);
            if (v.klass === 'wait') fn.sleeps = { what: `${cn}(..., ${fv.text})`, line };
          }
        }
      }
      // handler registrations
      for (const r of regBy.get(cn) ?? []) {
        const target = fnArg(args[r.arg]);
        if (!target) continue;
        let role = r.role;
        if (r.fastFlag && args[r.fastFlag.arg] && r.fastFlag.re.test(args[r.fastFlag.arg].text)) role = 'fast-interrupt';
        out.registrations.push({ fn: target, role, via: `${cn}()`, line });
      }
    }
    if (fieldRole.size) {
      for (const asg of body.descendantsOfType('assignment_expression')) {
        const left = asg.childForFieldName('left');
        if (left?.type !== 'field_expression') continue;
        const field = left.childForFieldName('field')?.text;
        const role = field ? fieldRole.get(field) : undefined;
        if (!role) continue;
        const target = fnArg(asg.childForFieldName('right') ?? undefined);
        if (target) out.registrations.push({ fn: target, role, via: `->${field} =`, line: asg.startPosition.row + 1 });
      }
    }
  }

  // File-scope registrations: method tables and boot-time hooks (macros, matched in the text).
  let starts: number[] | undefined;
  const lineAt = (off: number) => lineOf(text, off, (starts ??= lineStarts(text)));
  const scan = (re: RegExp, f: (m: RegExpExecArray) => { fn: string; role: Role; via: string } | undefined) => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const r = f(m);
      if (r && !/^(NULL|0)$/.test(r.fn)) out.registrations.push({ ...r, line: lineAt(m.index) });
    }
  };
  if (text.includes('DEVMETHOD'))
    scan(/\bDEVMETHOD\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)/g, (m) => (tables.sleepableMethods.test(m[1]) ? { fn: m[2], role: 'device-method', via: `DEVMETHOD(${m[1]})` } : undefined));
  if (text.includes('SYSINIT'))
    scan(/\bSYSINIT\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*&?\s*(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'SYSINIT()' }));
  if (text.includes('moduledata_t'))
    scan(/\bmoduledata_t\s+\w+\s*=\s*\{\s*"[^"]*"\s*,\s*\(?\s*(?:modeventhand_t\s*\)\s*)?(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'moduledata_t (MOD_LOAD)' }));
  if (text.includes('DRIVER_MODULE'))
    scan(/\bDRIVER_MODULE\s*\(\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*\w+\s*,\s*(\w+)/g, (m) => ({ fn: m[1], role: 'module-init', via: 'DRIVER_MODULE() event handler' }));
  return out;
}

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) s.push(i + 1);
  return s;
}
