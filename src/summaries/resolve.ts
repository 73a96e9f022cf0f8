/*
 * Stage 3, summaries (the whole-tree pass): extract.ts summarises each file's wrappers, macros, helpers and fields; this file resolves them to a fixpoint into model data.
 * Takes: per-file summaries. Gives: an extended DialectModel and the whole-tree facts.
 * Never: depends on file order or names (inputs are sorted; a name summarised two ways is dropped).
 */
import type { AllocatorSpec, DialectModel, ReleaseSpec } from '../model/types';
import { keyable, own } from '../util/own';
import { Model } from '../model/model';
import type { FileSummary, FnSummary, MacroSummary } from './extract';
import { FieldIndex } from './fields';
import { flagValueFromText } from '../context/textscan';
import { resolveExitDefs } from './exits';
import { resolveHeadroom } from './headroom';
import { resolveLockMacros } from './locks';

export interface WholeTreeFacts {
  wrappers: number;
  macros: number;
  derefHelpers: number;
  noReturn: number;
  releasers: number;
  /** Cleanup helpers that release members of objects (a driver's detach or free routine). */
  fieldReleasers: number;
}

/** Evaluate a flags argument's text (`M_NOWAIT | M_ZERO`) with the model's tables. */
function flagsTextCanFail(model: Model, spec: AllocatorSpec, text: string): 'yes' | 'no' | 'unknown' {
  return model.verdict(spec, flagValueFromText(text, model, spec.family)).canFail;
}

/**
 * Resolve per-file summaries into model data: wrappers and macros become
 * allocators, dereferencing helpers join derefArgs, panic wrappers join
 * noReturn, cleanup helpers join the release table. Deterministic: inputs are
 * sorted by file, and a name summarised differently in two files is dropped.
 */
