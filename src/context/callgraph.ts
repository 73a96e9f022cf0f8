/**
 * Whole-tree resolution of function contexts (main thread). Input: the
 * per-file extractions; output: for each function, the most restricted
 * context it can run in, or that it may sleep, with the evidence.
 *
 *  - "may not sleep" flows down the call graph from interrupt handlers,
 *    callouts and calls made under a non-sleepable lock: a callee of a
 *    restricted function is at least as restricted.
 *  - "may sleep" holds for thread-context entry points (attach, ioctl,
 *    kthreads, taskqueues, SYSINIT), for functions that sleep themselves, and
 *    for functions whose callers in the tree all may sleep.
 *  - Calls through hook variables (`hook = fn;` in one file, `(*hook)(...)` in
 *    another) are edges to every function assigned to the hook.
 *  - Name heuristics (foo_attach, foo_intr) are weak evidence, used only where
 *    nothing stronger decides.
 */
import type { CallFact, FileContext, FnFact } from './extract';
import { CONTEXT_TABLES, LEVEL_ORDER, type Level, type Role } from './tables';
import type { DialectName } from '../model/types';

export interface FnContext {
  level: Level | 'unknown';
  /** Evidence, most direct first: "registered with bus_setup_intr() at foo.c:120", "called from foo_intr (interrupt)". */
  evidence: string[];
  /** Decided by name heuristics only. */
  weak: boolean;
  /** Also reached from a sleepable path, or sleeps itself, although restricted. */
  conflict?: string;
  /** May sleep, but allocations should use the interrupt reserve: why (tables.reserveRoles). */
  reserve?: string;
  /** Restricted because a caller holds a lock of this kind (not by a role): a release of it in the function ends it. */
  lock?: string;
  /** May sleep only because the function itself sleeps somewhere (the site must check where). */
  bySelf?: boolean;
  /** May sleep because of its callers in the linted tree only, and others (modules) may call it. */
  open?: string;
}

interface Node {
  key: string;
  name: string;
  file: string;
  fns: FnFact[];
  callers: Set<string>;
  /** callee key -> lock held at the call, if any */
  callees: Map<string, { what: string; level: Level; kind?: string } | undefined>;
  /** Callees reached only through calls that pass allocation flags or enter the allocator: no restriction flows. */
  quiet: Set<string>;
  /** Callees reached only where the function has released its callers' lock of this kind. */
  dropped: Map<string, string>;
  roles: { role: Role; level: Level; why: string; weak: boolean }[];
}


export class CallGraph {
  readonly nodes = new Map<string, Node>();
  /** "file#name" -> key, for functions known by another name in their file (function-defining macros). */
  private readonly aliases = new Map<string, { key: string; line: number }[]>();

