import type { JNode as SyntaxNode } from './jsast';
import { hasOwn, own } from '../util/own';
import type { Model } from '../model/model';
import type { ResourcePair } from '../model/types';
import { callArgs, callName, isNullLiteral, lvalKey, normArg, unparen } from './ast';
import { addrOf, fileFunctionReleases, inside, loopOf, loopPool, LOOPS, type LoopPool } from './loops';

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
  /**
   * The lvalue that names the handle (`buf`, `sc->irq`, `child`): a held handle is not NULL; returned, or
   * stored where the function does not own it, it escapes.
   */
  handle?: string;
  /** Other names of the same handle (`sc->child = child`: both name the child). */
  aliases?: string[];
  /** The resource pair of a `resource` (a newbus child, a bus resource, a DMA tag...). */
  pair?: ResourcePair;
  /** Entries that earlier iterations of a loop kept in a list or array (src/analysis/loops.ts). */
  pool?: LoopPool;
}

/** The identifier an lvalue key starts from: `sc` in `sc->irq`, `*sc->tag`, `sc->map[i]`. */
export function rootOf(key: string): string | undefined {
  return /^[*&(]*([A-Za-z_]\w*)/.exec(key)?.[1];
}

/** The member an lvalue key ends in: `buf` in `sc->rx.buf` or `sc->buf[i]`; undefined for a bare name. */
export function lastMember(key: string): string | undefined {
  return /(?:->|\.)([A-Za-z_]\w*)(?:\[[^\]]*\])*\)*$/.exec(key)?.[1];
}

