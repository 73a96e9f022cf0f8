import type { JNode as SyntaxNode } from './jsast';
import { hasOwn, own } from '../util/own';
import type { Model } from '../model/model';
import type { ResourcePair } from '../model/types';
import { callArgs, callName, isNullLiteral, lvalKey, normArg, unparen } from './ast';

/** A resource the function holds: an allocation in a local, a lock, an spl level. */
export interface Held {
  key: string;
  /** Human words: "malloc'd buffer 'buf'", "mutex &sc->mtx". */
  what: string;
  kind: ResourcePair['kind'] | 'alloc';
  /** Byte offset of the acquiring call. */
  at: number;
  /** For locks: does holding it forbid sleeping / any allocation? */
  forbidsSleep?: boolean;
  forbidsAlloc?: boolean;
}

/** The abstract state along one path. */
export interface PState {
  /** Lvalue keys known to hold the failed (NULL) allocation result. */
  nulls: string[];
  held: Held[];
  /** The path went through a test decided by the NULL result. */
  tested: boolean;
  inError: boolean;
  /** Locals holding a known constant (`error = ENOMEM`): enough to follow `if (error)` cleanup idioms. */
  consts?: Record<string, number>;
  /** Branches taken at side-effect-free if conditions on this path (condition text -> taken). */
  corr?: Record<string, boolean>;
}

export interface Effects {
  deref?: SyntaxNode;
  noReturn?: SyntaxNode;
  assertFail?: SyntaxNode;
  /** A macro that returns from the function (its body has `return`). */
  exits?: SyntaxNode;
  /** The tracked value was overwritten on every alias: tracking ends. */
  killed?: boolean;
  /** `p = realloc(p, ...)` lost the old buffer. */
  reallocLost?: SyntaxNode;
  /** A condition consulted the NULL value. */
  nullConsulted?: boolean;
}


/** return_ACPI_STATUS(x), ATTACH_RETURN(e), return_VALUE(v): macros that leave the function. */
const RETURN_MACRO = /^(return_[A-Za-z0-9_]+|[A-Z0-9_]*_RETURN)$/;

const PURE_DEREF = new Set(['bzero', 'memset', 'explicit_bzero', 'bcopy', 'ovbcopy', 'memcpy', 'memmove', 'memcmp', 'bcmp', 'strcpy', 'strncpy', 'strlcpy', 'strcat', 'strlcat', 'strcmp', 'strncmp', 'strlen', 'sprintf', 'snprintf', 'ksprintf', 'ksnprintf', 'copyin', 'copyout', 'copyinstr', 'copystr', 'm_copydata', 'm_copyback', 'uiomove', 'mtod', 'printf', 'kprintf', 'device_printf', 'log']);

const PREDICT = new Set(['__predict_false', '__predict_true', '__builtin_expect', 'likely', 'unlikely']);

/**
 * Walks expressions in evaluation order with short-circuit semantics and
 * applies their effects to a path state.
 */
export class Evaluator {
  /** The allocation call under study, or null when only resources are tracked. */
  origin: SyntaxNode | null = null;
  /** Set while scanning the origin node: derefs before the call do not count. */
  originEnd = -1;
  locals: Set<string> = new Set();

  readonly exitMacros: Set<string>;

  constructor(readonly model: Model) {
    this.exitMacros = new Set(model.dialect.exitMacros ?? []);
  }

  isNull(st: PState, key: string | undefined): boolean {
    return !!key && st.nulls.includes(key);
  }

  isHeldPtr(st: PState, key: string | undefined): boolean {
    return !!key && st.held.some((h) => h.kind === 'alloc' && h.key === 'alloc:' + key);
  }

  containsOrigin(n: SyntaxNode | null): boolean {
    const o = this.origin;
    return !!o && !!n && n.startIndex <= o.startIndex && n.endIndex >= o.endIndex && this.originEnd >= 0;
  }

