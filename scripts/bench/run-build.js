#!/usr/bin/env node
'use strict';
// Builds: a Dockerfile of 15 steps (COPY of files, ADD of a local tar, several RUN, ENV,
// LABEL, USER, EXPOSE, WORKDIR, CMD) built cold (--no-cache) and then fully from the cache,
// with the real docker CLI and its classic builder (DOCKER_BUILDKIT=0) against each engine.
// BUILD_RUNS (5) cached rebuilds, median.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { docker, median, timeIt } = require('./lib');

const RUNS = Number(process.env.BUILD_RUNS || 5);

const DOCKERFILE = `FROM busybox
ENV APP=/srv/app LEVEL=info
LABEL org.example.bench=build
WORKDIR /srv/app
COPY package.json index.js ./
ADD assets.tar /srv/assets/
RUN mkdir -p /var/log/app && echo ready > /var/log/app/state
RUN sh -c 'for i in 1 2 3 4 5; do echo line $i; done > /srv/app/lines'
RUN echo 'app:x:1000:1000:app:/srv/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
COPY lib/ /srv/app/lib/
RUN ls -R /srv > /srv/listing
EXPOSE 8080
USER app
RUN test "$(id -u)" = 1000 && cat /srv/app/index.js > /dev/null
CMD ["cat", "/srv/app/lines"]
`;

function makeContext(dir) {
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', version: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.js'), 'console.log("hello");\n'.repeat(100));
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, 'lib', `m${i}.js`), `module.exports = ${i};\n`.repeat(50));
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(dir, 'assets', `a${i}.txt`), 'x'.repeat(4096));
  spawnSync('tar', ['-cf', path.join(dir, 'assets.tar'), '-C', path.join(dir, 'assets'), '.']);
  fs.rmSync(path.join(dir, 'assets'), { recursive: true });
}

/** The image id and the number of cache hits of one `docker build` output. */
function parseBuild(engine, out) {
  const id = /^Successfully built ([0-9a-f]{12})$/m.exec(out)?.[1];
  if (!id) throw new Error(`${engine.name}: no "Successfully built" in:\n${out}`);
  return { id, hits: (out.match(/^ ---> Using cache$/gm) || []).length };
}

async function build(engine) {
  const ctx = path.join(engine.dir, 'build-ctx');
  makeContext(ctx);
  const env = { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_HOST: `unix://${engine.sock}`, DOCKER_CONFIG: path.join(engine.dir, 'docker-config') };
  const run = (args) => docker(engine.sock, args, { env, timeout: 300000 });
  const rows = [];
  const steps = DOCKERFILE.trim().split('\n').length;
  // Every build is checked: the cold one ran every step, each cached one reused all
  // steps but FROM and produced the same image (the cache chain is the cold build's).
  let out;
  rows.push({ key: 'build-cold', label: `\`docker build --no-cache\` of a ${steps}-step Dockerfile`, value: timeIt(() => (out = run(['build', '--no-cache', '-t', 'bench:build', ctx]).stdout)), unit: 's' });
  const cold = parseBuild(engine, out);
  if (cold.hits) throw new Error(`${engine.name}: the --no-cache build used the cache ${cold.hits} times:\n${out}`);
  const ts = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = timeIt(() => (out = run(['build', '-t', 'bench:build', ctx]).stdout));
    if (i) ts.push(t); // the first rebuild warms up, untimed
    const r = parseBuild(engine, out);
    if (r.hits !== steps - 1) throw new Error(`${engine.name}: a cached rebuild used the cache ${r.hits} times, not ${steps - 1}:\n${out}`);
    if (r.id !== cold.id) throw new Error(`${engine.name}: a cached rebuild made ${r.id}, not the cold build's ${cold.id}`);
  }
  rows.push({ key: 'build-cached', label: `a fully cached rebuild of it, median of ${RUNS}`, value: median(ts), unit: 's' });
  // The image works: its CMD's output (the RUN before it checked the USER).
  const lines = run(['run', '--rm', '--network', 'none', 'bench:build']).stdout;
  if (lines !== 'line 1\nline 2\nline 3\nline 4\nline 5\n') throw new Error(`${engine.name}: the built image printed ${JSON.stringify(lines)}`);
  run(['image', 'rm', 'bench:build']);
  return rows;
}

module.exports = { build };
if (require.main === module) require('./lib').main([build]);