  constructor(readonly dialect: DialectName, files: FileContext[]) {
    const tables = CONTEXT_TABLES[dialect];
    const statics = new Map<string, Set<string>>(); // file -> static names
    for (const fc of files) {
      for (const fn of fc.fns) {
        const key = fn.isStatic ? `${fc.file}#${fn.name}` : fn.name;
        if (fn.isStatic) {
          let s = statics.get(fc.file);
          if (!s) statics.set(fc.file, (s = new Set()));
          s.add(fn.name);
        }
        let n = this.nodes.get(key);
        if (!n) this.nodes.set(key, (n = { key, name: fn.name, file: fc.file, fns: [], callers: new Set(), callees: new Map(), quiet: new Set(), dropped: new Map(), roles: [] }));
        n.fns.push(fn);
        if (fn.alias) {
          const a = `${fc.file}#${fn.alias}`;
          this.aliases.set(a, [...(this.aliases.get(a) ?? []), { key, line: fn.line }].sort((x, y) => x.line - y.line));
        }
      }
    }
    const resolve = (file: string, name: string) => (statics.get(file)?.has(name) ? `${file}#${name}` : this.nodes.has(name) ? name : undefined);
    // hook variables: `ptr = fn;` somewhere, `ptr(...)` or `(*ptr)(...)` elsewhere (ptr is not a function itself)
    const hooks = new Map<string, Set<string>>();
    for (const fc of files) {
      for (const h of fc.hooks ?? []) {
        if (this.nodes.has(h.ptr) || statics.get(fc.file)?.has(h.ptr)) continue;
        const to = resolve(fc.file, h.fn);
        if (!to) continue;
        let s = hooks.get(h.ptr);
        if (!s) hooks.set(h.ptr, (s = new Set()));
        s.add(to);
      }
    }
    const link = (n: Node, from: string, toNode: Node, c: CallFact) => {
      const to = toNode.key;
      if (to === from) return;
      const prev = n.callees.get(to);
      const first = !n.callees.has(to);
      if (first) {
        if (c.quiet) n.quiet.add(to);
        if (c.dropped) n.dropped.set(to, c.dropped);
      } else {
        if (!c.quiet) n.quiet.delete(to);
        if (n.dropped.get(to) !== c.dropped) n.dropped.delete(to);
      }
      if (first || (prev && (!c.under || LEVEL_ORDER[c.under.level] > LEVEL_ORDER[prev.level]))) n.callees.set(to, c.under);
      toNode.callers.add(from);
    };
    for (const fc of files) {
      // a name resolves the same way everywhere in its file: once per name, not per call
      const local = new Map<string, Node | null>();
      const here = (name: string): Node | undefined => {
        let k = local.get(name);
        if (k === undefined) {
          const key = resolve(fc.file, name);
          local.set(name, (k = key === undefined ? null : this.nodes.get(key)!));
        }
        return k ?? undefined;
      };
      for (const fn of fc.fns) {
        const n = here(fn.name)!;
        const from = n.key;
        for (const c of fn.calls) {
          const direct = here(c.name);
          if (direct !== undefined) link(n, from, direct, c);
          else {
            const via = hooks.get(c.name);
            if (via) for (const to of via) link(n, from, this.nodes.get(to)!, c);
          }
        }
      }
      for (const r of fc.registrations) {
        const to = here(r.fn)?.key;
        if (!to) continue;
        this.nodes.get(to)!.roles.push({ role: r.role, level: tables.roleLevel[r.role], why: `registered as ${r.role.replace(/-/g, ' ')} by ${r.via} at ${fc.file}:${r.line}${tables.roleWhy?.[r.role] ? ` (${tables.roleWhy[r.role]})` : ''}`, weak: false });
      }
    }
    const stored = new Set(files.flatMap((fc) => fc.stored ?? []));
    const tabled = new Set(files.flatMap((fc) => fc.tabled ?? []));
    for (const n of this.nodes.values()) {
      if (n.roles.length) continue;
      if (tables.tableInitSuffix.test(n.name) && !stored.has(n.name) && tabled.has(n.name)) n.roles.push({ role: 'device-method', level: 'sleepable', why: `name '${n.name}' looks like an init method called through a table`, weak: true });
      else if (tables.sleepableSuffix.test(n.name)) n.roles.push({ role: 'device-method', level: 'sleepable', why: `name '${n.name}' looks like a thread-context entry point (attach/probe/ioctl/open...)`, weak: true });
      else if (tables.interruptSuffix.test(n.name)) n.roles.push({ role: 'interrupt-thread', level: tables.roleLevel['interrupt-thread'], why: `name '${n.name}' looks like an interrupt handler`, weak: true });
    }
  }

  /** The node of function `name` in `file`; `line` (of a site in it) picks among macro-defined functions known by one name. */
  key(file: string, name: string, line?: number): string | undefined {
    if (this.nodes.has(`${file}#${name}`)) return `${file}#${name}`;
    if (this.nodes.has(name)) return name;
    const al = this.aliases.get(`${file}#${name}`);
    if (!al) return undefined;
    if (line === undefined) return al.length === 1 ? al[0].key : undefined;
    let best: string | undefined;
    for (const a of al) if (a.line <= line) best = a.key;
    return best;
  }

