import { lint } from '../src/engine';
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES, RULES } from '../rules';
import { renderRuleDocs } from '../src/report/docs';

/**
 * docs/rules/ is generated from the rule metadata (npm run docs). The
 * committed pages must match it exactly, so a new or changed rule without
 * regenerated docs fails here.
 */

const dir = path.join(__dirname, '..', 'docs', 'rules');
const pages = renderRuleDocs();

describe('docs/rules', () => {
  it('has exactly one page per rule plus the index (run `npm run docs` to regenerate)', () => {
    const committed = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort() : [];
    expect(committed).toEqual([...pages.keys()].sort());
  });

  for (const [name, text] of pages) {
    it(`${name} is up to date with the rule metadata (run \`npm run docs\`)`, () => {
      const file = path.join(dir, name);
      expect(fs.existsSync(file), `docs/rules/${name} is missing`).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('every rule has complete documentation metadata', () => {
    const ids = new Set<string>();
    for (const r of ALL_RULES) {
      const m = r.meta;
      expect(ids.has(m.id), `duplicate rule id ${m.id}`).toBe(false);
      ids.add(m.id);
      expect(m.id).toMatch(/^[a-z]+(-[a-z]+)+$/);
      expect(m.name).toBe(m.id.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''));
      for (const k of ['what', 'why', 'example', 'fix'] as const) expect(m.doc[k].trim().length, `${m.id}: doc.${k}`).toBeGreaterThan(10);
      expect(m.summary).not.toMatch(/\.$/);
      expect(m.tags.length).toBeGreaterThan(0);
      expect(m.securitySeverity).toMatch(/^\d+(\.\d)?$/);
    }
  });
});

/**
 * The examples in the docs are real: wrapped in a function, the example is
 * reported by its rule and the fixed example is not.
 */
describe('rule doc examples', () => {
  // an attach routine: a context where sleeping is allowed, as the docs' examples assume
  const wrap = (code: string) => `static int\nexample_attach(struct softc *sc, size_t len)\n{\n\tvoid *p, *buf, *e;\n\n${code.split('\n').map((l) => '\t' + l).join('\n')}\n\treturn (0);\n}\n`;
  async function ruleHits(ruleId: string, code: string, dialect: 'freebsd' | 'dragonfly'): Promise<number> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-doc-'));
    try {
      fs.writeFileSync(path.join(dir, 'example.c'), wrap(code));
      const res = await lint({ paths: [dir], dialect, jobs: 1, rules: [ruleId] });
      return res.findings.filter((f) => f.ruleId === ruleId).length;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const r of RULES) {
    const d = r.meta.doc;
    const dialect = /\bkmalloc\b|M_INTWAIT|M_NULLOK\b/.test(d.example) ? 'dragonfly' : 'freebsd';
    it(`${r.meta.id}: the example is reported`, async () => {
      expect(await ruleHits(r.meta.id, d.example, dialect), wrap(d.example)).toBeGreaterThan(0);
    });
    if (d.fixedExample) {
      it(`${r.meta.id}: the fixed example is not`, async () => {
        expect(await ruleHits(r.meta.id, d.fixedExample!, dialect), wrap(d.fixedExample!)).toBe(0);
      });
    }
  }
});

describe('--list-rules', () => {
  it('lists every rule that can report, unused-suppression included, each with a doc page', async () => {
    const { runCli } = await import('./helpers/run');
    const out = runCli(['--list-rules']).stdout;
    for (const r of ALL_RULES) {
      expect(out).toMatch(new RegExp(`^${r.meta.id} +${r.meta.severity} `, 'm'));
      expect(out).toContain(`docs/rules/${r.meta.id}.md`);
      expect(fs.existsSync(path.join(dir, `${r.meta.id}.md`))).toBe(true);
    }
    expect(out).toMatch(/^unused-suppression +note +An inline kmalloc-lint suppression comment/m);
  });
});
