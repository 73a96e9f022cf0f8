import type { JNode as SyntaxNode } from './jsast';
import { own } from '../util/own';

/**
 * A control-flow graph over one function body. Nodes are the statements and
 * conditions that evaluate expressions; edges follow C's control flow,
 * including goto, break/continue, switch fall-through and calls that never
 * return (handled during exploration, since whether a call returns is a fact
 * of the model and of the whole-tree summaries).
 */
export type CKind = 'entry' | 'exit' | 'expr' | 'cond' | 'return' | 'noop' | 'switch';

export interface CNode {
  id: number;
  kind: CKind;
  /** The expression or statement evaluated here. */
  ast: SyntaxNode | null;
  /** For cond: [true, false]. For switch: the case targets. Otherwise one successor. */
  succ: number[];
  /** This node sits inside an ERROR region of the parse. */
  inError: boolean;
}

export interface Cfg {
  nodes: CNode[];
  entry: number;
  exit: number;
  /** Start offset of an AST node -> the CFG node that evaluates it (statements and conditions). */
  byStart: Map<number, number>;
}

interface Ctx {
  brk: number;
  cont: number;
  inError: boolean;
  cases?: number[];
}

const IGNORED = new Set(['comment', '{', '}', ';', 'preproc_call', 'preproc_def', 'preproc_function_def', 'preproc_include', 'type_definition', 'struct_specifier', 'function_declarator', 'storage_class_specifier', 'primitive_type', 'type_identifier', 'sized_type_specifier']);

/** Deepest statement nesting the CFG builder follows. */
export const MAX_NESTING = 500;

