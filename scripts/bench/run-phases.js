#!/usr/bin/env node
'use strict';
// Where a start's time goes, from wharfd's own -D traces (the README's phase table): a wharfd
// with -D, RUNS (default 15) `docker run --rm --network none busybox true` and as many
// `docker run -d --network none busybox true` (each removed after), alternating, with a bare
// `runc run` of the same rootfs before each (floor.js). Prints the median of every phase of the
// create, start and exit traces (milliseconds), the medians of the timed runs and their ratio to
// the floor's. wharfd only: dockerd has no such trace.
const fs = require('node:fs');
const path = require('node:path');
const { docker, timeIt, median, startWharfd } = require('./lib');
const { floorOnce, floorSamples, cleanupFloor } = require('./floor');

const RUNS = Number(process.env.RUNS || 15);

/** The -D trace lines of this kind, as logged (pino JSON lines). */
function traces(log, msg) {
  return log
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l));
}

function phaseMedians(lines) {
  const phases = [];
  for (const l of lines) for (const k of Object.keys(l.ms)) if (!phases.includes(k)) phases.push(k);
  const rows = phases.map((k) => [k, median(lines.map((l) => l.ms[k] ?? 0))]);
  rows.push(['total', median(lines.map((l) => l.totalMs))]);
  return rows;
}

async function phases() {
  const engine = await startWharfd(['-D']);
  const timed = { rm: [], d: [] };
  try {
    const rm = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
    const d = ['run', '-d', '--network', 'none', 'busybox', 'true'];
    // Warm-ups, not counted (the log is read from here on).
    docker(engine.sock, rm);
    docker(engine.sock, ['rm', '-f', docker(engine.sock, d).stdout.trim()]);
    floorOnce();
    const logFile = path.join(engine.dir, 'daemon.log');
    const from = fs.statSync(logFile).size;
    for (let i = 0; i < RUNS; i++) {
      floorOnce();
      timed.rm.push(timeIt(() => docker(engine.sock, rm)));
      floorOnce();
      let id;
      timed.d.push(timeIt(() => (id = docker(engine.sock, d).stdout.trim())));
      docker(engine.sock, ['rm', '-f', id]);
    }
    const log = fs.readFileSync(logFile, 'utf8').slice(from);
    const starts = traces(log, 'start trace');
    const conmon = {};
    for (const s of starts) conmon[s.conmon] = (conmon[s.conmon] ?? 0) + 1;
    const ms = (x) => x.toFixed(2);
    for (const [title, lines] of [['create', traces(log, 'create trace')], ['start', starts], ['exit (--rm)', traces(log, 'exit trace').filter((l) => l.autoRemove)]]) {
      console.log(`| ${title} phase (${lines.length} traces) | median, ms |`);
      console.log('| --- | ---: |');
      for (const [k, v] of phaseMedians(lines)) console.log(`| ${k} | ${ms(v)} |`);
      console.log('');
    }
    const floor = median(floorSamples());
    console.log(`Starts by their conmon: ${JSON.stringify(conmon)}.`);
    console.log(`Timed (median of ${RUNS} each): run --rm ${ms(median(timed.rm) * 1000)} ms (${(median(timed.rm) / floor).toFixed(2)} × the floor), run -d ${ms(median(timed.d) * 1000)} ms (${(median(timed.d) / floor).toFixed(2)} ×), bare runc run ${ms(floor * 1000)} ms (median of ${floorSamples().length}).`);
  } finally {
    await engine.stop();
    cleanupFloor();
  }
}

phases().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
