#!/usr/bin/env node
// Runs the compiled tests with node's test runner: unit tests next to the code (dist/src),
// integration tests from test/ (dist/test). "unit" runs only the former.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'helpers' ? [] : find(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}
const only = process.argv[2];
let files = find(path.join(root, 'dist', 'src'));
if (only !== 'unit') files = files.concat(find(path.join(root, 'dist', 'test')));
if (only && only !== 'unit') files = files.filter((f) => f.includes(only));
if (!files.length) {
  // node --test with no file would discover and run the whole tree instead.
  console.error(`no test file matches ${only ?? '(all)'}: run \`npm run build\` first, or name part of a file under dist/src or dist/test`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
