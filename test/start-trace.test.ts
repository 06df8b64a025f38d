import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, TestDaemon } from './helpers/wharfd';

// wharfd -D logs where a start's time goes: one line per create, start and exit, with the
// milliseconds of each phase (engine/lib/phase-trace.ts). Without -D there is no such line.
// The figures are not checked (no timed assertion): only that each phase is there.

interface TraceLine {
  msg: string;
  id: string;
  ms: Record<string, number>;
  totalMs: number;
  autoRemove?: boolean;
  conmon?: string;
}

const traces = (d: TestDaemon): TraceLine[] =>
  d.log
    .split('\n')
    .filter((l) => l.includes(' trace"'))
    .map((l) => JSON.parse(l) as TraceLine);

const debug = new TestDaemon();
const quiet = new TestDaemon();
before(async () => {
  await debug.start(['-D']);
  debug.importBusybox();
  await quiet.start();
  quiet.importBusybox();
});
after(async () => {
  await debug.cleanup();
  await quiet.cleanup();
});

test('wharfd -D: a line per create, start and exit of `docker run --rm`, with ms per phase', async () => {
  const out = debug.dockerOk(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'traced']);
  assert.equal(out.trim(), 'traced');
  const lines = await eventually((): TraceLine[] | undefined => {
    const t = traces(debug);
    return ['create trace', 'start trace', 'exit trace'].every((m) => t.some((l) => l.msg === m)) ? t : undefined;
  }, 10_000, 'the three trace lines');
  const byMsg = (m: string) => lines!.find((l) => l.msg === m)!;
  const create = byMsg('create trace');
  const start = byMsg('start trace');
  const exit = byMsg('exit trace');
  assert.equal(start.id, create.id);
  assert.equal(exit.id, create.id);
  for (const phase of ['api', 'validate', 'append']) assert.equal(typeof create.ms[phase], 'number', `create: ${phase}`);
  for (const phase of ['api', 'lock', 'conmonSpawn', 'intentAppend', 'prepare', 'mount', 'user', 'spec', 'bundle', 'runcCreate', 'runcStart', 'outcomeAppend']) {
    assert.equal(typeof start.ms[phase], 'number', `start: ${phase}`);
  }
  for (const phase of ['readExit', 'diedAppend', 'release']) assert.equal(typeof exit.ms[phase], 'number', `exit: ${phase}`);
  assert.equal(exit.autoRemove, true);
  // docker run creates, then starts: the start took the conmon spawned once the create was answered.
  assert.equal(start.conmon, 'prewarmed');
  for (const l of [create, start, exit]) assert.ok(l.totalMs >= 0);
});

test('wharfd -D: a start long after its create, or a second start, spawns its conmon then', async () => {
  const id = debug.dockerOk(['run', '-d', '--network', 'none', 'busybox', 'true']).trim();
  await eventually(() => debug.dockerOk(['inspect', '-f', '{{.State.Status}}', id]).trim() === 'exited', 10_000, 'exited');
  debug.dockerOk(['start', id]);
  const starts = await eventually(() => {
    const t = traces(debug).filter((l) => l.msg === 'start trace' && id.startsWith(l.id));
    return t.length === 2 ? t : undefined;
  }, 10_000, 'two start traces');
  assert.deepEqual(starts!.map((l) => l.conmon), ['prewarmed', 'spawned']);
  debug.dockerOk(['rm', '-f', id]);
});

test('without -D: no trace line', async () => {
  assert.equal(quiet.dockerOk(['run', '--rm', '--network', 'none', 'busybox', 'true']), '');
  assert.deepEqual(traces(quiet), []);
});
