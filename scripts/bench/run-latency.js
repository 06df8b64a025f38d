#!/usr/bin/env node
'use strict';
// Median wall time of `docker run --rm busybox true` (real docker CLI), against wharfd and
// real Docker: with --network none, and on each engine's default bridge; and of a detached
// `docker run -d --network none busybox true` (each removed afterwards, untimed). Between
// runs, a bare `runc run` of the same rootfs (floor.js): the runtime's floor, which the
// table sets beside these rows.
const { docker, timeIt, median, main } = require('./lib');
const { floorOnce } = require('./floor');

const RUNS = Number(process.env.RUNS || 20);

function medianRun(engine, args, after) {
  const once = () => docker(engine.sock, args).stdout.trim();
  const warm = once(); // warm-up
  if (after) after(warm);
  floorOnce(); // the floor's warm-up too
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    floorOnce();
    let out;
    times.push(timeIt(() => (out = once())));
    if (after) after(out);
  }
  return median(times);
}

async function latency(engine) {
  const rm = (id) => docker(engine.sock, ['rm', '-f', id]);
  return [
    { key: 'run-rm', floor: true, label: `\`docker run --rm --network none busybox true\`, median of ${RUNS}`, value: medianRun(engine, ['run', '--rm', '--network', 'none', 'busybox', 'true']), unit: 's' },
    { key: 'run-d', floor: true, label: `\`docker run -d --network none busybox true\` returns, median of ${RUNS}`, value: medianRun(engine, ['run', '-d', '--network', 'none', 'busybox', 'true'], rm), unit: 's' },
    { key: 'run-rm-bridge', floor: true, label: `\`docker run --rm busybox true\` on the default bridge, median of ${RUNS}`, value: medianRun(engine, ['run', '--rm', 'busybox', 'true']), unit: 's' },
  ];
}

module.exports = { latency };
if (require.main === module) main([latency]);
