import type { JNode as SyntaxNode } from './jsast';
import type { Model, FlagValue } from '../model/model';
import type { FlagFamily } from '../model/types';
import { unparen } from './ast';

/** Evaluate a flags argument against the model. */
export function evalFlags(node: SyntaxNode, model: Model, family: FlagFamily): FlagValue {
  const names: string[] = [];
  const unknown: string[] = [];
  const text = node.text.replace(/\s+/g, ' ');
  const ev = (n: SyntaxNode | null): number | undefined => {
    const u = unparen(n);
    if (!u) return undefined;
    switch (u.type) {
      case 'identifier': {
        const v = model.flagValue(family, u.text);
        if (v === undefined) {
          unknown.push(u.text);
          return undefined;
        }
        names.push(u.text);
        return v;
      }
      case 'number_literal': {
        const v = Number(u.text.replace(/[uUlL]+$/, ''));
        return Number.isFinite(v) ? v : undefined;
      }
      case 'binary_expression': {
        const op = u.childForFieldName('operator')?.type;
        const a = ev(u.childForFieldName('left'));
        const b = ev(u.childForFieldName('right'));
        if (a === undefined || b === undefined) return undefined;
        if (op === '|' || op === '+') return (a | b) >>> 0;
        if (op === '&') return (a & b) >>> 0;
        return undefined;
      }
      case 'unary_expression': {
        const op = u.child(0)?.type;
        const a = ev(u.childForFieldName('argument'));
        if (a === undefined) return undefined;
        if (op === '~') return ~a >>> 0;
        return undefined;
      }
      default:
        unknown.push(u.text.replace(/\s+/g, ' '));
        return undefined;
    }
  };
  const top = unparen(node);
  if (top && top.type === 'conditional_expression') {
    const c1 = top.childForFieldName('consequence');
    const c2 = top.childForFieldName('alternative');
    const choice = [c1, c2].filter((c): c is SyntaxNode => !!c).map((c) => evalFlags(c, model, family));
    const cond = top.childForFieldName('condition');
    return {
      names: choice.flatMap((c) => c.names),
      unknown: [...(cond ? [cond.text] : []), ...choice.flatMap((c) => c.unknown)],
      text,
      choice,
    };
  }
  const value = ev(node);
  return { value: unknown.length ? undefined : value, names, unknown, text };
}
