/**
 * Kernel macros whose uses tree-sitter-c cannot parse as written, by shape: the
 * data that drives the offset-preserving rewrites in preprocess.ts. A shape says
 * what the macro's use looks like and so how to turn it into C of the same length
 * (each rewrite only blanks bytes or puts a keyword or an identifier where blanks
 * or the macro's own bytes were).
 *
 *   attribute     `int x __unused;`, `} __packed __aligned(8);`: blanked, with its (...) if any
 *   typeArg       `mtod(m, struct ip *)`: argument `index` is a type; it becomes an identifier (`____________`)
 *   operatorArg   `timevalcmp(a, b, <)`: argument `index` is an operator; it becomes an identifier
 *   typedDecl     `VNET_DEFINE(struct foo *, name) = x;`: a declaration `struct foo *  name = x;`
 *   queueHead     `TAILQ_HEAD(name, type) var;`: the struct type `struct name var;` (`struct type` when unnamed)
 *   fileScopeCall `static MALLOC_DEFINE(...);`: a call at file scope; a `static` before it is blanked
 *   emptyArgs     `SDT_PROBE_DEFINE(sdt, , , probe)`: every empty argument gets a `0` in its blank
 *   functionDef   `DB_SHOW_COMMAND(name, fn) { ... }`: the definition `void name( fn) { ... }`
 *   loop          `TAILQ_FOREACH(...)`, `list_for_each_entry(...) {`: a `while` loop (a lower-case one only
 *                 when a statement follows, not `;`: then it is a function call)
 *   keyword       `__volatile`, `__const`: the standard keyword, right-aligned in the same bytes
 */
export type MacroShape =
  | { kind: 'attribute' }
  | { kind: 'typeArg'; index: number }
  | { kind: 'operatorArg'; index: number }
  | { kind: 'typedDecl' }
  | { kind: 'queueHead' }
  | { kind: 'fileScopeCall' }
  | { kind: 'emptyArgs' }
  | { kind: 'functionDef' }
  | { kind: 'loop' }
  | { kind: 'keyword'; to: string };

export interface ShapeEntry {
  /** Exact macro names. */
  names?: string[];
  /** Or a pattern the whole name matches (regex source, no anchors). */
  pattern?: string;
  shape: MacroShape;
}

export const MACRO_SHAPES: ShapeEntry[] = [
  {
    // <sys/cdefs.h> attributes and lock annotations, Linux KPI address-space markers
    names: [
      '__unused', '__diagused', '__used', '__packed', '__aligned', '__section', '__iomem', '__user', '__force',
      '__read_mostly', '__read_frequently', '__exclusive_cache_line', '__dead2', '__pure2', '__printflike',
      '__scanflike', '__format_arg', '__nonnull', '__nonnull_all', '__returns_twice', '__result_use_check',
      '__malloc_like', '__alloc_size', '__alloc_size2', '__alloc_align', '__noinline', '__always_inline',
      '__weak_symbol', '__nosanitizeaddress', '__nosanitizememory', '__nosanitizethread', '__lockable',
      '__locks_exclusive', '__locks_shared', '__trylocks_exclusive', '__trylocks_shared', '__unlocks',
      '__asserts_exclusive', '__asserts_shared', '__requires_exclusive', '__requires_shared',
      '__requires_unlocked', '__no_lock_analysis', '__guarded_by', '__pt_guarded_by', '__counted_by',
      // calling conventions of vendor code (EFI, the Atheros HAL)
      'EFIAPI', '__ahdecl',
    ],
    shape: { kind: 'attribute' },
  },
  { names: ['mtod', '__containerof', 'container_of', 'rb_entry', 'list_entry', 'list_first_entry', 'list_last_entry', 'hlist_entry', 'va_arg'], shape: { kind: 'typeArg', index: 1 } },
  { names: ['SET_DECLARE'], shape: { kind: 'typeArg', index: 1 } },
  { names: ['SYSCTL_VNET_PCPUSTAT'], shape: { kind: 'typeArg', index: 3 } },
  { names: ['__offsetof', '__rangeof', '__builtin_offsetof', 'FIELD_SIZEOF', 'sizeof_field', 'max_t', 'min_t', 'clamp_t', '__DECONST', '__DEVOLATILE', '__DEQUALIFY'], shape: { kind: 'typeArg', index: 0 } },
  { names: ['timevalcmp', 'timespeccmp', 'bintime_cmp'], shape: { kind: 'operatorArg', index: 2 } },
  {
    names: ['VNET_DEFINE', 'VNET_DEFINE_STATIC', 'VNET_DECLARE', 'VNET_PCPUSTAT_DEFINE', 'VNET_PCPUSTAT_DEFINE_STATIC', 'VNET_PCPUSTAT_DECLARE', 'DPCPU_DEFINE', 'DPCPU_DEFINE_STATIC', 'DPCPU_DECLARE'],
    shape: { kind: 'typedDecl' },
  },
  { names: ['LIST_HEAD', 'SLIST_HEAD', 'STAILQ_HEAD', 'TAILQ_HEAD', 'CK_LIST_HEAD', 'CK_SLIST_HEAD', 'CK_STAILQ_HEAD'], shape: { kind: 'queueHead' } },
  { names: ['MALLOC_DEFINE', 'MALLOC_DECLARE', 'SYSINIT', 'SYSUNINIT', 'TASKQUEUE_DEFINE_THREAD', 'EVENTHANDLER_DECLARE'], shape: { kind: 'fileScopeCall' } },
  { pattern: 'SYSCTL_[A-Z0-9_]+', shape: { kind: 'fileScopeCall' } },
  { pattern: 'SDT_[A-Z0-9_]+', shape: { kind: 'emptyArgs' } },
  { names: ['DB_COMMAND', 'DB_SHOW_COMMAND', 'DB_SHOW_ALL_COMMAND', 'DB_COMMAND_FLAGS', 'DB_SHOW_COMMAND_FLAGS'], shape: { kind: 'functionDef' } },
  { pattern: '[A-Z][A-Z0-9_]*_FOREACH[A-Z0-9_]*', shape: { kind: 'loop' } },
  { pattern: '[a-z][a-z0-9_]*_for_each[a-z0-9_]*|for_each_[a-z0-9_]+', shape: { kind: 'loop' } },
  { names: ['__volatile'], shape: { kind: 'keyword', to: 'volatile' } },
  { names: ['__const'], shape: { kind: 'keyword', to: 'const' } },
  { names: ['__signed'], shape: { kind: 'keyword', to: 'signed' } },
];

const exact = new Map<string, MacroShape>();
const patterns: { re: RegExp; shape: MacroShape }[] = [];
for (const e of MACRO_SHAPES) {
  for (const n of e.names ?? []) exact.set(n, e.shape);
  if (e.pattern) patterns.push({ re: new RegExp(`^(?:${e.pattern})$`), shape: e.shape });
}

/** One regex finding every name the table covers (as a whole word). */
export const SHAPE_NAMES = new RegExp(
  `\\b(?:${[...MACRO_SHAPES.flatMap((e) => e.names ?? []), ...MACRO_SHAPES.flatMap((e) => (e.pattern ? [e.pattern] : []))].join('|')})\\b`,
  'g',
);

export function shapeOf(name: string): MacroShape | undefined {
  return exact.get(name) ?? patterns.find((p) => p.re.test(name))?.shape;
}
