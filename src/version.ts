import * as fs from 'node:fs';
import * as path from 'node:path';
/* dist/src/version.js or src/version.ts (tests run the sources): the nearest package.json above. */
const pkg = JSON.parse(fs.readFileSync(fs.existsSync(path.join(__dirname, '..', 'package.json')) ? path.join(__dirname, '..', 'package.json') : path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string; name: string };
export const VERSION: string = pkg.version;
export const TOOL_NAME = 'kmalloc-lint';
export const INFO_URI = 'https://github.com/kmalloc-lint/kmalloc-lint';
export function ruleDocUri(id: string): string {
  return `${INFO_URI}/blob/main/docs/rules/${id}.md`;
}
