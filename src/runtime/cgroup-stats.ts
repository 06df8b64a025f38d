import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Reading a container's cgroup (v1) counters: what docker stats and docker top need. */
const CGROUP_ROOT = '/sys/fs/cgroup';

const read = (ctrl: string, cgroupsPath: string, file: string): Promise<string | undefined> =>
  fsp.readFile(path.join(CGROUP_ROOT, ctrl, cgroupsPath, file), 'utf8').catch(() => undefined);

const num = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s.trim());
  return Number.isFinite(n) ? n : undefined;
};

/** The host pids of every process in the container's cgroup. */
export async function cgroupPids(cgroupsPath: string): Promise<number[]> {
  const text = (await read('pids', cgroupsPath, 'cgroup.procs')) ?? (await read('memory', cgroupsPath, 'cgroup.procs')) ?? '';
  return text.split('\n').filter(Boolean).map(Number).filter(Number.isInteger);
}

export interface CgroupSample {
  cpuTotal: number;
  cpuPerCpu: number[];
  cpuUser: number;
  cpuSystem: number;
  throttling: { periods: number; throttled_periods: number; throttled_time: number };
  memUsage?: number;
  memMaxUsage?: number;
  memLimit?: number;
  memFailcnt?: number;
  memStat: Record<string, number>;
  pidsCurrent?: number;
  pidsLimit?: number;
  blkio: { major: number; minor: number; op: string; value: number }[];
  blkioServiced: { major: number; minor: number; op: string; value: number }[];
}

/** "key value" lines (memory.stat, cpu.stat). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** blkio "8:0 Read 1234" lines (the "Total" line per device and the grand total dropped). */
export function parseBlkio(text: string): { major: number; minor: number; op: string; value: number }[] {
  const out: { major: number; minor: number; op: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

export async function sampleCgroup(cgroupsPath: string): Promise<CgroupSample> {
  const [usage, perCpu, acctStat, cpuStat, memUsage, memMax, memLimit, memFail, memStat, pidsCur, pidsMax, blk, blkOps] = await Promise.all([
    read('cpuacct', cgroupsPath, 'cpuacct.usage'),
    read('cpuacct', cgroupsPath, 'cpuacct.usage_percpu'),
    read('cpuacct', cgroupsPath, 'cpuacct.stat'),
    read('cpu', cgroupsPath, 'cpu.stat'),
    read('memory', cgroupsPath, 'memory.usage_in_bytes'),
    read('memory', cgroupsPath, 'memory.max_usage_in_bytes'),
    read('memory', cgroupsPath, 'memory.limit_in_bytes'),
    read('memory', cgroupsPath, 'memory.failcnt'),
    read('memory', cgroupsPath, 'memory.stat'),
    read('pids', cgroupsPath, 'pids.current'),
    read('pids', cgroupsPath, 'pids.max'),
    read('blkio', cgroupsPath, 'blkio.throttle.io_service_bytes_recursive'),
    read('blkio', cgroupsPath, 'blkio.throttle.io_serviced_recursive'),
  ]);
  // cpuacct.stat is in clock ticks (USER_HZ, 100 on Linux): Docker reports nanoseconds.
  const ticks = parseFlatKeyed(acctStat ?? '');
  const cs = parseFlatKeyed(cpuStat ?? '');
  return {
    cpuTotal: num(usage) ?? 0,
    cpuPerCpu: (perCpu ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
    cpuUser: (ticks.user ?? 0) * 1e7,
    cpuSystem: (ticks.system ?? 0) * 1e7,
    throttling: { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: cs.throttled_time ?? 0 },
    memUsage: num(memUsage),
    memMaxUsage: num(memMax),
    memLimit: num(memLimit),
    memFailcnt: num(memFail),
    memStat: parseFlatKeyed(memStat ?? ''),
    pidsCurrent: num(pidsCur),
    pidsLimit: pidsMax?.trim() === 'max' ? undefined : num(pidsMax),
    blkio: parseBlkio(blk ?? ''),
    blkioServiced: parseBlkio(blkOps ?? ''),
  };
}

/** The host's total CPU time in nanoseconds, from the first line of /proc/stat (USER_HZ = 100). */
export function parseSystemCpu(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  return fields.reduce((a, b) => a + b, 0) * 1e7;
}

export async function systemCpuNanos(): Promise<number> {
  return parseSystemCpu(await fsp.readFile('/proc/stat', 'utf8'));
}

export function onlineCpus(): number {
  return os.cpus().length || 1;
}
