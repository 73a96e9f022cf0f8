import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserMissing, launchChromium } from '../scripts/browser';
import { ROOT, runCli, tmpDir } from './helpers/run';

/*
 * The HTML report in a real browser: Debian's chromium driven by playwright-core, offline, with
 * a fresh profile (scripts/browser.ts). Skipped, with the reason in its name, where chromium is
 * not installed (apt-get install chromium; `.ci/run` does it with KMALLOC_LINT_CI_BROWSER=1) or
 * with KMALLOC_LINT_SKIP_BROWSER=1.
 */
const skip = process.env.KMALLOC_LINT_SKIP_BROWSER ? 'KMALLOC_LINT_SKIP_BROWSER is set' : browserMissing();

describe.skipIf(!!skip)(`HTML report in Chromium${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let url: string;
  let findings: { ruleId: string; severity: string; file: string; line: number; function: string }[];
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = tmpDir('html-browser');
    const html = path.join(dir, 'report.html');
    runCli(['fixtures', '-f', 'html', '-o', html, '--no-cache', '-q'], { cwd: ROOT });
    findings = JSON.parse(runCli(['fixtures', '-f', 'json', '--no-cache', '-q'], { cwd: ROOT }).stdout).findings;
    url = pathToFileURL(html).href;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(hash = '') {
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(url + hash);
    return page;
  }

  const visibleRules = (page: import('playwright-core').Page) =>
    page.$$eval('details.f', (ds) => ds.filter((d) => !(d as HTMLElement).hidden).map((d) => d.querySelector('.rid')!.textContent));

  it('filters by rule, keeps the filter in the URL fragment, and restores it from a link', async () => {
    const page = await open();
    expect((await visibleRules(page)).length).toBe(findings.length);
    await page.selectOption('#kl-rule', 'nowait-null-panic');
    const panics = findings.filter((f) => f.ruleId === 'nowait-null-panic').length;
    expect(panics).toBeGreaterThan(2);
    expect(await visibleRules(page)).toEqual(Array(panics).fill('nowait-null-panic'));
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 5000 }).toBe('#rule=nowait-null-panic');
    expect(await page.textContent('#kl-count')).toBe(`${panics} of ${findings.length} findings`);
    // free text narrows further; the shared link restores both
    await page.fill('#kl-q', 'xpt_alloc_bad');
    expect((await visibleRules(page)).length).toBe(1);
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 5000 }).toBe('#rule=nowait-null-panic&q=xpt_alloc_bad');
    const again = await open('#sev=warning&sort=rule');
    await expect.poll(() => again.inputValue('#kl-sev'), { timeout: 5000 }).toBe('warning');
    const warned = await visibleRules(again);
    expect(warned.length).toBe(findings.filter((f) => f.severity === 'warning').length);
    expect([...warned]).toEqual([...warned].sort());
    // a subsystem link in the overview sets the filter
    // (the page reads the fragment on 'hashchange', which fires after the click returns)
    await again.click('a[href="#sub=freebsd%2Ftree-wrappers"]');
    await expect.poll(() => again.inputValue('#kl-sub'), { timeout: 5000 }).toBe('freebsd/tree-wrappers');
    const subs = await again.$$eval('details.f', (ds) => ds.filter((d) => !(d as HTMLElement).hidden).map((d) => d.querySelector('.loc')!.textContent!));
    expect(subs.length).toBe(findings.filter((f) => f.file.includes('/tree-wrappers/')).length);
    // a link to one finding opens it
    const one = await open('#id=f3');
    await expect.poll(() => one.$eval('#f3', (d) => (d as HTMLDetailsElement).open), { timeout: 5000 }).toBe(true);
    await page.close();
    await again.close();
    await one.close();
  });

  it('draws the path markers on the right lines', async () => {
    const page = await open();
    const marks = async (fn: string) =>
      page.$$eval(
        'details.f',
        (ds, name) => {
          const d = ds.find((x) => x.querySelector('summary')!.textContent!.includes(` ${name}()`))!;
          return [...d.querySelectorAll('.note')].map((n) => {
            let l = n.previousElementSibling;
            while (l && !l.classList.contains('l')) l = l.previousElementSibling;
            return { step: Number(n.getAttribute('data-step')), line: Number(n.getAttribute('data-line')), shownAfter: Number(l!.getAttribute('data-n')), kind: n.className };
          });
        },
        fn,
      );
    const leak = await marks('html_note_bad');
    expect(leak.map((m) => [m.step, m.line, m.kind])).toEqual([
      [1, 24, 'note k-alloc'],
      [2, 25, 'note k-test'],
      [3, 26, 'note k-branch'],
      [4, 32, 'note k-branch'],
      [5, 33, 'note k-end'],
    ]);
    for (const m of leak) expect(m.shownAfter).toBe(m.line);
    const panic = await marks('xpt_alloc_bad');
    expect(panic.map((m) => [m.line, m.kind])).toEqual([
      [17, 'note k-alloc'],
      [18, 'note k-test'],
      [19, 'note k-end'],
    ]);
    for (const m of panic) expect(m.shownAfter).toBe(m.line);
    // the source line under a marker is the fixture's own line
    const text = await page.$$eval('details.f', (ds) => {
      const d = ds.find((x) => x.querySelector('summary')!.textContent!.includes(' xpt_alloc_bad()'))!;
      return d.querySelector('.l[data-n="19"] .c')!.textContent;
    });
    expect(text).toBe(fs.readFileSync(path.join(ROOT, 'fixtures', 'freebsd', 'panic.c'), 'utf8').split('\n')[18]);
    await page.close();
  });

  it('keeps the </script><script> comment of a kernel file inert, and logs no errors', async () => {
    const page = await open('#q=html_note_bad');
    await page.click('#kl-expand');
    const shown = await page.$$eval('details.f', (ds) => ds.filter((d) => !(d as HTMLElement).hidden).map((d) => d.textContent!));
    expect(shown.join('\n')).toContain('/* </script><script>window.klPwned = 1;</script><img src=x onerror="window.klPwned = 2"> */');
    expect(await page.evaluate(() => (window as unknown as { klPwned?: number }).klPwned)).toBeUndefined();
    expect(await page.$$eval('img', (is) => is.length)).toBe(0);
    expect(await page.$$eval('script', (ss) => ss.length)).toBe(2);
    await page.waitForTimeout(200);
    expect(problems).toEqual([]);
    await page.close();
  });
});