export function buildCfg(body: SyntaxNode | SyntaxNode[], gotoMacros: Record<string, string> = {}, localGotos?: Record<string, string>, exitMacros?: Set<string>): Cfg {
  const nodes: CNode[] = [];
  const byStart = new Map<number, number>();
  const labels = new Map<string, number>();
  const gotos: { id: number; label: string }[] = [];
  const mk = (kind: CKind, ast: SyntaxNode | null, succ: number[], inError: boolean): number => {
    const id = nodes.length;
    nodes.push({ id, kind, ast, succ, inError });
    if (ast && !byStart.has(ast.startIndex)) byStart.set(ast.startIndex, id);
    return id;
  };
  const exit = mk('exit', null, [], false);

  const seq = (stmts: SyntaxNode[], next: number, ctx: Ctx): number => {
    let n = next;
    for (let i = stmts.length - 1; i >= 0; i--) n = stmt(stmts[i], n, ctx);
    return n;
  };

  /*
   * Statement nesting deeper than this (5000 nested braces, a 2000-long
   * else-if chain) is not followed: the statement becomes one opaque node
   * marked inError, so findings through it are low-confidence, instead of
   * the recursion overflowing the stack and losing the whole file.
   */
  let depth = 0;
  const stmt = (s: SyntaxNode, next: number, ctx: Ctx): number => {
    if (depth >= MAX_NESTING) return mk('noop', null, [next], true);
    depth++;
    try {
      return stmt1(s, next, ctx);
    } finally {
      depth--;
    }
  };

  const stmt1 = (s: SyntaxNode, next: number, ctx: Ctx): number => {
    const inError = ctx.inError || s.type === 'ERROR';
    const c = inError === ctx.inError ? ctx : { ...ctx, inError };
    switch (s.type) {
      case 'compound_statement':
      case 'translation_unit':
        return seq(s.namedChildren, next, c);
      case 'ERROR': {
        // keep what is recognisable, in order
        return seq(s.namedChildren, next, c);
      }
      case 'expression_statement': {
        // ERROUT(e)-style macros expand to `goto label`
        const e = s.namedChildren[0];
        // `return_VOID;`, `USB_ATTACH_ERROR_RETURN;`: an object-like macro that leaves the function
        if (e?.type === 'identifier' && exitMacros?.has(e.text)) return mk('return', s, [exit], inError);
        const fn = e?.type === 'call_expression' ? e.childForFieldName('function') : e?.type === 'identifier' ? e : null;
        const label = fn?.type === 'identifier' ? own(localGotos, fn.text) ?? own(gotoMacros, fn.text) : undefined;
        if (label !== undefined) {
          const id = mk('expr', s, [exit], inError);
          gotos.push({ id, label });
          return id;
        }
        return mk('expr', s, [next], inError);
      }
      case 'declaration':
        return mk('expr', s, [next], inError);
      case 'if_statement': {
        const cond = s.childForFieldName('condition');
        const cons = s.childForFieldName('consequence');
        const alt = s.childForFieldName('alternative');
        const t = cons ? stmt(cons, next, c) : next;
        const f = alt ? stmt(alt.type === 'else_clause' ? alt.namedChildren[0] ?? alt : alt, next, c) : next;
        return mk('cond', cond, [t, f], inError);
      }
      case 'else_clause':
        return s.namedChildren[0] ? stmt(s.namedChildren[0], next, c) : next;
      case 'while_statement': {
        const cond = s.childForFieldName('condition');
        const id = mk('cond', cond, [next, next], inError);
        const body = s.childForFieldName('body');
        const b = body ? stmt(body, id, { ...c, brk: next, cont: id }) : id;
        nodes[id].succ = [b, next];
        return id;
      }
      case 'do_statement': {
        const cond = s.childForFieldName('condition');
        const id = mk('cond', cond, [next, next], inError);
        const body = s.childForFieldName('body');
        const b = body ? stmt(body, id, { ...c, brk: next, cont: id }) : id;
        nodes[id].succ = [b, next];
        return b;
      }
      case 'for_statement': {
        const init = s.childForFieldName('initializer');
        const cond = s.childForFieldName('condition');
        const upd = s.childForFieldName('update');
        const head = mk(cond ? 'cond' : 'noop', cond, [next, next], inError);
        const u = upd ? mk('expr', upd, [head], inError) : head;
        const body = s.childForFieldName('body');
        const b = body ? stmt(body, u, { ...c, brk: next, cont: u }) : u;
        nodes[head].succ = cond ? [b, next] : [b];
        return init ? mk('expr', init, [head], inError) : head;
      }
      case 'switch_statement': {
        const cond = s.childForFieldName('condition');
        const id = mk('switch', cond, [], inError);
        const body = s.childForFieldName('body');
        const cases: number[] = [];
        const inner: Ctx = { ...c, brk: next, cases };
        let hasDefault = false;
        if (body) {
          const kids = body.namedChildren;
          let n = next;
          for (let i = kids.length - 1; i >= 0; i--) {
            const k = kids[i];
            if (k.type === 'case_statement') {
              const stmts = k.namedChildren.filter((x) => x !== k.childForFieldName('value'));
              n = seq(stmts, n, inner);
              cases.push(n);
              if (k.text.startsWith('default')) hasDefault = true;
            } else n = stmt(k, n, inner);
          }
        }
        cases.reverse();
        nodes[id].succ = hasDefault ? cases : [...cases, next];
        return id;
      }
      case 'case_statement': {
        // a case outside a switch body we could see (broken parse): run its statements
        const stmts = s.namedChildren.filter((x) => x !== s.childForFieldName('value'));
        return seq(stmts, next, c);
      }
      case 'labeled_statement': {
        const label = s.childForFieldName('label')?.text ?? '';
        const inner = s.namedChildren.filter((x) => x.type !== 'statement_identifier');
        const e = seq(inner, next, c);
        const id = mk('noop', null, [e], inError);
        labels.set(label, id);
        return id;
      }
      case 'goto_statement': {
        const id = mk('noop', s, [exit], inError);
        gotos.push({ id, label: s.childForFieldName('label')?.text ?? '' });
        return id;
      }
      case 'break_statement':
        return mk('noop', s, [ctx.brk], inError);
      case 'continue_statement':
        return mk('noop', s, [ctx.cont], inError);
      case 'return_statement':
        return mk('return', s, [exit], inError);
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_else':
      case 'preproc_elif': {
        // left by the pre-processor only when unbalanced; run the statements in order
        const inner = s.namedChildren.filter((x) => !['identifier', 'preproc_defined', 'binary_expression', 'number_literal', 'unary_expression', 'call_expression', 'parenthesized_expression'].includes(x.type));
        return seq(inner, next, c);
      }
      default:
        if (IGNORED.has(s.type)) return next;
        if (s.type.endsWith('_expression') || s.type === 'identifier') return mk('expr', s, [next], inError);
        if (s.type === 'function_definition') {
          const b = s.childForFieldName('body');
          return b ? stmt(b, next, c) : next;
        }
        return next;
    }
  };

  const root: Ctx = { brk: exit, cont: exit, inError: false };
  const start = Array.isArray(body) ? seq(body, exit, root) : stmt(body, exit, root);
  for (const g of gotos) {
    const t = labels.get(g.label);
    nodes[g.id].succ = [t ?? exit];
  }
  const entry = mk('entry', null, [start], false);
  return { nodes, entry, exit, byStart };
}
