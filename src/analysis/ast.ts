import type { JNode as SyntaxNode } from './jsast';

/** Small helpers over tree-sitter nodes. */

export function unparen(n: SyntaxNode | null | undefined): SyntaxNode | null {
  while (n && (n.type === 'parenthesized_expression' || n.type === 'cast_expression')) {
    if (n.type === 'parenthesized_expression') n = n.namedChildren.find((c) => c.type !== 'comment') ?? null;
    else n = n.childForFieldName('value');
  }
  return n ?? null;
}

/** A stable key for an lvalue expression: its text without blanks and redundant parentheses. */
export function lvalKey(n: SyntaxNode | null | undefined): string | undefined {
  const u = unparen(n);
  if (!u) return undefined;
  switch (u.type) {
    case 'identifier':
      return u.text;
    case 'field_expression':
    case 'subscript_expression':
    case 'pointer_expression': {
      const t = u.text.replace(/\s+/g, '');
      if (t.length > 200) return undefined;
      return t.replace(/\(([A-Za-z_]\w*)\)/g, '$1');
    }
    default:
      return undefined;
  }
}

export function normArg(n: SyntaxNode | null | undefined): string {
  return (n?.text ?? '').replace(/\s+/g, '').replace(/\(([A-Za-z_][\w>.-]*)\)/g, '$1');
}

export function callName(call: SyntaxNode): string | undefined {
  const f = call.childForFieldName('function');
  if (!f) return undefined;
  if (f.type === 'identifier') return f.text;
  const u = unparen(f);
  return u && u.type === 'identifier' ? u.text : undefined;
}

export function callArgs(call: SyntaxNode): SyntaxNode[] {
  const a = call.childForFieldName('arguments');
  if (!a) return [];
  return a.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'ERROR');
}

export function isNullLiteral(n: SyntaxNode | null): boolean {
  const u = unparen(n);
  if (!u) return false;
  if (u.type === 'null') return true;
  if (u.type === 'number_literal') return /^0[uUlL]*$/.test(u.text);
  if (u.type === 'identifier') return u.text === 'NULL';
  return false;
}

export function line1(n: SyntaxNode): number {
  return n.startPosition.row + 1;
}

/** Does the subtree contain an ERROR or MISSING node? */
export function hasError(n: SyntaxNode): boolean {
  return n.hasError;
}
