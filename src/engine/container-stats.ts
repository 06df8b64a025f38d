import { isRunning } from '../domain/container';
import { nowRfc3339 } from '../domain/time';
import { sampleCgroup, systemCpuNanos, type CgroupSample } from '../runtime/cgroup-stats';
import type { EngineContext } from './context';
import { cgroupsPathOf } from './start-container';

export interface Reading {
  sample: CgroupSample;
  systemCpu: number;
  read: string;
}

/** One reading of a running container's cgroup counters, or undefined if it is not running. */
export async function takeReading(ctx: EngineContext, id: string): Promise<Reading | undefined> {
  const c = ctx.views.containers.get(id);
  if (!c || !isRunning(c)) return undefined;
  const [sample, systemCpu] = await Promise.all([sampleCgroup(cgroupsPathOf(id)), systemCpuNanos()]);
  return { sample, systemCpu, read: nowRfc3339() };
}