/** `key` names `base` or a member, element or target of it (`base->x`, `base.x`, `base[i]`). */
function within(key: string, base: string): boolean {
  return key === base || (key.startsWith(base) && /^(->|\.|\[)/.test(key.slice(base.length)));
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

  /** A local allocation the function holds in `key`. */
  isHeldPtr(st: PState, key: string | undefined): boolean {
    return !!key && st.held.some((h) => h.kind === 'alloc' && h.key === 'alloc:' + key);
  }

  /** Some allocation or resource handle the function holds is named `key` (so it is not NULL). */
  isHeldHandle(st: PState, key: string | undefined): boolean {
    return this.heldNamed(st, key).length > 0;
  }

  /**
   * The held allocations and resources `key` names: by their handle or an alias; else, for a member
   * (`pcs->pci_isp.isp_param` where `isp = &pcs->pci_isp` stored `isp->isp_param`), the one member
   * handle with the same last member name: the same field reached through another pointer.
   */
  heldNamed(st: PState, key: string | undefined): Held[] {
    if (!key || !st.held.length) return [];
    const exact = st.held.filter((h) => h.handle === key || h.aliases?.includes(key));
    if (exact.length) return exact;
    const m = lastMember(key);
    if (!m) return [];
    const same = st.held.filter((h) => h.handle && h.handle !== rootOf(h.handle) && lastMember(h.handle) === m);
    return same.length === 1 ? same : [];
  }

  /** Release what `key` names (a free routine, a release function or a helper that frees its parameter). */
  private releaseNamed(st: PState, key: string | undefined) {
    for (const h of this.heldNamed(st, key)) if (h.kind === 'alloc' || h.kind === 'resource') this.removeHeld(st, h.key);
  }

  /** Is the function a file's entry point (see entryPoint()): cached per function. */
  private entry: boolean | undefined;
  private entryNode: SyntaxNode | null = null;

  /**
   * May the function own what it stores at `key`? A local, a local struct's member, a member of an
   * allocation the function holds in a local: yes. A member of any other object (`sc->buf` in a softc)
   * only in a function that nobody in its file calls and that the file hands out by name (a newbus
   * method in a method table, a registered handler): its caller cannot know to clean up after it,
   * and newbus does not call detach when attach fails. A helper called by its attach routine leaves
   * the cleanup to that caller.
   */
  private mayOwn(key: string, st: PState, at: SyntaxNode): boolean {
    // a local; a global or a parameter belongs to someone else
    if (/^[A-Za-z_]\w*$/.test(key)) return this.locals.has(key);
    const root = rootOf(key);
    // `*outp = x` hands x to the caller; `v[i] = x` in a loop is one of many the paths cannot tell apart
    if (!root || key.startsWith('*') || /\[[^\]]*[A-Za-z_]/.test(key)) return false;
    if (this.isHeldPtr(st, root)) return true;
    if (!key.includes('->') && !key.startsWith('*') && this.locals.has(root)) return true;
    if (this.entry === undefined || this.entryNode === null) {
      let f: SyntaxNode | null = at;
      while (f && f.type !== 'function_definition') f = f.parent;
      if (f !== this.entryNode || this.entry === undefined) {
        this.entryNode = f;
        this.entry = f ? entryPoint(f) : false;
      }
    }
    return this.entry;
  }

  /** The loop of the pool held on the current failure paths (set at the origin), or null. */
  private poolLoop: SyntaxNode | null = null;
  private poolMemo = new Map<number, LoopPool | null>();

  /** The loop pool the allocation `call` fails to add to (src/analysis/loops.ts), memoised per call. */
  private poolAt(call: SyntaxNode): LoopPool | undefined {
    let p = this.poolMemo.get(call.startIndex);
    if (p === undefined) {
      p = loopPool(call, this.model, (c) => this.allocSpec(c), this.locals, (t, n, a, b) => entryPointText(t, n, a, b, true)) ?? null;
      this.poolMemo.set(call.startIndex, p);
    }
    return p ?? undefined;
  }

  private releasingMemo = new Map<string, boolean>();

  /** A loop other than the pool's, not around the allocation, whose body frees or releases something. */
  private releasingLoop(l: SyntaxNode): boolean {
    const k = `${this.origin?.startIndex}|${l.startIndex}`;
    let r = this.releasingMemo.get(k);
    if (r === undefined) {
      const m = this.model;
      const body = l.childForFieldName('body');
      r = l !== this.poolLoop && !(this.origin && inside(this.origin, l)) && !!body &&
        body.descendantsOfType('call_expression').some((c) => { const name = callName(c) ?? ''; return m.frees.has(name) || m.release.has(name) || m.releaseAll.has(name); });
      this.releasingMemo.set(k, r);
    }
    return r;
  }

  private dropPools(st: PState) {
    for (const h of st.held) if (h.pool) this.removeHeld(st, h.key);
  }

  /** `return (ENOMEM)`, `return (-1)`, `return (error)` after `error = ENOMEM`, `return (NULL)`. */
  private errorValue(v: SyntaxNode | null, st: PState): boolean {
    if (!v) return false;
    const t = v.text.replace(/[()\s]/g, '');
    if (/^-?E[A-Z0-9]+$/.test(t) || t === '-1' || t === 'NULL') return true;
    return v.type === 'identifier' && !!st.consts && hasOwn(st.consts, v.text) && st.consts[v.text] !== 0;
  }

  /**
   * A call on a failure path that may release a pool's entries: a free or release inside another loop (a
   * loop over the list), one given the array's elements or the object that holds the pool, or any
   * other function given that object (the driver's own cleanup routine).
   */
  private poolCall(n: SyntaxNode, name: string, args: SyntaxNode[], st: PState) {
    const m = this.model;
    for (const h of st.held) {
      if (!h.pool) continue;
      const p = h.pool;
      const root = rootOf(p.container) ?? '';
      const mentions = (a: SyntaxNode) => {
        const k = addrOf(a);
        return k !== undefined && (k === root || within(k, p.container));
      };
      let drop = false;
      if (m.frees.has(name) || m.release.has(name) || m.releaseAll.has(name)) {
        const l = loopOf(n);
        drop = (!!l && l !== p.loop && !(this.origin && inside(this.origin, l))) || args.some((a) => { const k = addrOf(a); return k === root || (k !== undefined && within(k, p.container)); });
      } else if (!PURE_DEREF.has(name) && !m.allocators.has(name) && !m.acquire.has(name)) {
        const mem = lastMember(p.container) ?? p.container;
        drop = args.some(mentions) || fileFunctionReleases(n, name, mem, m);
      }
      if (drop) this.removeHeld(st, h.key);
    }
  }

  /** `what` for a held allocation or resource: "bus resource 'sc->irq' (bus_alloc_resource_any() at line 150)". */
  private describe(desc: string, handle: string, fn: string, at: SyntaxNode): string {
    const k = `${at.startIndex}|${handle}|${desc}`;
    let w = this.whatMemo.get(k);
    if (w === undefined) this.whatMemo.set(k, (w = `${desc} '${handle}' (${fn}() at line ${at.startPosition.row + 1})`));
    return w;
  }
  private whatMemo = new Map<string, string>();

  /** The handle `h` stops being ours: returned, stored elsewhere, handed over. Members of a local object go with it. */
  private escape(st: PState, h: string, into?: string) {
    const local = this.isHeldPtr(st, h);
    for (const x of st.held) {
      if (!x.handle || !(x.kind === 'alloc' || x.kind === 'resource')) continue;
      if (x.handle === h || x.aliases?.includes(h)) {
        this.removeHeld(st, x.key);
        // stored in a member the function owns (`sc->child = child` in attach): still held, by either name
        if (into) this.addHeld(st, { ...x, aliases: [...(x.aliases ?? []), into].sort() });
      } else if (local && within(x.handle, h)) this.removeHeld(st, x.key);
    }
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
    if (k && this.isHeldHandle(st, k)) return 'nonnull';
    // `q->map` is held: q is not NULL
    if (k && st.held.length && st.held.some((h) => h.handle !== undefined && h.handle.length > k.length && h.handle.startsWith(k) && h.handle.startsWith('->', k.length))) return 'nonnull';
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
    if (!st.nulls.some((k) => k.includes('[')) || !/^[A-Za-z_]\w*$/.test(name)) return;
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
    // the pool's loop tests its condition again (or steps on): the failure was tolerated for this entry
    if (this.poolLoop && n.parent && st.held.length) {
      if (n.parent === this.poolLoop && n !== this.poolLoop.childForFieldName('body')) this.dropPools(st);
      // the head of a loop that frees or releases (a loop over the list): it releases the entries, on every path
      else if (n.parent.childForFieldName('condition') === n && LOOPS.has(n.parent.type) && this.releasingLoop(n.parent)) this.dropPools(st);
    }
    switch (n.type) {
      case 'break_statement':
      case 'continue_statement':
        if (this.poolLoop && loopOf(n, n.type === 'break_statement') === this.poolLoop) this.dropPools(st);
        return;
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
      case 'identifier':
        // `USB_ATTACH_ERROR_RETURN;`: an object-like macro that returns from the function
        if (n.parent?.type === 'expression_statement' && this.exitMacros.has(n.text)) fx.exits ??= n;
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
      case 'return_statement': {
        // `return (child);`: what the function returns it hands to its caller
        for (const c of n.namedChildren) this.scan(c, st, fx, inCallArg);
        const k = lvalKey(n.namedChildren[0]);
        if (k && st.held.some((h) => h.handle !== undefined && within(h.handle, k))) this.escape(st, k);
        // `return (0)`: the function succeeded after all (the failure was tolerated); what it stored in
        // members of other objects stays there by design
        const v = unparen(n.namedChildren[0]);
        // a pool kept in a member stays with its object unless the function reports an error
        if (this.poolLoop && !this.errorValue(v, st)) for (const h of st.held) if (h.pool && h.pool.container.includes('->')) this.removeHeld(st, h.key);
        if ((v?.type === 'number_literal' && /^0[uUlL]*$/.test(v.text)) || (v?.type === 'identifier' && this.model.successCodes.has(v.text))) {
          for (const h of st.held) {
            if (!(h.kind === 'alloc' || h.kind === 'resource')) continue;
            if ([h.handle ?? '', ...(h.aliases ?? [])].some((x) => x.includes('->') && !this.isHeldPtr(st, rootOf(x)))) this.removeHeld(st, h.key);
          }
        }
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
    if (plain && st.held.length) {
      for (const h of st.held) {
        if (!(h.kind === 'alloc' || h.kind === 'resource')) continue;
        if (h.handle === lk) {
          // the handle's name is reused: what it held is still held under its other name, if it has one
          this.removeHeld(st, h.key);
          if (h.aliases?.length) this.addHeld(st, { ...h, handle: h.aliases[0], aliases: h.aliases.length > 1 ? h.aliases.slice(1) : undefined });
        } else if (h.aliases?.includes(lk)) {
          this.removeHeld(st, h.key);
          this.addHeld(st, { ...h, aliases: h.aliases.filter((a) => a !== lk) });
        } else if (within(h.handle ?? '', lk) && /^[A-Za-z_]\w*$/.test(lk) && this.locals.has(lk)) {
          // `mb = m_pullup(mb, ...)`: the local names another object now; what its members held is out of sight
          this.removeHeld(st, h.key);
        }
      }
    }
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
      if (name && spec && !spec.summary && spec.result.kind === 'return' && (this.locals.has(lk) || (lk.includes('->') || lk.includes('.')) && this.mayOwn(lk, st, r))) {
        // realloc of a held buffer keeps it held under the same name
        this.addHeld(st, { key: 'alloc:' + lk, what: this.describe('memory', lk, name, r), kind: 'alloc', at: r.startIndex, handle: lk });
        return;
      }
      const pair = name ? this.model.acquire.get(name) : undefined;
      if (pair && 'returned' in pair.key) {
        // what the new resource is built from is its own now (`cam_sim_alloc(..., devq)` keeps the queue)
        if (pair.kind === 'resource') for (const a of callArgs(r)) {
          const k = lvalKey(unparen(a));
          if (k && this.isHeldHandle(st, k)) this.escape(st, k);
        }
        if (pair.kind === 'resource' && !this.mayOwn(lk, st, r)) return;
        this.addHeld(st, { key: `${pair.kind}:${lk}`, what: this.describe(pair.description, lk, name!, r), kind: pair.kind, at: r.startIndex, forbidsSleep: pair.forbidsSleep, forbidsAlloc: pair.forbidsAlloc, handle: lk, pair });
        return;
      }
    }
    // a held handle stored somewhere else escapes: the function no longer owns it alone, unless it owns where it went
    if (rk && lk !== rk && st.held.length && st.held.some((h) => h.handle === rk || h.aliases?.includes(rk)) && left) this.escape(st, rk, this.mayOwn(lk, st, left) ? lk : undefined);
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
    if (!isOrigin && this.poolLoop && st.held.length) this.poolCall(n, name, args, st);
    if (isOrigin) {
      const pool = this.poolAt(n);
      this.poolLoop = pool?.loop ?? null;
      if (pool) {
        const line = pool.loop.startPosition.row + 1;
        this.addHeld(st, { key: `alloc:${pool.container}`, what: this.describe(`entries allocated in earlier iterations of the loop at line ${line}, kept in`, pool.container, pool.allocName, pool.alloc), kind: 'alloc', at: pool.alloc.startIndex, handle: pool.container, pool });
      }
      // what the allocator is handed, it owns (ahc_alloc(dev, name) frees name itself on failure)
      for (const a of args) {
        const k = lvalKey(unparen(a));
        if (k && this.isHeldPtr(st, k)) this.escape(st, k);
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
    // `MALLOC(p, struct foo *, size, M_FOO, flags)`: an earlier allocation through an argument is held like a result
    const aspec = this.allocSpec(n);
    if (aspec && aspec.result.kind === 'arg' && !aspec.summary && !aspec.freesOldOnFailure) {
      const k = lvalKey(args[aspec.result.index]);
      if (k && (this.locals.has(k) || ((k.includes('->') || k.includes('.')) && this.mayOwn(k, st, n)))) {
        this.addHeld(st, { key: 'alloc:' + k, what: this.describe('memory', k, name, n), kind: 'alloc', at: n.startIndex, handle: k });
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
      // a free routine (or a helper that frees its parameter) releases whatever handle it is given
      this.releaseNamed(st, k);
      return;
    }
    // resource pairs
    const rel = m.release.get(name);
    if (rel) {
      if ('none' in rel.key) this.removeHeld(st, `${rel.kind}:`);
      else {
        const a = unparen(args[own(rel.releaseArgs, name) ?? rel.key.releaseArg]);
        const k = normArg(a);
        if (st.held.some((h) => h.key === `${rel.kind}:${k}`)) this.removeHeld(st, `${rel.kind}:${k}`);
        else if (rel.kind === 'resource' && this.heldNamed(st, k).length) this.releaseNamed(st, k);
        else {
          // `xpt_free_ccb(&ccb->ccb_h)`: the address of the first member is the address of the object
          const f = a?.type === 'pointer_expression' && a.child(0)?.type === '&' ? unparen(a.childForFieldName('argument')) : null;
          if (f?.type === 'field_expression') {
            const base = normArg(f.childForFieldName('argument'));
            this.removeHeld(st, `${rel.kind}:${base}`);
            if (rel.kind === 'resource') this.releaseNamed(st, base);
          }
        }
      }
      return;
    }
    const all = m.releaseAll.get(name);
    if (all) {
      for (const h of st.held) if (h.pair === all) this.removeHeld(st, h.key);
      return;
    }
    // the tree's own cleanup helpers (a driver's detach or free routine): the members they release
    const fields = m.fieldReleasers.get(name);
    if (fields) {
      for (const h of st.held) {
        if (!h.handle || !(h.kind === 'alloc' || h.kind === 'resource')) continue;
        const mem = lastMember(h.handle);
        if ((mem && fields.has(mem)) || (h.pair && fields.has(`#${h.pair.description}`))) this.removeHeld(st, h.key);
      }
    }
    // `usbd_alloc_report_desc(iface, &desc, &size, M_TEMP)`: a tree function that allocates into an out-argument
    const oi = m.outAllocators.get(name);
    if (oi !== undefined) {
      const u = unparen(args[oi]);
      const t = u?.type === 'pointer_expression' && u.child(0)?.type === '&' ? u.childForFieldName('argument') : null;
      const k = t ? lvalKey(t) : undefined;
      if (k && this.mayOwn(k, st, n)) this.addHeld(st, { key: 'alloc:' + k, what: this.describe('memory', k, name, n), kind: 'alloc', at: n.startIndex, handle: k });
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
        const k = normArg(acq.kind === 'resource' ? unparen(args[acq.key.acquireArg]) : args[acq.key.acquireArg]);
        const what = acq.kind === 'resource' ? this.describe(acq.description, k, name, n) : `${acq.description} ${k}`;
        this.addHeld(st, { key: `${acq.kind}:${k}`, what, kind: acq.kind, at: n.startIndex, forbidsSleep: acq.forbidsSleep, forbidsAlloc: acq.forbidsAlloc, ...(acq.kind === 'resource' ? { pair: acq, handle: k } : {}) });
      } else if ('out' in acq.key) {
        // `bus_dma_tag_create(..., &sc->tag)`: the handle is written through an out-argument
        const u = unparen(args[acq.key.out < 0 ? args.length + acq.key.out : acq.key.out]);
        const t = u?.type === 'pointer_expression' && u.child(0)?.type === '&' ? u.childForFieldName('argument') : null;
        const k = t ? normArg(t) : '';
        if (k && this.mayOwn(k, st, n)) this.addHeld(st, { key: `${acq.kind}:${k}`, what: this.describe(acq.description, k, name, n), kind: acq.kind, at: n.startIndex, handle: k, pair: acq, forbidsSleep: false, forbidsAlloc: false });
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
      if (k && this.isHeldPtr(st, k)) this.escape(st, k);
    }
  }
}

const entryMemo = new WeakMap<SyntaxNode, boolean>();

/**
 * Is the function `f` an entry point of its file: named somewhere in the file other than in a call
 * (a method table, a registration), and called nowhere in it? (KNF bodies by text; a prototype is
 * neither.) Such a function's caller is the framework (newbus, a handler table): nobody there cleans
 * up the members it filled in before it failed.
 */
export function entryPoint(f: SyntaxNode): boolean {
  const hit = entryMemo.get(f);
  if (hit !== undefined) return hit;
  let d: SyntaxNode | null = f.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const id = d?.childForFieldName('declarator');
  const out = id?.type === 'identifier' ? entryPointText(f.sourceText, id.text, f.startIndex, f.endIndex, true) : false;
  entryMemo.set(f, out);
  return out;
}

/**
 * entryPoint() on text: the function `name` defined at [start, end) of `text`. With `skipComments`, a
 * mention in a comment (`during foo_attach().`) neither names nor calls it.
 */
export function entryPointText(text: string, name: string, start: number, end: number, skipComments = false): boolean {
  let named = false;
  let called = false;
  const re = new RegExp(`\\b${name}\\b`, 'g');
  for (const m of text.matchAll(re)) {
    const i = m.index ?? 0;
    if (i >= start && i < end) continue;
    if (skipComments && text.lastIndexOf('/*', i) > text.lastIndexOf('*/', i)) continue;
    let j = i + name.length;
    while (j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n')) j++;
    if (text[j] === '(') {
      // a prototype stands in column 0 behind type words (`static int\tfoo_attach(device_t);`); a call does not
      const ls = text.lastIndexOf('\n', i - 1) + 1;
      const before = text.slice(ls, i);
      if (!(ls < i && /^[A-Za-z_][\w \t*]*$/.test(before) && !/\breturn\b/.test(before))) called = true;
    } else named = true;
  }
  return named && !called;
}
