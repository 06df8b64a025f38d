#!/usr/bin/env node
'use strict';
// `docker ps -a` and `docker ps` with TOTAL (default 500) containers: RUNNING (100) running
// `sleep 600` (those the fleet bench left, topped up), EXITED (100) that ran `true`, the rest
// only created (`busybox true`). Made through the API, 4 at a time; then the median of RUNS
// (10) runs of each real docker CLI command. Finally `docker rm -f` of all of them, timed.
const { api, docker, createMany, median, timeIt, sleep } = require('./lib');

const TOTAL = Number(process.env.TOTAL || 500);
const RUNNING = Number(process.env.RUNNING || 100);
const EXITED = Number(process.env.EXITED || 100);
const RUNS = Number(process.env.PS_RUNS || 10);

async function list(engine, all) {
  const r = await api(engine.sock, 'GET', `/containers/json${all ? '?all=1' : ''}`);
  if (r.status !== 200) throw new Error(`list: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

async function psMany(engine) {
  const have = await list(engine, true);
  const running = have.filter((c) => c.State === 'running').length;
  const hc = { HostConfig: { NetworkMode: 'none' } };
  await createMany(engine, Math.max(0, RUNNING - running), { Image: 'busybox', Cmd: ['sleep', '600'], ...hc }, { start: true });
  await createMany(engine, EXITED, { Image: 'busybox', Cmd: ['true'], ...hc }, { start: true });
  await createMany(engine, Math.max(0, TOTAL - RUNNING - EXITED - (have.length - running)), { Image: 'busybox', Cmd: ['true'], ...hc });
  const deadline = Date.now() + 60000;
  for (;;) {
    const now = await list(engine, true);
    const count = (s) => now.filter((c) => c.State === s).length;
    if (now.length === TOTAL && count('running') === RUNNING && count('exited') === EXITED) break;
    if (Date.now() > deadline) throw new Error(`${engine.name}: ${now.length} containers, ${count('running')} running, ${count('exited')} exited`);
    await sleep(200);
  }
  const time = (args) => {
    docker(engine.sock, args); // warm-up
    const ts = [];
    for (let i = 0; i < RUNS; i++) ts.push(timeIt(() => docker(engine.sock, args)));
    return median(ts) * 1000;
  };
  const psAll = time(['ps', '-a']);
  const ps = time(['ps']);
  const ids = docker(engine.sock, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length !== TOTAL) throw new Error(`${engine.name}: docker ps -aq listed ${ids.length} of ${TOTAL}`);
  const rm = timeIt(() => docker(engine.sock, ['rm', '-f', ...ids], { timeout: 300000 }));
  const mix = `${RUNNING} running, ${EXITED} exited, ${TOTAL - RUNNING - EXITED} created`;
  return [
    { key: 'ps-a', label: `\`docker ps -a\`, ${TOTAL} containers (${mix}), median of ${RUNS}`, value: psAll, unit: 'ms', digits: 0 },
    { key: 'ps', label: `\`docker ps\`, same ${TOTAL} (lists the ${RUNNING} running), median of ${RUNS}`, value: ps, unit: 'ms', digits: 0 },
    { key: 'rm-all', label: `\`docker rm -f\` of all ${TOTAL} in one command`, value: rm, unit: 's', digits: 1 },
  ];
}

module.exports = { psMany };
if (require.main === module) require('./lib').main([psMany]);
