import { isRunning } from '../../domain/container';
import { nowRfc3339 } from '../../domain/time';
import { readNetDev, type NetDevCounters } from '../../runtime/net-dev';
import { onlineCpus, sampleCgroup, systemCpuNanos, type CgroupSample } from '../../runtime/cgroup-stats';
import os from 'node:os';

import { cgroupsPathOf } from './start-container';

import type { EngineDeps } from '../ports';

/** What container-stats uses of the engine. */
export type ContainerStatsDeps = Pick<EngineDeps, 'views'>;
export interface Reading {
  sample: CgroupSample;
  systemCpu: number;
  read: string;
  /** Per interface of its own network namespace (none with --network host or container:<x>). */
  networks?: Record<string, NetDevCounters>;
}

/** One reading of a running container's cgroup counters, or undefined if it is not running. */
export async function takeReading(ctx: ContainerStatsDeps, id: string): Promise<Reading | undefined> {
  const c = ctx.views.containers.get(id);
  if (!c || !isRunning(c)) return undefined;
  const mode = c.hostConfig.NetworkMode || 'default';
  const ownNetns = mode !== 'host' && !mode.startsWith('container:');
  const [sample, systemCpu, networks] = await Promise.all([sampleCgroup(cgroupsPathOf(c)), systemCpuNanos(), ownNetns ? readNetDev(c.pid) : undefined]);
  return { sample, systemCpu, read: nowRfc3339(), ...(networks && Object.keys(networks).length ? { networks } : {}) };
}

/** What a stats answer says of the host: its online CPUs and memory. */
export function hostForStats(): { onlineCpus: number; memTotal: number } {
  return { onlineCpus: onlineCpus(), memTotal: os.totalmem() };
}
