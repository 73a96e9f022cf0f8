#!/usr/bin/env node
'use strict';
/*
 * postinstall: compile TypeScript to dist/ in a source checkout only.
 *
 * Why not "prepare": npm runs "prepare" during `npm pack` and prints a banner
 * on stdout, and pre-commit's node support takes `npm pack`'s whole stdout as
 * the tarball name, so a hook repository with a "prepare" script cannot be
 * installed. "postinstall" runs on `npm install`/`npm ci` in the checkout
 * (pre-commit's first step) and not on `npm pack`.
 *
 * In an installed copy of the package (no tsconfig.json, dist/ shipped) this
 * does nothing.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
if (!fs.existsSync(path.join(root, 'tsconfig.json'))) process.exit(0);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  if (fs.existsSync(path.join(root, 'dist', 'src', 'cli.js'))) process.exit(0);
  process.stderr.write('kmalloc-lint: cannot build dist/: typescript is not installed (install the dev dependencies)\n');
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: ['ignore', 2, 2] });
process.exit(r.status ?? 1);
