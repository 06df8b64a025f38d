#!/usr/bin/env node
'use strict';
// FLEET (default 100) detached containers started one after another with the real docker CLI
// (`docker run -d busybox sleep 600`), and the memory the engine's own processes gain per
// running container: for wharfd the daemon plus one conmon each; for Docker dockerd,
// containerd and one containerd-shim-runc-v2 each. The daemons in RSS: their shared pages
// are their own (PSS would credit wharfd for the node binary it shares with every other node
// process on the machine, this bench included). The monitors in PSS (smaps_rollup), so pages
// the 100 copies share (binary, libraries) are counted once, not 100 times.
// wharfd's figures, before and after, also hold the conmon and the runc that wait for its next
// create (src/engine/containers/next-container.ts): one each, chosen after the warm-up's create;
// the count of monitors is then one more than the containers.
// The containers are left running for the next bench; the engine's stop() removes them.
const { docker, sleep, engineMemory, timeIt, median } = require('./lib');

const FLEET = Number(process.env.FLEET || 100);
const MONITORS = ['conmon', 'containerd-shim']; // comm is cut at 15 characters

const MiB = (kb) => kb / 1024;

/** Median over `n` samples a second apart (node's heap makes a single reading of wharfd noisy). */
async function sampleMemory(engine, n = 5) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    if (i) await sleep(1000);
    const m = engineMemory(engine);
    const total = (monitor, field) => Object.entries(m).filter(([k]) => MONITORS.includes(k) === monitor).reduce((a, [, v]) => a + v[field], 0);
    samples.push({ daemons: total(false, 'rss'), monitors: total(true, 'pss'), monitorsRss: total(true, 'rss'), monitorCount: total(true, 'count'), raw: m });
  }
  const med = (f) => median(samples.map((s) => s[f]));
  return { daemons: med('daemons'), monitors: med('monitors'), monitorsRss: med('monitorsRss'), monitorCount: med('monitorCount'), raw: samples.at(-1).raw };
}

async function fleet(engine) {
  const run = ['run', '-d', '--network', 'none', 'busybox', 'sleep', '600'];
  docker(engine.sock, ['rm', '-f', docker(engine.sock, run).stdout.trim()]); // warm-up
  await sleep(2000);
  const before = await sampleMemory(engine);
  const ids = [];
  const total = timeIt(() => {
    for (let i = 0; i < FLEET; i++) ids.push(docker(engine.sock, run).stdout.trim());
  });
  await sleep(2000); // let the daemons settle before reading memory
  const after = await sampleMemory(engine);
  const running = docker(engine.sock, ['ps', '-q']).stdout.split('\n').filter(Boolean).length;
  if (running !== FLEET) throw new Error(`${engine.name}: ${running} of ${FLEET} containers running`);
  const waiting = engine.name === 'wharfd' ? 1 : 0; // the conmon of wharfd's next create
  if (after.monitorCount !== FLEET + waiting) console.error(`bench: ${engine.name}: ${after.monitorCount} monitor processes for ${FLEET} containers`);
  console.error(`bench: ${engine.name}: memory (kB) before ${JSON.stringify(before.raw)}`);
  console.error(`bench: ${engine.name}: memory (kB) with ${FLEET} running ${JSON.stringify(after.raw)}`);
  const per = (f) => MiB(after[f] - before[f]) / FLEET;
  return [
    { key: 'fleet-start', label: `${FLEET} × \`docker run -d busybox sleep 600\`, one after another, total`, value: total, unit: 's', digits: 1 },
    { key: 'idle-mem', label: 'engine memory, no container (wharfd; dockerd + containerd), RSS', value: MiB(before.daemons), unit: 'MiB', digits: 1 },
    { key: 'mem-per', label: `memory per running container, ${FLEET} running (daemons' RSS growth + monitor PSS)`, value: per('daemons') + per('monitors'), unit: 'MiB', digits: 2 },
    { key: 'mem-daemon', label: "… of which the daemons' growth, RSS", value: per('daemons'), unit: 'MiB', digits: 2 },
    { key: 'mem-monitor', label: '… of which the monitor (conmon; containerd-shim-runc-v2), PSS', value: per('monitors'), unit: 'MiB', digits: 2 },
    { key: 'mem-monitor-rss', label: "… the monitor's RSS (shared pages counted in each process)", value: per('monitorsRss'), unit: 'MiB', digits: 2 },
  ];
}

module.exports = { fleet };
if (require.main === module) require('./lib').main([fleet]);
