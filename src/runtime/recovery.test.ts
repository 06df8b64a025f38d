import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRecovery } from './recovery';

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
  assert.equal(planRecovery({ id: 'a', status: 'removing', conmonAlive: false }, now).kind, 'finish-remove');
  assert.equal(planRecovery({ id: 'a', status: 'exited', conmonAlive: false }, now).kind, 'none');
});
