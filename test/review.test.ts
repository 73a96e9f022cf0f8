import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runJobsCached } from '../src/cache/jobs';
import { resultSalt } from '../src/cache/store';
import { FREEBSD } from '../src/model/dialects';
import { getParser } from '../src/analysis/file';
import { mirror } from '../src/analysis/jsast';
import { splitKnf } from '../src/text/knf';
import { blankNoise } from '../src/context/textscan';
import { preprocess } from '../src/text/preprocess';

const temps: string[] = [];
function tmp(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `kmalloc-lint-review-${name}-`));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

const ALLOC = `#include <sys/param.h>
#include <sys/malloc.h>

static int
foo_setup(struct foo_softc *sc)
{
	sc->buf = malloc(64, M_DEVBUF, M_NOWAIT);
	if (sc->buf == NULL)
		return (ENOMEM);
	return (0);
}
`;

describe('result cache', () => {
  it('does not serve a .c file\'s result (with context facts) to a .h file with the same bytes, nor the reverse', async () => {
    const dir = tmp('ch');
    const cacheDir = tmp('ch-cache');
    fs.writeFileSync(path.join(dir, 'foo.c'), ALLOC);
    fs.writeFileSync(path.join(dir, 'foo.h'), ALLOC);
    const dialect = FREEBSD;
    const opts = { maxFileSize: 1 << 20, context: true };
    const cache = { dir: cacheDir, salt: resultSalt(dialect, 'test'), roots: [dir] };
    const job = (f: string) => ({ file: path.join(dir, f), shown: f });
    const plain = (await runJobsCached([job('foo.c'), job('foo.h')], dialect, opts, 1, { ...cache, dir: tmp('ch-other') })).results;
    expect(plain[0].context).toBeDefined();
    expect(plain[1].context).toBeUndefined();
    // the .c file's entry first, then the .h file alone; then the other way round
    await runJobsCached([job('foo.c')], dialect, opts, 1, cache);
    const h = (await runJobsCached([job('foo.h')], dialect, opts, 1, cache)).results[0];
    expect(h.context).toBeUndefined();
    expect(h.contextHash).toBeUndefined();
    const cacheDir2 = tmp('ch-cache2');
    await runJobsCached([job('foo.h')], dialect, opts, 1, { ...cache, dir: cacheDir2 });
    const c = (await runJobsCached([job('foo.c')], dialect, opts, 1, { ...cache, dir: cacheDir2 })).results[0];
    expect(c.context).toBeDefined();
  });
});

describe('JavaScript mirror of tree-sitter trees', () => {
  it('marks a directive line whose newline token is missing (hidden from the cursor) as having errors, as tree-sitter does', () => {
    const texts = [
      '#include <sys/bus.h> \nint x;\n',
      '#include "foo.h"\t\nint x;\n',
      'int x;\n#include <sys/bus.h>',
      'int x;\n#define FOO 1',
      '#include <sys/bus.h>\nint x;\n',
      '#define FOO(a) ((a) + 1)\nint x;\n',
    ];
    for (const text of texts) {
      const tree = getParser().parse(text);
      const m = mirror(tree, text).rootNode;
      const flags = (n: { hasError: boolean; children: unknown[] }): boolean[] => [n.hasError, ...(n.children as typeof n[]).flatMap(flags)];
      expect([text, flags(m)]).toEqual([text, flags(tree.rootNode as never)]);
    }
  });
});

describe('KNF function bounds by text', () => {
  // the first branch of `#if 0` closes a block the #else branch leaves open: on raw text (summaries,
  // context facts) the braces balance early, inside the function
  const SRC = `static int
foo_read(struct foo_softc *sc, int flag)
{
	int error;

#if 0
	if (sc->sc_open) {
		error = foo_copy(sc);
	} else {
		if (flag & IO_NDELAY)
			return (EWOULDBLOCK);
		error = tsleep(sc, PCATCH, "fooread", 0);
		}
	}
#else
	error = foo_copy(sc);
#endif
	foo_wakeup(sc);
	return (error);
}

static void
foo_wakeup(struct foo_softc *sc)
{
	wakeup(sc);
}
`;
  it('does not end a function at a brace balanced only by counting both branches of an #if', () => {
    const fns = splitKnf(blankNoise(SRC));
    expect(fns.map((f) => SRC.slice(0, f.end).split('\n').length - 1)).toEqual([20, 26]);
    // the preprocessed text (the lint pass) keeps one branch: the same bounds
    const pre = splitKnf(blankNoise(preprocess(SRC)));
    expect(pre.map((f) => f.end)).toEqual(fns.map((f) => f.end));
  });
});
