/*
 * Stage 5, context: the call graph of the tree, each function's context (may sleep, interrupt, locks held) and the flags the model suggests at each site.
 * Takes: every file's results and context facts. Gives: SiteFacts.extra.context / suggestion.
 * Never: reads files; evidence comes from registrations, locks and calls, never from a file's path.
 */
/**
 * Context inference per allocation site: the resolved context of the enclosing
 * function (callgraph.ts), narrowed by the locks and spl levels held at the
 * call, and the flags the model suggests there (suggest.ts). The results are
 * attached to SiteFacts.extra:
 *   extra.context        { level, evidence[], weak, conflict? }
 *   extra.suggestion     one sentence
 *   extra.suggestedFlags "M_WAITOK | M_ZERO"
 *   extra.suggestedClass wait | intwait | nowait | intnowait | none
 *   extra.fix            { file, start, end, old, text, safe } (internal; used by --fix/--diff)
 *   extra.sarifFix       a SARIF fix (only for fixes --fix would apply)
 */
import type { FileResult, SiteFacts } from '../analysis/types';
import type { Model } from '../model/model';
import { CallGraph, type FnContext } from './callgraph';
import type { AllocFact, FileContext, FnFact } from './extract';
import { suggestFlags, type Suggestion } from './suggest';
import { CONTEXT_TABLES, LEVEL_ORDER, type Level } from './tables';

export interface SiteContext {
  level: Level | 'unknown';
  evidence: string[];
  weak: boolean;
  conflict?: string;
  /** May sleep, but the allocation should use the interrupt reserve: why. */
  reserve?: string;
  /** The no-wait flags are the code's choice (a fallback, a retry, a comment): why. */
  choice?: string;
  /** The suggestion stands, but --fix must not apply it: why. */
  fixBlock?: string;
}

export interface SiteFix {
  file: string;
  /** Byte offsets of the flags argument. */
  start: number;
  end: number;
  old: string;
  text: string;
  safe: boolean;
}

export function siteContext(site: SiteFacts, fn: FnContext, model: Model, here?: SiteText): SiteContext {
  let level: Level | 'unknown' = fn.level;
  let evidence = [...fn.evidence];
  let weak = fn.weak;
  const a = here?.alloc;
  if (a?.dropped && fn.lock === a.dropped && (fn.level === 'nosleep' || fn.level === 'noalloc')) {
    // fdgrow_locked(): the callers' spin lock is released around the allocation
    level = 'unknown';
    evidence = [`the function releases the ${a.dropped} its callers hold before this call`];
    weak = false;
  } else if (fn.level === 'sleepable' && fn.bySelf && a && here?.fn) {
    // "the function sleeps" counts only where the same locks are held, not at this call itself,
    // and not in the other arm of a choice about waiting
    const at = (here.fn.sleepsAt ?? []).find((s) => s.line !== site.loc.line && (s.sig ?? '') === (a.sig ?? '') && !(a.siblings ?? []).includes(s.line));
    if (at) evidence = [`the function itself may sleep under the same locks: ${at.what} at line ${at.line}`];
    else {
      level = 'unknown';
      evidence = ['the function sleeps elsewhere, but not where the locks held at this call are held'];
    }
  }
  const narrow = (l: Level, why: string) => {
    if (level === 'unknown' || weak || LEVEL_ORDER[l] < LEVEL_ORDER[level]) {
      level = l;
      evidence = [why, ...(fn.level === 'unknown' ? [] : evidence)];
      weak = false;
    } else evidence.push(why);
  };
  for (const h of site.heldAtCall) {
    if (h.forbidsAlloc) narrow('noalloc', `${h.what} is held at the call (no allocation allowed)`);
    else if (h.forbidsSleep) narrow('nosleep', `${h.what} is held at the call (no sleeping allowed)`);
  }
  // locks the analysis does not track: learned lock macros, assertions, functions that return locked
  for (const h of a?.held ?? []) narrow(h.level, `${h.what} is held at the call (${h.level === 'noalloc' ? 'no allocation' : 'no sleeping'} allowed)`);
  const intrSpl = CONTEXT_TABLES[model.name].interruptSpl;
  for (const h of site.heldAtCall) {
    if (h.kind !== 'spl') continue;
    if (intrSpl.some((s) => h.what.includes(s))) narrow('interrupt', `${h.what} is held at the call (interrupt-level protection)`);
    else if (level !== 'unknown') evidence.push(`${h.what} at the call`);
  }
  if (level === 'sleepable' && a?.unknownLocks?.length) {
    // a lock macro the tree does not define (a header left out): it may be a mutex
    level = 'unknown';
    evidence = [`${a.unknownLocks.join(', ')} is held at the call and what kind of lock it takes is unknown`, ...evidence];
  }
  const reserve = level === 'sleepable' && fn.level === 'sleepable' ? fn.reserve : undefined;
  const fixBlock = a?.choice ?? a?.noFix ?? (level === 'sleepable' ? fn.open : undefined);
  return { level, evidence, weak, ...(fn.conflict ? { conflict: fn.conflict } : {}), ...(reserve ? { reserve } : {}), ...(a?.choice ? { choice: a.choice } : {}), ...(fixBlock ? { fixBlock } : {}) };
}

