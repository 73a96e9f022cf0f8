/**
 * npm run bench -- --verdicts ROOT --tree NAME [--report FILE] [--sample N] [--all] [-- lint options]
 *
 * Precision measured, not remembered. bench/verdicts/NAME.jsonl (and NAME.PART.jsonl) hold one
 * line per judged finding on a real tree (positions and a reason in our own
 * words, never kernel code):
 *
 *   {"tree":"dfly2020","path":"sys/kern/kern_foo.c","line":120,"rule":"nowait-null-deref",
 *    "verdict":"TRUE","reason":"...","function":"foo_attach"}
 *
 * `path` is relative to ROOT (the folder that holds `sys/`); a finding is
 * matched by path, line and rule. This lints ROOT (or reads a JSON report
 * made with `-f json` from ROOT's parent folder... any folder: paths are
 * re-rooted at ROOT), then prints per rule: findings, judged, TRUE, FALSE,
 * precision over the judged ones; the findings with no verdict yet (the
 * first 20 per rule, all with --all); and verdicts whose finding is gone
 * (a TRUE one gone is a lost true finding).
 *
 * --sample N: for each rule with more than N findings, judge a fixed sample:
 * the N findings whose key hashes lowest (stable across runs and machines),
 * and list unjudged findings from that sample only.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Verdict {
  tree: string;
  path: string;
  line: number;
  rule: string;
  verdict: 'TRUE' | 'FALSE';
  reason: string;
  function?: string;
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  function: string;
  message: string;
}

const ROOT = path.join(__dirname, '..', '..');
export const VERDICT_DIR = path.join(ROOT, 'bench', 'verdicts');

export function keyOf(p: string, line: number, rule: string): string {
  return `${p}:${line}:${rule}`;
}

/**
 * Read bench/verdicts/<tree>.jsonl and <tree>.<part>.jsonl (one part per line of work, so that
 * branches judging different rules never edit the same file); bad lines are reported with their
 * file and number, not fatal. A position judged twice: the later file (by name) counts.
 */
export function readVerdicts(tree: string, dir = VERDICT_DIR): { verdicts: Map<string, Verdict>; problems: string[] } {
  const verdicts = new Map<string, Verdict>();
  const problems: string[] = [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n === `${tree}.jsonl` || (n.startsWith(`${tree}.`) && n.endsWith('.jsonl'))).sort() : [];
  if (!files.length) return { verdicts, problems: [`${path.relative(process.cwd(), path.join(dir, tree + '.jsonl'))}: no verdicts yet`] };
  for (const name of files) {
    fs.readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .forEach((l, i) => {
        if (!l.trim()) return;
        try {
          const v = JSON.parse(l) as Verdict;
          if (typeof v.path !== 'string' || typeof v.line !== 'number' || typeof v.rule !== 'string' || (v.verdict !== 'TRUE' && v.verdict !== 'FALSE') || !v.reason)
            throw new Error('needs path, line, rule, verdict TRUE|FALSE and a reason');
          const k = keyOf(v.path, v.line, v.rule);
          if (verdicts.has(k)) problems.push(`${name}:${i + 1}: a second verdict for ${k} (this one counts)`);
          verdicts.set(k, v);
        } catch (e) {
          problems.push(`${name}:${i + 1}: ${(e as Error).message}`);
        }
      });
  }
  return { verdicts, problems };
}

const sampleRank = (k: string) => createHash('sha1').update(k).digest('hex');

export interface RuleScore {
  rule: string;
  severity: string;
  findings: number;
  judged: number;
  truePos: number;
  falsePos: number;
}

export interface Scored {
  rows: RuleScore[];
  unjudged: { key: string; f: JsonFinding }[];
  gone: Verdict[];
}

