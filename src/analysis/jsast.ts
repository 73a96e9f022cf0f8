import type { SyntaxNode, Tree, TreeCursor } from 'tree-sitter';
import { lineOf, lineStarts } from '../text/lines';

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
    public endIndex: number,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    private readonly src: Source,
  ) {}

  get text(): string {
    return this.src.text.slice(this.startIndex, this.endIndex);
  }

  /** The whole text this node was parsed from (the file, after preprocess()). */
  get sourceText(): string {
    return this.src.text;
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
    const row = lineOf(ls, index) - 1;
    return { row, column: index - ls[row] };
  }
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

/** Preprocessor lines that end with a newline token (hidden from the cursor). */
const LINE_DIRECTIVES = new Set(['preproc_include', 'preproc_def', 'preproc_function_def', 'preproc_call']);

/** Node types whose children may carry field names (from the grammar's node types). */
let withFields: Set<string> | undefined;
function typesWithFields(): Set<string> {
  if (!withFields) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const info = (require('tree-sitter-c') as { nodeTypeInfo?: { type: string; fields?: Record<string, unknown> }[] }).nodeTypeInfo ?? [];
    withFields = new Set(info.filter((t) => t.fields && Object.keys(t.fields).length).map((t) => t.type));
    withFields.add('ERROR'); // recovery can keep a field of the production it broke
  }
  return withFields;
}

/**
 * Copy the subtree under `node` (its copy has no parent). Native calls are the
 * cost, so the walk asks only what it needs: no field for the children of
 * node types that have none, no descent into anonymous nodes (tokens are
 * leaves), and an inner node's end is its last child's end.
 */
export function mirrorNode(node: SyntaxNode, src: Source, stats?: { depth: number }): JNode {
  const cur: TreeCursor = node.walk();
  let depth = 1;
  const fieldsOf = typesWithFields();
  const root = new JNode((typeNames[cur.nodeTypeId] ??= cur.nodeType), cur.startIndex, cur.endIndex, cur.nodeIsNamed, false, src);
  if (root.type === 'ERROR') root.hasError = true;
  const stack: JNode[] = [root];
  // pre-order walk; each node is attached to its parent (the stack top) when first met
  if (cur.gotoFirstChild()) {
    for (;;) {
      const parent = stack[stack.length - 1];
      const tid = cur.nodeTypeId;
      const type = (typeNames[tid] ??= cur.nodeType);
      const named = (namedByType[tid] ??= cur.nodeIsNamed);
      const start = cur.startIndex;
      const fid = fieldsOf.has(parent.type) ? cur.currentFieldId : 0;
      // preprocessor lines end with a newline no child covers: ask for their end
      const ownEnd = named && type.startsWith('preproc') ? cur.endIndex : -1;
      const inner = named && cur.gotoFirstChild();
      let n: JNode;
      if (inner) n = new JNode(type, start, ownEnd, true, false, src); // end (-1): its last child's, set when its children are done
      else {
        const end = cur.endIndex;
        // a MISSING node is zero-width; ask only then
        const missing = start === end && cur.nodeIsMissing;
        n = new JNode(type, start, end, named, missing, src);
        if (missing) n.hasError = true;
      }
      if (tid === 0xffff || type === 'ERROR') n.hasError = true;
      n.parent = parent;
      if (parent.children === NONE) parent.children = [n];
      else parent.children.push(n);
      if (named) {
        if (parent.namedChildren === NONE) parent.namedChildren = [n];
        else parent.namedChildren.push(n);
      }
      if (fid) {
        const f = (fieldNames[fid] ??= fieldName(cur, inner));
        const fs = (parent.fields ??= {});
        if (!(f in fs)) fs[f] = n;
      }
      if (n.hasError) for (let p: JNode | null = parent; p && !p.hasError; p = p.parent) p.hasError = true;
      if (inner) {
        stack.push(n);
        if (stack.length > depth) depth = stack.length;
        continue;
      }
      while (!cur.gotoNextSibling()) {
        const done = stack.pop()!;
        if (done.endIndex < 0) done.endIndex = done.children[done.children.length - 1].endIndex;
        // a directive line whose newline is missing (`#include <x.h> ` + newline, EOF): the MISSING token is hidden from the cursor
        else if (done.endIndex === done.children[done.children.length - 1].endIndex && LINE_DIRECTIVES.has(done.type)) {
          for (let p: JNode | null = done; p && !p.hasError; p = p.parent) p.hasError = true;
        }
        if (stack.length === 0 || !cur.gotoParent()) break;
      }
      if (stack.length === 0) break;
    }
  }
  if (stats) stats.depth = depth;
  return root;
}

/** The name of the current node's field; the cursor may already stand on its first child. */
function fieldName(cur: TreeCursor, descended: boolean): string {
  if (!descended) return cur.currentFieldName;
  cur.gotoParent();
  const f = cur.currentFieldName;
  cur.gotoFirstChild();
  return f;
}
