/**
 * Write docs/rules/<id>.md for every rule and docs/rules/README.md, from the
 * rule metadata. Run with `npm run docs` (it builds first). Pages of rules
 * that no longer exist are removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderRuleDocs } from '../src/report/docs';
import { writeFileAtomic } from '../src/util/atomic';

function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'rules'))) return d;
    if (path.dirname(d) === d) throw new Error('cannot find the project root');
  }
}

const outDir = path.join(findRoot(__dirname), 'docs', 'rules');
fs.mkdirSync(outDir, { recursive: true });
const pages = renderRuleDocs();
let changed = 0;
for (const [name, text] of pages) {
  const file = path.join(outDir, name);
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (old === text) continue;
  writeFileAtomic(file, text);
  changed++;
  process.stdout.write(`wrote docs/rules/${name}\n`);
}
for (const name of fs.readdirSync(outDir)) {
  if (name.endsWith('.md') && !pages.has(name)) {
    fs.unlinkSync(path.join(outDir, name));
    changed++;
    process.stdout.write(`removed docs/rules/${name}\n`);
  }
}
process.stdout.write(`docs/rules: ${pages.size} pages, ${changed} changed\n`);

// The config schema's list of rule ids follows the registry too.
import { ALL_RULES } from '../rules';
const schemaFile = path.join(findRoot(__dirname), 'schema', 'kmalloc-lint.schema.json');
const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
const ids = ALL_RULES.map((r) => r.meta.id);
if (JSON.stringify(schema.properties.rules.propertyNames.enum) !== JSON.stringify(ids)) {
  schema.properties.rules.propertyNames.enum = ids;
  writeFileAtomic(schemaFile, JSON.stringify(schema, null, 2) + '\n');
  process.stdout.write('wrote schema/kmalloc-lint.schema.json (rule ids)\n');
}
