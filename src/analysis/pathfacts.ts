import type { JNode as SyntaxNode } from './jsast';
import type { Cfg } from './cfg';
import { isNullLiteral, lvalKey, unparen } from './ast';

/*
 * Path facts the failure-path exploration keeps beside the evaluator's state:
 * what simple locals hold (NULL or not), where the CFG loops back, which
 * nodes post-dominate others, and who else defines a tested value.
 */

/** A local known to hold NULL ('N') or a non-NULL pointer ('NN'). */
export type LocalFacts = Record<string, 'N' | 'NN'>;

const OPAQUE = new Set(['sizeof_expression', 'alignof_expression', 'offsetof_expression', 'string_literal', 'concatenated_string', 'comment', 'type_descriptor']);

/** What a store does to a local: makes it NULL ('N') or not ('NN'), copies another local, or forgets it. */
export type LocalOp = { name: string; v: 'N' | 'NN' | { copy: string } | undefined };

/** What an assigned value says about the local it lands in. */
function valueOp(r: SyntaxNode | null): LocalOp['v'] {
  const u = unparen(r);
  if (!u) return undefined;
  if (isNullLiteral(u)) return 'N';
  if (u.type === 'string_literal' || u.type === 'concatenated_string') return 'NN';
  if (u.type === 'pointer_expression' && u.child(0)?.type === '&') return 'NN';
  if (u.type === 'identifier') return { copy: u.text };
  if (u.type === 'assignment_expression' && u.childForFieldName('operator')?.type === '=') return valueOp(u.childForFieldName('right'));
  return undefined;
}

/**
 * The stores to `locals` that evaluating `ast` makes, in order: `x = NULL`
 * makes x NULL, `x = &y` or a string makes it non-NULL, `x = y` copies what
 * is known of y, any other store to x (or taking its address) forgets it.
 */
