import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fg from 'fast-glob';
import { lint } from '../src/engine';

/**
 * The wait class of the flag suggestions: a `want: CLASS` note on a fixture
 * line names the suggestedClass the site there must get (wait, intwait,
 * nowait, intnowait, none); the fixtures test checks the findings themselves.
 */
const root = path.join(__dirname, '..', 'fixtures');
const files = fg.sync('*/context*.c', { cwd: root }).sort().filter((f) => /want:/.test(fs.readFileSync(path.join(root, f), 'latin1')));

describe('context: suggested wait class', () => {
  it('has fixtures with want: notes', () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, async () => {
      const text = fs.readFileSync(path.join(root, f), 'latin1');
      const want: string[] = [];
      text.split('\n').forEach((l, i) => {
        const m = /want:\s*([a-z]+)/.exec(l);
        if (m) want.push(`${i + 1}:${m[1]}`);
      });
      const res = await lint({ paths: [path.join(root, f)], dialect: f.split('/')[0] as 'dragonfly' | 'freebsd', jobs: 1, rules: ['suggest-flags'] });
      const got = res.findings.map((x) => `${x.line}:${String(x.properties?.suggestedClass)}`);
      expect(got.sort()).toEqual(want.sort());
    });
  }
});

describe('context: bus enumeration and detach on DragonFly', () => {
  it('suggests the interrupt reserve in probe/add_child/detach as a may-sleep context, never a no-wait class', async () => {
    const res = await lint({ paths: [path.join(root, 'dragonfly', 'context-roles.c')], dialect: 'dragonfly', jobs: 1, rules: ['suggest-flags'] });
    const level = (x: (typeof res.findings)[number]) => (x.properties?.context as { level?: string } | undefined)?.level;
    const enumSites = res.findings.filter((x) => x.properties?.suggestedClass === 'intwait' && level(x) === 'sleepable');
    const lines = fs.readFileSync(path.join(root, 'dragonfly', 'context-roles.c'), 'latin1').split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
    expect(enumSites.map((x) => x.line).sort((a, b) => a - b)).toEqual([at('ZBUS_IDSZ, M_DEVBUF'), at('iv = malloc('), at('sizeof(*c), M_DEVBUF')]);
    for (const f of enumSites) {
      expect(f.message).toMatch(/use M_INTWAIT[^;]*\((bus enumeration \(probe, add_child\)|detach, shutdown, suspend and resume) may sleep/);
      expect(f.message).not.toMatch(/INTNOWAIT|interrupt thread|may not sleep/);
    }
  });
});

describe('suggest-flags: what its page says', () => {
  it('notes only the sites whose flags the model would change, as documented', async () => {
    const { suggestFlagsRule } = await import('../rules/suggest-flags');
    expect(suggestFlagsRule.meta.summary).not.toMatch(/one note per site/);
    expect(suggestFlagsRule.meta.doc.what).toMatch(/No note for a site whose flags already fit/);
    const res = await lint({ paths: [path.join(root, 'freebsd', 'context.c')], dialect: 'freebsd', jobs: 1, rules: ['suggest-flags'] });
    expect(res.findings.length).toBeGreaterThan(0);
    expect(res.findings.length).toBeLessThan(res.stats.sites);
    for (const f of res.findings) expect(f.properties?.suggestedFlags === undefined || f.properties.suggestedFlags !== f.flags).toBe(true);
  });
});

describe('context: --fix never rewrites what a lock, an assertion, an epoch or a choice of the code rules out', () => {
  // `fix: no` on a fixture line: the site has a suggestion that --fix must not apply; `fix: yes`: one it applies
  const marked = fg.sync('*/locking.c', { cwd: root }).sort();
  it('has fixtures with fix: notes', () => expect(marked.length).toBe(2));
  for (const f of marked) {
    it(f, async () => {
      const text = fs.readFileSync(path.join(root, f), 'latin1');
      const want = new Map<number, boolean>();
      text.split('\n').forEach((l, i) => {
        const m = /fix:\s*(yes|no)\b/.exec(l);
        if (m) want.set(i + 1, m[1] === 'yes');
      });
      const res = await lint({ paths: [path.join(root, f)], dialect: f.split('/')[0] as 'dragonfly' | 'freebsd', jobs: 1, rules: ['suggest-flags'] });
      const safe = new Map(res.findings.map((x) => [x.line, (x.properties?.fix as { safe?: boolean } | undefined)?.safe === true]));
      for (const [line, ok] of want) expect({ line, safe: safe.get(line) }).toEqual({ line, safe: ok });
      // nothing under a lock, an assertion or an epoch section is ever rewritten to a sleeping flag
      for (const x of res.findings) {
        const c = x.properties?.context as { level?: string } | undefined;
        if (c?.level === 'nosleep' || c?.level === 'noalloc') expect((x.properties?.fix as { safe?: boolean } | undefined)?.safe && x.properties?.suggestedClass === 'wait').toBeFalsy();
      }
    });
  }
});
