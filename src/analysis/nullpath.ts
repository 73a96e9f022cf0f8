import type { JNode as SyntaxNode } from './jsast';
import { own } from '../util/own';
import type { Model } from '../model/model';
import type { AllocatorSpec } from '../model/types';
import { callArgs, callName, isNullLiteral, lvalKey, unparen } from './ast';
import { applyLocalOps, CfgShape, defOf, localNullTest, localOps, nullTest, roomHolds, type LocalFacts, type LocalOp } from './pathfacts';
import { buildCfg, type Cfg } from './cfg';
import { Evaluator, type Effects, type Held, type PState } from './effects';
import { evalFlags } from './flags';
import { heldFlow, MayHeld } from './mayheld';
import type { Loc, RelatedLoc, SiteFacts } from './types';

const MAX_STEPS = 4000;

/** The prefix of a status key in PState.nulls: a local holding the non-zero status of a failed status allocator. */
const STATUS = '!';

/**
 * The out-argument a status allocator writes (`&sc->vaddr` -> `sc->vaddr`, a pointer parameter `vp` -> `*vp`),
 * or undefined when the argument is no lvalue's address.
 */
export function statusOutKey(spec: AllocatorSpec, call: SyntaxNode): string | undefined {
  if (spec.result.kind !== 'status') return undefined;
  let a = unparen(callArgs(call)[spec.result.out]);
  while (a?.type === 'cast_expression') a = unparen(a.childForFieldName('value'));
  if (!a) return undefined;
  if (a.type === 'pointer_expression' && a.child(0)?.type === '&') return lvalKey(a.childForFieldName('argument'));
  return a.type === 'identifier' && !isNullLiteral(a) ? `*${a.text}` : undefined;
}

/** Is `use` inside a loop or if (below `top`) whose condition names one of `names`? */
function guardedBy(use: SyntaxNode, names: string[], top: SyntaxNode): boolean {
  const re = new RegExp(`\\b(?:${names.join('|')})\\b`);
  for (let p: SyntaxNode | null = use.parent, c: SyntaxNode = use; p && p !== top; c = p, p = p.parent) {
    if (!['for_statement', 'while_statement', 'if_statement', 'do_statement'].includes(p.type)) continue;
    const cond = p.childForFieldName('condition');
    if (cond && cond !== c && re.test(cond.text)) return true;
  }
  return false;
}

/**
 * The evaluator for a status allocator's failure paths (`error = bus_dmamem_alloc(tag, &vaddr, ...)`): the call's
 * value and the locals it is stored in are a non-zero status (true; `== 0` is false), and the out-argument is
 * unusable, tracked as the NULL result is (a use is a dereference of the failed result; `vaddr == NULL` holds).
 */
class StatusEvaluator extends Evaluator {
  outKey: string | undefined;

  private isOriginCall(u: SyntaxNode): boolean {
    const o = this.origin;
    return !!o && u.type === 'call_expression' && u.startIndex === o.startIndex && u.endIndex === o.endIndex;
  }

  /** `e` holds the status: the call, a status local, an assignment of either, a cast of them. */
  private holdsStatus(e: SyntaxNode | null, st: PState): boolean {
    let u = unparen(e);
    while (u?.type === 'cast_expression') u = unparen(u.childForFieldName('value'));
    if (!u) return false;
    if (this.isOriginCall(u)) return true;
    if (u.type === 'assignment_expression') return this.holdsStatus(u.childForFieldName('left'), st) || this.holdsStatus(u.childForFieldName('right'), st);
    const k = u.type === 'identifier' || u.type === 'field_expression' ? lvalKey(u) : undefined;
    return !!k && st.nulls.includes(STATUS + k);
  }

  override nullness(e: SyntaxNode | null, st: PState, fx: Effects): 'null' | 'nonnull' | 'unknown' {
    if (this.holdsStatus(e, st)) {
      fx.nullConsulted = true;
      return 'nonnull';
    }
    return super.nullness(e, st, fx);
  }

  override scan(n: SyntaxNode | null, st: PState, fx: Effects, inCallArg = false): void {
    if (!n) return;
    if (n.type === 'call_expression' && this.isOriginCall(n)) {
      super.scan(n, st, fx, inCallArg);
      if (this.outKey && !st.nulls.includes(this.outKey)) st.nulls = [...st.nulls, this.outKey].sort();
      fx.killed = false;
      return;
    }
    if (n.type === 'assignment_expression' && n.childForFieldName('operator')?.type === '=') {
      const left = n.childForFieldName('left');
      const lk = lvalKey(left);
      const right = n.childForFieldName('right');
      const lu = unparen(left);
      if (lk && right && (lu?.type === 'identifier' || lu?.type === 'field_expression') && this.holdsStatus(right, st)) {
        // `error = bus_dmamem_alloc(...)`: the local holds the non-zero status from here on
        this.scan(right, st, fx);
        if (st.consts && lk in st.consts) {
          const { [lk]: _drop, ...rest } = st.consts;
          st.consts = rest;
        }
        st.nulls = [...st.nulls.filter((k) => k !== lk), STATUS + lk].sort();
        fx.killed = false;
        return;
      }
      if (lk && st.nulls.includes(STATUS + lk)) {
        // the status local is given another value: it no longer tells the failure
        st.nulls = st.nulls.filter((k) => k !== STATUS + lk);
        if (!st.nulls.length && this.origin) {
          super.scan(n, st, fx, inCallArg);
          fx.killed = true;
          return;
        }
      }
    }
    super.scan(n, st, fx, inCallArg);
  }
}

