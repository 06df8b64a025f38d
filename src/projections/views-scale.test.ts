import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { Views } from './views';

// Replay must cost O(1) amortised per record: a long history of one kind (tags of one image,
// execs, containers) replays in linear time, not quadratic.

const T0 = 1_700_000_000_000_000_000n;

/** Envelopes with consecutive seqs and times, as the journal would give them. */
function journal(): { add: (e: WharfEvent) => Envelope; all: Envelope[] } {
  const all: Envelope[] = [];
  let seq = 0n;
  return {
    all,
    add(e) {
      seq++;
      const env = { ...e, seq, time: T0 + seq, v: 1, stream: '' } as Envelope;
      all.push(env);
      return env;
    },
  };
}

const hex = (n: number, width = 64) => n.toString(16).padStart(width, '0');
const IMAGE = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;

function imported(id: string): WharfEvent {
  return {
    type: 'image.imported',
    data: { id, created: '2026-01-01T00:00:00Z', layers: [`sha256:${'3'.repeat(64)}`], size: 1, config: {} as never, comment: '', history: [], source: '-' },
  };
}

function timed(label: string, fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`# ${label}: ${ms.toFixed(0)} ms`);
  return ms;
}

/**
 * Linear, not quadratic: a history four times as long replays in well under sixteen times the
 * time (a ratio from one process, the best of two runs each, so a loaded machine slows both
 * sides alike; no absolute bound: speed itself is measured by scripts/bench/run-events.js).
 */
function assertLinear(label: string, history: (n: number) => Envelope[], n: number): void {
  const best = (all: Envelope[]) => Math.min(...[0, 1].map(() => timed(`${label}: ${all.length} records`, () => {
    const v = new Views();
    for (const e of all) v.apply(e);
  })));
  const small = best(history(n / 4));
  const large = best(history(n));
  assert.ok(large / Math.max(small, 1) < 10, `${label}: 4× the records took ${(large / Math.max(small, 1)).toFixed(1)}× the time (linear: about 4×, quadratic: 16×)`);
}

function tagHistory(N: number): Envelope[] {
  const j = journal();
  j.add(imported(IMAGE));
  j.add(imported(OTHER));
  for (let i = 0; i < N; i++) {
    j.add({ type: 'image.tagged', data: { id: IMAGE, ref: `app:${i}` } });
    if (i % 10 === 9) j.add({ type: 'image.untagged', data: { id: IMAGE, ref: `app:${i - 5}` } }); // churn: one in ten goes
    if (i % 10 === 9) j.add({ type: 'image.tagged', data: { id: IMAGE, ref: `app:${i - 3}` } }); // and a known one is tagged again
    if (i % 100 === 99) j.add({ type: 'image.tagged', data: { id: OTHER, ref: `app:${i - 50}` } }); // moved to another image
  }
  return j.all;
}

test('100,000 tags of one image (with untag and retag churn) replay in linear time', () => {
  const N = 100_000;
  assertLinear('tags', tagHistory, N);
  const j = journal();
  for (const e of tagHistory(N)) j.add(e);
  const v = new Views();
  j.all.forEach((e) => v.apply(e));
  const tags = v.images.images.get(IMAGE)!.tags;
  assert.equal(tags.length, N - N / 10 - N / 100);
  assert.equal(tags[0], 'app:0');
  assert.ok(!tags.includes('app:4') && !tags.includes('app:49'));
  assert.equal(v.images.tags.get('app:49'), OTHER);
  assert.deepEqual(v.images.images.get(OTHER)!.tags.slice(0, 2), ['app:49', 'app:149']);
  // Deleting the image drops every tag that names it, in time proportional to its own tags.
  j.add({ type: 'image.deleted', data: { id: IMAGE } } as WharfEvent);
  timed('image.deleted of an image with 89,000 tags', () => v.apply(j.all[j.all.length - 1]));
  assert.equal(v.images.tags.size, N / 100);
  // The live views and a replay from scratch agree.
  const again = new Views();
  j.all.forEach((e) => again.apply(e));
  assert.equal(again.snapshot(), v.snapshot());
});

function containerHistory(N: number): Envelope[] {
  const j = journal();
  const config = { Cmd: ['true'], Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' };
  const keep = hex(0);
  j.add({ type: 'container.created', data: { id: keep, name: 'keep', image: 'busybox', imageId: IMAGE, created: '', path: 'sh', args: [], config: { Labels: {} } as never, hostConfig: {} as never } });
  let x = 0;
  for (let i = 1; i <= N; i++) {
    const id = hex(i);
    j.add({ type: 'container.created', data: { id, name: `c${i}`, image: 'busybox', imageId: IMAGE, created: '', path: 'sh', args: [], config: { Labels: {} } as never, hostConfig: {} as never } });
    j.add({ type: 'container.start-requested', data: { id } });
    j.add({ type: 'container.started', data: { id, pid: i, conmonPid: i, startedAt: '2026-01-01T00:00:01Z' } });
    for (let k = 0; k < 3; k++) {
      const xid = hex(++x);
      j.add({ type: 'exec.created', data: { id: xid, container: id, config } });
      j.add({ type: 'exec.started', data: { id: xid, container: id, pid: x } });
      j.add({ type: 'exec.died', data: { id: xid, container: id, exitCode: 0 } });
    }
    // One container keeps collecting execs: only the last ones are kept.
    const kx = hex(++x);
    j.add({ type: 'exec.created', data: { id: kx, container: keep, config } });
    j.add({ type: 'exec.died', data: { id: kx, container: keep, exitCode: 0 } });
    j.add({ type: 'container.died', data: { id, exitCode: 0, finishedAt: '2026-01-01T00:00:02Z' } });
    if (i % 4 !== 0) {
      j.add({ type: 'container.remove-requested', data: { id } });
      j.add({ type: 'container.destroyed', data: { id } });
    }
  }
  return j.all;
}

test('20,000 containers created, started, exec-ed, died and destroyed replay in linear time', () => {
  const N = 20_000;
  assertLinear('containers', containerHistory, N);
  const j = journal();
  for (const e of containerHistory(N)) j.add(e);
  const keep = hex(0);
  const v = new Views();
  j.all.forEach((e) => v.apply(e));
  assert.equal(v.containers.size, N / 4 + 1);
  assert.equal(v.names.size, N / 4 + 1);
  assert.equal([...v.execs.values()].filter((e) => e.containerId === keep).length, 64);
  assert.equal(v.execs.size, 64 + (N / 4) * 3);
  const again = new Views();
  j.all.forEach((e) => again.apply(e));
  assert.equal(again.snapshot(), v.snapshot());
});
