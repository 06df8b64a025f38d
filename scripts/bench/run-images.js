#!/usr/bin/env node
'use strict';
// Images: save of an image of about SIZE_MB (200) MiB (random data committed from a
// container, so nothing compresses it away), timed with the real docker CLI; push of it to a
// fresh local registry (apt docker-registry on 127.0.0.1, one per engine, in the engine's
// dir); then `docker images` with IMAGES (1,000) images, made by importing a tiny tar with a
// different label each time (distinct image ids sharing one layer), 4 at a time through the
// API. Load and pull are in run-layers.js, with both engines' runs interleaved.
const fs = require('node:fs');
const path = require('node:path');
const { api, docker, median, timeIt } = require('./lib');
const { TestRegistry } = require('../../dist/test/helpers/registry.js');

const SIZE_MB = Number(process.env.SIZE_MB || 200);
const IMAGES = Number(process.env.IMAGES || 1000);
const RUNS = Number(process.env.IMAGES_RUNS || 10);

async function images(engine) {
  const rows = [];
  docker(engine.sock, ['run', '--name', 'big', '--network', 'none', 'busybox', 'sh', '-c', `head -c ${SIZE_MB}m /dev/urandom > /big`], { timeout: 300000 });
  docker(engine.sock, ['commit', 'big', 'big:v1']);
  docker(engine.sock, ['rm', 'big']);
  const archive = path.join(engine.dir, 'big.tar');
  rows.push({ key: 'save', label: `\`docker save -o\` of a ${SIZE_MB} MiB image`, value: timeIt(() => docker(engine.sock, ['save', '-o', archive, 'big:v1'], { timeout: 300000 })), unit: 's' });
  fs.rmSync(archive, { force: true });
  const registry = await TestRegistry.start({ parent: engine.dir });
  try {
    const ref = `${registry.host}/bench/big:v1`;
    docker(engine.sock, ['tag', 'big:v1', ref]);
    rows.push({ key: 'push', label: `\`docker push\` of it to a local registry`, value: timeIt(() => docker(engine.sock, ['push', ref], { timeout: 600000 })), unit: 's' });
    docker(engine.sock, ['rmi', 'big:v1', ref]);
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
