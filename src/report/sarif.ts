import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LintResult } from '../engine';
import type { Rule } from '../../rules';
import { INFO_URI, TOOL_NAME, VERSION, ruleDocUri } from '../util/version';
import { suggestionNote, type Finding } from './findings';
import { inAuthorsSpacing } from '../workflow/fix';

const LEVEL = { error: 'error', warning: 'warning', note: 'note' } as const;

export function ruleHelpMarkdown(r: Rule): string {
  const d = r.meta.doc;
  return [
    `## ${r.meta.id}`,
    '',
    `**What it finds.** ${d.what}`,
    '',
    `**Why it matters.** ${d.why}`,
    '',
    '**Example**',
    '',
    '```c',
    d.example,
    '```',
    '',
    `**Fix.** ${d.fix}`,
    ...(d.fixedExample ? ['', '```c', d.fixedExample, '```'] : []),
    '',
    `[Rule documentation](${ruleDocUri(r.meta.id)})`,
  ].join('\n');
}

export function ruleHelpText(r: Rule): string {
  const d = r.meta.doc;
  return `${d.what}\n\nWhy: ${d.why}\n\nFix: ${d.fix}\n\nDocs: ${ruleDocUri(r.meta.id)}`;
}

/**
 * Columns are counted in bytes (files are read as Latin-1); SARIF says code
 * points. Where the source line is known, convert: a UTF-8 line with non-ASCII
 * text before the call would otherwise be off.
 */
function codePointCol(line: string | undefined, col: number): number {
  if (!line || !/[\x80-\xff]/.test(line.slice(0, col - 1))) return col;
  const before = Buffer.from(line.slice(0, col - 1), 'latin1');
  return before.toString('utf8').length + 1;
}

function primaryRegion(f: Pick<Finding, 'line' | 'col' | 'endLine' | 'endCol' | 'sourceLine' | 'sourceWindow'>) {
  const r = region(f);
  // a window of a long line: columns relative to it, plus the code points before it
  const w = f.sourceWindow;
  const cp = (col: number) => (w ? w.codePointsBefore + codePointCol(f.sourceLine, col - w.start + 1) : codePointCol(f.sourceLine, col));
  r.startColumn = cp(f.col);
  if (f.endLine === f.line) r.endColumn = cp(f.endCol);
  return r;
}

function region(f: { line: number; col: number; endLine: number; endCol: number }) {
  return { startLine: f.line, startColumn: f.col, endLine: f.endLine, endColumn: f.endCol };
}

function uri(file: string) {
  return file.split('/').map(encodeURIComponent).join('/');
}

/**
 * The folder artifact URIs are relative to (%SRCROOT%): the repository that holds the first linted file (the
 * nearest folder above it with a .git), else the current folder, so that code scanning places the results
 * whatever folder the run started in.
 */
export function sarifRoot(files: string[]): string {
  const first = files[0] ? path.resolve(files[0]) : undefined;
  for (let d = first ? path.dirname(first) : process.cwd(); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return process.cwd();
  }
}

/** The SARIF fix writes what --fix writes: the author's spacing around `|`. */
function respaced(fix: Record<string, unknown>, old: string | undefined): Record<string, unknown> {
  const changes = fix.artifactChanges as { replacements: { insertedContent: { text: string } }[] }[] | undefined;
  if (!old || !changes) return fix;
  const at = (r: { insertedContent: { text: string } }) => ({ ...r, insertedContent: { text: inAuthorsSpacing(old, r.insertedContent.text) } });
  return { ...fix, artifactChanges: changes.map((c) => ({ ...c, replacements: c.replacements.map(at) })) };
}

/** A file under the root is relative to %SRCROOT%; one outside it is a file: URI. */
function artifactIn(root: string): (file: string) => { uri: string; uriBaseId?: string } {
  return (file) => {
    const abs = path.resolve(file);
    const rel = path.relative(root, abs);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { uri: pathToFileURL(abs).href };
    return { uri: uri(rel.split(path.sep).join('/')), uriBaseId: '%SRCROOT%' };
  };
}

