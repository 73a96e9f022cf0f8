import type { JNode as SyntaxNode } from './jsast';
import { own } from '../util/own';
import type { Model } from '../model/model';
import type { AllocatorSpec } from '../model/types';
import { callArgs, callName, lvalKey, unparen } from './ast';
import { buildCfg, type Cfg } from './cfg';
import { Evaluator, type Effects, type Held, type PState } from './effects';
import { evalFlags } from './flags';
import type { Loc, RelatedLoc, SiteFacts } from './types';

const MAX_STEPS = 4000;

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

/** Per-function state shared by all the allocation sites in it. */
export class FunctionAnalysis {
  readonly cfg: Cfg;
  private heldIn?: Map<number, Held[]>;
  readonly ev: Evaluator;

  constructor(readonly fn: FunctionUnit, readonly model: Model) {
    this.cfg = buildCfg(fn.body, model.dialect.gotoMacros, fn.localGotos);
    this.ev = new Evaluator(model);
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
    if (this.heldIn) return this.heldIn;
    const { nodes, entry } = this.cfg;
    const inSt = new Map<number, Held[]>();
    const ev = this.ev;
    ev.origin = null;
    ev.originEnd = -1;
    inSt.set(entry, []);
    const work = [entry];
    let steps = 0;
    while (work.length && steps++ < 20000) {
      const id = work.pop()!;
      const node = nodes[id];
      const st: PState = { nulls: [], held: inSt.get(id)!, tested: false, inError: false };
      const fx: Effects = {};
      if (node.ast) ev.scan(node.ast, st, fx);
      if (fx.noReturn) continue;
      for (const s of node.kind === 'return' || fx.exits ? [this.cfg.exit] : node.succ) {
        const prev = inSt.get(s);
        if (!prev) {
          inSt.set(s, st.held);
          work.push(s);
        } else {
          const meet = prev.filter((h) => st.held.some((x) => x.key === h.key));
          if (meet.length !== prev.length) {
            inSt.set(s, meet);
            work.push(s);
          }
        }
      }
    }
    this.heldIn = inSt;
    return inSt;
  }

  /** Explore the paths on which `call` returned NULL. */
  failurePaths(call: SyntaxNode, startNode: number): { facts: SiteFacts['failure']; lowConfidence: boolean } {
    const { nodes } = this.cfg;
    const ev = this.ev;
    const heldAt = (this.held().get(startNode) ?? []).slice();
    ev.origin = call;
    ev.originEnd = call.endIndex;
    const facts: SiteFacts['failure'] = { leaks: [], tested: false };
    let low = false;
    const seen = new Set<string>();
    const stack: { id: number; st: PState; first: boolean; trail?: Trail }[] = [
      { id: startNode, st: { nulls: [], held: heldAt, tested: false, inError: nodes[startNode].inError }, first: true },
    ];
    let steps = 0;
    while (stack.length && steps++ < MAX_STEPS) {
      const { id, st, first, trail } = stack.pop()!;
      const node = nodes[id];
      const key = `${id}|${st.nulls.join(',')}|${st.held.map((h) => h.key).join(',')}|${st.tested ? 1 : 0}|${st.consts ? JSON.stringify(st.consts) : ''}|${st.corr ? JSON.stringify(st.corr) : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first) ev.originEnd = -1;
      else ev.originEnd = call.endIndex;
      const s: PState = { ...st, inError: st.inError || node.inError };
      const fx: Effects = {};
      if (node.kind === 'exit') {
        if (s.tested) this.leakAt(null, s, facts, trail);
        continue;
      }
      if (node.ast) ev.scan(node.ast, s, fx);
      if (fx.reallocLost) facts.reallocLost = true;
      if (fx.deref && !facts.deref) {
        facts.deref = relOnPath(fx.deref, `'${fx.deref.text.replace(/\s+/g, ' ').slice(0, 60)}' dereferences the NULL result`, trail);
        if (s.inError) low = true;
      }
      if (fx.assertFail) {
        facts.panic ??= relOnPath(fx.assertFail, `${callName(fx.assertFail)}() asserts the result is not NULL`, trail);
        if (s.inError) low = true;
        continue;
      }
      if (fx.noReturn) {
        if (s.tested && !facts.panic) {
          facts.panic = relOnPath(fx.noReturn, `${callName(fx.noReturn)}() is called when the allocation fails`, trail);
          if (s.inError) low = true;
        }
        continue;
      }
      if (fx.killed) continue;
      if (s.nulls.length === 0 && !first) continue;
      if (node.kind === 'return' || fx.exits) {
        if (s.tested) {
          this.leakAt(fx.exits ?? node.ast!, s, facts, trail);
          if (s.inError && facts.leaks.length) low = true;
        }
        continue;
      }
      if (node.kind === 'cond') {
        const v = ev.truth(node.ast, s, fx);
        const tested = s.tested || (fx.nullConsulted === true && v !== 'U');
        if (fx.nullConsulted && v !== 'U') {
          facts.tested = true;
          facts.nullTest ??= rel(node.ast!, 'the result is tested for NULL here');
        }
        const [t, f] = node.succ;
        // `if (flags & X) crit_enter(); ... if (flags & X) crit_exit();`: the same pure test of an
        // if-statement takes the same branch again on one path
        const ck = v === 'U' ? this.correlationKey(node.ast!) : undefined;
        const known = ck !== undefined ? own(s.corr, ck) : undefined;
        const withCorr = (b: boolean): PState => (ck === undefined ? { ...s, tested } : { ...s, tested, corr: { ...(s.corr ?? {}), [ck]: b } });
        if (v !== 'F' && known !== false) stack.push({ id: t, st: withCorr(true), first: false, trail: { at: node.ast!, taken: true, prev: trail } });
        if (v !== 'T' && known !== true) stack.push({ id: f, st: withCorr(false), first: false, trail: { at: node.ast!, taken: false, prev: trail } });
        continue;
      }
      const tr = node.kind === 'noop' && node.ast?.type === 'goto_statement' ? { at: node.ast, taken: true, jump: true, prev: trail } : trail;
      for (const n of node.succ) stack.push({ id: n, st: s, first: false, trail: tr });
    }
    ev.origin = null;
    ev.originEnd = -1;
    return { facts, lowConfidence: low };
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
    const where = at ?? (Array.isArray(this.fn.body) ? this.fn.body[this.fn.body.length - 1] : this.fn.body);
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
  const flagsNode = spec.flagsArg !== undefined ? args[spec.flagsArg] : undefined;
  const flagValue = flagsNode ? evalFlags(flagsNode, model, spec.family) : undefined;
  const verdict = model.verdict(spec, flagValue);
  const start = fa.nodeFor(call);
  const heldAt = start !== undefined ? fa.held().get(start) ?? [] : [];
  let lvalue: string | undefined;
  if (spec.result.kind === 'arg') lvalue = lvalKey(args[spec.result.index]);
  else {
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
  if (start !== undefined && verdict.canFail !== 'unknown' || (start !== undefined && spec.alwaysMayFail)) {
    const r = fa.failurePaths(call, start!);
    failure = r.facts;
    lowConfidence = r.lowConfidence || (call.hasError);
  }
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
