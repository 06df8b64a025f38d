#!/usr/bin/env node
'use strict';
// Time from `docker run -d -p 127.0.0.1:PORT:80 busybox httpd` to the first answer on the
// published port, polled from 127.0.0.1 (loopback only; each wait bounded to 10 s).
const net = require('node:net');
const { docker, median, main } = require('./lib');

const RUNS = Number(process.env.RUNS || 10);
const BASE_PORT = 41800;

function answers(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let data = '';
    s.setTimeout(500, () => s.destroy());
    s.on('connect', () => s.write('GET /hostname HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve(/^HTTP\/1\.[01] 200/.test(data)));
    s.on('error', () => resolve(false));
  });
}

async function untilAnswers(port) {
  const t = process.hrtime.bigint();
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (await answers(port)) return t;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`port ${port} did not answer within 10 s`);
}

async function publishedPort(engine) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const port = BASE_PORT + i;
    const t0 = process.hrtime.bigint();
    const id = docker(engine.sock, ['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']).stdout.trim();
    const returned = process.hrtime.bigint();
    await untilAnswers(port);
    const answered = process.hrtime.bigint();
    times.push({ run: Number(returned - t0) / 1e9, wait: Number(answered - returned) / 1e9 });
    docker(engine.sock, ['rm', '-f', id]);
  }
  return [
    { key: 'port-run', label: `\`docker run -d -p 127.0.0.1:P:80 busybox httpd\` returns, median of ${RUNS}`, value: median(times.map((t) => t.run)), unit: 's' },
    { key: 'port-wait', label: `… then the published port answers (from 127.0.0.1), median of ${RUNS}`, value: median(times.map((t) => t.wait)), unit: 's', digits: 4 },
  ];
}

module.exports = { publishedPort };
if (require.main === module) main([publishedPort]);