export function buildSarif(res: LintResult, extraRules: Rule[] = [], category?: string, rootDir?: string) {
  const root = path.resolve(rootDir ?? sarifRoot(res.files));
  const artifact = artifactIn(root);
  const rules = [...res.rules, ...extraRules.filter((x) => !res.rules.includes(x))];
  const index = new Map(rules.map((r, i) => [r.meta.id, i]));
  const result = (f: Finding) => {
    // each alert is read alone: every one carries its site's suggestion (and why --fix leaves it)
    const note = suggestionNote(f.properties);
    const text = note && !f.message.includes(note) ? `${f.message} Suggestion: ${note}.` : f.message;
    const props: Record<string, unknown> = { function: f.function, allocator: f.allocator, flags: f.flags, lowConfidence: f.lowConfidence, ...(f.properties ?? {}) };
    const out: Record<string, unknown> = {
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId) ?? 0,
      level: LEVEL[f.severity],
      message: { text },
      locations: [{ physicalLocation: { artifactLocation: artifact(f.file), region: primaryRegion(f) }, logicalLocations: [{ name: f.function, kind: 'function' }] }],
      partialFingerprints: { 'kmallocLint/v1': f.fingerprint },
      properties: props,
    };
    if (f.related.length) {
      out.relatedLocations = f.related.map((r, i) => ({
        id: i + 1,
        physicalLocation: { artifactLocation: artifact(r.file ?? f.file), region: region(r) },
        message: { text: r.message },
      }));
    }
    const fix = f.properties?.sarifFix as Record<string, unknown> | undefined;
    if (fix) {
      const spaced = respaced(fix, (f.properties?.fix as { old?: string } | undefined)?.old);
      // the fix names its file as shown; SARIF wants it relative to the root like every location
      const changes = (spaced.artifactChanges as Record<string, unknown>[] | undefined)?.map((c) => ({ ...c, artifactLocation: artifact(f.file) }));
      out.fixes = [changes ? { ...spaced, artifactChanges: changes } : spaced];
      delete props.sarifFix;
    }
    return out;
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: INFO_URI,
            rules: rules.map((r) => ({
              id: r.meta.id,
              name: r.meta.name,
              shortDescription: { text: r.meta.summary },
              fullDescription: { text: r.meta.doc.what },
              helpUri: ruleDocUri(r.meta.id),
              help: { text: ruleHelpText(r), markdown: ruleHelpMarkdown(r) },
              defaultConfiguration: { level: LEVEL[r.meta.severity] },
              properties: {
                tags: r.meta.tags,
                precision: r.meta.precision,
                'problem.severity': r.meta.severity === 'note' ? 'recommendation' : r.meta.severity,
                'security-severity': r.meta.securitySeverity,
              },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(root + (root.endsWith(path.sep) ? '' : path.sep)).href } },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: res.diagnostics.map((d) => ({
              level: d.level === 'note' ? 'note' : d.level === 'error' ? 'error' : 'warning',
              message: { text: `${d.file}: ${d.message}` },
              // a diagnostic about an option (`--exclude X`) names no file
              ...(d.file.startsWith('--') ? {} : { locations: [{ physicalLocation: { artifactLocation: artifact(d.file) } }] }),
            })),
          },
        ],
        // only when asked: a fixed id would override upload-sarif's `category:`, and per-subtree uploads would replace each other
        ...(category ? { automationDetails: { id: category.endsWith('/') ? category : `${category}/` } } : {}),
        columnKind: 'unicodeCodePoints',
        properties: { dialect: res.dialect.name, dialectReason: res.dialect.why, ...(res.dialects ? { dialects: res.dialects } : {}) },
        results: res.findings.map(result),
      },
    ],
  };
}

export function formatSarif(res: LintResult, category?: string, root?: string): string {
  return JSON.stringify(buildSarif(res, [], category, root), null, 2) + '\n';
}