export function locOf(n: SyntaxNode): Loc {
  return { line: n.startPosition.row + 1, col: n.startPosition.column + 1, endLine: n.endPosition.row + 1, endCol: n.endPosition.column + 1 };
}

function rel(n: SyntaxNode, message: string): RelatedLoc {
  return { ...locOf(n), message };
}

/** A point on a failure path, with the branches taken to reach it. */
function relOnPath(n: SyntaxNode, message: string, trail: Trail | undefined): RelatedLoc {
  return { ...locOf(n), message, steps: stepsOf(trail) };
}

/** The branches taken so far on one failure path (a list shared between paths: pushing never copies). */
interface Trail {
  at: SyntaxNode;
  taken: boolean;
  /** A goto, not a branch. */
  jump?: boolean;
  prev?: Trail;
}

/** The last 16 branches of a trail, in path order (for reports that draw the path). */
function stepsOf(t: Trail | undefined): NonNullable<RelatedLoc['steps']> {
  const out: NonNullable<RelatedLoc['steps']> = [];
  for (; t && out.length < 16; t = t.prev) out.push({ line: t.at.startPosition.row + 1, col: t.at.startPosition.column + 1, taken: t.taken, ...(t.jump ? { jump: true } : {}) });
  return out.reverse();
}

export interface FunctionUnit {
  name: string;
  /** This file's own `goto` macros (senderr, gotoerr): they win over other files' definitions. */
  localGotos?: Record<string, string>;
  /** The body statements. */
  body: SyntaxNode | SyntaxNode[];
  key: number;
  params: string[];
  locals: Set<string>;
  node: SyntaxNode;
}

function declaratorName(d: SyntaxNode | null): string | undefined {
  while (d) {
    if (d.type === 'identifier') return d.text;
    if (d.type === 'function_declarator' || d.type === 'pointer_declarator' || d.type === 'parenthesized_declarator' || d.type === 'attributed_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChildren[0] ?? null;
    } else return undefined;
  }
  return undefined;
}

function paramNames(fd: SyntaxNode | null): string[] {
  while (fd && fd.type !== 'function_declarator') fd = fd.childForFieldName('declarator');
  const pl = fd?.childForFieldName('parameters');
  if (!pl) return [];
  return pl.namedChildren.map((p) => {
    if (p.type === 'identifier') return p.text;
    let d: SyntaxNode | null = p.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? (d.type === 'parenthesized_declarator' ? d.namedChildren[0] : null);
    if (d) return d.text;
    const t = p.childForFieldName('type'); // K&R: `f(a, b)` parses names as types
    return t && !p.childForFieldName('declarator') ? t.text : '';
  });
}

function collectLocals(body: SyntaxNode | SyntaxNode[], out: Set<string>) {
  const visit = (n: SyntaxNode) => {
    if (n.type === 'declaration') {
      for (const c of n.namedChildren) {
        let d: SyntaxNode | null = c.type === 'init_declarator' ? c.childForFieldName('declarator') : c;
        while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
        if (d) out.add(d.text);
      }
      return;
    }
    if (n.type.endsWith('_expression')) return;
    for (const c of n.namedChildren) visit(c);
  };
  for (const b of Array.isArray(body) ? body : [body]) visit(b);
}

/** The function that contains `n`: a function_definition, or what is left of one inside an ERROR. */
export function functionOf(n: SyntaxNode): FunctionUnit | undefined {
  let outerCompound: SyntaxNode | null = null;
  for (let p: SyntaxNode | null = n.parent; p; p = p.parent) {
    if (p.type === 'function_definition') {
      const body = p.childForFieldName('body');
      if (!body) return undefined;
      const decl = p.childForFieldName('declarator');
      const locals = new Set<string>();
      collectLocals(body, locals);
      return { name: declaratorName(decl) ?? '<anonymous>', body, key: p.startIndex, params: paramNames(decl), locals, node: p };
    }
    if (p.type === 'compound_statement') outerCompound = p;
    if (p.type === 'preproc_function_def') return undefined;
    if (p.type === 'ERROR' && (p.parent === null || p.parent.type === 'translation_unit')) {
      // K&R or macro-damaged definition: statements after the last "{" before n, up to its match
      const kids = p.children;
      let open = -1;
      let name: string | undefined;
      let params: string[] = [];
      for (let i = 0; i < kids.length && kids[i].startIndex <= n.startIndex; i++) {
        const k = kids[i];
        if (k.type === 'function_declarator') {
          name = declaratorName(k);
          params = paramNames(k);
          open = -1;
        } else if (k.type === '{') open = i;
      }
      if (open >= 0 && name) {
        const body: SyntaxNode[] = [];
        for (let i = open + 1; i < kids.length && kids[i].type !== '}'; i++) body.push(kids[i]);
        const locals = new Set<string>();
        collectLocals(body, locals);
        return { name, body, key: kids[open].startIndex, params, locals, node: p };
      }
      if (outerCompound) {
        const prev = outerCompound.previousNamedSibling;
        const nm = prev && prev.type === 'function_declarator' ? declaratorName(prev) : undefined;
        const locals = new Set<string>();
        collectLocals(outerCompound, locals);
        return { name: nm ?? '<unknown>', body: outerCompound, key: outerCompound.startIndex, params: prev ? paramNames(prev) : [], locals, node: outerCompound };
      }
      return undefined;
    }
  }
  return undefined;
}

/**
 * Small ids for the parts of a path state (the NULL keys, what is held, the constants, ...), so that the
 * key of a state visited is short: two parts get the same id exactly when their texts are equal. The
 * parts are never changed in place (a step that changes one makes a new one), so the text of an object
 * is made once, however many states share it.
 */
