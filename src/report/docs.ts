import type { Rule } from '../../rules';
import { ALL_RULES } from '../../rules';

/**
 * The rule documentation pages (docs/rules/<id>.md and the index), rendered
 * from each rule's metadata. scripts/gen-docs.ts writes them; a test checks
 * that the committed pages match, so a rule cannot ship without its page.
 */

const GENERATED = '<!-- Generated from the rule metadata in rules/ by `npm run docs`; do not edit by hand. -->';

const SEVERITY_TEXT = { error: 'error', warning: 'warning', note: 'note (a recommendation)' } as const;

function codeBlock(code: string): string[] {
  return ['```c', code.replace(/\s+$/, ''), '```'];
}

export function rulePage(r: Rule): string {
  const m = r.meta;
  const d = m.doc;
  const lines = [
    GENERATED,
    '',
    `# ${m.id}`,
    '',
    `${m.summary}.`,
    '',
    '| | |',
    '|---|---|',
    `| Severity | ${SEVERITY_TEXT[m.severity]} |`,
    `| Enabled | ${m.optIn ? `no (opt-in: \`--rule ${m.id}\`)` : 'yes, by default'} |`,
    `| Precision | ${m.precision} |`,
    `| Security severity | ${m.securitySeverity} |`,
    `| Tags | ${m.tags.map((t) => `\`${t}\``).join(', ')} |`,
    `| SARIF name | \`${m.name}\` |`,
    '',
    '## What it finds',
    '',
    d.what,
    '',
    '## Why it matters',
    '',
    d.why,
    '',
    '## Example',
    '',
    ...codeBlock(d.example),
    '',
    '## How to fix it',
    '',
    d.fix,
    ...(d.fixedExample ? ['', ...codeBlock(d.fixedExample)] : []),
    '',
    '## Options',
    '',
    m.options ?? `Run only this rule with \`kmalloc-lint --rule ${m.id}\`; turn it off with \`--disable-rule ${m.id}\`.`,
    '',
    '[All rules](README.md)',
    '',
  ];
  return lines.join('\n');
}

export function rulesIndex(rules: Rule[] = ALL_RULES): string {
  const rows = rules.map((r) => `| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.severity} | ${r.meta.optIn ? 'opt-in' : 'yes'} | ${r.meta.summary.replace(/\|/g, '\\|')} |`);
  return [
    GENERATED,
    '',
    '# kmalloc-lint rules',
    '',
    'Each rule looks at the allocation sites the analysis finds and at what happens on the path where the allocation returned NULL.',
    'Severity is the default level in text, JSON and SARIF output. `kmalloc-lint --list-rules` prints the same list.',
    '',
    '| Rule | Severity | Default | What it reports |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** File name (relative to docs/rules/) -> content, for every page. */
export function renderRuleDocs(rules: Rule[] = ALL_RULES): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rules) out.set(`${r.meta.id}.md`, rulePage(r));
  out.set('README.md', rulesIndex(rules));
  return out;
}