  private cache = new Map<string, FnContext>();
  private strong?: Map<string, FnContext>;
  private all?: Map<string, FnContext>;

  /** The context of a function, by key. */
  context(key: string | undefined): FnContext {
    if (!key || !this.nodes.has(key)) return { level: 'unknown', evidence: ['the function is not known to the call graph'], weak: false };
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.strong ??= this.solve(false);
    const s = this.strong.get(key);
    let r: FnContext;
    if (s && s.level !== 'unknown') r = s;
    else {
      this.all ??= this.solve(true);
      r = this.all.get(key) ?? { level: 'unknown', evidence: [], weak: false };
      if (r.level !== 'unknown') r = { ...r, weak: true };
      else r = { level: 'unknown', evidence: ['no handler registration, lock, sleep or caller in the tree decides the context'], weak: false };
    }
    this.cache.set(key, r);
    return r;
  }

  /**
   * A worklist over the call graph: every candidate function is settled once
   * all its callers are done (`done`), callers first; `settle` records it.
   */
  private callersFirst(candidate: (n: Node) => boolean, done: (key: string) => boolean, settle: (n: Node) => void): void {
    const waiting = new Map<string, number>();
    const ready: Node[] = [];
    for (const n of this.nodes.values()) {
      if (!candidate(n)) continue;
      let left = 0;
      for (const c of n.callers) if (!done(c)) left++;
      if (left) waiting.set(n.key, left);
      else ready.push(n);
    }
    while (ready.length) {
      const n = ready.pop()!;
      settle(n);
      for (const to of n.callees.keys()) {
        const left = waiting.get(to);
        if (left === undefined) continue;
        if (left > 1) waiting.set(to, left - 1);
        else {
          waiting.delete(to);
          ready.push(this.nodes.get(to)!);
        }
      }
    }
  }

  /**
   * Sleepable functions whose allocations should use the interrupt reserve:
   * those registered in a reserve role (and in no other thread-context role),
   * and those that may sleep only because their callers may, when all their
   * callers are reserve functions. A helper reached from attach and from probe
   * keeps M_WAITOK ("attach paths M_WAITOK"); on the 2004 tree "any caller"
   * instead of "all callers" flips one site right and one wrong.
   */
  private reserveOf(sleepable: Map<string, string[]>, restricted: Map<string, unknown>, byCallers: Set<string>, withWeak: boolean): Map<string, string> {
    const tables = CONTEXT_TABLES[this.dialect];
    const out = new Map<string, string>();
    const roles = tables.reserveRoles;
    if (!roles) return out;
    for (const n of this.nodes.values()) {
      if (!sleepable.has(n.key) || restricted.has(n.key)) continue;
      const rs = n.roles.filter((r) => (withWeak || !r.weak) && r.level === 'sleepable');
      const res = rs.find((r) => roles[r.role]);
      if (res && rs.every((r) => roles[r.role])) out.set(n.key, roles[res.role]!);
    }
    // callers first, as in solve()
    this.callersFirst(
      (n) => !out.has(n.key) && !restricted.has(n.key) && sleepable.has(n.key) && byCallers.has(n.key),
      (c) => out.has(c),
      (n) => out.set(n.key, out.get([...n.callers][0])!),
    );
    return out;
  }

