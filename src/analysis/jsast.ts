import type { SyntaxNode, Tree, TreeCursor } from 'tree-sitter';

/**
 * A plain-JavaScript copy of a tree-sitter tree.
 *
 * Every property of a node-tree-sitter SyntaxNode is a native call that
 * marshals the node through a shared buffer; the per-function analysis reads
 * the same nodes again and again (each failure path re-evaluates the
 * statements it crosses), so on a kernel tree those calls cost more than the
 * parse itself. One cursor walk copies the tree into these objects, which
 * offer the subset of the SyntaxNode interface the analysis uses, with the
 * same semantics.
 */
/** Shared by every leaf (frozen: nothing may add to it). */
const NONE: JNode[] = Object.freeze([]) as unknown as JNode[];

export class JNode {
  parent: JNode | null = null;
  children: JNode[] = NONE;
  namedChildren: JNode[] = NONE;
  /** field name -> first child with that field */
  fields: Record<string, JNode> | null = null;
  hasError = false;
  constructor(
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    private readonly src: Source,
  ) {}

  get text(): string {
    return this.src.text.slice(this.startIndex, this.endIndex);
  }

  get startPosition(): { row: number; column: number } {
    return this.src.position(this.startIndex);
  }

  get endPosition(): { row: number; column: number } {
    return this.src.position(this.endIndex);
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  child(i: number): JNode | null {
    return this.children[i] ?? null;
  }

  namedChild(i: number): JNode | null {
    return this.namedChildren[i] ?? null;
  }

  childForFieldName(name: string): JNode | null {
    return this.fields?.[name] ?? null;
  }

  get previousNamedSibling(): JNode | null {
    const sibs = this.parent?.children;
    if (!sibs) return null;
    for (let i = sibs.indexOf(this) - 1; i >= 0; i--) if (sibs[i].isNamed) return sibs[i];
    return null;
  }

  /** The smallest node spanning [start, end], as tree-sitter's ts_node_descendant_for_byte_range picks it. */
  descendantForIndex(start: number, end: number = start): JNode {
    let node: JNode = this;
    for (;;) {
      let next: JNode | undefined;
      for (const c of node.children) {
        if (c.endIndex < end || c.endIndex <= start) continue;
        if (start < c.startIndex) break;
        next = c;
        break;
      }
      if (!next) return node;
      node = next;
    }
  }

  descendantsOfType(types: string | string[]): JNode[] {
    const want = typeof types === 'string' ? [types] : types;
    const out: JNode[] = [];
    const visit = (n: JNode) => {
      for (const c of n.children) {
        if (want.includes(c.type)) out.push(c);
        visit(c);
      }
    };
    visit(this);
    return out;
  }
}

export class Source {
  private starts?: number[];
  constructor(readonly text: string) {}

  position(index: number): { row: number; column: number } {
    const ls = (this.starts ??= lineStarts(this.text));
    let lo = 0;
    let hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { row: lo, column: index - ls[lo] };
  }
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

export interface JTree {
  rootNode: JNode;
}

// type and field names by id, filled as the cursor meets them (one native string each, per process)
const typeNames: string[] = [];
const fieldNames: string[] = [];
const namedByType: boolean[] = [];

/** Copy a tree (parsed from `text`, one char per byte) into JNodes with one cursor walk. */
export function mirror(tree: Tree, text: string): JTree {
  return { rootNode: mirrorNode(tree.rootNode, new Source(text)) };
}

/** A source text shared by the JNodes mirrored from one parse. */
export function source(text: string): Source {
  return new Source(text);
}

/** Copy the subtree under `node` (its copy has no parent). */
export function mirrorNode(node: SyntaxNode, src: Source): JNode {
  const cur: TreeCursor = node.walk();
  const mk = (): JNode => {
    const tid = cur.nodeTypeId;
    const type = (typeNames[tid] ??= cur.nodeType);
    const start = cur.startIndex;
    const end = cur.endIndex;
    // a MISSING node is zero-width; ask only then
    const missing = start === end && cur.nodeIsMissing;
    const n = new JNode(type, start, end, (namedByType[tid] ??= cur.nodeIsNamed), missing, src);
    if (missing || tid === 0xffff || type === 'ERROR') n.hasError = true;
    return n;
  };
  const root = mk();
  const stack: JNode[] = [root];
  // pre-order walk; each node is attached to its parent (the stack top) when first met
  if (cur.gotoFirstChild()) {
    for (;;) {
      const parent = stack[stack.length - 1];
      const n = mk();
      n.parent = parent;
      if (parent.children === NONE) parent.children = [n];
      else parent.children.push(n);
      if (n.isNamed) {
        if (parent.namedChildren === NONE) parent.namedChildren = [n];
        else parent.namedChildren.push(n);
      }
      const fid = cur.currentFieldId;
      if (fid) {
        const f = (fieldNames[fid] ??= cur.currentFieldName);
        const fs = (parent.fields ??= {});
        if (!(f in fs)) fs[f] = n;
      }
      if (n.hasError) for (let p: JNode | null = parent; p && !p.hasError; p = p.parent) p.hasError = true;
      if (cur.gotoFirstChild()) {
        stack.push(n);
        continue;
      }
      while (!cur.gotoNextSibling()) {
        stack.pop();
        if (stack.length === 0 || !cur.gotoParent()) break;
      }
      if (stack.length === 0) break;
    }
  }
  return root;
}
