/**
 * npm run bench -- --parse-errors DIR [--list]
 *
 * How much of a tree tree-sitter cannot parse after the linter's offset-preserving
 * clean-up (src/text/preprocess.ts): every .c and .h file under DIR is cleaned and
 * parsed whole, and the files whose tree holds an ERROR or MISSING node are counted,
 * with their share of the files and of the bytes. --list names each such file with
 * its number of ERROR nodes and the first one's line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fg from 'fast-glob';
import type { SyntaxNode } from 'tree-sitter';
import { getParser } from '../src/analysis/file';
import { preprocess } from '../src/text/preprocess';

export interface ParseErrorFile {
  file: string;
  bytes: number;
  errors: number;
  firstLine: number;
}

/** ERROR and MISSING nodes under n (the count), and the first one's line. */
function errorNodes(n: SyntaxNode): { count: number; first: number } {
  let count = 0;
  let first = 0;
  const walk = (x: SyntaxNode) => {
    if (!x.hasError) return;
    if (x.type === 'ERROR' || x.isMissing) {
      count++;
      if (!first) first = x.startPosition.row + 1;
      if (x.type === 'ERROR') return;
    }
    for (const c of x.children) walk(c);
  };
  walk(n);
  return { count, first };
}

export function parseErrors(dir: string): { files: number; bytes: number; withErrors: ParseErrorFile[] } {
  const files = fg.sync(['**/*.c', '**/*.h'], { cwd: dir, followSymbolicLinks: false, ignore: ['**/.git/**'] }).sort();
  let bytes = 0;
  const withErrors: ParseErrorFile[] = [];
  for (const rel of files) {
    const text = fs.readFileSync(path.join(dir, rel), 'latin1');
    bytes += text.length;
    const clean = preprocess(text);
    const tree = getParser().parse(clean, undefined, { bufferSize: Math.max(32 * 1024, clean.length + 1) });
    if (!tree.rootNode.hasError) continue;
    const e = errorNodes(tree.rootNode);
    withErrors.push({ file: rel, bytes: text.length, errors: e.count, firstLine: e.first });
  }
  return { files: files.length, bytes, withErrors };
}

export function parseErrorsMain(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const i = argv.indexOf('--parse-errors');
  const dir = argv[i + 1];
  if (!dir || dir.startsWith('-') || !fs.existsSync(dir)) {
    out.write('usage: npm run bench -- --parse-errors DIR [--list]\n');
    return 2;
  }
  const r = parseErrors(dir);
  const eb = r.withErrors.reduce((s, f) => s + f.bytes, 0);
  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '0.0');
  out.write(`${dir}: ${r.files} files, ${r.withErrors.length} with parse errors (${pct(r.withErrors.length, r.files)}% of files, ${pct(eb, r.bytes)}% of ${r.bytes} bytes), ${r.withErrors.reduce((s, f) => s + f.errors, 0)} error nodes\n`);
  if (argv.includes('--list')) for (const f of r.withErrors) out.write(`  ${f.file}:${f.firstLine}: ${f.errors} error node${f.errors === 1 ? '' : 's'}\n`);
  return 0;
}