/** What the context extraction saw at a site by text: its function and the allocation call. */
export interface SiteText {
  fn?: FnFact;
  alloc?: AllocFact;
}

/** The text facts of `site` in its file's context facts (matched by function and line). */
export function siteText(fc: FileContext | undefined, site: SiteFacts): SiteText {
  if (!fc) return {};
  let best: SiteText = {};
  for (const f of fc.fns) {
    if (f.name !== site.function && f.alias !== site.function) continue;
    for (const a of f.allocs ?? []) {
      if (a.line !== site.loc.line) continue;
      if (a.name === site.allocator || a.name === site.via) return { fn: f, alloc: a };
      best = { fn: f, alloc: a };
    }
    best.fn ??= f;
  }
  return best;
}

export function contextMessage(c: SiteContext): string {
  if (c.level === 'unknown') return 'context unknown';
  const words = { noalloc: 'no allocation allowed', nosleep: 'may not sleep', interrupt: 'interrupt thread', sleepable: 'may sleep' }[c.level];
  return `context: ${words}${c.weak ? ' (by name only)' : ''} — ${c.evidence[0] ?? ''}`;
}

/** The key of a site's function in a FnContexts memo. */
export const memoKey = (file: string, fn: string, line: number) => `${file}\0${fn}\0${line}`;

/**
 * Resolve contexts over the whole tree and attach them (and suggestions) to
 * every site. `known`: the function contexts of an earlier run over the same
 * context facts (src/cache/contextmemo.ts); the call graph is built only for sites
 * it does not answer. Returns the function context of every site, by memoKey.
 */
export function attachContexts(results: FileResult[], model: Model, known?: Map<string, FnContext>): Map<string, FnContext> {
  let graph: CallGraph | undefined;
  const used = new Map<string, FnContext>();
  const fnContext = (file: string, fn: string, line: number): FnContext => {
    const k = memoKey(file, fn, line);
    let c = known?.get(k);
    if (!c) {
      graph ??= new CallGraph(model.name, results.map((r) => r.context).filter((x): x is FileContext => !!x));
      c = graph.context(graph.key(file, fn, line));
    }
    used.set(k, c);
    return c;
  };
  for (const r of results) {
    for (const site of r.sites) {
      const fn = fnContext(r.file, site.function, site.loc.line);
      const ctx = siteContext(site, fn, model, siteText(r.context, site));
      const extra = (site.extra ??= {});
      extra.context = ctx;
      const s: Suggestion | undefined = suggestFlags(site, ctx, model);
      if (!s) continue;
      extra.suggestion = s.message;
      if (s.flags.length) extra.suggestedFlags = s.text;
      extra.suggestedClass = s.klass;
      if (site.flagsRange && s.flags.length) {
        const fix: SiteFix = { file: r.file, start: site.flagsRange[0], end: site.flagsRange[1], old: site.flagValue?.text ?? site.flags, text: s.text, safe: s.safe };
        extra.fix = fix;
        if (!s.safe) extra.fixBlocked = s.unsafeWhy;
        if (s.safe) {
          extra.sarifFix = {
            description: { text: `Use ${s.text}` },
            artifactChanges: [
              {
                artifactLocation: { uri: r.file.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
                replacements: [{ deletedRegion: { byteOffset: fix.start, byteLength: fix.end - fix.start }, insertedContent: { text: s.text } }],
              },
            ],
          };
        }
      }
    }
  }
  return used;
}
