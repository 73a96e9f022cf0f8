/**
 * --fix and --diff: rewrite the flags argument of allocation sites where the
 * model proves the suggested flags valid in the inferred context
 * (src/context/suggest.ts `safe`). Only the flags argument's bytes change;
 * each file is written atomically (temporary file in the same folder, then
 * rename), so an interrupted run leaves every file either old or new. Files
 * are read as latin1, so the byte offsets in the fixes are string offsets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../report/findings';
import type { SiteFix } from '../context/context';
import { writeFileAtomic } from '../util/atomic';
import { lineOf, lineStarts } from '../text/lines';

export interface PlannedFile {
  file: string;
  edits: SiteFix[];
  before: string;
  after: string;
}

/** Safe fixes of the reported findings, one per site, grouped per file; stale or overlapping edits are dropped. */
export function planFixes(findings: Finding[], resolve: (shown: string) => string = (f) => path.resolve(f)): { files: PlannedFile[]; skipped: string[] } {
  const per = new Map<string, Map<number, SiteFix>>();
  for (const f of findings) {
    const fx = f.properties?.fix as SiteFix | undefined;
    if (!fx || !fx.safe) continue;
    let m = per.get(fx.file);
    if (!m) per.set(fx.file, (m = new Map()));
    m.set(fx.start, fx);
  }
  const files: PlannedFile[] = [];
  const skipped: string[] = [];
  for (const [shown, m] of [...per].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const abs = resolve(shown);
    let before: string;
    try {
      before = fs.readFileSync(abs, 'latin1');
    } catch (e) {
      skipped.push(`${shown}: cannot read (${(e as Error).message})`);
      continue;
    }
    const edits = [...m.values()].sort((a, b) => a.start - b.start);
    const ok: SiteFix[] = [];
    let last = -1;
    for (const e of edits) {
      const cur = before.slice(e.start, e.end);
      if (cur.replace(/\s+/g, ' ') !== e.old || e.start < last) {
        skipped.push(`${shown}: the flags at byte ${e.start} changed since the analysis; not fixed`);
        continue;
      }
      const text = inAuthorsSpacing(cur, e.text);
      if (cur === text) continue;
      ok.push({ ...e, text });
      last = e.end;
    }
    if (!ok.length) continue;
    files.push({ file: shown, edits: ok, before, after: applyEdits(before, ok) });
  }
  return { files, skipped };
}

/** `text` with each edit's bytes [start, end) replaced by its text (edits sorted, not overlapping). */
export function applyEdits(text: string, edits: { start: number; end: number; text: string }[]): string {
  let out = '';
  let pos = 0;
  for (const e of edits) {
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/**
 * The new flags written with the separators the author used: `M_NOWAIT|M_ZERO`
 * becomes `M_WAITOK|M_ZERO`, `M_NOWAIT |\n\t    M_ZERO` keeps its line break.
 * Separators are reused in order; extra names get the first one that stays on
 * its line (` | ` when the author wrote a single name).
 */
export function inAuthorsSpacing(orig: string, text: string): string {
  const seps = orig.match(/\s*\|\s*/g) ?? [];
  const names = text.split(/\s*\|\s*/);
  const plain = seps.find((x) => !x.includes('\n')) ?? ' | ';
  return names.map((n, i) => (i ? (seps[i - 1] ?? plain) : '') + n).join('');
}

/** Write the planned files, one atomic rename each. */
export function applyFixes(plan: PlannedFile[], resolve: (shown: string) => string = (f) => path.resolve(f), write = writeFileAtomic): number {
  let n = 0;
  for (const p of plan) {
    write(resolve(p.file), Buffer.from(p.after, 'latin1'));
    n += p.edits.length;
  }
  return n;
}

/**
 * A unified diff of the planned files (3 lines of context). An edit may change the number of lines (a
 * flags argument split over two lines whose rewrite has one name fewer): each hunk counts its own lines,
 * and the later hunks' new line numbers carry the difference.
 */
export function unifiedDiff(plan: PlannedFile[]): string {
  const out: string[] = [];
  for (const p of plan) {
    const a = p.before.split('\n');
    const starts = lineStarts(p.before);
    const lineAt = (off: number) => lineOf(starts, off) - 1;
    // the lines each edit touches, with what they become; edits on one line share a region
    const regions: { la: number; lb: number; edits: SiteFix[] }[] = [];
    for (const e of [...p.edits].sort((x, y) => x.start - y.start)) {
      const la = lineAt(e.start);
      const lb = lineAt(Math.max(e.start, e.end - 1));
      const r = regions[regions.length - 1];
      if (r && la <= r.lb) {
        r.lb = Math.max(r.lb, lb);
        r.edits.push(e);
      } else regions.push({ la, lb, edits: [e] });
    }
    const replaced = (r: (typeof regions)[number]) => {
      const from = starts[r.la];
      const to = r.lb + 1 < starts.length ? starts[r.lb + 1] - 1 : p.before.length;
      let t = '';
      let pos = from;
      for (const e of r.edits) {
        t += p.before.slice(pos, e.start) + e.text;
        pos = e.end;
      }
      return (t + p.before.slice(pos, to)).split('\n');
    };
    out.push(`--- a/${p.file}`, `+++ b/${p.file}`);
    let shift = 0; // lines the earlier hunks added (or removed, if negative)
    let i = 0;
    while (i < regions.length) {
      let j = i;
      while (j + 1 < regions.length && regions[j + 1].la - regions[j].lb <= 6) j++;
      const from = Math.max(0, regions[i].la - 3);
      const to = Math.min(a.length - 1, regions[j].lb + 3);
      const body: string[] = [];
      let added = 0;
      let k = from;
      for (let r = i; r <= j; r++) {
        for (; k < regions[r].la; k++) body.push(' ' + a[k]);
        const now = replaced(regions[r]);
        for (; k <= regions[r].lb; k++) body.push('-' + a[k]);
        for (const l of now) body.push('+' + l);
        added += now.length - (regions[r].lb - regions[r].la + 1);
      }
      for (; k <= to; k++) body.push(' ' + a[k]);
      const len = to - from + 1;
      out.push(`@@ -${from + 1},${len} +${from + 1 + shift},${len + added} @@`, ...body);
      shift += added;
      i = j + 1;
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}