  /** 'null' | 'nonnull' | 'unknown' for a pointer-valued expression. */
  nullness(e: SyntaxNode | null, st: PState, fx: Effects): 'null' | 'nonnull' | 'unknown' {
    const u = unparen(e);
    if (!u) return 'unknown';
    if (u === this.origin || (this.origin && u.type === 'call_expression' && u.startIndex === this.origin.startIndex && u.endIndex === this.origin.endIndex)) return 'null';
    if (isNullLiteral(u)) return 'null';
    if (u.type === 'assignment_expression') return this.nullness(u.childForFieldName('left'), st, fx);
    if (u.type === 'comma_expression') return this.nullness(u.childForFieldName('right'), st, fx);
    const k = lvalKey(u);
    if (k && st.nulls.includes(k)) {
      fx.nullConsulted = true;
      return 'null';
    }
    if (k && this.isHeldPtr(st, k)) return 'nonnull';
    return 'unknown';
  }

  truth(e: SyntaxNode | null, st: PState, fx: Effects): 'T' | 'F' | 'U' {
    const u = unparen(e);
    if (!u) return 'U';
    if (u.type === 'unary_expression' && u.child(0)?.type === '!') {
      const v = this.truth(u.childForFieldName('argument'), st, fx);
      return v === 'T' ? 'F' : v === 'F' ? 'T' : 'U';
    }
    if (u.type === 'identifier' && st.consts && hasOwn(st.consts, u.text)) return st.consts[u.text] ? 'T' : 'F';
    if (u.type === 'binary_expression') {
      const op = u.childForFieldName('operator')?.type;
      const l = u.childForFieldName('left');
      const r = u.childForFieldName('right');
      const lu = unparen(l);
      const ru = unparen(r);
      if ((op === '==' || op === '!=') && lu?.type === 'identifier' && st.consts && hasOwn(st.consts, lu.text) && ru?.type === 'number_literal') {
        const eq = st.consts[lu.text] === Number(ru.text.replace(/[uUlL]+$/, ''));
        return (op === '==') === eq ? 'T' : 'F';
      }
      if (op === '&&' || op === '||') {
        // the allocation under study ran, so the operand before it had the value that lets it run
        const a = this.containsOrigin(r) ? (op === '&&' ? 'T' : 'F') : this.truth(l, st, fx);
        if (op === '&&' && a === 'F') return 'F';
        if (op === '||' && a === 'T') return 'T';
        const b = this.truth(r, st, fx);
        if (op === '&&') return a === 'T' && b === 'T' ? 'T' : b === 'F' ? 'F' : 'U';
        return a === 'F' && b === 'F' ? 'F' : b === 'T' ? 'T' : 'U';
      }
      if (op === '==' || op === '!=') {
        let other: SyntaxNode | null = null;
        if (isNullLiteral(r)) other = l;
        else if (isNullLiteral(l)) other = r;
        if (!other) return 'U';
        const n = this.nullness(other, st, fx);
        if (n === 'unknown') return 'U';
        const eq = n === 'null';
        return (op === '==') === eq ? 'T' : 'F';
      }
      return 'U';
    }
    if (u.type === 'call_expression') {
      const name = callName(u);
      if (name && PREDICT.has(name)) return this.truth(callArgs(u)[0] ?? null, st, fx);
    }
    if (u.type === 'comma_expression') return this.truth(u.childForFieldName('right'), st, fx);
    const n = this.nullness(u, st, fx);
    return n === 'null' ? 'F' : n === 'nonnull' ? 'T' : 'U';
  }

  private addNull(st: PState, key: string) {
    if (!st.nulls.includes(key)) st.nulls = [...st.nulls, key].sort();
  }

  private removeNull(st: PState, key: string, fx: Effects) {
    if (!st.nulls.includes(key)) return;
    st.nulls = st.nulls.filter((k) => k !== key);
    if (st.nulls.length === 0 && this.origin) fx.killed = true;
  }

  /** `h = ...` or `h++`: `u[h]` no longer names what it named (loop indexes). */
  private indexChanged(st: PState, name: string, fx: Effects) {
    if (!st.nulls.length || !/^[A-Za-z_]\w*$/.test(name)) return;
    const re = new RegExp(`\\[[^\\]]*\\b${name}\\b[^\\]]*\\]`);
    for (const k of st.nulls) if (k.includes('[') && re.test(k)) this.removeNull(st, k, fx);
  }

