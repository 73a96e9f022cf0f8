import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lint } from '../src/engine';
import { cutLine, esc, formatHtml, pathMarks, scriptJson, subsystemOf, windowLines } from '../src/report/html';
import { decodeState, encodeState, type ViewState } from '../src/report/htmlclient';
import { FIXTURES, ROOT, runCli, tmpDir } from './helpers/run';

const none: ViewState = { rule: '', sev: '', sub: '', q: '', sort: '', id: '' };

/** Every reference that leaves the page: in tags, a src/href/... that is not '#fragment' or 'data:'; in style, url() or @import; in scripts, a request. */
function externalRefs(html: string): string[] {
  const out: string[] = [];
  const scripts = [...html.matchAll(/<script\b[^>]*>([^]*?)<\/script>/gi)].map((m) => m[1]);
  for (const js of scripts) for (const m of js.matchAll(/https?:|fetch\(|XMLHttpRequest|import\(|\.src\s*=|WebSocket|EventSource|sendBeacon/g)) out.push(`script: ${m[0]}`);
  const markup = html.replace(/<script\b[^>]*>[^]*?<\/script>/gi, '');
  for (const tag of markup.matchAll(/<[a-zA-Z][^>]*>/g)) {
    if (/^<(link|iframe|object|embed|base|img|audio|video|source)\b/i.test(tag[0])) out.push(tag[0]);
    for (const m of tag[0].matchAll(/\s(?:src|href|action|xlink:href|poster|srcset)\s*=\s*(["']?)([^"'\s>]*)\1/gi)) if (!m[2].startsWith('#') && !m[2].startsWith('data:')) out.push(m[0]);
  }
  for (const st of markup.matchAll(/<style\b[^>]*>([^]*?)<\/style>/gi)) for (const m of st[1].matchAll(/url\(|@import/gi)) out.push(`style: ${m[0]}`);
  return out;
}

describe('HTML report: pieces', () => {
  it('escapes text for content and attributes', () => {
    expect(esc(`<a href="x" onclick='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('writes JSON that cannot close its <script> element', () => {
    const v = { s: '</script><script>alert(1)</script>', t: 'a & b > c \u2028' };
    const j = scriptJson(v);
    expect(j).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(j)).toEqual(v);
  });

  it('groups files by the two folders under sys/, else under the linted root', () => {
    expect(subsystemOf('sys/dev/netif/em/if_em.c')).toBe('dev/netif');
    expect(subsystemOf('../trees/dfly/sys/kern/kern_malloc.c')).toBe('kern');
    expect(subsystemOf('sys/netinet/tcp_subr.c')).toBe('netinet');
    expect(subsystemOf('sys/dev/netif/if_x.c')).toBe('dev/netif');
    expect(subsystemOf('sys/sys/malloc.h')).toBe('sys');
    expect(subsystemOf('fixtures/freebsd/deref.c', ['fixtures'])).toBe('freebsd');
    expect(subsystemOf('fixtures/freebsd/tree-wrappers/use.c', ['fixtures/'])).toBe('freebsd/tree-wrappers');
    expect(subsystemOf('fixtures/freebsd/deref.c', ['fixtures/freebsd'])).toBe('.');
    expect(subsystemOf('src/a/b/c.c', [])).toBe('src/a');
  });

  it('keeps the filter state in the fragment, round trip, defaults left out', () => {
    expect(encodeState(none)).toBe('');
    expect(encodeState({ ...none, rule: 'nowait-null-panic', sub: 'dev/netif' })).toBe('#rule=nowait-null-panic&sub=dev%2Fnetif');
    const odd: ViewState = { rule: 'r', sev: 'error', sub: 'a b/c', q: 'x&y=z #%é<', sort: 'rule', id: 'f3' };
    expect(decodeState(encodeState(odd))).toEqual(odd);
    expect(decodeState('#q=a+b&bogus=1&sev=note&q2')).toEqual({ ...none, q: 'a b', sev: 'note' });
    // a malformed escape is ignored, not thrown
    expect(decodeState('#q=%E0%A4%A&rule=x')).toEqual({ ...none, rule: 'x' });
    expect(decodeState('rule-nowait-null-panic')).toEqual(none);
  });

  it('cuts long lines to a window around the marked column', () => {
    const line = 'x'.repeat(200) + 'MARK' + 'y'.repeat(300);
    const c = cutLine(line, 200);
    expect(c.text.length).toBe(160);
    expect(c.head && c.tail).toBe(true);
    expect(c.text).toContain('MARK');
    expect(cutLine('short', 3)).toEqual({ text: 'short', start: 0, head: false, tail: false });
    // never inside a UTF-8 sequence (bytes as Latin-1 characters)
    const u = Buffer.from('a'.repeat(100) + 'é'.repeat(200), 'utf8').toString('latin1');
    const w = cutLine(u, 150);
    expect(Buffer.from(w.text, 'latin1').toString('utf8')).not.toContain('\ufffd');
  });

  it('shows a long function only around the path', () => {
    expect(windowLines([10, 30], [{ line: 20 }], 100)).toEqual(Array.from({ length: 21 }, (_, i) => 10 + i));
    const w = windowLines([100, 900], [{ line: 500 }, { line: 700 }], 1000);
    expect(w).toEqual([100, 101, 102, 497, 498, 499, 500, 501, 502, 503, 697, 698, 699, 700, 701, 702, 703]);
  });
});

describe('HTML report of the fixtures', () => {
  it('draws the failure path of a leak: allocation, test, branch, leak, in path order', async () => {
    const res = await lint({ paths: [path.join(FIXTURES, 'freebsd', 'html-escape.c')], dialect: 'freebsd', jobs: 1 });
    const f = res.findings.find((x) => x.ruleId === 'nowait-null-leak')!;
    const lines = fs.readFileSync(path.join(FIXTURES, 'freebsd', 'html-escape.c'), 'latin1').split('\n');
    const { marks } = pathMarks(f, (n) => lines[n - 1]);
    expect(marks.map((m) => [m.n, m.line, m.kind, m.text])).toEqual([
      [1, 24, 'alloc', 'malloc(..., M_NOWAIT) is called'],
      [2, 25, 'test', 'the result is tested for NULL: taking the true branch (it is NULL)'],
      [3, 26, 'branch', 'jumping to fail:'],
      [4, 32, 'branch', 'taking the true branch'],
      [5, 33, 'end', 'the failure path leaves the function still holding mutex &sc->sc_mtx'],
    ]);
  });

  it('is self-contained, escapes the kernel text, and names the dialect, files and subsystems', () => {
    // the CLI (16 fixture files go to a worker thread, which needs the built code)
    const dir = tmpDir('html-fx');
    let html: string;
    let res: { dialect: { name: string }; stats: { files: number }; findings: { file: string; line: number }[] };
    try {
      runCli(['fixtures', '-f', 'html', '-o', path.join(dir, 'r.html'), '--no-cache', '-q'], { cwd: ROOT });
      html = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
      res = JSON.parse(runCli(['fixtures', '-f', 'json', '--no-cache', '-q'], { cwd: ROOT }).stdout);
      res.stats.files = Number(/<b>(\d+)<\/b>files linted/.exec(html)![1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(res.stats.files).toBe(fs.readdirSync(FIXTURES, { recursive: true }).filter((f) => /\.[ch]$/.test(String(f))).length);
    expect(externalRefs(html)).toEqual([]);
    expect(externalRefs('<a href="https://x.org/">x</a><img src=x.png><style>b{background:url(y)}</style><script>fetch("/z")</script>')).toHaveLength(5);
    // the comment in fixtures/freebsd/html-escape.c stays text
    expect(html).not.toContain('</script><script>window.klPwned');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('/* &lt;/script&gt;&lt;script&gt;window.klPwned = 1;&lt;/script&gt;&lt;img src=x onerror=&quot;window.klPwned = 2&quot;&gt; */');
    expect(html.match(/<script\b/g)).toHaveLength(2);
    const data = /<script type="application\/json" id="kl-data">([^]*?)<\/script>/.exec(html)![1];
    expect(data).not.toContain('<');
    expect(JSON.parse(data).f).toHaveLength(res.findings.length);
    expect(html).toContain(`dialect <b>${res.dialect.name}</b>`);
    expect(html).toContain(`<b>${res.stats.files}</b>files linted`);
    expect(html).toMatch(/<a href="#sub=freebsd%2Ftree-wrappers">freebsd\/tree-wrappers<\/a>/);
    expect(html).toMatch(/<svg class="chart"/);
    // every finding gets its section with the allocation marker on its own line
    for (const [i, f] of res.findings.entries()) {
      const sec = html.slice(html.indexOf(`<details class="f" id="f${i + 1}">`), html.indexOf(`<details class="f" id="f${i + 2}">`) >>> 0);
      expect(sec, f.file + ':' + f.line).toContain(`<div class="note k-alloc" data-line="${f.line}" data-step="1">`);
    }
  });

  it('shows Latin-1 and UTF-8 sources, and says so when a file is gone', async () => {
    const dir = tmpDir('html');
    try {
      const body = (c: string) => `static void\nf(void)\n{\n\tchar *p;\n\n\t/* ${c} */\n\tp = malloc(10, M_DEVBUF, M_NOWAIT);\n\tp[0] = 1;\n}\n`;
      fs.writeFileSync(path.join(dir, 'latin.c'), Buffer.from(body('caf\xe9'), 'latin1'));
      fs.writeFileSync(path.join(dir, 'utf.c'), Buffer.from(body('caf\u00e9 \u2014 ok'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'gone.c'), body('soon gone'));
      // a long function with a long line at the dereference: only the path's neighbourhood, the line cut
      const filler = Array.from({ length: 90 }, (_, i) => `\tn += ${i};\n`).join('');
      fs.writeFileSync(path.join(dir, 'long.c'), `static int\ng(int n)\n{\n\tchar *p;\n\n\tp = malloc(10, M_DEVBUF, M_NOWAIT);\n${filler}\tp[0] = 1;${' '.repeat(150)}/* ${'x'.repeat(100)} */\n\treturn (n);\n}\n`);
      const res = await lint({ paths: [dir], dialect: 'freebsd', jobs: 1 });
      expect(res.findings.map((f) => path.basename(f.file)).sort()).toEqual(['gone.c', 'latin.c', 'long.c', 'utf.c']);
      fs.rmSync(path.join(dir, 'gone.c'));
      const html = formatHtml(res, { roots: [dir] });
      expect(html).toContain('/* café */');
      expect(html).toContain('/* café — ok */');
      expect(html).not.toContain('\ufffd');
      expect(html).toContain('Source not shown: the file is gone.');
      // the line the analysis saw is still shown
      expect(html).toMatch(/<div class="l on" data-n="7"><span class="ln">7<\/span><span class="c">\tp = malloc/);
      const long = html.slice(html.indexOf('long.c:6'), html.indexOf('</details>', html.indexOf('long.c:6')));
      expect(long).toContain('<div class="gap">⋮ 84 lines</div>');
      expect(long).toMatch(/data-n="97"><span class="ln">97<\/span><span class="c">\t<mark>p\[0\]<\/mark> = 1; {150}<span class="cut">…<\/span><\/span>/);
      // lines 1-9 (the header and the allocation's neighbourhood), 94-99 (the dereference's, to the closing brace)
      expect(long.match(/class="l[ "]/g)).toHaveLength(9 + 6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--format html -o writes the page; a warm run gives the same page but for the run time', () => {
    const dir = tmpDir('html-cli');
    try {
      const cache = path.join(dir, 'cache');
      const out = (n: number) => path.join(dir, `r${n}.html`);
      const a = runCli(['fixtures', '-f', 'html', '-o', out(1), '--cache-dir', cache, '-q'], { cwd: ROOT });
      const b = runCli(['fixtures', '-f', 'html', '-o', out(2), '--cache-dir', cache, '-q'], { cwd: ROOT });
      expect([a.code, b.code]).toEqual([1, 1]);
      const strip = (s: string) => s.replace(/<b id="kl-time">[^<]*<\/b>/, '');
      const one = fs.readFileSync(out(1), 'utf8');
      expect(one.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(strip(fs.readFileSync(out(2), 'utf8'))).toBe(strip(one));
      // the --fix hunk of a finding whose rewrite is proven
      expect(one).toMatch(/<div class="hunk">--- a\/fixtures\/dragonfly\/context-roles\.c\n\+\+\+ b\/fixtures\/dragonfly\/context-roles\.c\n@@ [^]*?<span class="d">-[^<]*M_NOWAIT \| M_ZERO[^<]*<\/span>\n<span class="a">\+[^<]*M_WAITOK \| M_ZERO/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