export function resolveSummaries(base: DialectModel, files: FileSummary[]): { model: DialectModel; facts: WholeTreeFacts; fields: FieldIndex } {
  const fields = new FieldIndex();
  for (const f of files) if (f.fields) fields.add(f.file, f.fields);
  const model = new Model(base);
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const fns = new Map<string, FnSummary | null>();
  const macros = new Map<string, MacroSummary | null>();
  for (const f of sorted) {
    for (const s of f.functions) {
      if (model.allocators.has(s.name)) continue;
      const prev = fns.get(s.name);
      if (prev === undefined) fns.set(s.name, s);
      else if (prev && JSON.stringify({ ...prev, file: '' }) !== JSON.stringify({ ...s, file: '' })) fns.set(s.name, null);
    }
    for (const m of f.macros) {
      if (model.allocators.has(m.name)) continue;
      const prev = macros.get(m.name);
      if (prev === undefined) macros.set(m.name, m);
      else if (prev && JSON.stringify({ ...prev, file: '' }) !== JSON.stringify({ ...m, file: '' })) macros.set(m.name, null);
    }
  }
  const allocs = new Map<string, AllocatorSpec>();
  // direct wrappers first, then wrappers of wrappers to a fixpoint
  const specOf = (name: string): AllocatorSpec | undefined => allocs.get(name) ?? model.allocators.get(name);
  let changed = true;
  for (let round = 0; changed && round < 8; round++) {
    changed = false;
    for (const [name, s] of fns) {
      if (!s?.returnsAlloc || allocs.has(name)) continue;
      const r = s.returnsAlloc;
      let spec: AllocatorSpec | undefined;
      if (!r.via) {
        if (r.flagsParam !== undefined) spec = { name, arity: s.arity, flagsArg: r.flagsParam, family: r.family as AllocatorSpec['family'], result: { kind: 'return' }, freedBy: [], summary: 'wrapper' };
        else if (r.canFail === 'yes') spec = { name, arity: s.arity, family: r.family as AllocatorSpec['family'], result: { kind: 'return' }, freedBy: [], noWait: true, summary: 'wrapper' };
      } else {
        const g = specOf(r.via);
        if (!g || g.result.kind !== 'return') continue;
        if (g.noWait || g.alwaysMayFail) spec = { name, arity: s.arity, family: g.family, result: { kind: 'return' }, freedBy: [], noWait: true, summary: 'wrapper' };
        else if (g.flagsArg !== undefined) {
          const p = r.argMap?.[g.flagsArg];
          if (p !== null && p !== undefined) spec = { name, arity: s.arity, flagsArg: p, family: g.family, result: { kind: 'return' }, freedBy: [], summary: 'wrapper' };
          else {
            const txt = (r as { argText?: string[] }).argText?.[g.flagsArg];
            if (txt && flagsTextCanFail(model, g, txt) === 'yes') spec = { name, arity: s.arity, family: g.family, result: { kind: 'return' }, freedBy: [], noWait: true, summary: 'wrapper' };
          }
        }
      }
      if (spec) {
        allocs.set(name, spec);
        changed = true;
      }
    }
  }
  // the tree's status allocators (`int foo_alloc(sc, void **out, int how)`): errno returned, allocation in `*out`
  for (const [name, s] of fns) {
    const so = s?.statusOut;
    if (!so || allocs.has(name) || !keyable(name)) continue;
    const base = specOf(so.allocator);
    allocs.set(name, {
      name, arity: s!.arity, flagsArg: so.flagsParam, family: so.family as AllocatorSpec['family'], result: { kind: 'status', out: so.out },
      freedBy: base?.freedBy ?? [], summary: 'wrapper',
    });
  }
  let macroCount = 0;
  for (const [name, m] of macros) {
    if (!m?.alloc || allocs.has(name)) continue;
    const a = m.alloc;
    if (a.flagsParam === undefined && a.canFail !== 'yes') continue;
    const base = specOf(a.allocator);
    allocs.set(name, {
      name,
      arity: m.params.filter((p) => p && p !== '...').length || undefined,
      flagsArg: a.flagsParam,
      noWait: a.flagsParam === undefined ? true : undefined,
      family: a.family as AllocatorSpec['family'],
      result: a.resultParam !== undefined ? { kind: 'arg', index: a.resultParam } : { kind: 'return' },
      freedBy: base?.freedBy ?? [],
      macro: true,
      summary: 'macro',
    });
    macroCount++;
  }
  const derefArgs = { ...base.derefArgs };
  let derefHelpers = 0;
  for (const [name, s] of [...fns, ...macros] as [string, FnSummary | MacroSummary | null][]) {
    if (!s || !s.derefParams.length || own(derefArgs, name) || allocs.has(name)) continue;
    if (keyable(name)) derefArgs[name] = s.derefParams;
    derefHelpers++;
  }
  const noReturn = [...base.noReturn];
  const frees: ReleaseSpec[] = [...base.frees];
  let releasers = 0;
  for (const [name, s] of fns) {
    if (!s) continue;
    if (s.noReturn && !noReturn.includes(name)) noReturn.push(name);
    if (s.releasesParams.length && !model.frees.has(name) && !allocs.has(name)) {
      frees.push({ name, arg: s.releasesParams[0] });
      releasers++;
    }
  }
  const fieldReleasers = resolveFieldReleasers(fns, model);
  const outAllocators: Record<string, number> = {};
  for (const [name, s] of fns) if (s && s.allocsOut !== undefined && (!allocs.has(name) || allocs.get(name)!.result.kind === 'status') && keyable(name)) outAllocators[name] = s.allocsOut;
  const exitMacros: string[] = [...(base.exitMacros ?? [])];
  const gotoMacros: Record<string, string> = { ...(base.gotoMacros ?? {}) };
  for (const [name, m] of macros) {
    if (!m || allocs.has(name)) continue;
    if (m.gotoLabel && keyable(name)) gotoMacros[name] = m.gotoLabel;
    else if (m.exits) exitMacros.push(name);
  }
  const learned = resolveExitDefs(sorted);
  const vetoed = new Set(sorted.flatMap((f) => (f.exitDefs ?? []).filter((d) => d.kind === 'none').map((d) => d.name)));
  for (let i = exitMacros.length - 1; i >= 0; i--) if (vetoed.has(exitMacros[i]) && !(base.exitMacros ?? []).includes(exitMacros[i])) exitMacros.splice(i, 1);
  for (const name of learned.exits) if (!exitMacros.includes(name) && !allocs.has(name)) exitMacros.push(name);
  for (const [name, label] of Object.entries(learned.gotos)) if (keyable(name) && own(gotoMacros, name) === undefined && !allocs.has(name)) gotoMacros[name] = label;
  for (const name of learned.noReturn) if (!noReturn.includes(name) && !allocs.has(name)) noReturn.push(name);
  const wrappers = [...allocs.values()].filter((a) => a.summary === 'wrapper').length;
  return {
    model: { ...base, headroom: resolveHeadroom(sorted), lockMacros: resolveLockMacros(base, files), lockishDefined: [...new Set(files.flatMap((f) => f.lockNames ?? []))].sort(), allocators: [...base.allocators, ...[...allocs.values()].sort((a, b) => (a.name < b.name ? -1 : 1))], derefArgs, noReturn, frees, exitMacros, gotoMacros, fieldReleasers, outAllocators },
    facts: { wrappers, macros: macroCount, derefHelpers, noReturn: noReturn.length - base.noReturn.length, releasers, fieldReleasers: Object.keys(fieldReleasers).length },
    fields,
  };
}

/**
 * Which functions release which members, through the helpers they call: a driver's detach routine
 * releasing what its free-resources helper frees. A fixpoint over the call lists; the sets only grow.
 */
function resolveFieldReleasers(fns: Map<string, FnSummary | null>, model: Model): Record<string, string[]> {
  const sets = new Map<string, Set<string>>();
  // callers of each helper, then a worklist from the functions that release members themselves
  const callers = new Map<string, string[]>();
  for (const [name, s] of fns) {
    if (!s?.helpers?.length || model.frees.has(name)) continue;
    for (const h of s.helpers) {
      if (h === name) continue;
      const l = callers.get(h);
      if (l) l.push(name);
      else callers.set(h, [name]);
    }
  }
  const work: string[] = [];
  for (const [name, s] of fns) {
    if (s?.releasesFields?.length && !model.frees.has(name)) {
      sets.set(name, new Set(s.releasesFields));
      work.push(name);
    }
  }
  for (let steps = 0; work.length && steps < 200000; steps++) {
    const h = work.pop()!;
    const theirs = sets.get(h)!;
    for (const c of callers.get(h) ?? []) {
      let mine = sets.get(c);
      if (!mine) sets.set(c, (mine = new Set()));
      let grew = false;
      for (const f of theirs) {
        if (mine.has(f)) continue;
        mine.add(f);
        grew = true;
      }
      if (grew) work.push(c);
    }
  }
  const out: Record<string, string[]> = {};
  for (const name of [...sets.keys()].sort()) if (keyable(name)) out[name] = [...sets.get(name)!].sort();
  return out;
}