class PartIds {
  private byObj = new WeakMap<object, number>();
  private byText = new Map<string, number>();
  private byScope = new WeakMap<object, Map<number, number>>();
  id<T extends object>(o: T | undefined, text: (o: T) => string): number {
    if (o === undefined) return 0;
    let i = this.byObj.get(o);
    if (i === undefined) {
      i = this.textId(text(o));
      this.byObj.set(o, i);
    }
    return i;
  }

  /**
   * The id of a record (constants, local facts, correlations) with only the entries `keep` accepts: those some
   * node ahead can still read (`scope` names that set of readers). An entry nothing ahead reads decides nothing,
   * so two states that differ only there explore the same paths; no entries at all is the same as no record.
   */
  live(o: Record<string, unknown> | undefined, scope: number, keep: (k: string) => boolean): number {
    if (o === undefined) return 0;
    let m = this.byScope.get(o);
    if (!m) this.byScope.set(o, (m = new Map()));
    let i = m.get(scope);
    if (i === undefined) {
      const f: Record<string, unknown> = {};
      let n = 0;
      for (const k of Object.keys(o)) {
        if (!keep(k)) continue;
        f[k] = o[k];
        n++;
      }
      i = n ? this.textId(JSON.stringify(f)) : 0;
      m.set(scope, i);
    }
    return i;
  }

  private textId(t: string): number {
    let i = this.byText.get(t);
    if (i === undefined) this.byText.set(t, (i = this.byText.size + 1));
    return i;
  }
}

/**
 * For each CFG node, the locals and if-condition keys (`?` + key) that it or a node reachable from it reads,
 * as a bit set; `scope[id]` numbers the distinct sets.
 */
type Readers = { index: Map<string, number>; bits: Uint32Array[]; scope: Int32Array };
const joinKeys = (a: string[]) => a.join(',');
const heldKeys = (a: Held[]) => a.map((h) => h.key).join(',');

/** Per-function state shared by all the allocation sites in it. */
export class FunctionAnalysis {
  readonly cfg: Cfg;
  private heldIn?: Map<number, Held[]>;
  private mayHeld?: MayHeld;
  readonly ev: Evaluator;

  /** The evaluator of the failure paths being explored (the status evaluator for a status allocator). */
  private cur: Evaluator;
  private statusEv?: StatusEvaluator;

  private statusEvaluator(outKey: string | undefined): StatusEvaluator {
    if (!this.statusEv) {
      this.statusEv = new StatusEvaluator(this.model);
      this.statusEv.locals = this.fn.locals;
    }
    this.statusEv.outKey = outKey;
    return this.statusEv;
  }

  constructor(readonly fn: FunctionUnit, readonly model: Model) {
    this.ev = new Evaluator(model);
    this.cur = this.ev;
    this.cfg = buildCfg(fn.body, model.dialect.gotoMacros, fn.localGotos, this.ev.exitMacros);
    this.ev.locals = fn.locals;
  }

  /** The CFG node that evaluates `n`. */
  nodeFor(n: SyntaxNode): number | undefined {
    for (let p: SyntaxNode | null = n; p; p = p.parent) {
      const id = this.cfg.byStart.get(p.startIndex);
      if (id !== undefined) {
        const c = this.cfg.nodes[id];
        if (c.ast && c.ast.endIndex === p.endIndex) return id;
      }
      if (p.type === 'function_definition') break;
    }
    return undefined;
  }

  /** Resources held on every path into each node (must-analysis, forward). */
  held(): Map<number, Held[]> {
    return (this.heldIn ??= heldFlow(this.cfg, this.ev, 'must'));
  }

  /** Loop back-edges, post-dominance and predecessors of this function's CFG. */
  private shapeOf?: CfgShape;
  get shape(): CfgShape {
    return (this.shapeOf ??= new CfgShape(this.cfg));
  }

  private nullIn?: Map<number, LocalFacts>;
  private opsAt = new Map<number, LocalOp[]>();
  private storesAt = new Map<number, { at: number; key: string }[]>();

  /** The stores to tested locals that node `id` makes. */
  private opsOf(id: number): LocalOp[] {
    let ops = this.opsAt.get(id);
    if (!ops) this.opsAt.set(id, (ops = localOps(this.cfg.nodes[id].ast, this.testedLocals)));
    return ops;
  }
  private readersOf?: Readers;

  /** What each node and the nodes after it read: the locals named in them, and the correlation keys of their tests. */
  private readers(): Readers {
    if (this.readersOf) return this.readersOf;
    const { nodes } = this.cfg;
    const index = new Map<string, number>();
    for (const l of this.fn.locals) index.set(l, index.size);
    const corr = nodes.map((n) => (n.kind === 'cond' && n.ast ? this.correlationKey(n.ast) : undefined));
    for (const k of corr) if (k !== undefined && !index.has('?' + k)) index.set('?' + k, index.size);
    const words = (index.size + 31) >>> 5;
    const bits = nodes.map(() => new Uint32Array(words));
    const mark = (id: number, i: number) => (bits[id][i >>> 5] |= 1 << (i & 31));
    nodes.forEach((n, id) => {
      if (corr[id] !== undefined) mark(id, index.get('?' + corr[id])!);
      const stack = n.ast ? [n.ast] : [];
      while (stack.length) {
        const x = stack.pop()!;
        if (x.type === 'identifier') {
          const i = index.get(x.text);
          if (i !== undefined) mark(id, i);
        }
        for (const c of x.children) stack.push(c);
      }
    });
    // backward to a fixpoint: a node reads what its successors read
    const preds = this.shape.predecessors();
    const work = nodes.map((_, i) => i);
    while (work.length) {
      const id = work.pop()!;
      const b = bits[id];
      for (const p of preds[id]) {
        const a = bits[p];
        let changed = false;
        for (let w = 0; w < words; w++) {
          const v = (a[w] | b[w]) >>> 0;
          if (v !== a[w]) {
            a[w] = v;
            changed = true;
          }
        }
        if (changed) work.push(p);
      }
    }
    const ids = new Map<string, number>();
    const scope = new Int32Array(nodes.length);
    bits.forEach((b, id) => {
      const t = b.join(',');
      let i = ids.get(t);
      if (i === undefined) ids.set(t, (i = ids.size));
      scope[id] = i;
    });
    return (this.readersOf = { index, bits, scope });
  }

