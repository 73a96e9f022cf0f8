/*
 * Stage 7, report: the HTML report (--format html -o report.html), scan-build style. One
 * self-contained page (inline CSS, inline SVG, a plain script from htmlclient.ts; no network):
 * an overview (counts per severity, rule and subsystem, the dialect, files, run time), a list with
 * filters whose state lives in the URL fragment, and per finding the enclosing function's source
 * with the failure path drawn as numbered markers, the suggestion and its evidence, the --fix hunk
 * and the rule's documentation.
 * Takes: the same findings as the other formats, plus the source files, read here after the run
 * (files that vanished or are not UTF-8 are shown as far as possible). Gives: the page.
 * Never: runs analysis; puts unescaped text into the page (esc() everywhere; JSON in the script
 * element escapes <, > and &).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { lineStarts } from '../text/lines';
import type { LintResult } from '../engine';
import { RULES, type Rule } from '../../rules';
import type { Finding } from './findings';
import { planFixes, unifiedDiff } from '../workflow/fix';
import { VERSION, ruleDocUri } from '../util/version';
import { decodeState, encodeState, klMain } from './htmlclient';

export interface HtmlOptions {
  /** The linted paths as given (for subsystems when a file is not under a sys/ folder). */
  roots?: string[];
  /** Shown path -> absolute path (default: resolved against the working directory). */
  resolve?: (shown: string) => string;
}

/** Longest source line shown; longer ones are cut to a window around the marked column. */
export const LINE_WINDOW = 160;
/** A function up to this many lines is shown whole; a longer one only around the path. */
const WHOLE_FUNCTION = 60;
const CONTEXT = 3;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

/** JSON that may stand inside a <script> element: no '<', '>', '&' or line separators survive as themselves. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * The subsystem of a file: the first two folders under the first `sys/` of its path (`dev/netif`,
 * `kern`), else the first two under the linted root it belongs to; '.' for a file directly there.
 */
export function subsystemOf(file: string, roots: string[] = []): string {
  const parts = file.split('/').filter((p) => p && p !== '.');
  let rest: string[] | undefined;
  const sys = parts.indexOf('sys');
  if (sys >= 0 && sys < parts.length - 1) rest = parts.slice(sys + 1);
  else {
    let best = -1;
    for (const r of roots) {
      const rp = r.split(/[\\/]/).filter((p) => p && p !== '.');
      if (rp.length > best && rp.length < parts.length && rp.every((p, i) => parts[i] === p)) {
        best = rp.length;
        rest = parts.slice(rp.length);
      }
    }
    rest ??= parts.slice(parts.length > 1 && parts[0] === '..' ? parts.lastIndexOf('..') + 1 : 0);
  }
  const dirs = rest.slice(0, -1).slice(0, 2);
  return dirs.length ? dirs.join('/') : '.';
}

interface Source {
  /** Line n (1-based) as Latin-1, one char per byte so that columns are exact; undefined past the end. */
  line?: (n: number) => string | undefined;
  count: number;
  utf8: boolean;
  error?: string;
}

function readSource(abs: string): Source {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { count: 0, utf8: false, error: code === 'ENOENT' ? 'the file is gone' : `the file cannot be read (${code ?? (e as Error).message})` };
  }
  const text = buf.toString('latin1');
  const starts = lineStarts(text);
  const line = (n: number) => {
    if (n < 1 || n > starts.length) return undefined;
    const end = n < starts.length ? starts[n] - 1 : text.length;
    return text.slice(starts[n - 1], end > starts[n - 1] && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
  };
  return { line, count: starts.length, utf8: isUtf8(buf) };
}

