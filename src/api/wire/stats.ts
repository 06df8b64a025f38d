import type { CgroupSample } from '../../runtime/cgroup-stats';
import type { NetDevCounters } from '../../runtime/net-dev';
import { ZERO_TIME } from '../../domain/container';

/** One reading: the cgroup sample, the host's CPU time and when it was taken. */
export interface StatsReading {
  sample: CgroupSample;
  systemCpu: number;
  read: string; // RFC3339Nano
  networks?: Record<string, NetDevCounters>;
}

function cpuStats(r: StatsReading | undefined, onlineCpus: number): Record<string, unknown> {
  if (!r) {
    return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  }
  const s = r.sample;
  return {
    cpu_usage: {
      total_usage: s.cpuTotal,
      ...(s.cpuPerCpu.length ? { percpu_usage: s.cpuPerCpu } : {}),
      usage_in_kernelmode: s.cpuSystem,
      usage_in_usermode: s.cpuUser,
    },
    system_cpu_usage: r.systemCpu,
    online_cpus: onlineCpus,
    throttling_data: s.throttling,
  };
}

const blkioEntries = (e: CgroupSample['blkio']) => e.map(({ major, minor, op, value }) => ({ major, minor, op, value }));

/**
 * Docker's stats JSON (cgroup v1 flavour) for a running container, from this reading and
 * the one before it (precpu_stats; zeros when there is none). The memory limit is the
 * host's memory when the cgroup has none, as Docker reports it.
 */
export function toDockerStats(
  c: { id: string; name: string },
  now: StatsReading,
  prev: StatsReading | undefined,
  host: { onlineCpus: number; memTotal: number },
): Record<string, unknown> {
  const s = now.sample;
  const limit = s.memLimit === undefined ? host.memTotal : Math.min(s.memLimit, host.memTotal);
  return {
    read: now.read,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: { ...(s.pidsCurrent !== undefined ? { current: s.pidsCurrent } : {}), ...(s.pidsLimit !== undefined ? { limit: s.pidsLimit } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: blkioEntries(s.blkio),
      io_serviced_recursive: blkioEntries(s.blkioServiced),
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(now, host.onlineCpus),
    precpu_stats: cpuStats(prev, host.onlineCpus),
    memory_stats: {
      ...(s.memUsage !== undefined ? { usage: s.memUsage } : {}),
      ...(s.memMaxUsage !== undefined ? { max_usage: s.memMaxUsage } : {}),
      stats: s.memStat,
      ...(s.memFailcnt !== undefined ? { failcnt: s.memFailcnt } : {}),
      limit,
    },
    name: `/${c.name}`,
    id: c.id,
    // Docker's key order puts networks last; absent when the container has no interface of its own.
    ...(now.networks ? { networks: now.networks } : {}),
  };
}

/** What Docker answers for a container that is not running: zeros, with its name and id. */
export function emptyDockerStats(c: { id: string; name: string }): Record<string, unknown> {
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(undefined, 0),
    precpu_stats: cpuStats(undefined, 0),
    memory_stats: {},
    name: `/${c.name}`,
    id: c.id,
  };
}
