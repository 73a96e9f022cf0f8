import type { JNode as SyntaxNode } from './jsast';
import type { Cfg } from './cfg';
import { inside, loopOf } from './loops';
import type { Effects, Evaluator, Held, PState } from './effects';

/**
 * Memory held in a local on some paths into an allocation but not on all of them: allocated under
 * a condition (`if (space == 0) buf = malloc(...)`, else the caller's buffer). When the allocation
 * after it fails and the function leaves, the path that allocated it leaks it. Kept only where no
 * other condition of the function could tie the two together: the test that chose to allocate stands
 * once in the function, and the handle is a plain local.
 */
/**
 * Resources held into each CFG node, forward from the entry: on every path (`must`, the meet keeps
 * what both sides hold) or on some path (`may`, the union). Evaluated with no origin: only
 * acquisitions and releases count.
 */
export function heldFlow(cfg: Cfg, ev: Evaluator, how: 'must' | 'may'): Map<number, Held[]> {
  const { nodes, entry } = cfg;
  const inert = inertNodes(cfg);
  const inSt = new Map<number, Held[]>([[entry, []]]);
  const origin = ev.origin;
  const originEnd = ev.originEnd;
  ev.origin = null;
  ev.originEnd = -1;
  const work = [entry];
  let steps = 0;
  while (work.length && steps++ < 20000) {
    const id = work.pop()!;
    const node = nodes[id];
    const st: PState = { nulls: [], held: inSt.get(id)!, tested: false, inError: false };
    const fx: Effects = {};
    if (node.ast && !inert[id]) ev.scan(node.ast, st, fx);
    if (fx.noReturn) continue;
    for (const s of node.kind === 'return' || fx.exits ? [cfg.exit] : node.succ) {
      const prev = inSt.get(s);
      if (!prev) {
        inSt.set(s, st.held);
        work.push(s);
        continue;
      }
      if (how === 'must') {
        const meet = prev.filter((h) => st.held.some((x) => x.key === h.key));
        if (meet.length !== prev.length) {
          inSt.set(s, meet);
          work.push(s);
        }
      } else {
        const add = st.held.filter((h) => !prev.some((x) => x.key === h.key));
        if (add.length) {
          inSt.set(s, [...prev, ...add]);
          work.push(s);
        }
      }
    }
  }
  ev.origin = origin;
  ev.originEnd = originEnd;
  return inSt;
}

/**
 * The CFG nodes whose evaluation cannot change what is held, end the path, or leave the function:
 * no call, assignment, initialiser or return in them, and no statement that is a lone name (an exit
 * macro). With no allocation under way (the held flows), evaluating them changes nothing.
 */
const inertOf = new WeakMap<Cfg, Uint8Array>();
export function inertNodes(cfg: Cfg): Uint8Array {
  let out = inertOf.get(cfg);
  if (out) return out;
  out = new Uint8Array(cfg.nodes.length);
  const active = (n: SyntaxNode): boolean => {
    switch (n.type) {
      case 'call_expression':
      case 'assignment_expression':
      case 'init_declarator':
      case 'return_statement':
        return true;
      case 'identifier':
        return n.parent?.type === 'expression_statement';
    }
    for (const c of n.namedChildren) if (active(c)) return true;
    return false;
  };
  cfg.nodes.forEach((c, i) => {
    if (c.ast && !active(c.ast)) out![i] = 1;
  });
  inertOf.set(cfg, out);
  return out;
}

export class MayHeld {
  private inSt?: Map<number, Held[]>;
  constructor(
    private readonly cfg: Cfg,
    private readonly ev: Evaluator,
    private readonly locals: Set<string>,
  ) {}

  private run(): Map<number, Held[]> {
    return (this.inSt ??= heldFlow(this.cfg, this.ev, 'may'));
  }

  /** `must` (held on every path into `start`) and the local allocations held on some paths only. */
  at(start: number, must: Held[]): Held[] {
    // an allocation in a loop joins the states of different iterations: nothing is added (chooser()), so skip the flow
    const s = this.cfg.nodes[start]?.ast;
    if (!s || inLoop(s)) return must.slice();
    const may = this.run().get(start) ?? [];
    const out = must.slice();
    for (const h of may) {
      if (h.kind !== 'alloc' || h.pool || !h.handle || !this.locals.has(h.handle) || h.aliases?.length) continue;
      if (must.some((x) => x.key === h.key)) continue;
      const cond = this.chooser(h.at, start);
      if (!cond) continue;
      out.push({ ...h, what: `on some paths, ${h.what}` });
    }
    return out;
  }

  /**
   * The if condition that chose to run the acquisition at byte `at` (the nearest if around it, the
   * acquisition not in its condition), when no loop holds the acquisition or the allocation at
   * `start` (a path round a loop joins states of different iterations) and the condition's text stands
   * nowhere else in the function (a cleanup that tests it again decides the same way).
   */
  private chooser(at: number, start: number): SyntaxNode | undefined {
    let n: SyntaxNode | undefined;
    for (const c of this.cfg.nodes) if (c.ast && c.ast.startIndex <= at && c.ast.endIndex > at && (!n || c.ast.startIndex >= n.startIndex)) n = c.ast;
    const s = this.cfg.nodes[start]?.ast;
    if (!n || !s || inLoop(n) || inLoop(s)) return undefined;
    let p: SyntaxNode | null = n;
    while (p && p.type !== 'if_statement' && p.type !== 'function_definition') p = p.parent;
    const cond = p?.type === 'if_statement' ? p.childForFieldName('condition') : null;
    if (!cond || (cond.startIndex <= at && at < cond.endIndex)) return undefined;
    let f: SyntaxNode | null = p;
    while (f && f.type !== 'function_definition') f = f.parent;
    if (!f) return undefined;
    const text = cond.text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
    const body = f.text.replace(/\s+/g, '');
    if (body.indexOf(text) !== body.lastIndexOf(text)) return undefined;
    // a flag set beside the acquisition (`made = 1`) and tested elsewhere records the choice for the cleanup
    const arm = p?.childForFieldName('consequence');
    for (const a of arm?.descendantsOfType('assignment_expression') ?? []) {
      const l = a.childForFieldName('left');
      if (l?.type !== 'identifier' || !/^(0|1|TRUE|FALSE|true|false)$/.test(a.childForFieldName('right')?.text ?? '')) continue;
      const re = new RegExp(`\\b${l.text}\\b`);
      if (this.cfg.nodes.some((c) => c.kind === 'cond' && c.ast && !(arm && inside(c.ast, arm)) && re.test(c.ast.text))) return undefined;
    }
    return cond;
  }
}

function inLoop(n: SyntaxNode): boolean {
  return loopOf(n) !== undefined;
}