  private testedLocalsOf?: Set<string>;
  private panicsOf?: boolean;

  /** Locals some condition of the function tests for NULL: the only ones whose facts can decide a branch. */
  get testedLocals(): Set<string> {
    if (!this.testedLocalsOf) {
      const out = new Set<string>();
      const leaves = (e: SyntaxNode | null) => {
        const u = unparen(e);
        if (!u) return;
        const op = u.type === 'binary_expression' ? u.childForFieldName('operator')?.type : undefined;
        if (op === '&&' || op === '||') {
          leaves(u.childForFieldName('left'));
          leaves(u.childForFieldName('right'));
          return;
        }
        if (u.type === 'unary_expression' && u.child(0)?.type === '!') return leaves(u.childForFieldName('argument'));
        const t = localNullTest(u);
        if (t && this.fn.locals.has(t.name)) out.add(t.name);
      };
      for (const n of this.cfg.nodes) if (n.kind === 'cond') leaves(n.ast);
      this.testedLocalsOf = out;
    }
    return this.testedLocalsOf;
  }

  /** Does the function call anything that never returns (panic)? Only then does a path need to know what decided it. */
  get panics(): boolean {
    if (this.panicsOf === undefined) {
      this.panicsOf = this.cfg.nodes.some((n) => !!n.ast && n.ast.descendantsOfType('call_expression').some((c) => this.model.noReturn.has(callName(c) ?? '')));
    }
    return this.panicsOf;
  }

  /**
   * What each simple local holds on every path into each node (NULL or not;
   * a must-analysis forward from the entry): `th = NULL` before a branch that
   * sets th only when an allocation succeeded.
   */
  localFactsIn(id: number): LocalFacts {
    if (!this.nullIn) {
      const { nodes, entry } = this.cfg;
      const inF = new Map<number, LocalFacts>();
      inF.set(entry, {});
      const work = [entry];
      let steps = 0;
      while (work.length && steps++ < 20000) {
        const n = work.pop()!;
        const after = applyLocalOps(this.opsOf(n), inF.get(n)!);
        // a test of a local's nullness tells each branch the answer (`if (loc == NULL) goto bad;`: loc is
        // non-NULL after it), as the path exploration does
        const lt = nodes[n].kind === 'cond' && nodes[n].succ.length === 2 && nodes[n].succ[0] !== nodes[n].succ[1] ? localNullTest(nodes[n].ast) : undefined;
        const known = lt && this.testedLocals.has(lt.name) ? lt : undefined;
        const succ = nodes[n].kind === 'return' ? [this.cfg.exit] : nodes[n].succ;
        for (let i = 0; i < succ.length; i++) {
          const s = succ[i];
          const out = known ? { ...after, [known.name]: (i === 0) === known.whenNull ? ('N' as const) : ('NN' as const) } : after;
          const prev = inF.get(s);
          if (!prev) {
            inF.set(s, out);
            work.push(s);
            continue;
          }
          let changed = false;
          const meet: LocalFacts = {};
          for (const k of Object.keys(prev)) {
            if (out[k] === prev[k]) meet[k] = prev[k];
            else changed = true;
          }
          if (changed) {
            inF.set(s, meet);
            work.push(s);
          }
        }
      }
      this.nullIn = inF;
    }
    return this.nullIn.get(id) ?? {};
  }

  /**
   * The truth of a condition the evaluator left undecided, with what the
   * path knows about simple locals (`if (th != NULL)` where th is still NULL).
   */
  private localTruth(e: SyntaxNode | null, s: PState, lf: LocalFacts): 'T' | 'F' | 'U' {
    const u = unparen(e);
    if (!u) return 'U';
    if (u.type === 'unary_expression' && u.child(0)?.type === '!') {
      const v = this.localTruth(u.childForFieldName('argument'), s, lf);
      return v === 'T' ? 'F' : v === 'F' ? 'T' : 'U';
    }
    if (u.type === 'binary_expression') {
      const op = u.childForFieldName('operator')?.type;
      if (op === '&&' || op === '||') {
        const r = u.childForFieldName('right');
        const a = this.cur.containsOrigin(r) ? (op === '&&' ? 'T' : 'F') : this.localTruth(u.childForFieldName('left'), s, lf);
        if (op === '&&' && a === 'F') return 'F';
        if (op === '||' && a === 'T') return 'T';
        const b = this.localTruth(r, s, lf);
        if (op === '&&') return a === 'T' && b === 'T' ? 'T' : b === 'F' ? 'F' : 'U';
        return a === 'F' && b === 'F' ? 'F' : b === 'T' ? 'T' : 'U';
      }
    }
    const v = this.cur.truth(u, s, {});
    if (v !== 'U') return v;
    const t = localNullTest(u);
    const f = t && !s.nulls.includes(t.name) ? lf[t.name] : undefined;
    if (!t || !f) return 'U';
    return (f === 'N') === t.whenNull ? 'T' : 'F';
  }

