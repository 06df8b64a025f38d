import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { NextContainer, UNCLAIMED, type NextContainerDeps } from './next-container';
import type { MonitorOptions } from '../../runtime/runc-conmon';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A runtime that notes what it is asked: which conmons would wait, which go. */
function fixture(logDefaults?: NextContainerDeps['logDefaults']) {
  const containersDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-next-'));
  dirs.push(containersDir);
  const warm = new Map<string, { o: MonitorOptions; ttl?: number }>();
  const runtime = {
    prewarm: (o: MonitorOptions, ttl?: number) => void warm.set(o.id, { o, ttl }),
    cleanup: async (id: string) => void warm.delete(id),
  };
  const log = { debug: () => undefined };
  const ctx = { runtime, containersDir, logDefaults, log } as unknown as NextContainerDeps;
  return { ctx, warm, containersDir };
}

test('a take chooses the next id a moment later: its directory is marked, its conmon waits with no time limit', async () => {
  const { ctx, warm, containersDir } = fixture();
  const next = new NextContainer(ctx, 10_000, 5);
  const first = next.take();
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(warm.size, 0, 'nothing chosen on the take itself');
  await sleep(30);
  const [ahead] = [...warm.keys()];
  assert.deepEqual(warm.get(ahead), {
    o: { id: ahead, logPath: path.join(containersDir, ahead, 'container.log'), logSizeMax: undefined, tty: false, stdin: false, leaveStdinOpen: true },
    ttl: Infinity,
  });
  assert.deepEqual(readdirSync(path.join(containersDir, ahead)), [UNCLAIMED]);
  assert.equal(next.take(), ahead);
  next.claimed(ahead);
  assert.deepEqual(readdirSync(path.join(containersDir, ahead)), []);
  next.stop();
});

test('an id given back waits again; one given back while another waits, or whose record was tried, goes, files and conmon', async () => {
  const { ctx, warm, containersDir } = fixture();
  const next = new NextContainer(ctx, 10_000, 5);
  next.take();
  await sleep(30);
  const a = next.take();
  next.unused(a, true); // its create was refused at validation
  assert.equal(next.ahead(), a);
  assert.equal(next.take(), a);
  await sleep(30); // b chosen
  const b = [...warm.keys()].find((k) => k !== a)!;
  next.unused(a, true); // a second refused create, while b waits
  assert.equal(existsSync(path.join(containersDir, a)), false);
  assert.equal(warm.has(a), false);
  assert.equal(next.take(), b);
  next.unused(b, false); // its record's write failed: it may be there, b is never given again
  assert.equal(existsSync(path.join(containersDir, b)), false);
  assert.equal(warm.has(b), false);
  assert.equal(next.ahead(), undefined);
  next.unused(next.take(), true); // a new id (none chosen): nothing to give back
  assert.equal(next.ahead(), undefined);
  next.stop();
});

test('unused for its time, the id chosen ahead goes and none is chosen until the next take; stop takes it away', async () => {
  const { ctx, warm, containersDir } = fixture();
  const next = new NextContainer(ctx, 40, 5);
  next.take();
  await sleep(20);
  assert.equal(warm.size, 1);
  await sleep(80);
  assert.equal(warm.size, 0);
  assert.deepEqual(readdirSync(containersDir), []);
  next.take();
  await sleep(20);
  assert.equal(warm.size, 1);
  next.stop();
  assert.equal(warm.size, 0);
  assert.deepEqual(readdirSync(containersDir), []);
  next.take();
  await sleep(20);
  assert.equal(warm.size, 0, 'none after stop');
});

test('with a daemon log config that rotates, no id is chosen ahead (the log files are prepared at start)', async () => {
  const { ctx, warm } = fixture({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3' } });
  const next = new NextContainer(ctx, 10_000, 5);
  next.take();
  await sleep(30);
  assert.equal(warm.size, 0);
  next.stop();
});
