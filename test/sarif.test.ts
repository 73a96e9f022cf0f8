import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../rules';
import { ROOT, runCli, tmpDir } from './helpers/run';
import { validateSarif } from './helpers/sarif';

/**
 * SARIF for the fixtures tree, checked by Microsoft's validator with the
 * GitHub code-scanning rules, and against the shape GitHub needs.
 */

let dir: string;
let sarifFile: string;
let sarif: any; // eslint-disable-line @typescript-eslint/no-explicit-any
let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(() => {
  dir = tmpDir('sarif');
  sarifFile = path.join(dir, 'fixtures.sarif');
  // every rule, so that every rule's metadata and results are checked
  const all = RULES.map((r) => r.meta.id).join(',');
  const r = runCli(['fixtures', '-q', '-f', 'sarif', '-o', sarifFile, '--rule', all]);
  expect(r.code, r.stderr).toBe(1);
  sarif = JSON.parse(fs.readFileSync(sarifFile, 'utf8'));
  json = JSON.parse(runCli(['fixtures', '-q', '-f', 'json', '--rule', all]).stdout);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function describeIssues(issues: { level: string; ruleId: string; text: string }[]): string {
  return issues.map((i) => `${i.level} ${i.ruleId}: ${i.text}`).join('\n') || '(none)';
}

describe('sarif-multitool validate --rule-kind Gh;Sarif', () => {
  it('finds no errors and no warnings in the fixtures report', () => {
    const issues = validateSarif(sarifFile, dir);
    expect(issues.filter((i) => i.level === 'error'), describeIssues(issues)).toEqual([]);
    expect(issues.filter((i) => i.level === 'warning'), describeIssues(issues)).toEqual([]);
  });

  it('finds no errors in a report with tool notifications and a path outside the working directory', () => {
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'dir.c'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'bin.c'), Buffer.from([0x69, 0x6e, 0x74, 0, 0, 1]));
    fs.copyFileSync(path.join(ROOT, 'fixtures', 'freebsd', 'deref.c'), path.join(tree, 'deref.c'));
    const out = path.join(dir, 'notes.sarif');
    // run from the fixtures folder, so that the tree is outside %SRCROOT% and one path is absolute
    const r = runCli([tree, path.join(dir, 'missing.c'), '-q', '-f', 'sarif', '-o', out, '-d', 'freebsd'], { cwd: path.join(ROOT, 'fixtures') });
    expect(r.code).toBe(2);
    const s = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(s.runs[0].invocations[0].toolExecutionNotifications.length).toBeGreaterThanOrEqual(3);
    expect(s.runs[0].results.length).toBeGreaterThan(0);
    const issues = validateSarif(out, dir);
    expect(issues.filter((i) => i.level === 'error'), describeIssues(issues)).toEqual([]);
    expect(issues.filter((i) => i.level === 'warning'), describeIssues(issues)).toEqual([]);
  });
});

