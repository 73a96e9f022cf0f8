import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lint } from '../src/engine';
import { applyEdits, applyFixes, planFixes, unifiedDiff } from '../src/workflow/fix';
import { execFileSync } from 'node:child_process';
import { writeFileAtomic } from '../src/util/atomic';

const fixture = path.join(__dirname, '..', 'fixtures', 'dragonfly', 'context.c');
const fbsd = path.join(__dirname, '..', 'fixtures', 'freebsd', 'context.c');

// the CLI reads its version from package.json relative to dist/: use the built CLI (npx tsc -p . first)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('../dist/src/cli') as typeof import('../src/cli');

function sink() {
  let s = '';
  return { stream: { write: (x: string) => ((s += x), true) } as unknown as NodeJS.WriteStream, text: () => s };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-fix-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream } as never);
  return { code, out: out.text(), err: err.text() };
}

describe('--fix / --diff', () => {
  it('rewrites only the flags arguments the model proves safe, and a second run changes nothing', async () => {
    const f = path.join(dir, 'a.c');
    fs.copyFileSync(fixture, f);
    const before = fs.readFileSync(f, 'latin1');
    await run(['-q', '-d', 'dragonfly', '-r', 'suggest-flags', '--fix', f]);
    const after = fs.readFileSync(f, 'latin1');
    expect(after).not.toBe(before);
    // the interrupt handler gets M_INTWAIT, the attach path M_WAITOK; the spin-lock and fast-interrupt sites need a failure path: untouched
    expect(after).toContain('kmalloc(sizeof(*ev), M_DEVBUF, M_INTWAIT | M_ZERO);');
    expect(after).toContain('kmalloc(RINGSZ, M_DEVBUF, M_WAITOK);');
    expect(after).toContain('sc->sc_ev = kmalloc(16, M_DEVBUF, M_WAITOK);');
    // every other byte identical: undo the two edits and compare
    const undone = after.replace('M_INTWAIT | M_ZERO);', 'M_NOWAIT | M_ZERO);').replace('kmalloc(RINGSZ, M_DEVBUF, M_WAITOK);', 'kmalloc(RINGSZ, M_DEVBUF, M_NOWAIT);');
    expect(undone).toBe(before);
    await run(['-q', '-d', 'dragonfly', '-r', 'suggest-flags', '--fix', f]);
    expect(fs.readFileSync(f, 'latin1')).toBe(after);
    expect(fs.readdirSync(dir)).toEqual(['a.c']); // no temporary files left
  });

  it('--diff prints a unified diff and changes nothing', async () => {
    const f = path.join(dir, 'b.c');
    fs.copyFileSync(fbsd, f);
    const before = fs.readFileSync(f);
    const r = await run(['-q', '-d', 'freebsd', '--diff', f]);
    expect(fs.readFileSync(f).equals(before)).toBe(true);
    expect(r.out).toMatch(/^--- a\/.*b\.c\n\+\+\+ b\/.*b\.c\n@@ /);
    expect(r.out).toContain('-\t\tp = malloc(64, M_DEVBUF, M_NOWAIT);');
    expect(r.out).toContain('+\t\tp = malloc(64, M_DEVBUF, M_WAITOK);');
    expect(r.out).toContain('+\tsc->sc_ring = malloc(RINGSZ, M_DEVBUF, M_WAITOK | M_ZERO);');
    // WAITOK -> NOWAIT in the interrupt thread would need a failure path: never written
    expect(r.out).not.toContain('M_USE_RESERVE');
  });

  it('carries the suggestion and the fix in SARIF and JSON', async () => {
    const f = path.join(dir, 'c.c');
    fs.copyFileSync(fbsd, f);
    const sarif = JSON.parse((await run(['-q', '-d', 'freebsd', '-f', 'sarif', f])).out);
    const res = sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === 'nowait-in-sleepable');
    expect(res.length).toBe(2);
    const text = fs.readFileSync(f, 'latin1');
    for (const x of res) {
      expect(x.properties.suggestedFlags).toMatch(/^M_WAITOK/);
      expect(x.properties.context.level).toBe('sleepable');
      const rep = x.fixes[0].artifactChanges[0].replacements[0];
      expect(text.slice(rep.deletedRegion.byteOffset, rep.deletedRegion.byteOffset + rep.deletedRegion.byteLength)).toMatch(/^M_NOWAIT/);
    }
    const json = JSON.parse((await run(['-q', '-d', 'freebsd', '-f', 'json', '-r', 'waitok-in-atomic', f])).out);
    expect(json.findings.map((x: { line: number; suggestedFlags?: string }) => [x.line, x.suggestedFlags ?? null])).toEqual([
      [29, 'M_NOWAIT | M_USE_RESERVE'],
      [38, 'M_NOWAIT | M_USE_RESERVE | M_ZERO'],
      [71, null], // critical section: no flags make it valid
    ]);
    expect(json.findings.every((x: { sarifFix?: unknown }) => x.sarifFix === undefined)).toBe(true);
  });

  it('an interrupted fix run leaves every file either old or new, never torn', async () => {
    const a = path.join(dir, 'a.c');
    const b = path.join(dir, 'b.c');
    fs.copyFileSync(fixture, a);
    fs.copyFileSync(fixture, b);
    const old = fs.readFileSync(a, 'latin1');
    const res = await lint({ paths: [a, b], dialect: 'dragonfly', jobs: 1, rules: ['suggest-flags'] });
    const plan = planFixes(res.findings);
    expect(plan.files.length).toBe(2);
    // crash in the middle of the second write: the temporary file is written halfway, then the process "dies" before rename
    let n = 0;
    const crashy = (file: string, data: string | Buffer) => {
      if (n++ === 0) return writeFileAtomic(file, data);
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.crash.tmp`);
      fs.writeFileSync(tmp, (data as Buffer).subarray(0, 100));
      throw new Error('simulated crash');
    };
    expect(() => applyFixes(plan.files, undefined, crashy)).toThrow('simulated crash');
    const files = [fs.readFileSync(a, 'latin1'), fs.readFileSync(b, 'latin1')];
    const fixed = plan.files[0].after;
    for (const t of files) expect([old, fixed]).toContain(t);
    expect(files.filter((t) => t === fixed).length).toBe(1);
    // a rerun after the crash finishes the job
    fs.rmSync(path.join(dir, '.b.c.crash.tmp'), { force: true });
    await run(['-q', '-d', 'dragonfly', '-r', 'suggest-flags', '--fix', a, b]);
    expect(fs.readFileSync(a, 'latin1')).toBe(fixed);
    expect(fs.readFileSync(b, 'latin1')).toBe(fixed);
  });

  it('does not write when the file changed since the analysis', async () => {
    const f = path.join(dir, 'd.c');
    fs.copyFileSync(fixture, f);
    const res = await lint({ paths: [f], dialect: 'dragonfly', jobs: 1, rules: ['suggest-flags'] });
    fs.writeFileSync(f, fs.readFileSync(f, 'latin1').replace('M_NOWAIT | M_ZERO', 'M_NOWAIT|M_ZERO|0'), 'latin1');
    const plan = planFixes(res.findings);
    expect(plan.skipped.some((s) => /changed since the analysis/.test(s))).toBe(true);
  });
});

describe('unifiedDiff', () => {
  // `git apply` must turn the old file into exactly the new one, whatever the edits do to the line count
  function applies(before: string, edits: { start: number; end: number; text: string }[]) {
    const after = applyEdits(before, edits);
    const plan = [{ file: 'a.c', before, after, edits: edits.map((e) => ({ ...e, file: 'a.c', old: before.slice(e.start, e.end), safe: true })) }];
    fs.writeFileSync(path.join(dir, 'a.c'), before, 'latin1');
    fs.writeFileSync(path.join(dir, 'p.diff'), unifiedDiff(plan), 'latin1');
    execFileSync('git', ['apply', 'p.diff'], { cwd: dir, stdio: 'pipe' });
    expect(fs.readFileSync(path.join(dir, 'a.c'), 'latin1')).toBe(after);
    return unifiedDiff(plan);
  }
  const lines = Array.from({ length: 40 }, (_, i) => `\tline${i};`);
  const at = (n: number, s: string) => lines.slice(0, n).join('\n').length + 1 + lines[n].indexOf(s);

  it('counts the lines of a hunk whose edit joins two lines, and shifts the later hunks', () => {
    lines[10] = '\tp = malloc(sz, M_DEVBUF, M_NOWAIT |';
    lines[11] = '\t    M_USE_RESERVE);';
    lines[30] = '\tq = malloc(sz, M_DEVBUF, M_NOWAIT);';
    const before = lines.join('\n') + '\n';
    const joinStart = at(10, 'M_NOWAIT');
    const joinEnd = at(11, 'M_USE_RESERVE') + 'M_USE_RESERVE'.length;
    const d = applies(before, [
      { start: joinStart, end: joinEnd, text: 'M_INTNOWAIT' },
      { start: at(30, 'M_NOWAIT'), end: at(30, 'M_NOWAIT') + 8, text: 'M_WAITOK' },
    ]);
    expect(d).toMatch(/^@@ -8,8 \+8,7 @@$/m);
    expect(d).toMatch(/^@@ -28,7 \+27,7 @@$/m);
  });

  it('keeps two edits of one line, and of nearby lines, in one hunk', () => {
    lines[5] = '\ta = malloc(1, M_DEVBUF, M_NOWAIT); b = malloc(2, M_DEVBUF, M_NOWAIT);';
    lines[9] = '\tc = malloc(3, M_DEVBUF, M_NOWAIT);';
    const before = lines.join('\n');
    const first = at(5, 'M_NOWAIT');
    const second = at(5, 'M_NOWAIT); b') + lines[5].slice(lines[5].indexOf('M_NOWAIT); b') + 1).indexOf('M_NOWAIT') + 1;
    const d = applies(before, [
      { start: first, end: first + 8, text: 'M_WAITOK' },
      { start: second, end: second + 8, text: 'M_WAITOK' },
      { start: at(9, 'M_NOWAIT'), end: at(9, 'M_NOWAIT') + 8, text: 'M_WAITOK' },
    ]);
    expect(d.match(/^@@/gm)).toHaveLength(1);
  });
});
