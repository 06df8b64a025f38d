import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../domain/envelope';
import type { WharfEvent } from '../domain/events';
import { KEPT_EXITED_EXECS } from '../domain/exec';
import { evolveContainers, type ContainersView } from './containers';
import { evolveExecs, type ExecsView } from './execs';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
/** Records as the journal gives them: consecutive seqs, one second apart. */
const records = (...events: WharfEvent[]) => events.map((e, i) => ({ ...e, seq: BigInt(i + 1), time: T0 + BigInt(i) * 1_000_000_000n, v: 1, stream: '' }) as Envelope);
/** The execs after the records, with the containers they are given (as Views folds them). */
function given(...events: WharfEvent[]): ExecsView {
  const containers: ContainersView = new Map();
  let execs: ExecsView = new Map();
  for (const e of records(...events)) execs = evolveExecs(execs, e, evolveContainers(containers, e));
  return execs;
}

const C = 'c'.repeat(64);
const D = 'd'.repeat(64);
const config = { Cmd: ['true'], Env: [], User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '' };
const created = (id: string): WharfEvent => ({
  type: 'container.created',
  data: { id, name: '/' + id.slice(0, 4), image: 'busybox', imageId: 'sha256:' + '1'.repeat(64), created: '', path: 'sh', args: [], config: { Labels: {} } as never, hostConfig: {} as never },
});
const exec = (id: string, container = C): WharfEvent[] => [
  { type: 'exec.created', data: { id, container, config } },
  { type: 'exec.started', data: { id, container, pid: 9 } },
  { type: 'exec.died', data: { id, container, exitCode: 3 } },
];

test('an exec goes created, running, exited with its code', () => {
  const [c, started] = [given(created(C), ...exec('x1').slice(0, 2)), given(created(C), ...exec('x1'))];
  assert.equal(c.get('x1')?.status, 'running');
  assert.equal(c.get('x1')?.pid, 9);
  assert.deepEqual(started.get('x1'), { id: 'x1', containerId: C, config, status: 'exited', pid: 9, exitCode: 3 });
});

test('records of an exec never seen add nothing', () => {
  assert.equal(given(created(C), { type: 'exec.started', data: { id: 'x9', container: C, pid: 1 } }).size, 0);
});

test('a destroyed container takes its execs with it, and only its own', () => {
  const v = given(created(C), created(D), ...exec('x1'), ...exec('y1', D), { type: 'container.destroyed', data: { id: C } });
  assert.deepEqual([...v.keys()], ['y1']);
});

test('only the newest exited execs of a container are kept, oldest first', () => {
  const n = KEPT_EXITED_EXECS + 5;
  const v = given(created(C), ...Array.from({ length: n }, (_, i) => exec(`x${i}`)).flat(), { type: 'exec.created', data: { id: 'live', container: C, config } });
  assert.equal(v.size, KEPT_EXITED_EXECS + 1);
  assert.equal([...v.keys()][0], 'x5');
  assert.equal([...v.keys()].at(-1), 'live');
});

test('an exec record makes a new exec object: the one read before stays as it was', () => {
  const containers: ContainersView = new Map();
  const execs: ExecsView = new Map();
  const [c, x, s] = records(created(C), ...exec('x1').slice(0, 2));
  evolveExecs(execs, c, evolveContainers(containers, c));
  evolveExecs(execs, x, containers);
  const before = execs.get('x1')!;
  evolveExecs(execs, s, containers);
  assert.equal(before.status, 'created');
  assert.equal(execs.get('x1')?.status, 'running');
});
