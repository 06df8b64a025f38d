import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitsDrifted, parseCgroupLimit, planRecovery } from './recovery';

const now = '2026-01-01T00:00:00Z';

test('a container still running under its monitor is adopted', () => {
  assert.equal(planRecovery({ id: 'a', status: 'running', conmonAlive: true, runcStatus: 'running' }, now).kind, 'reattach');
});

test('a container that exited while the daemon was down gets its real exit code', () => {
  const a = planRecovery({ id: 'a', status: 'running', conmonAlive: false, exitFile: { exitCode: 7, finishedAt: 't' } }, now);
  assert.deepEqual(a, { kind: 'record-exit', id: 'a', exitCode: 7, finishedAt: 't', unknown: false });
});

test('monitor and container both gone without an exit file: unknown exit', () => {
  const a = planRecovery({ id: 'a', status: 'running', conmonAlive: false }, now);
  assert.equal(a.kind, 'record-exit');
  assert.equal(a.kind === 'record-exit' && a.unknown, true);
});

test('a start interrupted before runc created anything fails; a removal is finished', () => {
  assert.equal(planRecovery({ id: 'a', status: 'starting', conmonAlive: false }, now).kind, 'fail-start');
  // conmon died reporting to the killed daemon after runc create: the process never ran.
  assert.equal(planRecovery({ id: 'a', status: 'starting', conmonAlive: false, runcStatus: 'created' }, now).kind, 'fail-start');
  // conmon alive but the process not started (the crash came before `runc start`): failed too.
  assert.equal(planRecovery({ id: 'a', status: 'starting', conmonAlive: true, runcStatus: 'created' }, now).kind, 'fail-start');
  assert.equal(planRecovery({ id: 'a', status: 'removing', conmonAlive: false }, now).kind, 'finish-remove');
  assert.equal(planRecovery({ id: 'a', status: 'exited', conmonAlive: false }, now).kind, 'none');
});

test('a pause or unpause runc did but the journal missed is recorded as runc has it', () => {
  assert.deepEqual(planRecovery({ id: 'a', status: 'running', conmonAlive: true, runcStatus: 'paused' }, now), { kind: 'reattach', id: 'a', record: 'paused' });
  assert.deepEqual(planRecovery({ id: 'a', status: 'paused', conmonAlive: true, runcStatus: 'running' }, now), { kind: 'reattach', id: 'a', record: 'unpaused' });
  assert.deepEqual(planRecovery({ id: 'a', status: 'paused', conmonAlive: true, runcStatus: 'paused' }, now), { kind: 'reattach', id: 'a' });
});

test('a start whose container runs is adopted; a paused one that exited gets its exit', () => {
  assert.deepEqual(planRecovery({ id: 'a', status: 'starting', conmonAlive: true, runcStatus: 'running' }, now), { kind: 'reattach', id: 'a' });
  assert.equal(planRecovery({ id: 'a', status: 'paused', conmonAlive: false, exitFile: { exitCode: 1, finishedAt: 't' } }, now).kind, 'record-exit');
});

test('cgroup limits that differ from the journal are applied again', () => {
  assert.equal(limitsDrifted({ memory: { recorded: 0, actual: undefined }, pids: { actual: undefined } }), false);
  assert.equal(limitsDrifted({ memory: { recorded: 0, actual: 64 << 20 }, pids: {} }), true);
  assert.equal(limitsDrifted({ memory: { recorded: 64 << 20, actual: 64 << 20 }, pids: { recorded: 10, actual: 20 } }), true);
  assert.equal(parseCgroupLimit('9223372036854771712\n'), undefined);
  assert.equal(parseCgroupLimit('max\n'), undefined);
  assert.equal(parseCgroupLimit('67108864\n'), 64 << 20);
});