/** Match findings (paths relative to the tree root) with verdicts. */
export function score(findings: (JsonFinding & { rel: string })[], verdicts: Map<string, Verdict>, sample?: number): Scored {
  const byRule = new Map<string, (JsonFinding & { rel: string; key: string })[]>();
  for (const f of findings) {
    const key = keyOf(f.rel, f.line, f.ruleId);
    if (!byRule.has(f.ruleId)) byRule.set(f.ruleId, []);
    byRule.get(f.ruleId)!.push({ ...f, key });
  }
  const rows: RuleScore[] = [];
  const unjudged: { key: string; f: JsonFinding }[] = [];
  const seen = new Set<string>();
  for (const [rule, list] of byRule) {
    for (const f of list) seen.add(f.key);
    const pool = sample && list.length > sample ? [...list].sort((a, b) => (sampleRank(a.key) < sampleRank(b.key) ? -1 : 1)).slice(0, sample) : list;
    const row: RuleScore = { rule, severity: list[0].severity, findings: list.length, judged: 0, truePos: 0, falsePos: 0 };
    for (const f of list) {
      const v = verdicts.get(f.key);
      if (!v) continue;
      row.judged++;
      if (v.verdict === 'TRUE') row.truePos++;
      else row.falsePos++;
    }
    for (const f of pool) if (!verdicts.has(f.key)) unjudged.push({ key: f.key, f });
    rows.push(row);
  }
  const sevRank: Record<string, number> = { error: 0, warning: 1, note: 2 };
  rows.sort((a, b) => (sevRank[a.severity] ?? 3) - (sevRank[b.severity] ?? 3) || a.rule.localeCompare(b.rule));
  const order = new Map(rows.map((r, i) => [r.rule, i]));
  unjudged.sort((a, b) => order.get(a.f.ruleId)! - order.get(b.f.ruleId)!);
  const gone = [...verdicts.entries()].filter(([k]) => !seen.has(k)).map(([, v]) => v);
  return { rows, unjudged, gone };
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(0)}%` : '-';
}

export async function verdictsMain(argv: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rootArg = opt('--verdicts');
  const tree = opt('--tree');
  if (!rootArg || !tree) throw new Error('usage: npm run bench -- --verdicts ROOT --tree NAME [--report FILE] [--sample N] [--all] [-- lint options]');
  const root = path.resolve(rootArg);
  const sample = opt('--sample') ? Number(opt('--sample')) : undefined;
  const dd = argv.indexOf('--');
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  let report: { findings: JsonFinding[] };
  let base = process.cwd();
  const reportFile = opt('--report');
  if (reportFile) {
    report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  } else {
    const { main } = require(path.join(ROOT, 'dist', 'src', 'cli.js')) as typeof import('../src/cli');
    let out = '';
    let err = '';
    const code = await main([root, '-f', 'json', '--no-cache', '-q', ...extra], {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
    } as unknown as Parameters<typeof main>[1]);
    if (code === 2) throw new Error(`lint failed: ${err}`);
    report = JSON.parse(out);
    base = process.cwd();
  }
  const findings = report.findings.map((f) => ({ ...f, rel: path.relative(root, path.resolve(base, f.file)).split(path.sep).join('/') }));
  const { verdicts, problems } = readVerdicts(tree);
  for (const p of problems) process.stdout.write(`note: ${p}\n`);
  const { rows, unjudged, gone } = score(findings, verdicts, sample);
  const w = (s: string) => process.stdout.write(s + '\n');
  w(`tree ${tree} (${root}): ${findings.length} findings, ${verdicts.size} verdicts`);
  w(`${'rule'.padEnd(22)} ${'severity'.padEnd(8)} ${'findings'.padStart(8)} ${'judged'.padStart(7)} ${'TRUE'.padStart(5)} ${'FALSE'.padStart(6)} ${'precision'.padStart(9)}`);
  for (const r of rows)
    w(`${r.rule.padEnd(22)} ${r.severity.padEnd(8)} ${String(r.findings).padStart(8)} ${String(r.judged).padStart(7)} ${String(r.truePos).padStart(5)} ${String(r.falsePos).padStart(6)} ${pct(r.truePos, r.judged).padStart(9)}`);
  const perRule = new Map<string, number>();
  const all = argv.includes('--all');
  if (unjudged.length) w(`\nno verdict yet (${unjudged.length}${sample ? `, from a sample of ${sample} per rule` : ''}):`);
  for (const u of unjudged) {
    const n = (perRule.get(u.f.ruleId) ?? 0) + 1;
    perRule.set(u.f.ruleId, n);
    if (all || n <= 20) w(`  ${u.key} ${u.f.function}: ${u.f.message}`);
    else if (n === 21) w(`  ... more ${u.f.ruleId} (--all lists them)`);
  }
  if (gone.length) {
    w(`\nverdicts whose finding is gone (${gone.filter((g) => g.verdict === 'TRUE').length} TRUE, i.e. lost; ${gone.filter((g) => g.verdict === 'FALSE').length} FALSE, i.e. fixed):`);
    for (const g of gone) w(`  ${g.verdict === 'TRUE' ? 'LOST ' : 'fixed'} ${keyOf(g.path, g.line, g.rule)} ${g.reason}`);
  }
}
