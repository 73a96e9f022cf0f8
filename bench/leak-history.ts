/**
 * npm run bench -- --leak-history GITDIR [--scratch DIR]
 *
 * Recall of nowait-null-leak against failure paths known to have leaked, listed by position in
 * bench/leak-history.tsv (commit, file, line in the commit's parent, function, class, why). For each
 * listed commit, the parent's `sys/sys` (for the dialect and flag header) and the folder of each
 * listed file are exported from GITDIR with `git archive` into DIR/p_<commit> (kept and reused; DIR
 * defaults to a folder under the system's temporary folder), those folders are linted (JSON, no
 * cache) and each row is FOUND when a nowait-null-leak finding stands in its file within two lines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface HistoryRow {
  commit: string;
  file: string;
  line: number;
  function: string;
  class: string;
  why: string;
}

/** Beside this module in the source tree; from dist/bench, two folders up. */
export const DEFAULT_HISTORY = [path.join(__dirname, 'leak-history.tsv'), path.join(__dirname, '..', '..', 'bench', 'leak-history.tsv')].find((f) => fs.existsSync(f)) ?? 'bench/leak-history.tsv';

export function readHistory(file = DEFAULT_HISTORY): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim() || l.startsWith('#')) continue;
    const [commit, f, line, fn, cls, why] = l.split('\t');
    if (!commit || !f || !Number(line)) throw new Error(`${file}: bad row: ${l}`);
    rows.push({ commit, file: f, line: Number(line), function: fn ?? '', class: cls ?? '', why: why ?? '' });
  }
  return rows;
}

/** Is a row found among a lint run's findings (paths as the run printed them)? */
export function found(row: HistoryRow, findings: { file: string; line: number; ruleId: string }[]): boolean {
  return findings.some((x) => x.ruleId === 'nowait-null-leak' && x.file.replace(/\\/g, '/').endsWith(row.file) && Math.abs(x.line - row.line) <= 2);
}

function exportParent(gitDir: string, commit: string, dir: string, folders: string[]) {
  const want = ['sys/sys', ...folders].filter((f) => !fs.existsSync(path.join(dir, f)));
  if (!want.length) return;
  const parent = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', `${commit}^`], { encoding: 'utf8' }).trim();
  fs.mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['--git-dir', gitDir, 'archive', parent, ...want], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
}

export function leakHistoryMain(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const gitDir = argv[argv.indexOf('--leak-history') + 1];
  if (!gitDir || gitDir.startsWith('-') || !fs.existsSync(gitDir)) {
    process.stderr.write('usage: npm run bench -- --leak-history GITDIR [--scratch DIR]\n');
    return 2;
  }
  const si = argv.indexOf('--scratch');
  const scratch = si >= 0 ? argv[si + 1] : path.join(os.tmpdir(), 'kmalloc-lint-leak-history');
  const rows = readHistory();
  const cli = path.join(__dirname, '..', 'src', 'cli.js');
  let hits = 0;
  for (const commit of [...new Set(rows.map((r) => r.commit))]) {
    const mine = rows.filter((r) => r.commit === commit);
    const dir = path.join(scratch, `p_${commit}`);
    const folders = [...new Set(mine.map((r) => path.posix.dirname(r.file)))];
    exportParent(gitDir, commit, dir, folders);
    const r = spawnSync(process.execPath, [cli, ...folders.map((f) => path.join(dir, f)), '-f', 'json', '--no-cache', '-q', '-j', '1', '-r', 'nowait-null-leak', '--fail-on', 'never'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    let findings: { file: string; line: number; ruleId: string }[] = [];
    try {
      findings = JSON.parse(r.stdout).findings;
    } catch {
      process.stderr.write(`leak-history: lint of ${dir} failed: ${r.stderr}\n`);
    }
    for (const row of mine) {
      const ok = found(row, findings);
      if (ok) hits++;
      out.write(`${ok ? 'FOUND ' : 'MISSED'}\t${row.commit}\t${row.file}:${row.line}\t${row.function}\t${row.class}\n`);
    }
  }
  out.write(`nowait-null-leak found ${hits}/${rows.length} known leaking failure paths\n`);
  return 0;
}
