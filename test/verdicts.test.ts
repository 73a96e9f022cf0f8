import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVerdicts, score } from '../bench/verdicts';

const f = (rel: string, line: number, ruleId: string, severity = 'error') => ({ rel, file: rel, line, ruleId, severity, function: 'fn', message: 'm' });

describe('verdicts (npm run bench -- --verdicts)', () => {
  it('scores precision per rule over the judged findings and lists unjudged and gone ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-verdicts-'));
    try {
      const lines = [
        { tree: 't', path: 'sys/a.c', line: 10, rule: 'nowait-null-deref', verdict: 'TRUE', reason: 'used before any test' },
        { tree: 't', path: 'sys/a.c', line: 20, rule: 'nowait-null-deref', verdict: 'FALSE', reason: 'guarded by a flag' },
        { tree: 't', path: 'sys/b.c', line: 5, rule: 'nowait-null-panic', verdict: 'TRUE', reason: 'panics on failure' },
        { tree: 't', path: 'sys/gone.c', line: 1, rule: 'nowait-null-leak', verdict: 'TRUE', reason: 'leaks a child' },
      ];
      fs.writeFileSync(path.join(dir, 't.jsonl'), lines.slice(0, 3).map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n{"path":"x"}\n');
      fs.writeFileSync(path.join(dir, 't.leak.jsonl'), JSON.stringify(lines[3]) + '\n');
      fs.writeFileSync(path.join(dir, 'other.jsonl'), JSON.stringify({ ...lines[0], line: 99 }) + '\n');
      const { verdicts, problems } = readVerdicts('t', dir);
      expect(verdicts.size).toBe(4);
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^t\.jsonl:4:/);
      const s = score([f('sys/a.c', 10, 'nowait-null-deref'), f('sys/a.c', 20, 'nowait-null-deref'), f('sys/a.c', 30, 'nowait-null-deref'), f('sys/b.c', 5, 'nowait-null-panic')], verdicts);
      const deref = s.rows.find((r) => r.rule === 'nowait-null-deref')!;
      expect(deref).toMatchObject({ findings: 3, judged: 2, truePos: 1, falsePos: 1 });
      expect(s.unjudged.map((u) => u.key)).toEqual(['sys/a.c:30:nowait-null-deref']);
      expect(s.gone.map((g) => g.path)).toEqual(['sys/gone.c']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws a stable sample per rule when asked', () => {
    const many = Array.from({ length: 50 }, (_, i) => f('sys/n.c', i + 1, 'nowait-in-sleepable', 'note'));
    const a = score(many, new Map(), 30);
    const b = score([...many].reverse(), new Map(), 30);
    expect(a.unjudged).toHaveLength(30);
    expect(a.unjudged.map((u) => u.key).sort()).toEqual(b.unjudged.map((u) => u.key).sort());
  });
});
