import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lint } from '../src/engine';
import { ConfigError, mergeModel, validateConfig } from '../src/workflow/config';
import { RULES } from '../rules';

const ids = RULES.map((r) => r.meta.id);

/* A driver-private handle pair declared in the config: wid_get() returns it, wid_put(sc, w) releases it. */
const SRC = `#include <sys/param.h>
#include <sys/malloc.h>

static int
wid_leak(struct wid_softc *sc)
{
	struct wid *w;
	char *buf;

	w = wid_get(sc);
	if (w == NULL)
		return (EBUSY);
	buf = malloc(64, M_DEVBUF, M_NOWAIT);
	if (buf == NULL)
		return (ENOMEM);
	wid_use(w, buf);
	return (0);
}

static int
wid_good(struct wid_softc *sc)
{
	struct wid *w;
	char *buf;

	w = wid_get(sc);
	if (w == NULL)
		return (EBUSY);
	buf = malloc(64, M_DEVBUF, M_NOWAIT);
	if (buf == NULL) {
		wid_put(sc, w);
		return (ENOMEM);
	}
	wid_use(w, buf);
	return (0);
}
`;

function tree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kml-leak-'));
  fs.writeFileSync(path.join(dir, 'wid.c'), SRC);
  return dir;
}

describe('resource pairs from the config', () => {
  it('a result handle released through another argument: reported where it leaks, named with where it was acquired', async () => {
    const cfg = validateConfig({ resourcePairs: [{ acquire: 'wid_get', release: 'wid_put', kind: 'resource', handle: 'result', releaseArg: 1, description: 'widget' }] }, 'cfg', ids);
    const res = await lint({ paths: [tree()], dialect: 'freebsd', jobs: 1, rules: ['nowait-null-leak'], adjustModel: (m) => mergeModel(m, cfg, 'cfg') });
    expect(res.findings.map((f) => `${f.line}:${f.ruleId}`)).toEqual(['13:nowait-null-leak']);
    const f = res.findings[0];
    expect(f.message).toMatch(/still holding widget 'w' \(wid_get\(\) at line 10\)/);
    expect(f.related.map((r) => [r.line, r.message])).toContainEqual([10, 'widget \'w\' acquired here by wid_get()']);
  });

  it('without the pair nothing is tracked', async () => {
    const res = await lint({ paths: [tree()], dialect: 'freebsd', jobs: 1, rules: ['nowait-null-leak'] });
    expect(res.findings).toEqual([]);
  });

  it('rejects an unknown handle kind, naming the key', () => {
    expect(() => validateConfig({ resourcePairs: [{ acquire: 'a', release: 'b', kind: 'resource', handle: 'pointer' }] }, 'cfg', ids)).toThrow(ConfigError);
    expect(() => validateConfig({ resourcePairs: [{ acquire: 'a', release: 'b', kind: 'resource', handle: 'pointer' }] }, 'cfg', ids)).toThrow(/resourcePairs\[0\]\.handle: must be one of argument, result, out/);
  });
});
