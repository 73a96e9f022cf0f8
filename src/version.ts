// eslint-disable-next-line @typescript-eslint/no-var-requires
const pkg = require('../../package.json') as { version: string; name: string };
export const VERSION: string = pkg.version;
export const TOOL_NAME = 'kmalloc-lint';
export const INFO_URI = 'https://github.com/kmalloc-lint/kmalloc-lint';
export function ruleDocUri(id: string): string {
  return `${INFO_URI}/blob/main/docs/rules/${id}.md`;
}