  /**
   * After a node: a new value stored through a call ends what we knew of an
   * lvalue: an allocation macro writing its result (a retry), or any callee
   * handed its address (`ncp_sock_recv(so, &m, &len)`).
   */
  private storedByCall(id: number, s: PState): boolean {
    const ast = this.cfg.nodes[id].ast;
    if (!ast || !s.nulls.length) return false;
    let stores = this.storesAt.get(id);
    if (!stores) {
      stores = [];
      for (const c of ast.descendantsOfType('call_expression')) {
        const spec = this.ev.allocSpec(c);
        const args = callArgs(c);
        const r = spec?.result.kind === 'arg' ? lvalKey(args[spec.result.index]) : undefined;
        if (r) stores.push({ at: c.startIndex, key: r });
        for (const a of args) {
          const u = unparen(a);
          const k = u?.type === 'pointer_expression' && u.child(0)?.type === '&' ? lvalKey(u.childForFieldName('argument')) : undefined;
          if (k) stores.push({ at: c.startIndex, key: k });
        }
      }
      this.storesAt.set(id, stores);
    }
    let changed = false;
    for (const { at, key } of stores) {
      if (this.cur.origin && at === this.cur.origin.startIndex) continue;
      if (s.nulls.includes(key)) {
        s.nulls = s.nulls.filter((x) => x !== key);
        changed = true;
      }
    }
    return changed && s.nulls.length === 0;
  }

