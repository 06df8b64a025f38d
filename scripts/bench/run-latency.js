#!/usr/bin/env node
'use strict';
// Median wall time of `docker run --rm busybox true` (real docker CLI), against wharfd and
// real Docker (--network none on both: wharfd has no bridge yet).
const { docker, timeIt, median, main } = require('./lib');

const RUNS = Number(process.env.RUNS || 20);

async function latency(engine) {
  const args = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
  docker(engine.sock, args); // warm-up
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(timeIt(() => docker(engine.sock, args)));
  return [{ key: 'run-rm', label: `\`docker run --rm busybox true\`, median of ${RUNS}`, value: median(times), unit: 's' }];
}

module.exports = { latency };
if (require.main === module) main([latency]);
