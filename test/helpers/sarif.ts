import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ValidatorResult {
  level: string;
  ruleId: string;
  text: string;
}

/** The native sarif-multitool binary (its node wrapper runs a shell, which splits "Gh;Sarif" at the ';'). */
export function multitool(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('@microsoft/sarif-multitool') as string;
}

/** Validate a SARIF file with the GitHub and SARIF rule sets; return what the validator reported. */
export function validateSarif(file: string, workDir: string): ValidatorResult[] {
  const out = path.join(workDir, `${path.basename(file)}.validation.sarif`);
  execFileSync(multitool(), ['validate', '--rule-kind', 'Gh;Sarif', file, '-o', out, '--log', 'ForceOverwrite'], { stdio: 'pipe', timeout: 60_000 });
  const log = JSON.parse(fs.readFileSync(out, 'utf8').replace(/^\uFEFF/, ''));
  const run = log.runs[0];
  const rules: { id: string; messageStrings?: Record<string, { text: string }> }[] = run.tool?.driver?.rules ?? [];
  return (run.results ?? []).map((r: { level?: string; ruleId: string; message: { id?: string; text?: string; arguments?: string[] } }) => {
    const rule = rules.find((x) => x.id === r.ruleId);
    let text = r.message.text ?? rule?.messageStrings?.[r.message.id ?? '']?.text ?? r.message.id ?? '';
    (r.message.arguments ?? []).forEach((a, i) => (text = text.split(`{${i}}`).join(a)));
    return { level: r.level ?? 'warning', ruleId: r.ruleId, text };
  });
}