  private addHeld(st: PState, h: Held) {
    if (st.held.some((x) => x.key === h.key)) return;
    st.held = [...st.held, h].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private removeHeld(st: PState, key: string) {
    if (st.held.some((x) => x.key === key)) st.held = st.held.filter((x) => x.key !== key);
  }

  /** The allocation spec of a call, if the model knows it. */
  allocSpec(call: SyntaxNode) {
    const name = callName(call);
    if (!name) return undefined;
    const spec = this.model.allocators.get(name);
    if (!spec) return undefined;
    if (spec.arity !== undefined && callArgs(call).length !== spec.arity) return undefined;
    return spec;
  }

  /** Apply the effects of evaluating node `n`. */
  scan(n: SyntaxNode | null, st: PState, fx: Effects, inCallArg = false): void {
    if (!n) return;
    switch (n.type) {
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
      case 'string_literal':
      case 'concatenated_string':
      case 'number_literal':
      case 'char_literal':
      case 'comment':
      case 'type_descriptor':
        return;
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        this.scan(c, st, fx);
        const v = this.truth(c, st, fx);
        if (v !== 'F') this.scan(n.childForFieldName('consequence'), st, fx);
        if (v !== 'T') this.scan(n.childForFieldName('alternative'), st, fx);
        return;
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.type;
        const l = n.childForFieldName('left');
        this.scan(l, st, fx);
        if (op === '&&' || op === '||') {
          const v = this.truth(l, st, fx);
          if ((op === '&&' && v === 'F') || (op === '||' && v === 'T')) return;
        }
        this.scan(n.childForFieldName('right'), st, fx);
        return;
      }
      case 'assignment_expression': {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        this.scan(right, st, fx);
        this.scanLvalue(left, st, fx);
        this.assign(left, right, n.childForFieldName('operator')?.type === '=', st, fx);
        return;
      }
      case 'init_declarator': {
        const d = n.childForFieldName('declarator');
        const v = n.childForFieldName('value');
        this.scan(v, st, fx);
        let id: SyntaxNode | null = d;
        while (id && id.type !== 'identifier') id = id.childForFieldName('declarator');
        if (id) this.assign(id, v, true, st, fx);
        return;
      }
      case 'field_expression': {
        const arg = n.childForFieldName('argument');
        const op = n.childForFieldName('operator')?.type ?? n.child(1)?.type;
        if (op === '->' && n.startIndex > this.originEnd && this.isNull(st, lvalKey(arg))) fx.deref ??= n;
        this.scan(arg, st, fx);
        return;
      }
      case 'subscript_expression': {
        const arg = n.childForFieldName('argument');
        if (n.startIndex > this.originEnd && this.isNull(st, lvalKey(arg))) fx.deref ??= n;
        this.scan(arg, st, fx);
        this.scan(n.childForFieldName('index'), st, fx);
        return;
      }
      case 'pointer_expression': {
        const op = n.child(0)?.type;
        const arg = n.childForFieldName('argument');
        if (op === '*') {
          if (n.startIndex > this.originEnd && this.isNull(st, lvalKey(arg))) fx.deref ??= n;
          this.scan(arg, st, fx);
        } else {
          // &p->x computes an address; it is a dereference when handed to a callee
          const a = unparen(arg);
          if (inCallArg && a && a.type === 'field_expression' && n.startIndex > this.originEnd && this.isNull(st, lvalKey(a.childForFieldName('argument')))) fx.deref ??= n;
          if (a && (a.type === 'field_expression' || a.type === 'subscript_expression')) {
            this.scan(a.childForFieldName('argument'), st, fx);
            if (a.type === 'subscript_expression') this.scan(a.childForFieldName('index'), st, fx);
          } else this.scan(arg, st, fx);
        }
        return;
      }
      case 'call_expression':
        this.call(n, st, fx);
        return;
      case 'update_expression': {
        const a = unparen(n.childForFieldName('argument'));
        if (a?.type === 'identifier') this.indexChanged(st, a.text, fx);
        else this.scan(a, st, fx);
        return;
      }
      case 'declaration': {
        for (const c of n.namedChildren) if (c.type === 'init_declarator') this.scan(c, st, fx);
        return;
      }
      default:
        for (const c of n.namedChildren) this.scan(c, st, fx, inCallArg);
    }
  }