/** Latin-1 bytes to display text: UTF-8 files decoded as UTF-8, others shown as Latin-1. */
function shown(s: string, utf8: boolean): string {
  return utf8 && /[\x80-\xff]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** Cut a long line to LINE_WINDOW characters around column `at` (0-based); returns the window and its start. */
export function cutLine(line: string, at: number, width = LINE_WINDOW): { text: string; start: number; head: boolean; tail: boolean } {
  if (line.length <= width) return { text: line, start: 0, head: false, tail: false };
  let start = Math.max(0, Math.min(at - Math.floor(width / 4), line.length - width));
  let end = start + width;
  // never split a UTF-8 sequence: move a cut off continuation bytes
  while (start > 0 && /[\x80-\xbf]/.test(line[start])) start--;
  while (end < line.length && /[\x80-\xbf]/.test(line[end])) end++;
  return { text: line.slice(start, end), start, head: start > 0, tail: end < line.length };
}

type MarkKind = 'alloc' | 'test' | 'branch' | 'end' | 'evidence' | 'info';
interface Mark {
  line: number;
  col?: number;
  endCol?: number;
  kind: MarkKind;
  text: string;
  n?: number;
}

function callLabel(f: Finding): string {
  return f.flags && !f.flags.startsWith('(') ? `${f.allocator}(..., ${f.flags})` : `${f.allocator}()`;
}

const PATH_RULES = new Set(['nowait-null-panic', 'nowait-null-deref', 'nowait-null-leak']);

/** The markers of a finding's path, in path order: the allocation, the test, each branch, the end. */
export function pathMarks(f: Finding, lineText: (n: number) => string | undefined = () => undefined): { marks: Mark[]; elsewhere: Mark[]; undrawn: string[] } {
  const marks: Mark[] = [];
  const elsewhere: Mark[] = [];
  const undrawn: string[] = [];
  marks.push({ line: f.line, col: f.col, endCol: f.endLine === f.line ? f.endCol : Number.MAX_SAFE_INTEGER, kind: 'alloc', text: `${callLabel(f)} is called${f.ruleId === 'waitok-null-check' ? ' (it cannot fail)' : ''}` });
  const nt = f.trace?.nullTest;
  const ends = f.related.filter((r) => !r.file || r.file === f.file);
  for (const r of f.related) if (r.file && r.file !== f.file) elsewhere.push({ line: r.line, kind: 'end', text: `${r.file}:${r.line}: ${r.message}` });
  const first = ends.find((r) => r.steps !== undefined);
  const steps = first?.steps ?? [];
  let testDrawn = false;
  if (PATH_RULES.has(f.ruleId)) {
    if (!nt && f.ruleId === 'nowait-null-deref') marks.push({ line: f.line, kind: 'test', text: 'the result is not tested for NULL before it is used' });
    for (const s of steps) {
      if (s.jump) {
        const label = /^goto\s+([A-Za-z_]\w*)/.exec((lineText(s.line) ?? '').slice(s.col - 1))?.[1];
        marks.push({ line: s.line, col: s.col, kind: 'branch', text: label ? `jumping to ${label}:` : 'jumping to the label' });
        continue;
      }
      const isTest = nt !== undefined && s.line === nt.line && s.col === nt.col;
      if (isTest) testDrawn = true;
      marks.push({
        line: s.line,
        col: s.col,
        kind: isTest ? 'test' : 'branch',
        text: isTest ? `the result is tested for NULL: taking the ${s.taken ? 'true' : 'false'} branch (it is NULL)` : `taking the ${s.taken ? 'true' : 'false'} branch`,
      });
    }
    if (nt && !testDrawn) marks.push({ line: nt.line, col: nt.col, kind: 'test', text: 'the result is tested for NULL here' });
    if (ends.length && !first && f.ruleId !== 'nowait-null-deref') undrawn.push('the branches on this path were not recorded');
    if (steps.length >= 16) undrawn.push('any branches before the last 16 (the analysis keeps no more)');
    if (f.ruleId === 'nowait-null-leak' && !ends.length) marks.push({ line: f.line, kind: 'end', text: 'when it fails, NULL overwrites the only pointer to the old buffer, which leaks' });
  } else if (nt && f.ruleId !== 'waitok-null-check') marks.push({ line: nt.line, col: nt.col, kind: 'test', text: 'the result is tested for NULL here' });
  for (const r of ends) {
    const kind: MarkKind = f.ruleId === 'waitok-null-check' ? 'test' : 'end';
    marks.push({ line: r.line, col: r.col, endCol: r.endLine === r.line ? r.endCol : undefined, kind, text: r.message });
  }
  // context evidence that names a line of this file ("sooptcopyin() at line 66", "file.c:73")
  const ev = (f.properties?.context as { evidence?: string[] } | undefined)?.evidence ?? [];
  for (const e of ev) {
    let at = /\bat line (\d+)/.exec(e)?.[1];
    if (at === undefined) {
      const i = e.indexOf(` ${f.file}:`);
      if (i >= 0) at = /^\d+/.exec(e.slice(i + f.file.length + 2))?.[0];
    }
    if (at !== undefined) marks.push({ line: Number(at), kind: 'evidence', text: e });
  }
  let n = 0;
  for (const m of marks) m.n = ++n;
  return { marks, elsewhere, undrawn };
}

/** The line numbers to show: the whole function when short, else its first lines and each marker's neighbourhood. */
export function windowLines(fn: [number, number], marks: { line: number }[], total: number): number[] {
  const lo = Math.max(1, fn[0]);
  const hi = Math.min(total, fn[1]);
  const want = new Set<number>();
  if (hi - lo + 1 <= WHOLE_FUNCTION) for (let i = lo; i <= hi; i++) want.add(i);
  else {
    for (let i = lo; i <= Math.min(hi, lo + 2); i++) want.add(i);
    for (const m of marks) for (let i = m.line - CONTEXT; i <= m.line + CONTEXT; i++) if (i >= lo && i <= hi) want.add(i);
  }
  return [...want].sort((a, b) => a - b);
}

function codeLine(raw: string, utf8: boolean, marks: Mark[]): string {
  const hl = marks.find((m) => m.col !== undefined && m.endCol !== undefined);
  const at = (marks.find((m) => m.col !== undefined)?.col ?? 1) - 1;
  const cut = cutLine(raw, at);
  const t = cut.text;
  let html: string;
  if (hl && hl.col !== undefined && hl.endCol !== undefined) {
    const a = Math.max(0, Math.min(t.length, hl.col - 1 - cut.start));
    const b = Math.max(a, Math.min(t.length, hl.endCol - 1 - cut.start));
    html = esc(shown(t.slice(0, a), utf8)) + (b > a ? `<mark>${esc(shown(t.slice(a, b), utf8))}</mark>` : '') + esc(shown(t.slice(b), utf8));
  } else html = esc(shown(t, utf8));
  return (cut.head ? '<span class="cut">…</span>' : '') + html + (cut.tail ? '<span class="cut">…</span>' : '');
}

function renderCode(f: Finding, src: Source, marks: Mark[]): string {
  const line = src.line!;
  let fn = f.trace?.fnLines;
  if (!fn) fn = [Math.max(1, f.line - 8), f.line + 8];
  const inFn = marks.filter((m) => m.line >= fn![0] && m.line <= fn![1]);
  const show = windowLines(fn, inFn, src.count);
  const byLine = new Map<number, Mark[]>();
  for (const m of inFn) {
    const a = byLine.get(m.line);
    if (a) a.push(m);
    else byLine.set(m.line, [m]);
  }
  const out: string[] = ['<div class="code">'];
  let prev = 0;
  for (const n of show) {
    if (prev && n > prev + 1) out.push(`<div class="gap">⋮ ${n - prev - 1} line${n - prev - 1 === 1 ? '' : 's'}</div>`);
    prev = n;
    const ms = byLine.get(n) ?? [];
    out.push(`<div class="l${ms.length ? ' on' : ''}" data-n="${n}"><span class="ln">${n}</span><span class="c">${codeLine(line(n) ?? '', src.utf8, ms)}</span></div>`);
    for (const m of ms) out.push(`<div class="note k-${m.kind}" data-line="${m.line}" data-step="${m.n}"><span class="num">${m.n}</span>${esc(m.text)}</div>`);
  }
  out.push('</div>');
  const outside = marks.filter((m) => !inFn.includes(m));
  const src1 = (n: number) => {
    const t = line(n);
    return t === undefined ? '' : `<div class="code"><div class="l" data-n="${n}"><span class="ln">${n}</span><span class="c">${codeLine(t.replace(/^\s+/, ''), src.utf8, [])}</span></div></div>`;
  };
  if (outside.length) out.push(`<ul class="outside">${outside.map((m) => `<li><span class="num">${m.n}</span>line ${m.line}, outside the function: ${esc(m.text)}${src1(m.line)}</li>`).join('')}</ul>`);
  return out.join('');
}

function ruleDoc(r: Rule): string {
  const d = r.meta.doc;
  const para = (s: string) => `<p>${esc(s).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`;
  return (
    `<details class="rule" id="rule-${esc(r.meta.id)}"><summary><span class="sev s-${r.meta.severity}">${r.meta.severity}</span> <b>${esc(r.meta.id)}</b> — ${esc(r.meta.summary)}</summary>` +
    `<h4>What it finds</h4>${para(d.what)}<h4>Why it matters</h4>${para(d.why)}<h4>Example</h4><pre>${esc(d.example)}</pre>` +
    `<h4>How to fix it</h4>${para(d.fix)}${d.fixedExample ? `<pre>${esc(d.fixedExample)}</pre>` : ''}` +
    `<p class="dim">Precision ${esc(r.meta.precision)}; online: <code>${esc(ruleDocUri(r.meta.id))}</code></p></details>`
  );
}

const RULE_DOC_FALLBACK: Record<string, string> = {
  'unused-suppression': 'An inline suppression comment that suppressed nothing, or names an unknown rule.',
};

function barChart(rows: [string, number][], max: number): string {
  const shownRows = rows.slice(0, 20);
  const bar = 14, gap = 4, label = 130, width = 400;
  const h = shownRows.length * (bar + gap) + gap;
  const parts = [`<svg class="chart" role="img" aria-label="findings per subsystem" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">`];
  shownRows.forEach(([name, n], i) => {
    const y = gap + i * (bar + gap);
    const w = Math.max(2, Math.round(((width - label - 50) * n) / Math.max(1, max)));
    parts.push(
      `<text x="${label - 6}" y="${y + bar - 3}" text-anchor="end">${esc(name.length > 22 ? name.slice(0, 21) + '…' : name)}</text>` +
        `<rect x="${label}" y="${y}" width="${w}" height="${bar}" rx="2"><title>${esc(name)}: ${n}</title></rect>` +
        `<text x="${label + w + 5}" y="${y + bar - 3}">${n}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function countBy<T>(xs: T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m];
}

const CSS = `
:root{--err:#c62828;--warn:#b26a00;--note:#1565c0;--bg:#fff;--fg:#1d1d1f;--dim:#666;--line:#e4e4e8;--code:#f7f7f9;--mark:#fff3b0}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:0 24px 40px;max-width:1280px}
header{border-bottom:1px solid var(--line);padding:14px 0 10px;margin-bottom:12px}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:22px 0 8px}h4{margin:10px 0 4px;font-size:13px}
.dim{color:var(--dim)}code,pre,.code,.hunk{font:12.5px/1.45 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.grid{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start}
.tiles{display:flex;gap:10px;flex-wrap:wrap}
.tile{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:92px}
.tile b{display:block;font-size:22px}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}th{font-weight:600;border-bottom:1px solid var(--line)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;color:#fff;font-weight:600}
.s-error{background:var(--err)}.s-warning{background:var(--warn)}.s-note{background:var(--note)}
.chart text{font-size:11px;fill:var(--fg)}.chart rect{fill:#5c7cbb}
.filters{position:sticky;top:0;background:var(--bg);padding:8px 0;border-bottom:1px solid var(--line);display:flex;gap:8px;flex-wrap:wrap;align-items:center;z-index:2}
.filters select,.filters input,.filters button{font:inherit;padding:2px 4px}
.filters input{min-width:220px}
details.f{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:#fff;scroll-margin-top:52px}
.scroll{max-height:420px;overflow-y:auto;padding-right:6px}
details.f>summary{cursor:pointer;padding:6px 10px;list-style:none}
details.f>summary::-webkit-details-marker{display:none}
details.f>summary:before{content:"▸";color:var(--dim);margin-right:6px}details.f[open]>summary:before{content:"▾"}
details.f[open]>summary{border-bottom:1px solid var(--line);background:#fafafa}
.loc{font-weight:600}.rid{color:var(--dim);font-size:12px}
.body{padding:8px 12px}
.code{background:var(--code);border:1px solid var(--line);border-radius:4px;padding:4px 0;overflow-x:auto;tab-size:8;-moz-tab-size:8}
.l{white-space:pre;padding:0 8px}.l .c{display:inline-block;white-space:pre}.l.on{background:#fff9e0}
.ln{display:inline-block;width:5ch;text-align:right;color:#999;margin-right:12px;user-select:none}
mark{background:var(--mark);border-bottom:2px solid #e0a800}
.cut{color:#999}
.gap{color:#999;padding:0 8px 0 calc(5ch + 20px)}
.note{margin:2px 8px 4px calc(5ch + 20px);padding:3px 8px;border-radius:4px;border-left:4px solid;font:13px/1.35 system-ui,sans-serif;white-space:normal;max-width:900px}
.num{display:inline-block;min-width:19px;height:19px;line-height:19px;border-radius:10px;color:#fff;text-align:center;font-size:11px;font-weight:700;margin-right:7px;background:#555}
.k-alloc{background:#eef3fb;border-color:#5c7cbb}.k-alloc .num{background:#5c7cbb}
.k-test{background:#f1f8ee;border-color:#4f8a3a}.k-test .num{background:#4f8a3a}
.k-branch{background:#f4f4f6;border-color:#888}.k-branch .num{background:#888}
.k-end{background:#fdecec;border-color:var(--err)}.k-end .num{background:var(--err)}
.k-evidence{background:#fff6e5;border-color:var(--warn)}.k-evidence .num{background:var(--warn)}
ul.outside{margin:6px 0;padding-left:18px}ul.outside li{list-style:none}
.hunk{background:var(--code);border:1px solid var(--line);border-radius:4px;padding:4px 8px;white-space:pre;overflow-x:auto}
.hunk .a{color:#1b7f2a}.hunk .d{color:#b3261e}
details.rule{margin:4px 0}details.rule>summary{cursor:pointer}
pre{background:var(--code);padding:6px 8px;border-radius:4px;overflow-x:auto;tab-size:8}
.warnbox{color:var(--warn)}
`;

function fixHunk(f: Finding, resolve: (s: string) => string): string {
  const fx = f.properties?.fix as { safe?: boolean } | undefined;
  if (!fx?.safe) {
    const why = f.properties?.fixBlocked as string | undefined;
    return why ? `<p class="dim">No <code>--fix</code> rewrite: ${esc(why)}.</p>` : '';
  }
  const plan = planFixes([f], resolve);
  const diff = unifiedDiff(plan.files);
  if (!diff) return `<p class="dim">A <code>--fix</code> rewrite exists, but the file changed since the analysis${plan.skipped.length ? ` (${esc(plan.skipped[0])})` : ''}.</p>`;
  const body = diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => {
      const t = esc(shown(cutLine(l, 0).text, true));
      return l.startsWith('+') && !l.startsWith('+++') ? `<span class="a">${t}</span>` : l.startsWith('-') && !l.startsWith('---') ? `<span class="d">${t}</span>` : t;
    })
    .join('\n');
  return `<h4><code>--fix</code> would apply</h4><div class="hunk">${body}</div>`;
}

export function formatHtml(res: LintResult, opts: HtmlOptions = {}): string {
  const resolve = opts.resolve ?? ((s: string) => path.resolve(s));
  const roots = opts.roots ?? [];
  const findings = res.findings;
  const rulesById = new Map(RULES.map((r) => [r.meta.id, r]));
  const sources = new Map<string, Source>();
  const source = (file: string) => {
    let s = sources.get(file);
    if (!s) sources.set(file, (s = readSource(resolve(file))));
    return s;
  };
  const subs = findings.map((f) => subsystemOf(f.file, roots));

  // overview
  const sevRows = (['error', 'warning', 'note'] as const).map((s) => [s, findings.filter((f) => f.severity === s).length] as const);
  const ruleRows = countBy(findings, (f) => f.ruleId).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const subRows = countBy(findings.map((f, i) => ({ f, s: subs[i] })), (x) => x.s).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const subSev = new Map<string, Record<string, number>>();
  findings.forEach((f, i) => {
    const r = subSev.get(subs[i]) ?? { error: 0, warning: 0, note: 0 };
    r[f.severity]++;
    subSev.set(subs[i], r);
  });
  const link = (k: string, v: string) => `<a href="${esc(encodeState({ rule: '', sev: '', sub: '', q: '', sort: '', id: '', [k]: v }))}">${esc(v)}</a>`;
  const out: string[] = [];
  out.push(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">` +
      `<title>kmalloc-lint report: ${findings.length} finding${findings.length === 1 ? '' : 's'}</title><style>${CSS}</style></head><body>`,
  );
  out.push(`<header><h1>kmalloc-lint report</h1><div class="dim">kmalloc-lint ${esc(VERSION)} · dialect <b>${esc(res.dialect.name)}</b> (${esc(res.dialect.why)})</div></header>`);
  out.push('<section id="overview"><div class="tiles">');
  out.push(`<div class="tile"><b>${findings.length}</b>findings</div>`);
  for (const [s, n] of sevRows) out.push(`<div class="tile"><b>${n}</b><a href="${esc(encodeState({ ...decodeState(''), sev: s }))}"><span class="sev s-${s}">${s}</span></a></div>`);
  out.push(`<div class="tile"><b>${res.stats.files}</b>files linted</div>`);
  out.push(`<div class="tile"><b>${res.stats.withErrors}</b>with parse errors</div>`);
  out.push(`<div class="tile"><b id="kl-time">${(res.stats.ms / 1000).toFixed(2)} s</b>run time</div>`);
  out.push('</div>');
  if (findings.length) out.push('<div class="grid"><div><h2>By rule</h2><table><tr><th>rule</th><th>severity</th><th>findings</th></tr>');
  for (const [id, n] of ruleRows) {
    const r = rulesById.get(id);
    out.push(`<tr><td>${link('rule', id)}</td><td>${r ? `<span class="sev s-${r.meta.severity}">${r.meta.severity}</span>` : ''}</td><td class="n">${n}</td></tr>`);
  }
  if (findings.length) out.push('</table></div><div><h2>By subsystem</h2><div class="scroll"><table><tr><th>subsystem</th><th>error</th><th>warning</th><th>note</th><th>all</th></tr>');
  for (const [s, n] of subRows) {
    const r = subSev.get(s)!;
    out.push(`<tr><td>${link('sub', s)}</td><td class="n">${r.error || ''}</td><td class="n">${r.warning || ''}</td><td class="n">${r.note || ''}</td><td class="n">${n}</td></tr>`);
  }
  if (findings.length) out.push(`</table></div></div><div><h2>Findings per subsystem${subRows.length > 20 ? ' (top 20)' : ''}</h2>${barChart(subRows, subRows[0]?.[1] ?? 1)}</div></div>`);
  const diags = res.diagnostics;
  if (diags.length) {
    out.push(`<details><summary>${diags.length} message${diags.length === 1 ? '' : 's'} about files (unreadable, skipped, parse errors)</summary><ul>`);
    for (const d of diags.slice(0, 500)) out.push(`<li><code>${esc(d.file)}</code>: ${esc(d.level)}: ${esc(d.message)}</li>`);
    if (diags.length > 500) out.push(`<li>… and ${diags.length - 500} more</li>`);
    out.push('</ul></details>');
  }
  out.push('</section>');

  // the list
  const opt = (v: string, label: string) => `<option value="${esc(v)}">${esc(label)}</option>`;
  out.push('<h2>Findings</h2><div class="filters" role="search">');
  out.push(`<select id="kl-rule" aria-label="rule"><option value="">all rules</option>${ruleRows.map(([id, n]) => opt(id, `${id} (${n})`)).join('')}</select>`);
  out.push(`<select id="kl-sev" aria-label="severity"><option value="">all severities</option>${sevRows.filter(([, n]) => n).map(([s, n]) => opt(s, `${s} (${n})`)).join('')}</select>`);
  out.push(`<select id="kl-sub" aria-label="subsystem"><option value="">all subsystems</option>${[...subRows].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([s, n]) => opt(s, `${s} (${n})`)).join('')}</select>`);
  out.push('<input id="kl-q" type="search" placeholder="search message, file, function" aria-label="search">');
  out.push(`<select id="kl-sort" aria-label="sort"><option value="">sort by file</option><option value="rule">sort by rule</option></select>`);
  out.push('<button id="kl-expand" type="button">Expand all</button><span id="kl-count" class="dim"></span></div><div id="kl-list">');
  const index: [string, string, string, string, number, string][] = [];
  findings.forEach((f, i) => {
    const id = `f${i + 1}`;
    index.push([f.ruleId, f.severity, subs[i], f.file, f.line, `${f.file}:${f.line} ${f.function} ${f.allocator} ${f.ruleId} ${f.message}`.toLowerCase()]);
    out.push(`<details class="f" id="${id}"><summary><span class="sev s-${f.severity}">${f.severity}</span> <span class="loc">${esc(f.file)}:${f.line}</span> <span class="dim">${esc(f.function)}()</span> <span class="rid">${esc(f.ruleId)}</span><br>${esc(f.message)}</summary><div class="body">`);
    const src = source(f.file);
    const { marks, elsewhere, undrawn } = pathMarks(f, (n) => src.line?.(n));
    if (src.line) {
      const have = src.line(f.line);
      // a long line's finding holds a window of it (src/report/excerpt.ts): compare that part
      const w = f.sourceWindow;
      const part = have === undefined || !w ? have : have.slice(w.start - 1, w.start - 1 + (f.sourceLine?.length ?? 0));
      if (f.sourceLine !== undefined && part !== undefined && part.replace(/\r$/, '') !== f.sourceLine.replace(/\r$/, '')) out.push('<p class="warnbox">The file changed since the analysis: the lines below may not match.</p>');
      out.push(renderCode(f, src, marks));
    } else {
      out.push(`<p class="warnbox">Source not shown: ${esc(src.error ?? 'unknown')}.</p>`);
      if (f.sourceLine !== undefined) out.push(`<div class="code"><div class="l on" data-n="${f.line}"><span class="ln">${f.line}</span><span class="c">${esc(cutLine(f.sourceLine, f.col - (f.sourceWindow?.start ?? 1)).text)}</span></div></div>`);
    }
    if (elsewhere.length) out.push(`<p>Elsewhere:</p><ul>${elsewhere.map((m) => `<li>${esc(m.text)}</li>`).join('')}</ul>`);
    if (undrawn.length) out.push(`<p class="dim">Not drawn: ${undrawn.map(esc).join('; ')}.</p>`);
    const p = f.properties ?? {};
    const sug = p.suggestion as string | undefined;
    if (sug) out.push(`<h4>Suggestion</h4><p>${esc(sug)}</p>`);
    const ctx = p.context as { level?: string; evidence?: string[]; weak?: boolean } | undefined;
    if (ctx?.evidence?.length || ctx?.level) {
      out.push(`<h4>Context${ctx.level ? `: ${esc(ctx.level)}` : ''}${ctx.weak ? ' (weak evidence)' : ''}</h4>`);
      if (ctx.evidence?.length) out.push(`<ul>${ctx.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`);
    }
    out.push(fixHunk(f, resolve));
    const rule = rulesById.get(f.ruleId);
    out.push(`<p class="dim">${f.lowConfidence ? 'Low confidence: the path crosses code that did not parse cleanly. ' : ''}${rule ? `<a href="#rule-${esc(f.ruleId)}">About ${esc(f.ruleId)}</a> · ` : ''}<a href="#id=${id}">link to this finding</a> · fingerprint <code>${esc(f.fingerprint)}</code></p>`);
    out.push('</div></details>');
  });
  out.push('</div>');
  if (!findings.length) out.push('<p>No findings.</p>');

  // rule documentation, so the report needs no network
  out.push('<h2 id="rules">Rules</h2>');
  for (const r of res.rules) out.push(ruleDoc(r));
  for (const id of new Set(findings.map((f) => f.ruleId))) if (!rulesById.has(id)) out.push(`<p><b>${esc(id)}</b>: ${esc(RULE_DOC_FALLBACK[id] ?? '')}</p>`);
  out.push(`<script type="application/json" id="kl-data">${scriptJson({ f: index })}</script>`);
  out.push(`<script>"use strict";\n${encodeState.toString()}\n${decodeState.toString()}\n${klMain.toString()}\nklMain();\n</script>`);
  out.push('</body></html>\n');
  return out.join('\n');
}
