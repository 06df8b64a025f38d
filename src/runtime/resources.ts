/**
 * What Docker's HostConfig asks of the container's cgroup, as OCI's linux.resources: memory,
 * cpu, pids, block I/O and the devices cgroup. Pure but for reading block devices' numbers.
 */
import { statSync } from 'node:fs';
import type { ResourceLimits } from '../domain/resources';

/** A HostConfig value this host cannot apply, with Docker-like words (from here and host-options.ts). */
export class HostOptionError extends Error {}

/** The cgroup fields of HostConfig, beyond the ResourceLimits of domain/resources.ts. */
export interface ResourceOptionsInput extends ResourceLimits {
  MemoryReservation?: number | null;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  KernelMemory?: number | null;
  KernelMemoryTCP?: number | null;
  BlkioWeight?: number | null;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuRealtimePeriod?: number | null;
  CpuRealtimeRuntime?: number | null;
}

interface ThrottleDevice {
  Path: string;
  Rate: number;
}

/** cgroup v1 files this kernel has for the optional controls (absent: the option is refused). */
export interface CgroupSupport {
  blkioWeight?: boolean;
  cpuRealtime?: boolean;
}

/** linux.resources but for the devices cgroup: checked and translated; throws HostOptionError for bad values. */
export function resourceLimits(h: ResourceOptionsInput, host: CgroupSupport): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  if (h.Memory) {
    if (h.Memory < 6 * 1024 * 1024) throw new HostOptionError('Minimum memory limit allowed is 6MB');
    let swap = h.MemorySwap ?? 0;
    if (swap === 0) swap = h.Memory * 2; // Docker: swap defaults to as much as the memory
    if (swap > 0 && swap < h.Memory) throw new HostOptionError('Minimum memoryswap limit should be larger than memory limit, see usage');
    resources.memory = { limit: h.Memory, swap };
  } else if (h.MemorySwap && h.MemorySwap > 0) {
    throw new HostOptionError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  const cpu: Record<string, unknown> = {};
  if (h.CpuShares) cpu.shares = h.CpuShares;
  if (h.NanoCpus) {
    if (h.CpuQuota || h.CpuPeriod) throw new HostOptionError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    cpu.period = 100000;
    cpu.quota = Math.round((h.NanoCpus * 100000) / 1e9);
  } else {
    if (h.CpuPeriod) cpu.period = h.CpuPeriod;
    if (h.CpuQuota) cpu.quota = h.CpuQuota;
  }
  if (h.CpusetCpus) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(h.CpusetCpus)) throw new HostOptionError(`Invalid value ${h.CpusetCpus} for cpuset cpus`);
    cpu.cpus = h.CpusetCpus;
  }
  if (h.CpusetMems) cpu.mems = h.CpusetMems;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (h.PidsLimit && h.PidsLimit > 0) resources.pids = { limit: h.PidsLimit };
  Object.assign(resources, memoryExtras(h, resources.memory as Record<string, unknown> | undefined));
  if (h.CpuRealtimePeriod || h.CpuRealtimeRuntime) {
    if (!host.cpuRealtime) throw new HostOptionError('Your kernel does not support CPU real-time scheduler');
    if (h.CpuRealtimePeriod && h.CpuRealtimeRuntime && h.CpuRealtimeRuntime > h.CpuRealtimePeriod) throw new HostOptionError('cpu-rt-runtime can not be greater than cpu-rt-period');
    resources.cpu = { ...(resources.cpu as object), ...(h.CpuRealtimePeriod ? { realtimePeriod: h.CpuRealtimePeriod } : {}), ...(h.CpuRealtimeRuntime ? { realtimeRuntime: h.CpuRealtimeRuntime } : {}) };
  }
  const blockIO = blockIoOf(h, host);
  if (blockIO) resources.blockIO = blockIO;
  return resources;
}

/** linux.resources.devices: all devices for --privileged, else none but the rules given (--device-cgroup-rule). */
export function devicesCgroup(privileged: boolean, rules: string[]): Record<string, unknown>[] {
  const devices: Record<string, unknown>[] = privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }];
  for (const rule of rules) devices.push(deviceCgroupRule(rule));
  return devices;
}

