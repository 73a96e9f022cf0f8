/*
 * docs/html-report.png: a screenshot of the HTML report of the bundled fixtures, for the README.
 * `npm run screenshot` (needs Debian's chromium; see scripts/browser.ts). Optional arguments:
 * the output PNG and the report to write first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserMissing, launchChromium } from './browser';

const ROOT = path.join(__dirname, '..', '..');
// the page's globals, for the code run in the page (the project compiles without the DOM library)
declare const document: { querySelectorAll(s: string): ArrayLike<{ hidden: boolean; open: boolean; textContent: string | null }> };
declare const window: { scrollTo(x: number, y: number): void };

async function main(): Promise<number> {
  const missing = browserMissing();
  if (missing) {
    process.stderr.write(`report-screenshot: ${missing}\n`);
    return 2;
  }
  const png = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'html-report.png'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-shot-'));
  const html = path.join(tmp, 'report.html');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli.js'), 'fixtures', '-f', 'html', '-o', html, '--no-cache', '-q'], { cwd: ROOT, encoding: 'utf8' });
  if (!fs.existsSync(html)) {
    process.stderr.write(`report-screenshot: the report was not written: ${r.stderr}\n`);
    return 2;
  }
  const { context, close } = await launchChromium({ width: 1180, height: 1240 });
  try {
    const page = await context.newPage();
    // the overview, then the list filtered to leaks, one opened: its failure path drawn over the code
    await page.goto(pathToFileURL(html).href + '#rule=nowait-null-leak&q=bar_goto');
    await page.evaluate(() => {
      const f = Array.from(document.querySelectorAll('details.f')).find((d) => !d.hidden && (d.textContent ?? '').includes('bar_goto_missing'));
      if (f) f.open = true;
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: png, fullPage: false });
    process.stdout.write(`${path.relative(process.cwd(), png)}: ${fs.statSync(png).size} bytes\n`);
  } finally {
    await close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return 0;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    process.stderr.write(`report-screenshot: ${(e as Error).stack}\n`);
    process.exit(2);
  },
);
