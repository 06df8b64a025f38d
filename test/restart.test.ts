import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { daemonForFile, eventually, sleep } from './helpers/wharfd';

// The "ghost" containers: the daemon dies (kill -9) or stops while containers run; they go
// on under conmon, and the daemon picks them up from the journal when it comes back.
const d = daemonForFile();

const stable = (x: Record<string, unknown>) => JSON.stringify(x);

test('kill -9 of the daemon: containers keep running, exits are reconciled, history survives', async () => {
  const since = (Date.now() / 1000 - 1).toFixed(3);
  const ticker = d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done']);
  assert.equal(ticker.code, 0, ticker.stderr);
  // shortlived exits only once the daemon is down (a gate file the test makes after the kill).
  const gate = path.join(d.dir, 'gate');
  mkdirSync(gate);
  const short = d.docker(['run', '-d', '--name', 'shortlived', '-v', `${gate}:/gate`, 'busybox', 'sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.1; done; exit 7']);
  assert.equal(short.code, 0, short.stderr);
  assert.equal(d.docker(['create', '--name', 'idle', '-e', 'A=1', '-l', 'k=v', 'busybox', 'echo', 'x']).code, 0);
  assert.equal(d.docker(['run', '--name', 'done', 'busybox', 'sh', '-c', 'exit 2']).code, 2);
  const inspectBefore = JSON.parse(d.docker(['inspect', 'idle', 'done']).stdout);
  const imagesBefore = d.docker(['images', '--no-trunc', '--format', '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}']).stdout;

  await d.kill9();
  const downAt = Date.now();
  writeFileSync(path.join(gate, 'go'), '');
  await sleep(2500); // shortlived exits meanwhile; ticker keeps printing
  await d.start(); // no stale pidfile, lock or socket stops it
  const upAt = Date.now();

  const ps = d.docker(['ps', '--format', '{{.Names}} {{.State}}']);
  assert.equal(ps.stdout.trim(), 'ticker running');
  const all = d.docker(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']).stdout;
  assert.match(all, /shortlived\|Exited \(7\)/);
  assert.match(all, /done\|Exited \(2\)/);
  assert.match(all, /idle\|Created/);

  // Lines printed while the daemon was down are in the log.
  const logs = d.docker(['logs', '-t', 'ticker']).stdout.trim().split('\n');
  const whileDown = logs.filter((l) => {
    const t = Date.parse(l.split(' ')[0]);
    return t > downAt + 200 && t < upAt - 200;
  });
  assert.ok(whileDown.length >= 3, `lines printed while down: ${whileDown.length}`);

  // The exit that happened while the daemon was away: real code, a die event marked reconciled.
  const until = (Date.now() / 1000 + 1).toFixed(3);
  const ev = d.docker(['events', '--since', since, '--until', until, '--format', '{{json .}}']);
  const events = ev.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const dies = events.filter((e) => e.Action === 'die' && e.Actor.Attributes.name === 'shortlived');
  assert.equal(dies.length, 1);
  assert.equal(dies[0].Actor.Attributes.exitCode, '7');
  assert.equal(dies[0].Actor.Attributes.reconciled, 'true');
  // Events from before the restart are still there, in order.
  const tickerEvents = events.filter((e) => e.Actor.Attributes.name === 'ticker').map((e) => e.Action);
  assert.deepEqual(tickerEvents, ['create', 'start']);
  assert.ok(events.some((e) => e.Type === 'image' && e.Action === 'import'));

  // The views rebuilt from the journal say the same as before.
  assert.equal(stable(JSON.parse(d.docker(['inspect', 'idle', 'done']).stdout)), stable(inspectBefore));
  assert.equal(d.docker(['images', '--no-trunc', '--format', '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}']).stdout, imagesBefore);

  // The adopted container is still fully managed.
  assert.equal(d.docker(['stop', '-t', '0', 'ticker']).code, 0);
  assert.match(d.docker(['ps', '-a', '--filter', 'name=ticker', '--format', '{{.Status}}']).stdout, /Exited \(137\)/);
});

test('a graceful daemon stop leaves containers running (live restore)', async () => {
  const id = d.docker(['run', '-d', '--name', 'survivor', 'busybox', 'sleep', '300']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await d.stop();
  const state = spawnSync('runc', ['--root', path.join(d.execRoot, 'runc'), 'state', id], { encoding: 'utf8' });
  assert.equal(JSON.parse(state.stdout).status, 'running');
  await d.start();
  assert.equal(d.docker(['ps', '--format', '{{.Names}}']).stdout.trim(), 'survivor');
  // And it dies normally afterwards, seen by the new daemon.
  assert.equal(d.docker(['kill', 'survivor']).code, 0);
  await eventually(() => /Exited \(137\)/.test(d.docker(['ps', '-a', '--filter', 'name=survivor', '--format', '{{.Status}}']).stdout), 10_000, 'exit seen');
});