  /** Derefs inside an lvalue being assigned: `p->x = ...` dereferences p. */
  private scanLvalue(left: SyntaxNode | null, st: PState, fx: Effects) {
    const u = unparen(left);
    if (!u) return;
    if (u.type === 'identifier') return;
    this.scan(u, st, fx);
  }

  private assign(left: SyntaxNode | null, right: SyntaxNode | null, plain: boolean, st: PState, fx: Effects) {
    const lk = lvalKey(left);
    if (!lk) return;
    const r = unparen(right);
    if (st.consts && hasOwn(st.consts, lk)) {
      const { [lk]: _drop, ...rest } = st.consts;
      st.consts = rest;
    }
    if (plain && this.locals.has(lk) && r) {
      const v = r.type === 'number_literal' && /^\d+$/.test(r.text) ? Number(r.text) : r.type === 'identifier' && /^E[A-Z0-9]+$/.test(r.text) ? 1 : undefined;
      if (v !== undefined) st.consts = { ...(st.consts ?? {}), [lk]: v };
    }
    const rk = lvalKey(r?.type === 'assignment_expression' ? r.childForFieldName('left') : r);
    const fromOrigin = !!r && !!this.origin && r.startIndex <= this.origin.startIndex && r.endIndex >= this.origin.endIndex &&
      (r === this.origin || r.type === 'call_expression' || r.type === 'conditional_expression' || r.type === 'assignment_expression');
    // an allocation wrapper's result assigned to a local: a held resource
    const wasNull = st.nulls.includes(lk);
    if (wasNull && plain) this.removeNull(st, lk, fx);
    this.indexChanged(st, lk, fx);
    if (plain) {
      // `pkt = next` ends what we knew about pkt->m
      for (const k of st.nulls) if (k.length > lk.length && k.startsWith(lk) && /^(->|\.|\[)/.test(k.slice(lk.length))) this.removeNull(st, k, fx);
    }
    if (plain && st.held.some((h) => h.key === 'alloc:' + lk)) this.removeHeld(st, 'alloc:' + lk);
    if (plain && fromOrigin && r && (r.type === 'call_expression' ? r.startIndex === this.origin!.startIndex : true)) {
      this.addNull(st, lk);
      fx.killed = false;
      const spec = this.allocSpec(this.origin!);
      if (spec && spec.reallocArg !== undefined && !spec.freesOldOnFailure) {
        const old = callArgs(this.origin!)[spec.reallocArg];
        if (old && lvalKey(old) === lk) fx.reallocLost = this.origin!;
      }
      return;
    }
    if (plain && rk && st.nulls.includes(rk)) {
      this.addNull(st, lk);
      return;
    }
    if (plain && r && r.type === 'call_expression') {
      const name = callName(r);
      const spec = this.allocSpec(r);
      // only allocators whose release functions the model knows: a wrapper's result is released by code we cannot see
      if (name && spec && !spec.summary && spec.result.kind === 'return' && this.locals.has(lk)) {
        // realloc of a held buffer keeps it held under the same name
        this.addHeld(st, { key: 'alloc:' + lk, what: `${name}() result '${lk}'`, kind: 'alloc', at: r.startIndex });
        return;
      }
      const pair = name ? this.model.acquire.get(name) : undefined;
      if (pair && 'returned' in pair.key) {
        this.addHeld(st, { key: `${pair.kind}:${lk}`, what: `${pair.description} saved in '${lk}' by ${name}()`, kind: pair.kind, at: r.startIndex, forbidsSleep: pair.forbidsSleep, forbidsAlloc: pair.forbidsAlloc });
        return;
      }
    }
    // a held local stored somewhere else escapes: the function no longer owns it alone
    if (rk && this.isHeldPtr(st, rk) && lk !== rk) this.removeHeld(st, 'alloc:' + rk);
  }

  private call(n: SyntaxNode, st: PState, fx: Effects) {
    const name = callName(n);
    const args = callArgs(n);
    for (const a of args) this.scan(a, st, fx, true);
    if (!name) {
      this.scan(n.childForFieldName('function'), st, fx);
      return;
    }
    const m = this.model;
    const isOrigin = this.origin !== null && n.startIndex === this.origin.startIndex && n.endIndex === this.origin.endIndex;
    if (isOrigin) {
      // what the allocator is handed, it owns (ahc_alloc(dev, name) frees name itself on failure)
      for (const a of args) {
        const k = lvalKey(unparen(a));
        if (k && this.isHeldPtr(st, k)) this.removeHeld(st, 'alloc:' + k);
      }
      const spec = this.allocSpec(n);
      if (spec && spec.result.kind === 'arg') {
        const k = lvalKey(args[spec.result.index]);
        if (k) {
          this.addNull(st, k);
          fx.killed = false;
        }
      }
      return;
    }
    if (RETURN_MACRO.test(name) || this.exitMacros.has(name)) {
      fx.exits ??= n;
      return;
    }
    if (m.noReturn.has(name)) {
      fx.noReturn ??= n;
      return;
    }
    const ai = own(m.dialect.asserts, name);
    if (ai !== undefined) {
      if (this.truth(args[ai] ?? null, st, fx) === 'F') fx.assertFail ??= n;
      return;
    }
    // dereferencing callees
    if (n.startIndex > this.originEnd) {
      const idx = own(m.dialect.derefArgs, name);
      if (idx) {
        for (const i of idx) {
          const a = unparen(args[i]);
          if (!a) continue;
          if (this.isNull(st, lvalKey(a)) || (this.origin && a.type === 'call_expression' && a.startIndex === this.origin.startIndex)) fx.deref ??= n;
        }
      }
    }
    // frees
    const fi = m.frees.get(name);
    if (fi !== undefined) {
      const k = lvalKey(args[fi]);
      if (k) this.removeHeld(st, 'alloc:' + k);
      return;
    }
    // resource pairs
    const rel = m.release.get(name);
    if (rel) {
      if ('none' in rel.key) this.removeHeld(st, `${rel.kind}:`);
      else {
        const k = normArg(args[rel.key.releaseArg]);
        this.removeHeld(st, `${rel.kind}:${k}`);
      }
      return;
    }
    const acq = m.acquire.get(name);
    if (acq) {
      if (name === 'lockmgr') {
        const how = args[1]?.text ?? '';
        const k = `${acq.kind}:${normArg(args[0])}`;
        if (/LK_RELEASE/.test(how)) this.removeHeld(st, k);
        else if (/LK_(EXCLUSIVE|SHARED)/.test(how) && !/LK_NOWAIT/.test(how)) this.addHeld(st, { key: k, what: `lockmgr lock ${normArg(args[0])}`, kind: acq.kind, at: n.startIndex, forbidsSleep: false, forbidsAlloc: false });
        return;
      }
      if ('none' in acq.key) this.addHeld(st, { key: `${acq.kind}:`, what: `${acq.description} (${name}())`, kind: acq.kind, at: n.startIndex, forbidsSleep: acq.forbidsSleep, forbidsAlloc: acq.forbidsAlloc });
      else if ('acquireArg' in acq.key) {
        const k = normArg(args[acq.key.acquireArg]);
        this.addHeld(st, { key: `${acq.kind}:${k}`, what: `${acq.description} ${k}`, kind: acq.kind, at: n.startIndex, forbidsSleep: acq.forbidsSleep, forbidsAlloc: acq.forbidsAlloc });
      }
      return;
    }
    // any other callee that receives a held local takes it over (lists, softc, cleanup helpers: the
    // whole-tree pass turns those into model.frees); one that only reads or writes the buffer
    // (bzero, bcopy) leaves it ours
    if (PURE_DEREF.has(name)) return;
    for (const arg of args) {
      const a = unparen(arg);
      const k = lvalKey(a?.type === 'pointer_expression' && a.child(0)?.type === '&' ? a.childForFieldName('argument') : a);
      if (k && this.isHeldPtr(st, k)) this.removeHeld(st, 'alloc:' + k);
    }
  }
}
