import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { WarmMonitors } from './warm-monitors';

class Fake {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
}

test('a start with the same options takes the monitor spawned for it, once', () => {
  const pool = new WarmMonitors<Fake>(10_000, 8);
  let made = 0;
  pool.offer('a', 'k', () => (made++, new Fake()));
  pool.offer('a', 'k', () => (made++, new Fake())); // one waits already
  assert.equal(made, 1);
  const m = pool.take('a', 'k');
  assert.ok(m && !m.cancelled);
  assert.equal(pool.take('a', 'k'), undefined);
  assert.equal(pool.size, 0);
});

test('a start with other options (a log config given at start) gets none, and the waiting one is cancelled', () => {
  const pool = new WarmMonitors<Fake>(10_000, 8);
  const m = new Fake();
  pool.offer('a', 'k1', () => m);
  assert.equal(pool.take('a', 'k2'), undefined);
  assert.equal(m.cancelled, true);
});

test('unused, it is cancelled after its time, or when its container goes, or when the daemon stops', async () => {
  const pool = new WarmMonitors<Fake>(30, 8);
  const late = new Fake();
  pool.offer('late', 'k', () => late);
  const gone = new Fake();
  pool.offer('gone', 'k', () => gone);
  pool.drop('gone');
  assert.equal(gone.cancelled, true);
  await sleep(80);
  assert.equal(late.cancelled, true);
  assert.equal(pool.take('late', 'k'), undefined);

  const pool2 = new WarmMonitors<Fake>(10_000, 8);
  const a = new Fake();
  const b = new Fake();
  pool2.offer('a', 'k', () => a);
  pool2.offer('b', 'k', () => b);
  pool2.dropAll();
  assert.deepEqual([a.cancelled, b.cancelled, pool2.size], [true, true, 0]);
});

test('a burst of creates spawns no more than the cap', () => {
  const pool = new WarmMonitors<Fake>(10_000, 3);
  let made = 0;
  for (let i = 0; i < 10; i++) pool.offer(`c${i}`, 'k', () => (made++, new Fake()));
  assert.equal(made, 3);
  assert.equal(pool.take('c5', 'k'), undefined);
  pool.dropAll();
});

test('offered again with the same options, the waiting one stays and its time starts again; with others, it is cancelled and none is made', async () => {
  const pool = new WarmMonitors<Fake>(60, 8);
  const m = new Fake();
  assert.equal(pool.offer('a', 'k', () => m), true);
  await sleep(40);
  assert.equal(pool.offer('a', 'k', () => new Fake()), true);
  await sleep(40); // 80 ms after the first offer, 40 after the second
  assert.equal(m.cancelled, false);
  assert.equal(pool.offer('a', 'other', () => new Fake()), false);
  assert.equal(m.cancelled, true);
  assert.equal(pool.size, 0);
});

test('offered with no time limit (the next create\'s), one waits until taken or dropped', async () => {
  const pool = new WarmMonitors<Fake>(20, 8);
  const m = new Fake();
  pool.offer('next', 'k', () => m, Infinity);
  await sleep(60);
  assert.equal(m.cancelled, false);
  // Its create came: offered again with the usual time.
  pool.offer('next', 'k', () => new Fake());
  await sleep(60);
  assert.equal(m.cancelled, true);
});
