#!/usr/bin/env node
'use strict';
// `npm run bench`: every benchmark against wharfd, then against real Docker (each engine
// started once on its own /tmp/wharfbench-* dir and removed afterwards); prints the markdown
// table of the README's Benchmarks section, with the machine it ran on; then load and pull with
// both engines up at once, their runs interleaved (run-layers.js), as a second table. Progress
// on stderr.
const { runBenches } = require('./lib');
const { latency } = require('./run-latency');
const { fleet } = require('./run-fleet');
const { psMany } = require('./run-ps');
const { publishedPort } = require('./run-port');
const { images } = require('./run-images');
const { build } = require('./run-build');
const { layers } = require('./run-layers');

(async () => {
  await runBenches([latency, publishedPort, fleet, psMany, images, build]);
  console.log('');
  await layers();
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
