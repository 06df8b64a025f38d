#!/usr/bin/env node
'use strict';
// Median wall time of `docker run --rm busybox true` (real docker CLI), against wharfd and
// real Docker: with --network none, and on each engine's default bridge.
const { docker, timeIt, median, main } = require('./lib');

const RUNS = Number(process.env.RUNS || 20);

function medianRun(engine, args) {
  docker(engine.sock, args); // warm-up
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(timeIt(() => docker(engine.sock, args)));
  return median(times);
}

async function latency(engine) {
  return [
    { key: 'run-rm', label: `\`docker run --rm --network none busybox true\`, median of ${RUNS}`, value: medianRun(engine, ['run', '--rm', '--network', 'none', 'busybox', 'true']), unit: 's' },
    { key: 'run-rm-bridge', label: `\`docker run --rm busybox true\` on the default bridge, median of ${RUNS}`, value: medianRun(engine, ['run', '--rm', 'busybox', 'true']), unit: 's' },
  ];
}

module.exports = { latency };
if (require.main === module) main([latency]);