export function localOps(ast: SyntaxNode | null, locals: Set<string>): LocalOp[] {
  const out: LocalOp[] = [];
  if (!ast || !locals.size) return out;
  const set = (k: string, v: LocalOp['v']) => {
    if (locals.has(k)) out.push({ name: k, v });
  };
  const visit = (n: SyntaxNode) => {
    if (OPAQUE.has(n.type)) return;
    switch (n.type) {
      case 'assignment_expression': {
        const r = n.childForFieldName('right');
        if (r) visit(r);
        const l = unparen(n.childForFieldName('left'));
        if (l?.type === 'identifier') set(l.text, n.childForFieldName('operator')?.type === '=' ? valueOp(r) : undefined);
        else if (l) visit(l);
        return;
      }
      case 'init_declarator': {
        const v = n.childForFieldName('value');
        if (v) visit(v);
        let d: SyntaxNode | null = n.childForFieldName('declarator');
        while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
        if (d) set(d.text, valueOp(v));
        return;
      }
      case 'update_expression': {
        const a = unparen(n.childForFieldName('argument'));
        if (a?.type === 'identifier') set(a.text, undefined);
        else if (a) visit(a);
        return;
      }
      case 'pointer_expression': {
        const a = unparen(n.childForFieldName('argument'));
        if (n.child(0)?.type === '&' && a?.type === 'identifier') set(a.text, undefined);
        break;
      }
      default:
        break;
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(ast);
  return out;
}

/** The facts after the stores `ops`; `lf` itself when nothing changed. */
export function applyLocalOps(ops: LocalOp[], lf: LocalFacts): LocalFacts {
  let out = lf;
  for (const { name, v } of ops) {
    const nv = typeof v === 'object' ? out[v.copy] : v;
    if (out[name] === nv) continue;
    out = { ...out };
    if (nv === undefined) delete out[name];
    else out[name] = nv;
  }
  return out;
}

/** A leaf test of a local's nullness: `x`, `x != NULL`, `NULL == x`, `x == 0`: the local and the truth when it is NULL. */
export function localNullTest(e: SyntaxNode | null): { name: string; whenNull: boolean } | undefined {
  const t = nullTest(e);
  return t && /^[A-Za-z_]\w*$/.test(t.name) ? t : undefined;
}

/**
 * A leaf test of an lvalue's nullness (a local, a global, `sc->buf`, `tab[i]`): `x`, `!x`, `x != NULL`,
 * `NULL == x`, `x == 0`: its key (lvalKey) and the truth when it is NULL.
 */
export function nullTest(e: SyntaxNode | null): { name: string; whenNull: boolean } | undefined {
  const u = unparen(e);
  if (!u) return undefined;
  if (u.type === 'unary_expression' && u.child(0)?.type === '!') {
    const t = nullTest(u.childForFieldName('argument'));
    return t && { name: t.name, whenNull: !t.whenNull };
  }
  if (u.type === 'binary_expression') {
    const op = u.childForFieldName('operator')?.type;
    if (op !== '==' && op !== '!=') return undefined;
    const l = unparen(u.childForFieldName('left'));
    const r = unparen(u.childForFieldName('right'));
    const k = lvalKey(isNullLiteral(r) ? l : isNullLiteral(l) ? r : null);
    return k ? { name: k, whenNull: op === '==' } : undefined;
  }
  const k = lvalKey(u);
  return k ? { name: k, whenNull: false } : undefined;
}

/** Control-flow shape facts of one CFG, computed on demand. */
export class CfgShape {
  private back?: Set<number>;
  private preds?: number[][];
  private fromSuccess = new Map<number, Set<number>>();
  private pdom = new Map<number, boolean>();
  private readonly n: number;

  constructor(readonly cfg: Cfg) {
    this.n = cfg.nodes.length;
  }

  /** Is u -> v a loop back-edge (v is an ancestor of u in a depth-first walk from the entry)? */
  isBackEdge(u: number, v: number): boolean {
    if (!this.back) {
      const back = new Set<number>();
      const state = new Uint8Array(this.cfg.nodes.length); // 0 new, 1 on stack, 2 done
      const stack: { id: number; i: number }[] = [{ id: this.cfg.entry, i: 0 }];
      state[this.cfg.entry] = 1;
      while (stack.length) {
        const top = stack[stack.length - 1];
        const succ = this.cfg.nodes[top.id].succ;
        if (top.i < succ.length) {
          const s = succ[top.i++];
          if (state[s] === 1) back.add(top.id * this.n + s);
          else if (state[s] === 0) {
            state[s] = 1;
            stack.push({ id: s, i: 0 });
          }
        } else {
          state[top.id] = 2;
          stack.pop();
        }
      }
      this.back = back;
    }
    return this.back.has(u * this.n + v);
  }

  predecessors(): number[][] {
    if (!this.preds) {
      const p: number[][] = this.cfg.nodes.map(() => []);
      for (const n of this.cfg.nodes) for (const s of n.succ) if (!p[s].includes(n.id)) p[s].push(n.id);
      this.preds = p;
    }
    return this.preds;
  }

  /** Nodes reachable from `from` without passing through `avoid`. */
  reachableAvoiding(from: number, avoid: number): Set<number> {
    const key = from * this.n + avoid;
    let r = this.fromSuccess.get(key);
    if (!r) {
      r = new Set<number>();
      const work = from === avoid ? [] : [from];
      while (work.length) {
        const id = work.pop()!;
        if (r.has(id)) continue;
        r.add(id);
        for (const s of this.cfg.nodes[id].succ) if (s !== avoid && !r.has(s)) work.push(s);
      }
      this.fromSuccess.set(key, r);
    }
    return r;
  }

  /** Does every path from `from` to the function's exit pass through `p`? */
  postDominates(p: number, from: number): boolean {
    const key = p * this.n + from;
    let v = this.pdom.get(key);
    if (v === undefined) {
      v = from === p || !this.reachableAvoiding(from, p).has(this.cfg.exit);
      this.pdom.set(key, v);
    }
    return v;
  }
}

/** How a node defines the lvalue `key`, if it does. */
export type DefKind = { kind: 'none' } | { kind: 'copy'; from: string } | { kind: 'call'; call: SyntaxNode } | { kind: 'other' };

/**
 * Does `ast` store into `key`? `key = call(...)`, `key = other` (a copy:
 * follow `other`), any other store, an allocation macro writing through its
 * result argument (`resultArgOf` names which), or `&key` handed to a callee.
 */
export function defOf(ast: SyntaxNode | null, key: string, resultArgOf: (call: SyntaxNode) => number | undefined): DefKind {
  let found: DefKind = { kind: 'none' };
  const visit = (n: SyntaxNode): boolean => {
    if (OPAQUE.has(n.type)) return false;
    if (n.type === 'assignment_expression' || n.type === 'init_declarator') {
      let lk: string | undefined;
      let r: SyntaxNode | null;
      if (n.type === 'assignment_expression') {
        lk = lvalKey(n.childForFieldName('left'));
        r = n.childForFieldName('right');
        if (lk === key && n.childForFieldName('operator')?.type !== '=') {
          found = { kind: 'other' };
          return true;
        }
      } else {
        let d: SyntaxNode | null = n.childForFieldName('declarator');
        while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
        lk = d?.text;
        r = n.childForFieldName('value');
      }
      if (lk === key) {
        let u = unparen(r);
        while (u && u.type === 'assignment_expression') u = unparen(u.childForFieldName('right'));
        const rk = lvalKey(u);
        found = u?.type === 'call_expression' ? { kind: 'call', call: u } : rk ? { kind: 'copy', from: rk } : { kind: 'other' };
        return true;
      }
    }
    if (n.type === 'call_expression') {
      const i = resultArgOf(n);
      const args = n.childForFieldName('arguments')?.namedChildren ?? [];
      if (i !== undefined && lvalKey(args[i]) === key) {
        found = { kind: 'call', call: n };
        return true;
      }
    }
    if (n.type === 'pointer_expression' && n.child(0)?.type === '&' && lvalKey(n.childForFieldName('argument')) === key) {
      found = { kind: 'other' };
      return true;
    }
    for (const c of n.namedChildren) if (visit(c)) return true;
    return false;
  };
  if (ast) visit(ast);
  return found;
}

/** Is `len` one of the terms of the sum `room` (`ic_headroom + sizeof(struct hdr)` holds `sizeof(struct hdr)`)? */
export function roomHolds(room: string, len: string): boolean {
  const norm = (s: string) => s.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  const want = norm(len);
  let depth = 0;
  let last = 0;
  const terms: string[] = [];
  const r = norm(room);
  for (let i = 0; i <= r.length; i++) {
    const c = r[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if ((c === '+' || c === undefined) && depth === 0) {
      terms.push(r.slice(last, i));
      last = i + 1;
    }
  }
  return !!want && terms.includes(want);
}
