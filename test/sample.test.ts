import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSample, DEFAULT_MANIFEST, readManifest, sampleMain } from '../bench/sample';

const entry = (p: string, text: string) => ({ path: p, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });

function sink(): { out: NodeJS.WritableStream; text: () => string } {
  let s = '';
  return { out: { write: (c: string) => ((s += c), true) } as unknown as NodeJS.WritableStream, text: () => s };
}

describe('FreeBSD sample manifest (npm run bench -- --freebsd-sample)', () => {
  it('lists missing, wrong-size and wrong-hash files, and rebuilds the sample from a checkout', () => {
    const t = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-sample-'));
    try {
      const co = path.join(t, 'co');
      const dir = path.join(t, 'dir');
      fs.mkdirSync(path.join(co, 'sys', 'dev'), { recursive: true });
      fs.writeFileSync(path.join(co, 'sys', 'dev', 'a.c'), 'int a;\n');
      fs.writeFileSync(path.join(co, 'sys', 'dev', 'a.h'), 'int b;\n');
      const manifest = { repo: 'r/r', commit: 'c', files: [entry('sys/dev/a.c', 'int a;\n'), entry('sys/dev/a.h', 'int b;\n'), entry('sys/dev/b.c', 'int c;\n')] };
      const mf = path.join(t, 'm.json');
      fs.writeFileSync(mf, JSON.stringify(manifest));

      // nothing there yet: all three missing
      expect(checkSample(readManifest(mf), dir).map((p) => p.problem)).toEqual(['missing', 'missing', 'missing']);

      // rebuilt from the checkout: b.c is not in it and stays missing
      let s = sink();
      expect(sampleMain(['--freebsd-sample', dir, '--from', co, '--manifest', mf], s.out)).toBe(1);
      expect(s.text()).toMatch(/not in the checkout: sys\/dev\/b\.c/);
      expect(s.text()).toMatch(/3 files, 2 match, 1 do not/);

      // same size, other bytes; other size
      fs.writeFileSync(path.join(dir, 'sys', 'dev', 'a.h'), 'int x;\n');
      fs.writeFileSync(path.join(dir, 'sys', 'dev', 'b.c'), 'int cc;\n');
      expect(checkSample(readManifest(mf), dir).map((p) => `${p.path} ${p.problem}`)).toEqual(['sys/dev/a.h sha256', 'sys/dev/b.c size']);

      fs.writeFileSync(path.join(co, 'sys', 'dev', 'b.c'), 'int c;\n');
      s = sink();
      expect(sampleMain(['--freebsd-sample', dir, '--from', co, '--manifest', mf], s.out)).toBe(0);
      expect(s.text()).toMatch(/3 files, 3 match, 0 do not/);
    } finally {
      fs.rmSync(t, { recursive: true, force: true });
    }
  });

  it('rejects a bad manifest and paths that leave the sample', () => {
    const t = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-sample-'));
    try {
      const mf = path.join(t, 'm.json');
      fs.writeFileSync(mf, JSON.stringify({ repo: 'r', commit: 'c', files: [entry('../x.c', '')] }));
      expect(() => readManifest(mf)).toThrow(/inside the sample/);
      fs.writeFileSync(mf, '{');
      const s = sink();
      expect(sampleMain(['--freebsd-sample', t, '--manifest', mf], s.out)).toBe(2);
      expect(s.text()).toMatch(/m\.json/);
    } finally {
      fs.rmSync(t, { recursive: true, force: true });
    }
  });

  it('the committed manifest is well formed: sys/ paths, sizes and hashes', () => {
    const m = readManifest(DEFAULT_MANIFEST);
    expect(m.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(m.files.filter((f) => f.path.endsWith('.c')).length).toBeGreaterThanOrEqual(35);
    for (const f of m.files) {
      expect(f.path).toMatch(/^sys\//);
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(f.size).toBeGreaterThan(0);
    }
  });
});
