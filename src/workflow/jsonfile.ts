import * as fs from 'node:fs';

/**
 * Read and parse a user's JSON file (baseline, config). Failures become the
 * caller's error class with a message that names the file and the problem.
 */
export function readJsonFile(file: string, shown: string, what: string, missingHint: string, fail: (msg: string) => Error): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fail(`${shown}: cannot read ${what}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? missingHint : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(`${shown}: not valid JSON: ${(e as Error).message}`);
  }
}