describe('the shape GitHub code scanning needs', () => {
  it('has a driver with name, version, informationUri and full rule metadata', () => {
    const d = sarif.runs[0].tool.driver;
    expect(d.name).toBe('kmalloc-lint');
    expect(d.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.informationUri).toMatch(/^https:\/\//);
    expect(d.rules.map((r: { id: string }) => r.id).sort()).toEqual(RULES.map((r) => r.meta.id).sort());
    for (const r of d.rules) {
      expect(r.id).toMatch(/^[a-z0-9-]+$/);
      expect(r.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(r.shortDescription.text.length).toBeGreaterThan(10);
      expect(r.fullDescription.text.length).toBeGreaterThan(10);
      expect(r.help.text.length).toBeGreaterThan(10);
      expect(r.help.markdown).toContain('```c');
      expect(r.helpUri).toContain(`docs/rules/${r.id}.md`);
      expect(Array.isArray(r.properties.tags) && r.properties.tags.length > 0).toBe(true);
      expect(['very-high', 'high', 'medium', 'low']).toContain(r.properties.precision);
      expect(['error', 'warning', 'recommendation']).toContain(r.properties['problem.severity']);
      expect(typeof r.properties['security-severity']).toBe('string');
      const score = Number(r.properties['security-severity']);
      expect(score >= 0 && score <= 10, `security-severity ${r.properties['security-severity']}`).toBe(true);
      expect(['error', 'warning', 'note']).toContain(r.defaultConfiguration.level);
    }
  });

  it('has well-formed results, one per JSON finding', () => {
    const run = sarif.runs[0];
    const rules = run.tool.driver.rules;
    expect(run.results.length).toBe(json.findings.length);
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toMatch(/^file:\/\/.*\/$/);
    run.results.forEach((res: any, i: number) => {
      const f = json.findings[i];
      expect(res.ruleId).toBe(f.ruleId);
      expect(rules[res.ruleIndex].id).toBe(res.ruleId);
      expect(res.level).toBe(f.severity);
      // the JSON message, plus the site's suggestion where the message does not carry it (JSON has it in a field)
      expect(res.message.text).toBe(f.suggestion && !f.message.includes(f.suggestion) ? `${f.message} Suggestion: ${f.suggestion}${f.fixBlocked ? ` (not applied by --fix: ${f.fixBlocked})` : ''}.` : f.message);
      expect(res.locations).toHaveLength(1);
      const pl = res.locations[0].physicalLocation;
      expect(pl.artifactLocation.uri).toBe(f.file);
      expect(pl.artifactLocation.uri).toMatch(/^fixtures\/(freebsd|dragonfly)\/([\w-]+\/)*[\w-]+\.[ch]$/);
      expect(pl.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(pl.region).toMatchObject({ startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn });
      expect(pl.region.endLine > pl.region.startLine || pl.region.endColumn > pl.region.startColumn).toBe(true);
      expect(res.partialFingerprints['kmallocLint/v1']).toBe(f.fingerprint);
      expect(res.properties).toMatchObject({ function: f.function, allocator: f.allocator, flags: f.flags });
      expect(res.properties.function.length).toBeGreaterThan(0);
      if (f.related.length) {
        expect(res.relatedLocations).toHaveLength(f.related.length);
        res.relatedLocations.forEach((rl: any, k: number) => {
          expect(rl.id).toBe(k + 1);
          expect(rl.message.text).toBe(f.related[k].message);
          expect(rl.physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
          expect(rl.physicalLocation.region.startLine).toBe(f.related[k].line);
        });
      } else {
        expect(res.relatedLocations).toBeUndefined();
      }
    });
    // the panic, deref and leak rules point at the failure path
    expect(run.results.some((r: any) => r.relatedLocations?.length)).toBe(true);
  });

  it('gives every result a distinct fingerprint', () => {
    const fps = sarif.runs[0].results.map((r: any) => r.partialFingerprints['kmallocLint/v1']);
    expect(new Set(fps).size).toBe(fps.length);
  });
});

describe('fingerprints', () => {
  const base = `#include <sys/malloc.h>

static void
victim(struct softc *sc)
{
	sc->buf = malloc(64, M_DEVBUF, M_NOWAIT);
	KASSERT(sc->buf != NULL, ("no buf"));
}
`;
  const unrelated = `static int
unrelated(int a, int b)
{
	if (a > b)
		return (a);
	return (b);
}

`;

  function lintText(text: string) {
    const d = tmpDir('fp');
    try {
      fs.writeFileSync(path.join(d, 'drv.c'), text);
      const r = runCli(['drv.c', '-q', '-f', 'sarif', '-d', 'freebsd'], { cwd: d });
      const res = JSON.parse(r.stdout).runs[0].results;
      expect(res).toHaveLength(1);
      return { line: res[0].locations[0].physicalLocation.region.startLine as number, fp: res[0].partialFingerprints['kmallocLint/v1'] as string };
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  }

  it('stay the same when blank lines or an unrelated function are inserted above the finding', () => {
    const a = lintText(base);
    const head = base.indexOf('static void');
    const b = lintText(base.slice(0, head) + '\n\n\n\n' + base.slice(head));
    const c = lintText(base.slice(0, head) + unrelated + base.slice(head));
    expect(a.line).toBe(6);
    expect(b.line).toBe(10);
    expect(c.line).toBe(6 + unrelated.split('\n').length - 1);
    expect(b.fp).toBe(a.fp);
    expect(c.fp).toBe(a.fp);
  });

  it('change when the finding itself changes', () => {
    const a = lintText(base);
    const d = lintText(base.replace('malloc(64,', 'malloc(128,'));
    expect(d.fp).not.toBe(a.fp);
  });
});

describe('SARIF columns', () => {
  it('count code points where a UTF-8 line has non-ASCII text before the call', () => {
    const d = tmpDir('col');
    try {
      // "é" is two bytes in UTF-8 and one code point
      fs.writeFileSync(path.join(d, 'drv.c'), 'void\nf(void)\n{\n\tchar *p;\n\n\t/* é */ p = malloc(8, M_DEVBUF, M_NOWAIT);\n\tp[0] = 0;\n}\n', 'utf8');
      const sarif = JSON.parse(runCli(['drv.c', '-q', '-f', 'sarif', '-d', 'freebsd'], { cwd: d }).stdout);
      const json = JSON.parse(runCli(['drv.c', '-q', '-f', 'json', '-d', 'freebsd'], { cwd: d }).stdout);
      const region = sarif.runs[0].results[0].locations[0].physicalLocation.region;
      expect(json.findings[0].column).toBe(15); // bytes: tab, "/* ", 2 bytes, " */ ", "p = "
      expect(region.startColumn).toBe(14);
      expect(region.endColumn).toBe(json.findings[0].endColumn - 1);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('--sarif-category', () => {
  it('writes automationDetails.id only when asked, so upload-sarif\'s category applies otherwise', () => {
    const plain = JSON.parse(runCli(['fixtures/freebsd/deref.c', '-q', '-f', 'sarif', '--no-cache']).stdout);
    expect(plain.runs[0].automationDetails).toBeUndefined();
    const cat = JSON.parse(runCli(['fixtures/freebsd/deref.c', '-q', '-f', 'sarif', '--no-cache', '--sarif-category', 'kmalloc-lint/sys-dev']).stdout);
    expect(cat.runs[0].automationDetails).toEqual({ id: 'kmalloc-lint/sys-dev/' });
    const bad = runCli(['fixtures/freebsd/deref.c', '--sarif-category', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sarif-category is for --format sarif/);
  });
});
