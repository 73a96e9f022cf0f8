/**
 * npm run bench -- --freebsd-sample DIR [--from CHECKOUT] [--manifest FILE]
 *
 * The FreeBSD sample lives outside the repo (kernel code is never committed); the
 * manifest (bench/freebsd-sample.json by default) names where it came from (repo,
 * commit) and lists each file's path (`sys/...`, as in that repository), size in
 * bytes and sha256. This checks DIR against the manifest and lists the files that
 * are missing, of the wrong size or of the wrong hash. With `--from CHECKOUT`
 * (a checkout of the manifest's repository at its commit) it first copies the
 * listed files from CHECKOUT into DIR, then checks them.
 *
 * Exit status: 0 when every file matches, 1 when some do not, 2 on a usage error
 * or an unreadable manifest.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SampleFile {
  path: string;
  size: number;
  sha256: string;
  note?: string;
}

export interface SampleManifest {
  repo: string;
  commit: string;
  files: SampleFile[];
}

export interface SampleProblem {
  path: string;
  problem: 'missing' | 'size' | 'sha256';
  detail: string;
}

// bench/ from the sources (tests), dist/bench/ when built
const ROOT = fs.existsSync(path.join(__dirname, '..', 'package.json')) ? path.join(__dirname, '..') : path.join(__dirname, '..', '..');
export const DEFAULT_MANIFEST = path.join(ROOT, 'bench', 'freebsd-sample.json');

/** Parse and shape-check a manifest; throws with a message naming the file. */
export function readManifest(file: string): SampleManifest {
  let m: unknown;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const o = m as Partial<SampleManifest>;
  if (!o || typeof o.repo !== 'string' || typeof o.commit !== 'string' || !Array.isArray(o.files)) {
    throw new Error(`${file}: not a sample manifest (needs repo, commit and files)`);
  }
  o.files.forEach((f, i) => {
    const ok = f && typeof f.path === 'string' && typeof f.size === 'number' && typeof f.sha256 === 'string';
    if (!ok) throw new Error(`${file}: files[${i}] needs path, size and sha256`);
    // a manifest names files inside the sample, never outside it
    if (path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes('..')) throw new Error(`${file}: files[${i}] path must stay inside the sample: ${f.path}`);
  });
  return o as SampleManifest;
}

/** Every listed file that is missing under dir, or differs in size or sha256. */
export function checkSample(manifest: SampleManifest, dir: string): SampleProblem[] {
  const problems: SampleProblem[] = [];
  for (const f of manifest.files) {
    const full = path.join(dir, f.path);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(full);
    } catch {
      problems.push({ path: f.path, problem: 'missing', detail: 'not found' });
      continue;
    }
    if (bytes.length !== f.size) {
      problems.push({ path: f.path, problem: 'size', detail: `${bytes.length} bytes, expected ${f.size}` });
      continue;
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== f.sha256) problems.push({ path: f.path, problem: 'sha256', detail: `sha256 ${sha}, expected ${f.sha256}` });
  }
  return problems;
}

/** Copy the listed files from a checkout into dir (folders made as needed); returns the paths not found in the checkout. */
export function copySample(manifest: SampleManifest, from: string, dir: string): string[] {
  const absent: string[] = [];
  for (const f of manifest.files) {
    const src = path.join(from, f.path);
    if (!fs.existsSync(src)) {
      absent.push(f.path);
      continue;
    }
    const dst = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(src, dst);
  }
  return absent;
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function sampleMain(argv: string[], out: NodeJS.WritableStream = process.stdout): number {
  const dir = option(argv, '--freebsd-sample');
  const from = option(argv, '--from');
  const manifestFile = option(argv, '--manifest') ?? DEFAULT_MANIFEST;
  if (!dir || dir.startsWith('-') || (argv.includes('--from') && (!from || from.startsWith('-')))) {
    out.write('usage: npm run bench -- --freebsd-sample DIR [--from CHECKOUT] [--manifest FILE]\n');
    return 2;
  }
  let manifest: SampleManifest;
  try {
    manifest = readManifest(manifestFile);
  } catch (e) {
    out.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  if (from) {
    const absent = copySample(manifest, from, dir);
    out.write(`copied ${manifest.files.length - absent.length} files from ${from}\n`);
    for (const a of absent) out.write(`  not in the checkout: ${a}\n`);
  }
  const problems = checkSample(manifest, dir);
  out.write(`${manifest.repo} at ${manifest.commit}: ${manifest.files.length} files, ${manifest.files.length - problems.length} match, ${problems.length} do not\n`);
  for (const p of problems) out.write(`  ${p.problem.padEnd(7)} ${p.path}: ${p.detail}\n`);
  return problems.length ? 1 : 0;
}
