import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideKill, decideRemove, decideStart, decideStop, evolveContainer, type ContainerView } from './container';
import type { WharfEvent } from './events';
import { WharfError } from './errors';

// given events / when command / then events (or a refusal)
const ID = 'a'.repeat(64);
const created: WharfEvent = {
  type: 'container.created',
  data: {
    id: ID, name: 'web', image: 'busybox', imageId: 'sha256:' + 'b'.repeat(64), created: '2026-01-01T00:00:00.000000000Z',
    path: 'sleep', args: ['10'],
    config: { Hostname: 'aaaaaaaaaaaa', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sleep', '10'], Image: 'busybox', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {} },
    hostConfig: { AutoRemove: false, NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, Privileged: false, ReadonlyRootfs: false, Binds: null },
  },
};

function given(...events: WharfEvent[]): ContainerView {
  let c: ContainerView | undefined;
  events.forEach((e, i) => (c = evolveContainer(c, e, BigInt(i + 1))));
  assert.ok(c);
  return c;
}
const started: WharfEvent = { type: 'container.started', data: { id: ID, pid: 42, conmonPid: 41, startedAt: '2026-01-01T00:00:01Z' } };
const died = (code: number): WharfEvent => ({ type: 'container.died', data: { id: ID, exitCode: code, finishedAt: '2026-01-01T00:00:02Z' } });

function refusal(fn: () => unknown): WharfError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WharfError);
    return e;
  }
  assert.fail('expected a refusal');
}

test('a created container starts', () => {
  assert.deepEqual(decideStart(given(created)), [{ type: 'container.start-requested', data: { id: ID } }]);
});

test('starting a running container is not modified (304)', () => {
  assert.equal(refusal(() => decideStart(given(created, started))).kind, 'not-modified');
});

test('a running container is running with its pid; its death records the exit code', () => {
  const c = given(created, started);
  assert.equal(c.status, 'running');
  assert.equal(c.pid, 42);
  const d = given(created, started, died(3));
  assert.equal(d.status, 'exited');
  assert.equal(d.exitCode, 3);
  assert.equal(d.pid, 0);
});

test('kill of a stopped container is a conflict with Docker message', () => {
  const e = refusal(() => decideKill(given(created, started, died(0)), 'web', '9'));
  assert.equal(e.kind, 'conflict');
  assert.match(e.message, /^Cannot kill container: web: container a+ is not running$/);
});

test('stop of a stopped container is not modified', () => {
  assert.equal(refusal(() => decideStop(given(created), 10)).kind, 'not-modified');
});

test('removing a running container needs force', () => {
  const e = refusal(() => decideRemove(given(created, started), false));
  assert.equal(e.kind, 'conflict');
  assert.equal(e.message, 'cannot remove container "/web": container is running: stop the container before removing or force remove');
  assert.deepEqual(decideRemove(given(created, started), true), [{ type: 'container.remove-requested', data: { id: ID } }]);
});

test('a stop request marks the next death as a stop; destroy removes the view', () => {
  const c = given(created, started, { type: 'container.stop-requested', data: { id: ID, timeout: 10 } });
  assert.equal(c.stopRequested, true);
  assert.equal(evolveContainer(c, { type: 'container.destroyed', data: { id: ID } }, 9n), undefined);
});

test('a failed first start leaves the container created with the error and exit code', () => {
  const c = given(created, { type: 'container.start-requested', data: { id: ID } }, { type: 'container.start-failed', data: { id: ID, error: 'exec: "x": executable file not found in $PATH', exitCode: 127 } });
  assert.equal(c.status, 'created');
  assert.equal(c.exitCode, 127);
  assert.match(c.error, /executable file not found/);
});
