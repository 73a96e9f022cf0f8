import { defineConfig } from 'vitest/config';
import * as os from 'node:os';
import * as path from 'node:path';

// The CLI caches results by default; tests keep their cache out of the user's home.
const cacheDir = path.join(os.tmpdir(), `kmalloc-lint-test-cache-${process.pid}`);
// test/global-setup.ts removes it when the run ends
process.env.KMALLOC_LINT_TEST_CACHE_DIR = cacheDir;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { KMALLOC_LINT_CACHE_DIR: cacheDir },
  },
});