/** MemoryReservation, MemorySwappiness, OomKillDisable: more of linux.resources.memory (kernel memory refused). */
function memoryExtras(h: ResourceOptionsInput, memory: Record<string, unknown> | undefined): { memory?: Record<string, unknown> } {
  const m: Record<string, unknown> = { ...memory };
  if (h.MemoryReservation) {
    if (h.MemoryReservation < 6 * 1024 * 1024) throw new HostOptionError('Minimum memory reservation allowed is 6MB');
    if (h.Memory && h.Memory < h.MemoryReservation) throw new HostOptionError('Minimum memory limit can not be less than memory reservation limit, see usage');
    m.reservation = h.MemoryReservation;
  }
  const swappiness = h.MemorySwappiness ?? -1;
  if (swappiness !== -1) {
    if (swappiness < 0 || swappiness > 100) throw new HostOptionError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
    m.swappiness = swappiness;
  }
  if (h.OomKillDisable) m.disableOOMKiller = true;
  // runc ignores kernel memory settings ("Kernel memory settings are ignored and will be removed").
  if (h.KernelMemory) throw new HostOptionError('KernelMemory: kernel memory limits are not supported (deprecated by Docker, ignored by runc)');
  if (h.KernelMemoryTCP) throw new HostOptionError('KernelMemoryTCP: kernel memory limits are not supported (deprecated by Docker, ignored by runc)');
  return Object.keys(m).length ? { memory: m } : {};
}

/** linux.resources.blockIO: the throttles of the devices named (their numbers read from the host), a weight where the kernel has one. */
function blockIoOf(h: ResourceOptionsInput, host: CgroupSupport): Record<string, unknown> | undefined {
  const io: Record<string, unknown> = {};
  if (h.BlkioWeight || h.BlkioWeightDevice?.length) {
    if (!host.blkioWeight) throw new HostOptionError(`Your kernel does not support Block I/O weight${h.BlkioWeight ? '' : '_device'} or the cgroup is not mounted`);
    if (h.BlkioWeight && (h.BlkioWeight < 10 || h.BlkioWeight > 1000)) throw new HostOptionError('Range of blkio weight is from 10 to 1000');
    if (h.BlkioWeight) io.weight = h.BlkioWeight;
    if (h.BlkioWeightDevice?.length) io.weightDevice = h.BlkioWeightDevice.map((d) => ({ ...blockDevice(d.Path), weight: d.Weight }));
  }
  for (const [field, key] of [['BlkioDeviceReadBps', 'throttleReadBpsDevice'], ['BlkioDeviceWriteBps', 'throttleWriteBpsDevice'], ['BlkioDeviceReadIOps', 'throttleReadIOPSDevice'], ['BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice']] as const) {
    const list = h[field];
    if (list?.length) io[key] = list.map((d) => ({ ...blockDevice(d.Path), rate: d.Rate }));
  }
  return Object.keys(io).length ? io : undefined;
}

function blockDevice(p: string): { major: number; minor: number } {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new HostOptionError(`error gathering device information: ${p ?? ''}: no such file or directory`);
  }
  if (!st.isBlockDevice()) throw new HostOptionError(`${p} is not a block device`);
  return devNumbers(st.rdev);
}

/** Linux's encoding of dev_t (new_decode_dev). */
export function devNumbers(rdev: number): { major: number; minor: number } {
  return { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((Math.floor(rdev / 0x100000) & 0xfff) << 8) };
}

/** --device-cgroup-rule 'c 1:3 mr': an allow rule of the devices cgroup. */
function deviceCgroupRule(rule: string): Record<string, unknown> {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m) throw new HostOptionError(`invalid device cgroup format '${rule}'`);
  const num = (x: string) => (x === '*' ? -1 : Number(x));
  return { allow: true, type: m[1], major: num(m[2]), minor: num(m[3]), access: m[4] };
}
