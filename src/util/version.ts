import * as fs from 'node:fs';
import * as path from 'node:path';
// dist/src/util/version.js or, under the test runner, src/util/version.ts
function readPkg(): { version: string; name: string } {
  for (const f of [path.join(__dirname, '..', '..', '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      const p = JSON.parse(fs.readFileSync(f, 'utf8')) as { version: string; name: string };
      if (p.name === 'kmalloc-lint') return p;
    } catch {
      /* try the next */
    }
  }
  return { name: 'kmalloc-lint', version: '0.0.0' };
}
const pkg = readPkg();
export const VERSION: string = pkg.version;
export const TOOL_NAME = 'kmalloc-lint';
export const INFO_URI = 'https://github.com/kmalloc-lint/kmalloc-lint';
export function ruleDocUri(id: string): string {
  return `${INFO_URI}/blob/main/docs/rules/${id}.md`;
}
