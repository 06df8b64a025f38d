import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ContainerView } from '../../domain/container';
import { decideProbe, healthTiming } from '../../domain/health';
import { HealthLogs } from './health-log';

const ID = 'c'.repeat(64);
const probe = (n: number, code = 0) => ({ Start: `2026-01-01T00:00:0${n}Z`, End: `2026-01-01T00:00:0${n}Z`, ExitCode: code, Output: `${n}` });
const view = (startedAt: string) => ({ id: ID, startedAt, health: { status: 'healthy', failingStreak: 0, log: [] } }) as unknown as ContainerView;

test('the probe log is written whole and read back at boot; another run\'s file or a damaged one is an empty log', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-health-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, ID));
  const logs = new HealthLogs(dir);
  await logs.record(ID, 'run-1', { failingStreak: 2, log: [1, 2, 3, 4, 5, 6].map((n) => probe(n, 1)) });
  assert.equal(JSON.parse(readFileSync(logs.fileOf(ID), 'utf8')).log.length, 5);
  const again = new HealthLogs(dir);
  await again.load([view('run-1')]);
  assert.deepEqual(again.of(view('run-1')), { failingStreak: 2, log: [2, 3, 4, 5, 6].map((n) => probe(n, 1)) });
  const other = new HealthLogs(dir);
  await other.load([view('run-2')]);
  assert.deepEqual(other.of(view('run-2')), { failingStreak: 0, log: [] });
  writeFileSync(logs.fileOf(ID), '{"startedAt":"run-1","failingStreak":');
  const damaged = new HealthLogs(dir);
  await damaged.load([view('run-1')]);
  assert.deepEqual(damaged.of(view('run-1')), { failingStreak: 0, log: [] });
  // A container whose directory is gone: the probe is kept in memory, the write fails quietly.
  await logs.record('d'.repeat(64), 'run-1', { failingStreak: 0, log: [probe(1)] });
});

test('a probe is an event only when it changes the status', () => {
  const t = healthTiming({ Retries: 2 });
  const ok = decideProbe(ID, 'healthy', { failingStreak: 0, log: [] }, probe(1), t, '2026-01-01T00:00:00Z');
  assert.deepEqual(ok.events, []);
  const one = decideProbe(ID, 'healthy', ok.probes, probe(2, 1), t, '2026-01-01T00:00:00Z');
  assert.deepEqual(one.events, []);
  assert.equal(one.probes.failingStreak, 1);
  const two = decideProbe(ID, 'healthy', one.probes, probe(3, 1), t, '2026-01-01T00:00:00Z');
  assert.deepEqual(two.events, [{ type: 'container.health-status', data: { id: ID, status: 'unhealthy' } }]);
  assert.equal(two.probes.log.length, 3);
});
