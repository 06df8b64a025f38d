#!/usr/bin/env node
'use strict';
// docker load and docker pull of one image with a layer of SIZE_MB (200) MiB of random data,
// wharfd and real Docker side by side, their runs interleaved (wharfd, Docker, wharfd, ...)
// so that a busy machine slows both alike; ROUNDS (5) rounds, medians. Also the data root's
// growth per byte of layer written. The archive is made here (one layer, one file), so the
// same bytes are loaded by both engines; each engine pushes to a registry of its own first.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { docker, median, timeIt, startWharfd, startDockerd } = require('./lib');
const { TestRegistry } = require('../../dist/test/helpers/registry.js');

const SIZE_MB = Number(process.env.SIZE_MB || 200);
const ROUNDS = Number(process.env.ROUNDS || 5);

function makeArchive(dir) {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src);
  spawnSync('sh', ['-c', `head -c ${SIZE_MB}m /dev/urandom > ${src}/big`]);
  const x = path.join(dir, 'archive');
  fs.mkdirSync(x);
  spawnSync('tar', ['-cf', path.join(x, 'layer.tar'), '-C', src, 'big']);
  fs.rmSync(src, { recursive: true });
  const layer = path.join(x, 'layer.tar');
  const diffId = `sha256:${spawnSync('sha256sum', [layer], { encoding: 'utf8' }).stdout.split(' ')[0]}`;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/big'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'bench' }], created: '2024-01-01T00:00:00Z' });
  fs.writeFileSync(path.join(x, 'config.json'), config);
  fs.writeFileSync(path.join(x, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bench/big:v1'], Layers: ['layer.tar'] }]));
  const archive = path.join(dir, 'big.tar');
  spawnSync('tar', ['-cf', archive, '-C', x, 'layer.tar', 'config.json', 'manifest.json']);
  const size = fs.statSync(layer).size;
  fs.rmSync(x, { recursive: true });
  return { archive, size };
}

function du(dir) {
  spawnSync('sync');
  return Number(spawnSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
}

/** Both engines up at once, load then pull interleaved; prints its own table (also the last part of `npm run bench`). */
async function layers() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wharfbench-layers-'));
  const engines = [];
  const registries = [];
  try {
    const { archive, size } = makeArchive(work);
    const only = process.env.ENGINES?.split(',');
    for (const start of [startWharfd, startDockerd]) {
      if (only && !only.includes(start === startWharfd ? 'wharfd' : 'dockerd')) continue;
      const e = await start();
      if (!e) continue;
      engines.push(e);
      const registry = await TestRegistry.start({ parent: e.dir });
      registries.push(registry);
      e.ref = `${registry.host}/bench/big:v1`;
      e.data = path.join(e.dir, 'data');
      e.t = { load: [], pull: [], loadDisk: [], pullDisk: [] };
      docker(e.sock, ['load', '-i', archive], { timeout: 300000 });
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const e of engines) {
        docker(e.sock, ['rmi', 'bench/big:v1']);
        const before = du(e.data);
        e.t.load.push(timeIt(() => docker(e.sock, ['load', '-i', archive], { timeout: 300000 })));
        e.t.loadDisk.push((du(e.data) - before) / size);
        console.error(`layers: ${e.name}: load ${e.t.load.at(-1).toFixed(3)} s, disk ${e.t.loadDisk.at(-1).toFixed(2)}×`);
      }
    }
    for (const e of engines) {
      docker(e.sock, ['tag', 'bench/big:v1', e.ref]);
      docker(e.sock, ['push', e.ref], { timeout: 600000 });
      docker(e.sock, ['rmi', 'bench/big:v1']);
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const e of engines) {
        docker(e.sock, ['rmi', e.ref]);
        const before = du(e.data);
        e.t.pull.push(timeIt(() => docker(e.sock, ['pull', e.ref], { timeout: 600000 })));
        e.t.pullDisk.push((du(e.data) - before) / size);
        console.error(`layers: ${e.name}: pull ${e.t.pull.at(-1).toFixed(3)} s, disk ${e.t.pullDisk.at(-1).toFixed(2)}×`);
      }
    }
    const [w, d] = [engines.find((e) => e.name === 'wharfd'), engines.find((e) => e.name === 'dockerd')];
    const row = (label, k, unit, digits) => {
      const a = w && median(w.t[k]);
      const b = d && median(d.t[k]);
      console.log(`| ${label} | ${a === undefined ? '-' : `${a.toFixed(digits)} ${unit}`} | ${b === undefined ? '-' : `${b.toFixed(digits)} ${unit}`} | ${a !== undefined && b ? (a / b).toFixed(2) : '-'} |`);
    };
    console.log('| benchmark | wharfd | real Docker | wharfd / Docker |');
    console.log('| --- | ---: | ---: | ---: |');
    row(`\`docker load -i\` of a ${SIZE_MB} MiB one-layer image, median of ${ROUNDS} (runs interleaved)`, 'load', 's', 3);
    row('… data root growth / the layer\'s size', 'loadDisk', '×', 2);
    row(`\`docker pull\` of it from a local registry, median of ${ROUNDS} (runs interleaved)`, 'pull', 's', 3);
    row('… data root growth / the layer\'s size', 'pullDisk', '×', 2);
    console.log(`\n(Same machine; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}.)`);
  } finally {
    for (const r of registries) await r.stop().catch(() => undefined);
    for (const e of engines) await e.stop().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { layers };
if (require.main === module) {
  layers().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