  private solve(withWeak: boolean): Map<string, FnContext> {
    const restricted = new Map<string, { level: Level; why: string[]; lock?: string }>();
    const work: string[] = [];
    const seed = (key: string, level: Level, why: string[], lock?: string) => {
      const cur = restricted.get(key);
      if (cur && LEVEL_ORDER[cur.level] < LEVEL_ORDER[level]) return;
      // a role or a lock held in the function itself outranks a lock its callers hold (which it may release)
      if (cur && LEVEL_ORDER[cur.level] === LEVEL_ORDER[level] && (!cur.lock || lock)) return;
      restricted.set(key, { level, why, ...(lock ? { lock } : {}) });
      work.push(key);
    };
    for (const n of this.nodes.values()) {
      for (const r of n.roles) if ((withWeak || !r.weak) && r.level !== 'sleepable') seed(n.key, r.level, [r.why]);
      for (const [to, under] of n.callees) if (under && !n.quiet.has(to)) seed(to, under.level, [`called from ${n.name}() with ${under.what} held`], under.kind);
    }
    while (work.length) {
      const k = work.pop()!;
      const cur = restricted.get(k)!;
      const n = this.nodes.get(k)!;
      for (const [to, under] of n.callees) {
        // no flow through calls that pass allocation flags or enter the allocator, nor where this
        // function has released the very lock that restricts it
        if (n.quiet.has(to)) continue;
        const lifted = !!cur.lock && n.dropped.get(to) === cur.lock;
        if (lifted && !under) continue;
        const fromUnder = !!under && (lifted || LEVEL_ORDER[under.level] < LEVEL_ORDER[cur.level]);
        const lvl = fromUnder ? under!.level : cur.level;
        const why = cur.why.length < 4 ? [`called from ${n.name}() (${cur.level})`, ...cur.why] : [`called from ${n.name}() (${cur.level})`, ...cur.why.slice(0, 3), '...'];
        seed(to, lvl, fromUnder ? [`called from ${n.name}() with ${under!.what} held`] : why, fromUnder ? under!.kind : cur.lock);
      }
    }
    // may sleep: entry points, functions that sleep, and (to a fixpoint) functions all of whose callers may sleep
    const sleepable = new Map<string, string[]>();
    const byCallers = new Set<string>();
    const bySelf = new Set<string>();
    for (const n of this.nodes.values()) {
      const role = n.roles.find((r) => (withWeak || !r.weak) && r.level === 'sleepable');
      if (role) sleepable.set(n.key, [role.why]);
      else {
        const s = n.fns.find((f) => f.sleeps)?.sleeps;
        if (s) {
          sleepable.set(n.key, [`the function itself may sleep: ${s.what} at line ${s.line}`]);
          bySelf.add(n.key);
        }
      }
    }
    // any order gives the same answer: a function's evidence names its sorted callers and repeats the
    // first caller's, set once
    this.callersFirst(
      (n) => !sleepable.has(n.key) && !restricted.has(n.key) && n.callers.size > 0 && !n.roles.some((r) => withWeak || !r.weak),
      (c) => sleepable.has(c),
      (n) => {
        const names = [...n.callers].map((c) => this.nodes.get(c)!.name).sort();
        const first = sleepable.get([...n.callers][0])!;
        sleepable.set(n.key, [`called only from functions that may sleep: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}`, ...first.slice(0, 2)]);
        byCallers.add(n.key);
      },
    );
    const reserve = this.reserveOf(sleepable, restricted, byCallers, withWeak);
    const out = new Map<string, FnContext>();
    for (const n of this.nodes.values()) {
      const r = restricted.get(n.key);
      const s = sleepable.get(n.key);
      const res = reserve.get(n.key);
      if (r) out.set(n.key, { level: r.level, evidence: r.why, weak: false, ...(s ? { conflict: s[0] } : {}), ...(r.lock ? { lock: r.lock } : {}) });
      else if (s) {
        // exported and sleepable only through the callers seen here: a module may call it from anywhere
        const open = byCallers.has(n.key) && !n.key.includes('#') ? `${n.name}() is not static: callers outside the linted files may not be able to sleep` : undefined;
        out.set(n.key, { level: 'sleepable', evidence: s, weak: false, ...(res ? { reserve: res } : {}), ...(bySelf.has(n.key) ? { bySelf: true } : {}), ...(open ? { open } : {}) });
      }
    }
    return out;
  }
}
