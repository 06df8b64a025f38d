#!/usr/bin/env node
'use strict';
// Images: save and load of an image of about SIZE_MB (200) MiB (random data committed from a
// container, so nothing compresses it away), timed with the real docker CLI; push of it to a
// fresh local registry (apt docker-registry on 127.0.0.1, one per engine, in the engine's
// dir) and pull back after removing it; then `docker
// images` with IMAGES (1,000) images, made by importing a tiny tar with a different label
// each time (distinct image ids sharing one layer), 4 at a time through the API.
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { api, docker, median, timeIt } = require('./lib');
const { TestRegistry } = require('../../dist/test/helpers/registry.js');

const SIZE_MB = Number(process.env.SIZE_MB || 200);
const IMAGES = Number(process.env.IMAGES || 1000);
const RUNS = Number(process.env.IMAGES_RUNS || 10);
const LOAD_RUNS = Number(process.env.LOAD_RUNS || 3);

async function images(engine) {
  const rows = [];
  docker(engine.sock, ['run', '--name', 'big', '--network', 'none', 'busybox', 'sh', '-c', `head -c ${SIZE_MB}m /dev/urandom > /big`], { timeout: 300000 });
  docker(engine.sock, ['commit', 'big', 'big:v1']);
  docker(engine.sock, ['rm', 'big']);
  const archive = path.join(engine.dir, 'big.tar');
  rows.push({ key: 'save', label: `\`docker save -o\` of a ${SIZE_MB} MiB image`, value: timeIt(() => docker(engine.sock, ['save', '-o', archive, 'big:v1'], { timeout: 300000 })), unit: 's' });
  // Disk: what the data root grows by, per byte of the layers written (the image's size less
  // busybox's, whose layer both engines keep), after load and after pull.
  const sizeOf = (ref) => Number(docker(engine.sock, ['image', 'inspect', '--format', '{{.Size}}', ref]).stdout.trim());
  const written = sizeOf('big:v1') - sizeOf('busybox');
  const dataRoot = path.join(engine.dir, 'data');
  const du = () => {
    spawnSync('sync');
    return Number(spawnSync('du', ['-s', '--block-size=1', dataRoot], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
  };
  // Load and pull: median of LOAD_RUNS (3), the image removed before each; the disk figure from the first.
  const loads = [];
  let loadDisk;
  for (let i = 0; i < LOAD_RUNS; i++) {
    docker(engine.sock, ['rmi', 'big:v1']);
    const before = du();
    loads.push(timeIt(() => docker(engine.sock, ['load', '-i', archive], { timeout: 300000 })));
    loadDisk ??= (du() - before) / written;
  }
  rows.push({ key: 'load', label: `\`docker load -i\` of it back, median of ${LOAD_RUNS}`, value: median(loads), unit: 's' });
  rows.push({ key: 'load-disk', label: '… data root growth / uncompressed size of the layer it wrote', value: loadDisk, unit: '×', digits: 2 });
  fs.rmSync(archive, { force: true });

  const registry = await TestRegistry.start({ parent: engine.dir });
  try {
    const ref = `${registry.host}/bench/big:v1`;
    docker(engine.sock, ['tag', 'big:v1', ref]);
    rows.push({ key: 'push', label: `\`docker push\` of it to a local registry`, value: timeIt(() => docker(engine.sock, ['push', ref], { timeout: 600000 })), unit: 's' });
    docker(engine.sock, ['rmi', 'big:v1']);
    const pulls = [];
    let pullDisk;
    for (let i = 0; i < LOAD_RUNS; i++) {
      docker(engine.sock, ['rmi', ref]);
      const before = du();
      pulls.push(timeIt(() => docker(engine.sock, ['pull', ref], { timeout: 600000 })));
      pullDisk ??= (du() - before) / written;
    }
    rows.push({ key: 'pull', label: `\`docker pull\` of it back, median of ${LOAD_RUNS}`, value: median(pulls), unit: 's' });
    rows.push({ key: 'pull-disk', label: '… data root growth / uncompressed size of the layer it wrote', value: pullDisk, unit: '×', digits: 2 });
    docker(engine.sock, ['rmi', ref]);
  } finally {
    await registry.stop();
  }

  // A tiny rootfs tar: one file.
  const tiny = path.join(engine.dir, 'tiny.tar');
  require('node:child_process').spawnSync('tar', ['-cf', tiny, '-C', path.join(__dirname), 'run-images.js']);
  const body = fs.readFileSync(tiny);
  let next = 0;
  async function worker() {
    while (next < IMAGES) {
      const i = next++;
      const q = `fromSrc=-&repo=many&tag=t${i}&changes=${encodeURIComponent(`LABEL n=${i}`)}`;
      const r = await api(engine.sock, 'POST', `/images/create?${q}`, body, { 'Content-Type': 'application/x-tar' });
      if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`import: ${r.status} ${r.body}`);
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker));
  const count = docker(engine.sock, ['images', '-q', '--no-trunc']).stdout.trim().split('\n').length;
  if (count < IMAGES) throw new Error(`${engine.name}: ${count} images, expected ${IMAGES}`);
  docker(engine.sock, ['images']); // warm-up
  const ts = [];
  for (let i = 0; i < RUNS; i++) ts.push(timeIt(() => docker(engine.sock, ['images'])));
  rows.push({ key: 'images', label: `\`docker images\` with ${IMAGES} images, median of ${RUNS}`, value: median(ts) * 1000, unit: 'ms', digits: 0 });
  return rows;
}

module.exports = { images };
if (require.main === module) require('./lib').main([images]);