  /** Explore the paths on which `call` returned NULL. */
  failurePaths(call: SyntaxNode, startNode: number, spec?: AllocatorSpec): { facts: SiteFacts['failure']; lowConfidence: boolean } {
    const { nodes } = this.cfg;
    const status = spec?.result.kind === 'status';
    const ev = status ? this.statusEvaluator(statusOutKey(spec!, call)) : this.ev;
    this.cur = ev;
    const result = status ? 'the out-argument of the failed call' : 'the NULL result';
    const heldAt = (this.held().get(startNode) ?? []).slice();
    const lf0 = this.testedLocals.size ? this.localFactsIn(startNode) : {};
    const panics = this.panics;
    ev.origin = call;
    ev.originEnd = call.endIndex;
    const facts: SiteFacts['failure'] = { leaks: [], tested: false };
    const tests: { id: number; keys: string[] }[] = [];
    let low = false;
    const seen = new Set<string>();
    /*
     * dt: the test of the result that decided this path (-1: none, or a loop back-edge was crossed since);
     * ok: the other branch of that test; join: the first node on this path that the other branch reaches too.
     */
    type Item = { id: number; st: PState; first: boolean; lf: LocalFacts; dt: number; ok: number; join: number; trail?: Trail };
    const stack: Item[] = [
      { id: startNode, st: { nulls: [], held: (this.mayHeld ??= new MayHeld(this.cfg, this.ev, this.fn.locals)).at(startNode, heldAt), tested: false, inError: nodes[startNode].inError }, first: true, lf: lf0, dt: -1, ok: -1, join: -1 },
    ];
    const parts = new PartIds();
    const readers = this.readers();
    const push = (from: Item, to: number, st: PState, lf: LocalFacts, dec: { dt: number; ok: number } | undefined, trail: Trail | undefined) => {
      if (!panics) {
        stack.push({ id: to, st, first: false, lf, dt: -1, ok: -1, join: -1, trail });
        return;
      }
      let { dt, ok, join } = dec ? { ...dec, join: -1 } : from;
      if (dt >= 0 && this.shape.isBackEdge(from.id, to)) dt = -1;
      else if (dt >= 0 && join < 0 && ok >= 0 && this.shape.reachableAvoiding(ok, dt).has(to)) join = to;
      stack.push({ id: to, st, first: false, lf, dt, ok, join, trail });
    };
    let steps = 0;
    while (stack.length && steps++ < MAX_STEPS) {
      const item = stack.pop()!;
      const { id, st, first, trail } = item;
      const node = nodes[id];
      const sc = readers.scope[id];
      const reads = (k: string) => {
        const i = readers.index.get(k);
        return i === undefined || (readers.bits[id][i >>> 5] & (1 << (i & 31))) !== 0;
      };
      const key = `${id}|${parts.id(st.nulls, joinKeys)}|${parts.id(st.held, heldKeys)}|${st.tested ? 1 : 0}|${parts.live(st.consts, sc, reads)}|${parts.live(st.corr, sc, (k) => reads('?' + k))}|${parts.live(item.lf, sc, reads)}|${item.dt}|${item.join}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first) ev.originEnd = -1;
      else ev.originEnd = call.endIndex;
      const s: PState = { ...st, inError: st.inError || node.inError };
      const fx: Effects = {};
      if (node.kind === 'exit') {
        if (s.tested && !status) this.leakAt(null, s, facts, trail);
        continue;
      }
      if (node.ast) ev.scan(node.ast, s, fx);
      if (fx.reallocLost) facts.reallocLost = true;
      // the use may sit behind a count the call also returns (`&n`) that was set before it
      if (fx.deref && status && this.guardedByOtherOut(fx.deref, call, spec!)) fx.deref = undefined;
      if (fx.deref && !facts.deref) {
        facts.deref = relOnPath(fx.deref, `'${fx.deref.text.replace(/\s+/g, ' ').slice(0, 60)}' dereferences ${result}`, trail);
        if (s.inError) low = true;
      }
      if (fx.assertFail) {
        facts.panic ??= relOnPath(fx.assertFail, `${callName(fx.assertFail)}() asserts ${status ? 'the call succeeded' : 'the result is not NULL'}`, trail);
        if (s.inError) low = true;
        continue;
      }
      if (fx.noReturn) {
        // a panic counts when the NULL result decides that it is reached: on the failure branch of a test of the
        // result, before that branch joins code the success branch reaches too (unless every path from the join
        // panics), and not only through another turn of a loop
        const decided = item.dt >= 0 && (item.join < 0 || this.shape.postDominates(id, item.join));
        if (s.tested && decided && !facts.panic) {
          facts.panic = relOnPath(fx.noReturn, `${callName(fx.noReturn)}() is called when the allocation fails`, trail);
          if (s.inError) low = true;
        }
        continue;
      }
      if (fx.killed) continue;
      if (!first && this.storedByCall(id, s)) continue;
      if (s.nulls.length === 0 && !first) continue;
      const lf = this.testedLocals.size ? applyLocalOps(this.opsOf(id), item.lf) : item.lf;
      if (node.kind === 'return' || fx.exits) {
        // a status allocator's failure paths are judged for uses of the out-argument and panics only
        if (s.tested && !status) {
          this.leakAt(fx.exits ?? node.ast!, s, facts, trail);
          if (s.inError && facts.leaks.length) low = true;
        }
        continue;
      }
      if (node.kind === 'cond') {
        let v = ev.truth(node.ast, s, fx);
        const byResult = fx.nullConsulted === true && v !== 'U';
        // decided by a value the failure branch set (`error = ENOMEM`): the path stays decided past the join
        const byDerived = !byResult && v !== 'U' && item.dt >= 0;
        if (v === 'U') v = this.localTruth(node.ast, s, lf);
        const tested = s.tested || byResult;
        if (byResult) {
          facts.tested = true;
          tests.push({ id, keys: this.keysIn(node.ast!, s.nulls) });
        }
        const [t, f] = node.succ;
        // `if (flags & X) crit_enter(); ... if (flags & X) crit_exit();`: the same pure test of an
        // if-statement takes the same branch again on one path
        const ck = v === 'U' ? this.correlationKey(node.ast!) : undefined;
        const known = ck !== undefined ? own(s.corr, ck) : undefined;
        const withCorr = (b: boolean): PState => (ck === undefined ? { ...s, tested } : { ...s, tested, corr: { ...(s.corr ?? {}), [ck]: b } });
        // an undecided test of a simple local's nullness: each branch knows the answer
        const lt = v === 'U' ? localNullTest(node.ast) : undefined;
        const lfOn = (b: boolean): LocalFacts => (lt && this.testedLocals.has(lt.name) && !s.nulls.includes(lt.name) ? { ...lf, [lt.name]: b === lt.whenNull ? 'N' : 'NN' } : lf);
        const dec = (other: number) => (byResult ? { dt: id, ok: other } : byDerived ? { dt: item.dt, ok: item.ok } : undefined);
        if (v !== 'F' && known !== false) push(item, t, withCorr(true), lfOn(true), dec(f), { at: node.ast!, taken: true, prev: trail });
        if (v !== 'T' && known !== true) push(item, f, withCorr(false), lfOn(false), dec(t), { at: node.ast!, taken: false, prev: trail });
        continue;
      }
      const tr = node.kind === 'noop' && node.ast?.type === 'goto_statement' ? { at: node.ast, taken: true, jump: true, prev: trail } : trail;
      for (const n of node.succ) push(item, n, s, lf, undefined, tr);
    }
    ev.origin = null;
    ev.originEnd = -1;
    this.cur = this.ev;
    // the dead-test note names a test every path into which carries this result
    for (const t of tests) {
      if (facts.nullTest) break;
      if (t.keys.length && t.keys.every((k) => this.onlyThisResult(t.id, k, startNode))) facts.nullTest = rel(nodes[t.id].ast!, 'the result is tested for NULL here');
    }
    return { facts, lowConfidence: low };
  }

  /**
   * Does the status allocator `call` take another local's address (`device_get_children(dev, &list, &n)`) whose local
   * is set before the call (`n = 0`), and is `use` inside a loop or if testing it? A failed call leaves it as it was, so
   * the use may be unreachable.
   */
  private guardedByOtherOut(use: SyntaxNode, call: SyntaxNode, spec: AllocatorSpec): boolean {
    if (spec.result.kind !== 'status') return false;
    const out = spec.result.out;
    const names = callArgs(call).flatMap((a, i) => {
      const u = unparen(a);
      const v = i !== out && u?.type === 'pointer_expression' && u.child(0)?.type === '&' ? unparen(u.childForFieldName('argument')) : null;
      return v?.type === 'identifier' && this.fn.locals.has(v.text) ? [v.text] : [];
    });
    if (!names.length) return false;
    for (const d of this.fn.node.descendantsOfType(['assignment_expression', 'init_declarator'])) {
      if (d.startIndex >= call.startIndex) continue;
      if (d.type === 'init_declarator' && !d.childForFieldName('value')) continue;
      const l = unparen(d.type === 'assignment_expression' ? d.childForFieldName('left') : d.childForFieldName('declarator'));
      if (l?.type === 'identifier' && names.includes(l.text)) return guardedBy(use, names, this.fn.node);
    }
    return false;
  }

  /**
   * Does a prepend of `len` bytes to the mbuf in `key` fit in room reserved in
   * this function on every path to it? The mbuf came from a function that
   * reserves headroom holding `len` (`ieee80211_getmgtframe(&frm, hdrroom +
   * sizeof(struct hdr), len)`), or `m->m_data += room` holding it, and
   * nothing prepended since.
   */
  prependFits(start: number, key: string, len: string): boolean {
    const room = this.model.dialect.headroom;
    const preds = this.shape.predecessors();
    const { nodes, entry } = this.cfg;
    const resultArgOf = (c: SyntaxNode) => {
      const spec = this.ev.allocSpec(c);
      return spec?.result.kind === 'arg' ? spec.result.index : undefined;
    };
    const seen = new Set<string>();
    const work: { id: number; key: string }[] = preds[start].map((id) => ({ id, key }));
    while (work.length) {
      const { id, key: k } = work.pop()!;
      if (seen.has(`${id}|${k}`)) continue;
      seen.add(`${id}|${k}`);
      if (seen.size > 2000 || id === entry || id === start) return false;
      const ast = nodes[id].ast;
      // room made or used up by hand: `m->m_data += n`, another prepend
      let verdict: boolean | undefined;
      for (const a of ast?.descendantsOfType(['assignment_expression', 'call_expression']) ?? []) {
        if (a.type === 'assignment_expression' && lvalKey(a.childForFieldName('left')) === `${k}->m_data`) {
          const r = a.childForFieldName('right');
          verdict = a.childForFieldName('operator')?.type === '+=' && !!r && roomHolds(r.text, len);
        } else if (a.type === 'call_expression') {
          const spec = this.ev.allocSpec(a);
          if (spec?.prepend && lvalKey(callArgs(a)[spec.prepend.mbufArg]) === k) verdict = false;
        }
      }
      if (verdict === false) return false;
      if (verdict === true) continue;
      const d = defOf(ast, k, resultArgOf);
      if (d.kind === 'other') return false;
      if (d.kind === 'call') {
        const name = callName(d.call);
        const h = name && room ? own(room, name) : undefined;
        const text = h?.text ?? (h?.arg !== undefined ? callArgs(d.call)[h.arg]?.text : undefined);
        if (text === undefined || !roomHolds(text, len)) return false;
        continue;
      }
      for (const p of preds[id]) work.push({ id: p, key: d.kind === 'copy' ? d.from : k });
    }
    return true;
  }

  /** The tracked lvalues a condition mentions. */
  private keysIn(cond: SyntaxNode, nulls: string[]): string[] {
    const out = new Set<string>();
    const visit = (n: SyntaxNode) => {
      const k = n.type === 'identifier' || n.type === 'field_expression' || n.type === 'subscript_expression' || n.type === 'pointer_expression' ? lvalKey(n) : undefined;
      if (k && nulls.includes(k)) out.add(k);
      for (const c of n.namedChildren) visit(c);
    };
    visit(cond);
    return [...out];
  }

  /**
   * Does every path into node `test` carry, in `key`, the result of the
   * allocation at `start` or of another allocation that cannot fail? Walks
   * back from the test; a copy (`sc->buf = buf`) follows the copied value.
   * `buf = NULL; if (x) buf = malloc(..., M_WAITOK); ... if (buf)`: no.
   */
  private onlyThisResult(test: number, key: string, start: number): boolean {
    const preds = this.shape.predecessors();
    const { nodes, entry } = this.cfg;
    const resultArgOf = (c: SyntaxNode) => {
      const spec = this.ev.allocSpec(c);
      return spec?.result.kind === 'arg' ? spec.result.index : undefined;
    };
    const cannotFail = (c: SyntaxNode) => {
      const spec = this.ev.allocSpec(c);
      if (!spec) return false;
      const fl = spec.flagsArg !== undefined ? callArgs(c)[spec.flagsArg] : undefined;
      return this.model.verdict(spec, fl ? evalFlags(fl, this.model, spec.family) : undefined).canFail === 'no';
    };
    const seen = new Set<string>();
    const work: { id: number; key: string; self: boolean }[] = [{ id: test, key, self: true }];
    let steps = 0;
    while (work.length) {
      if (steps++ > 5000) return false;
      const { id, key: k, self } = work.pop()!;
      const sk = `${id}|${k}|${self ? 1 : 0}`;
      if (seen.has(sk)) continue;
      seen.add(sk);
      if (id === start && !self) continue;
      if (id === entry) {
        // an uninitialised local reaches nothing; a parameter, a global or a field does
        if (this.fn.locals.has(k)) continue;
        return false;
      }
      if (!self || id === start) {
        if (id === start) continue;
        const d = defOf(nodes[id].ast, k, resultArgOf);
        if (d.kind === 'call') {
          if (cannotFail(d.call)) continue;
          return false;
        }
        if (d.kind === 'other') return false;
        if (d.kind === 'copy') {
          for (const p of preds[id]) work.push({ id: p, key: d.from, self: false });
          continue;
        }
      }
      for (const p of preds[id]) if (!this.nonNullEdge(p, id, k)) work.push({ id: p, key: k, self: false });
    }
    return true;
  }

  /**
   * Is `p -> id` the branch of a test of `key` on which it is not NULL (`if (buf == NULL) buf = alloc(...)`:
   * the path that skips the allocation carries a value already there)?
   */
  private nonNullEdge(p: number, id: number, key: string): boolean {
    const c = this.cfg.nodes[p];
    if (c.kind !== 'cond' || c.succ.length !== 2 || c.succ[0] === c.succ[1]) return false;
    const t = nullTest(c.ast);
    return t?.name === key && c.succ[t.whenNull ? 1 : 0] === id;
  }

  private corrKeys = new Map<number, string | null>();

  /** The text of a side-effect-free if condition, or undefined. */
  private condCount?: Map<string, number>;

  private correlationKey(cond: SyntaxNode): string | undefined {
    let k = this.corrKeys.get(cond.startIndex);
    if (k === undefined) {
      // only tests that stand twice or more in the function: the others cannot correlate, and would only multiply states
      if (!this.condCount) {
        this.condCount = new Map();
        for (const n of this.cfg.nodes) {
          if (n.kind !== 'cond' || !n.ast || n.ast.parent?.type !== 'if_statement') continue;
          const t = n.ast.text.replace(/\s+/g, '');
          this.condCount.set(t, (this.condCount.get(t) ?? 0) + 1);
        }
      }
      const text = cond.text.replace(/\s+/g, '');
      const pure = cond.parent?.type === 'if_statement' && (this.condCount.get(text) ?? 0) > 1 && text.length < 200 &&
        cond.descendantsOfType(['call_expression', 'assignment_expression', 'update_expression']).length === 0;
      k = pure ? text : null;
      this.corrKeys.set(cond.startIndex, k);
    }
    return k ?? undefined;
  }

  private leakAt(at: SyntaxNode | null, s: PState, facts: SiteFacts['failure'], trail?: Trail) {
    if (!s.held.length) return;
    const resources = s.held.map((h) => h.what);
    const body = Array.isArray(this.fn.body) ? this.fn.body[this.fn.body.length - 1] : this.fn.body;
    // falling off the end leaves at the closing brace, not where the body opens
    const close = body?.children.length ? body.children[body.children.length - 1] : null;
    const where = at ?? (close?.type === '}' ? close : body);
    if (facts.leaks.some((l) => l.resources.join() === resources.join())) return;
    facts.leaks.push({ ...relOnPath(where, `the failure path leaves the function still holding ${resources.join(', ')}`, trail), resources });
  }
}

/** Identify the allocator call and the site facts for a call node. */
export function siteFacts(
  call: SyntaxNode,
  spec: AllocatorSpec,
  fa: FunctionAnalysis,
  model: Model,
): SiteFacts | undefined {
  const args = callArgs(call);
  // a status allocator handed no out-argument (`NULL`) allocates nothing the caller could misuse
  if (spec.result.kind === 'status' && statusOutKey(spec, call) === undefined) return undefined;
  const flagsNode = spec.flagsArg !== undefined ? args[spec.flagsArg] : undefined;
  const flagValue = flagsNode ? evalFlags(flagsNode, model, spec.family) : undefined;
  let verdict = model.verdict(spec, flagValue);
  const start = fa.nodeFor(call);
  const heldAt = start !== undefined ? fa.held().get(start) ?? [] : [];
  let lvalue: string | undefined;
  if (spec.result.kind === 'arg') lvalue = lvalKey(args[spec.result.index]);
  else if (spec.result.kind === 'return') {
    const p = call.parent;
    let up: SyntaxNode | null = p;
    while (up && (up.type === 'parenthesized_expression' || up.type === 'cast_expression')) up = up.parent;
    if (up?.type === 'assignment_expression') lvalue = lvalKey(up.childForFieldName('left'));
    else if (up?.type === 'init_declarator') {
      let d: SyntaxNode | null = up.childForFieldName('declarator');
      while (d && d.type !== 'identifier') d = d.childForFieldName('declarator');
      lvalue = d?.text;
    }
  }
  let failure: SiteFacts['failure'] = { leaks: [], tested: false };
  let lowConfidence = call.hasError || fa.cfg.nodes.some((n) => n.inError);
  let extra: SiteFacts['extra'];
  if (spec.prepend && verdict.canFail === 'yes' && start !== undefined) {
    const key = lvalKey(args[spec.prepend.mbufArg]);
    const len = args[spec.prepend.lenArg]?.text;
    if (key && len && fa.prependFits(start, key, len)) {
      // the header goes into room reserved for it: the prepend cannot fail
      verdict = { ...verdict, canFail: 'no' };
      extra = { headroomReserved: true };
    }
  }
  if (!extra && (start !== undefined && verdict.canFail !== 'unknown' || (start !== undefined && spec.alwaysMayFail))) {
    const r = fa.failurePaths(call, start!, spec);
    failure = r.facts;
    lowConfidence = r.lowConfidence || (call.hasError);
  }
  // the out-argument's name is not the site's lvalue: its uses in other functions are no finding (the status may go back to a caller)
  if (spec.result.kind === 'status') extra = { statusOut: statusOutKey(spec, call) ?? '' };
  return {
    loc: locOf(call),
    function: fa.fn.name,
    allocator: spec.name,
    flags: flagValue?.text ?? (spec.noWait || spec.alwaysMayFail ? '(may always fail)' : ''),
    flagNames: flagValue?.names ?? [],
    flagsRange: flagsNode ? [flagsNode.startIndex, flagsNode.endIndex] : undefined,
    flagValue,
    family: spec.family,
    verdict,
    lvalue,
    heldAtCall: heldAt.filter((h) => h.kind !== 'alloc').map((h) => ({ what: h.what, kind: h.kind, forbidsSleep: h.forbidsSleep, forbidsAlloc: h.forbidsAlloc })),
    lowConfidence,
    failure,
    via: spec.summary ? `${spec.summary} ${spec.name}()` : undefined,
    ...(extra ? { extra } : {}),
    fnLines: [fa.fn.node.startPosition.row + 1, fa.fn.node.endPosition.row + 1],
  };
}

/** The call whose function name is the identifier `id` (the node found at a call hit's offset). */
export function callAt(id: SyntaxNode | undefined): SyntaxNode | undefined {
  if (!id || id.type !== 'identifier') return undefined;
  let c = id.parent;
  if (c && c.type === 'parenthesized_expression') c = c.parent;
  if (c?.type !== 'call_expression') return undefined;
  if (unparen(c.childForFieldName('function')) !== null && unparen(c.childForFieldName('function'))!.startIndex !== id.startIndex) return undefined;
  return c;
}
