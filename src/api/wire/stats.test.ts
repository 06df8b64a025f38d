import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlkio, parseFlatKeyed, parseSystemCpu, type CgroupSample } from '../../runtime/cgroup-stats';
import { emptyDockerStats, toDockerStats } from './stats';

const sample = (cpuTotal: number, o: Partial<CgroupSample> = {}): CgroupSample => ({
  cpuTotal, cpuPerCpu: [cpuTotal], cpuUser: 0, cpuSystem: 0, throttling: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  memUsage: 4_000_000, memMaxUsage: 5_000_000, memLimit: 9223372036854771712, memStat: { total_inactive_file: 1_000_000 },
  pidsCurrent: 2, blkio: [], blkioServiced: [], ...o,
});

test('cgroup v1 files are parsed: /proc/stat in ns, memory.stat, blkio', () => {
  assert.equal(parseSystemCpu('cpu  100 0 50 1000 10 0 5 1 0 0\ncpu0 1 2 3\n'), 1166 * 1e7);
  assert.deepEqual(parseFlatKeyed('cache 12\nrss 34\ntotal_inactive_file 5\n'), { cache: 12, rss: 34, total_inactive_file: 5 });
  assert.deepEqual(parseBlkio('8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 512 },
    { major: 8, minor: 0, op: 'Total', value: 4608 },
  ]);
});

test("Docker's stats JSON: the previous reading is precpu; no cgroup memory limit means the host's memory", () => {
  const c = { id: 'e'.repeat(64), name: 'web' };
  const host = { onlineCpus: 2, memTotal: 8 * 2 ** 30 };
  const prev = { sample: sample(1e9), systemCpu: 100e9, read: '2026-01-01T00:00:00.000000000Z' };
  const now = { sample: sample(1.5e9), systemCpu: 102e9, read: '2026-01-01T00:00:01.000000000Z' };
  const s = toDockerStats(c, now, prev, host) as Record<string, any>;
  assert.equal(s.name, '/web');
  assert.equal(s.preread, prev.read);
  assert.equal(s.precpu_stats.cpu_usage.total_usage, 1e9);
  assert.equal(s.cpu_stats.system_cpu_usage, 102e9);
  assert.equal(s.cpu_stats.online_cpus, 2);
  // what the docker CLI computes: 0.5 s of 2 s of host time on 2 CPUs = 50%
  const pct = ((s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage) / (s.cpu_stats.system_cpu_usage - s.precpu_stats.system_cpu_usage)) * s.cpu_stats.online_cpus * 100;
  assert.equal(pct, 50);
  assert.equal(s.memory_stats.limit, 8 * 2 ** 30);
  assert.equal(s.memory_stats.usage - s.memory_stats.stats.total_inactive_file, 3_000_000);
  assert.equal(s.pids_stats.current, 2);
  assert.equal((toDockerStats(c, { ...now, sample: sample(1, { memLimit: 64 << 20 }) }, undefined, host) as any).memory_stats.limit, 64 << 20);
  const empty = emptyDockerStats(c) as Record<string, any>;
  assert.equal(empty.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(empty.memory_stats, {});
});
